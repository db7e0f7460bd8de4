// MULTI/EXEC/DISCARD/WATCH/UNWATCH in-process: queueing, refusals before and
// errors during EXEC, every way a watched key is touched (or deliberately not),
// what CLIENT LIST shows, stats, CLIENT PAUSE, and what is propagated.
import RedstartRESP
import Testing

@testable import RedstartEngine

@Test func execRunsQueuedCommandsInOrder() {
    let h = EngineHarness()
    let s = h.connect()
    #expect(h.run(s, "MULTI") == .simpleString("OK"))
    #expect(h.run(s, "SET", "a", "1") == .simpleString("QUEUED"))
    #expect(h.run(s, "INCR", "a") == .simpleString("QUEUED"))
    #expect(h.run(s, "GET", "a") == .simpleString("QUEUED"))
    // Nothing ran yet.
    let other = h.connect()
    #expect(h.run(other, "EXISTS", "a") == .integer(0))
    #expect(h.run(s, "EXEC") == .array([.simpleString("OK"), .integer(2), .bulk("2")]))
    #expect(!s.isInTransaction)
    #expect(h.run(s, "EXEC") == .err("ERR EXEC without MULTI"))
}

@Test func anEmptyTransactionRepliesAnEmptyArray() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "MULTI")
    #expect(h.run(s, "EXEC") == .array([]))
}

@Test func errorsDuringExecTakeTheirSlotAndTheRestRuns() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "SET", "text", "abc")
    h.run(s, "MULTI")
    h.run(s, "INCR", "text")
    h.run(s, "SET", "b", "2")
    h.run(s, "SETRANGE", "b", "-1", "x")
    h.run(s, "GET", "b")
    #expect(h.run(s, "EXEC") == .array([
        .err("ERR value is not an integer or out of range"), .simpleString("OK"),
        .err("ERR offset is out of range"), .bulk("2"),
    ]))
}

@Test func queueingErrorsAbortTheTransaction() {
    let h = EngineHarness()
    let s = h.connect()
    for bad in [["NOSUCHCOMMAND", "x"], ["SET", "a"], ["CONFIG", "NOSUCH"], ["SHUTDOWN"]] {
        h.run(s, "MULTI")
        h.run(s, "SET", "a", "1")
        let refusal = h.runAll(s, bad).first
        if case .error = refusal {} else { Issue.record("\(bad) was not refused: \(String(describing: refusal))") }
        h.run(s, "SET", "b", "1")
        #expect(h.run(s, "EXEC") == .err("EXECABORT Transaction discarded because of previous errors."))
        #expect(h.run(s, "EXISTS", "a", "b") == .integer(0))
        #expect(!s.isInTransaction)
    }
    h.run(s, "MULTI")
    #expect(h.run(s, "SHUTDOWN") == .err("ERR Command not allowed inside a transaction"))
    h.run(s, "DISCARD")
}

@Test func authenticationRefusalInsideMultiAbortsIt() throws {
    let h = try EngineHarness { _ = try $0.set("requirepass", arguments: ["secret"]) }
    let s = h.connect()
    #expect(h.run(s, "MULTI") == .err("NOAUTH Authentication required."))
    h.run(s, "AUTH", "secret")
    h.run(s, "MULTI")
    h.run(s, "SET", "a", "1")
    s.isAuthenticated = false
    #expect(h.run(s, "GET", "a") == .err("NOAUTH Authentication required."))
    // A refused EXEC aborts the transaction and says why.
    #expect(h.run(s, "EXEC") == .err("EXECABORT Transaction discarded because of: NOAUTH Authentication required."))
    #expect(!s.isInTransaction)
}

@Test func misplacedTransactionCommandsDoNotAbortIt() {
    let h = EngineHarness()
    let s = h.connect()
    #expect(h.run(s, "DISCARD") == .err("ERR DISCARD without MULTI"))
    h.run(s, "MULTI")
    #expect(h.run(s, "MULTI") == .err("ERR MULTI calls can not be nested"))
    #expect(h.run(s, "WATCH", "x") == .err("ERR WATCH inside MULTI is not allowed"))
    h.run(s, "SET", "a", "1")
    #expect(h.run(s, "EXEC") == .array([.simpleString("OK")]))
}

@Test func execWithArgumentsAbortsTheTransaction() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "MULTI")
    h.run(s, "SET", "a", "1")
    #expect(h.run(s, "EXEC", "now") == .err(
        "EXECABORT Transaction discarded because of: ERR wrong number of arguments for 'exec' command"))
    #expect(!s.isInTransaction)
    #expect(h.run(s, "EXISTS", "a") == .integer(0))
}

@Test func discardDropsTheQueueAndUnwatches() {
    let h = EngineHarness()
    let s = h.connect()
    let other = h.connect()
    h.run(s, "WATCH", "a")
    h.run(s, "MULTI")
    h.run(s, "SET", "a", "1")
    #expect(h.run(s, "DISCARD") == .simpleString("OK"))
    #expect(h.run(s, "EXISTS", "a") == .integer(0))
    h.run(other, "SET", "a", "2")
    h.run(s, "MULTI")
    h.run(s, "GET", "a")
    #expect(h.run(s, "EXEC") == .array([.bulk("2")]))
}

@Test func watchedKeyChangedByAnotherClientFailsExec() {
    let h = EngineHarness()
    let s = h.connect()
    let other = h.connect()
    h.run(s, "SET", "x", "30")
    #expect(h.run(s, "WATCH", "a", "b", "x", "k", "z") == .simpleString("OK"))
    h.run(other, "SET", "x", "40")
    #expect(!watchAllowsExec(h, s))
    // Nothing stays watched after a failed EXEC.
    h.run(other, "SET", "x", "50")
    #expect(watchAllowsExec(h, s))
}

@Test func execFailsInResp3WithNull() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "HELLO", "3")
    h.run(s, "WATCH", "x")
    h.run(s, "SET", "x", "1")
    h.run(s, "MULTI")
    #expect(h.raw(s, "EXEC") == "_\r\n")
    h.run(s, "HELLO", "2")
    h.run(s, "WATCH", "x")
    h.run(s, "SET", "x", "1")
    h.run(s, "MULTI")
    #expect(h.raw(s, "EXEC") == "*-1\r\n")
}

@Test func unchangedWatchedKeysLetExecRun() {
    let h = EngineHarness()
    let s = h.connect()
    let other = h.connect()
    h.run(s, "SET", "x", "30")
    h.run(s, "WATCH", "x")
    h.run(other, "SET", "y", "1")
    h.run(other, "GET", "x")
    h.run(s, "MULTI")
    h.run(s, "SET", "x", "31")
    #expect(h.run(s, "EXEC") == .array([.simpleString("OK")]))
}

@Test func everyKindOfChangeTouchesAWatchedKey() {
    let changes: [[String]] = [
        ["DEL", "k"], ["UNLINK", "k"], ["APPEND", "k", "x"], ["EXPIRE", "k", "100"], ["PERSIST", "k"],
        ["RENAME", "k", "other"], ["RENAME", "src", "k"], ["MOVE", "k", "1"], ["COPY", "src", "k", "REPLACE"],
        ["SETBIT", "k", "0", "1"], ["GETDEL", "k"], ["GETEX", "k", "PX", "100"], ["INCRBYFLOAT", "n", "1"],
        ["MSET", "q", "1", "k", "2"], ["FLUSHDB"], ["FLUSHALL"], ["SWAPDB", "0", "1"], ["EXPIRE", "k", "-1"],
    ]
    for change in changes {
        let h = EngineHarness()
        let s = h.connect()
        let other = h.connect()
        h.run(s, "SET", "k", "1")
        h.run(s, "SET", "n", "1")
        h.run(s, "SET", "src", "v")
        h.run(s, "EXPIRE", "k", "1000")
        let key = change == ["INCRBYFLOAT", "n", "1"] ? "n" : "k"
        h.run(s, "WATCH", key)
        _ = h.runAll(other, change)
        #expect(!watchAllowsExec(h, s), "\(change)")
    }
}

@Test func changesThatChangeNothingDoNotTouch() {
    let changes: [[String]] = [
        ["DEL", "missing"], ["GET", "k"], ["SET", "other", "1"], ["PERSIST", "k"], ["EXPIRE", "missing", "10"],
        ["SETNX", "k", "2"], ["MOVE", "missing", "1"], ["FLUSHDB"],  // FLUSHDB in db 1 below
    ]
    for change in changes {
        let h = EngineHarness()
        let s = h.connect()
        let other = h.connect()
        h.run(s, "SET", "k", "1")
        h.run(s, "WATCH", "k")
        if change == ["FLUSHDB"] { h.run(other, "SELECT", "1") }
        _ = h.runAll(other, change)
        #expect(watchAllowsExec(h, s), "\(change)")
    }
}

@Test func watchRemembersTheDatabaseOfAKey() {
    let h = EngineHarness()
    let s = h.connect()
    let other = h.connect()
    h.run(s, "SELECT", "3")
    h.run(s, "WATCH", "x")
    h.run(s, "SELECT", "4")
    h.run(other, "SET", "x", "in db 0")
    #expect(watchAllowsExec(h, s))
    h.run(s, "SELECT", "3")
    h.run(s, "WATCH", "x")
    h.run(s, "SELECT", "4")
    h.run(other, "SELECT", "3")
    h.run(other, "SET", "x", "in db 3")
    #expect(!watchAllowsExec(h, s))
}

@Test func flushesTouchOnlyWatchedKeysThatExist() {
    for flush in [["FLUSHALL"], ["FLUSHDB"], ["FLUSHALL", "ASYNC"]] {
        let h = EngineHarness()
        let s = h.connect()
        let other = h.connect()
        h.run(s, "WATCH", "missing")
        h.run(other, "SET", "unrelated", "1")
        _ = h.runAll(other, flush)
        #expect(watchAllowsExec(h, s), "\(flush)")
    }
}

@Test func swapdbTouchesKeysThatExistOnEitherSide() {
    let h = EngineHarness()
    let s = h.connect()
    let other = h.connect()
    // The watched key exists in the database that is replaced.
    h.run(s, "SET", "x", "1")
    h.run(s, "WATCH", "x")
    h.run(other, "SWAPDB", "0", "1")
    h.run(s, "MULTI")
    #expect(h.run(s, "EXEC") == .nullArray)
    // The watched key does not exist, but appears from the other database.
    h.run(other, "FLUSHALL")
    h.run(other, "SELECT", "1")
    h.run(other, "SET", "y", "1")
    h.run(s, "WATCH", "y")
    h.run(other, "SWAPDB", "0", "1")
    h.run(s, "MULTI")
    #expect(h.run(s, "EXEC") == .nullArray)
    // Missing on both sides: untouched.
    h.run(s, "WATCH", "nowhere")
    h.run(other, "SWAPDB", "0", "1")
    h.run(s, "MULTI")
    #expect(h.run(s, "EXEC") == .array([]))
}

@Test func staleKeysFollowRedisRules() {
    // Watching a key whose time has passed (still present, not yet removed).
    func setUp() -> (EngineHarness, Session, Session) {
        let h = EngineHarness()
        let s = h.connect()
        let other = h.connect()
        h.run(s, "SET", "x", "1", "PX", "5")
        h.clock.advance(milliseconds: 10)
        h.run(s, "WATCH", "x")
        return (h, s, other)
    }
    // Stale key watched, nothing else happens: EXEC runs.
    var (h, s, other) = setUp()
    h.run(s, "MULTI")
    #expect(h.run(s, "EXEC") == .array([]))
    // Its removal (by an access, DEL or FLUSHDB) is no change.
    for removal in [["GET", "x"], ["DEL", "x"], ["FLUSHDB"]] {
        (h, s, other) = setUp()
        _ = h.runAll(other, removal)
        h.run(s, "MULTI")
        #expect(h.run(s, "EXEC") == .array([]), "\(removal)")
    }
    // A new value after the removal is a change.
    (h, s, other) = setUp()
    h.run(other, "SET", "x", "2")
    h.run(s, "MULTI")
    #expect(h.run(s, "EXEC") == .nullArray)
    // SWAPDB that brings another stale key in its place: no change.
    (h, s, other) = setUp()
    h.run(other, "SELECT", "1")
    h.run(other, "SET", "x", "3", "PX", "5")
    h.clock.advance(milliseconds: 10)
    h.run(other, "SWAPDB", "0", "1")
    h.run(s, "MULTI")
    #expect(h.run(s, "EXEC") == .array([]))
}

@Test func aMissingKeyReplacedByAStaleKeyIsNoChange() {
    let h = EngineHarness()
    let s = h.connect()
    let other = h.connect()
    h.run(s, "WATCH", "x")
    h.run(other, "SELECT", "1")
    h.run(other, "SET", "x", "3", "PX", "5")
    h.clock.advance(milliseconds: 10)
    h.run(other, "SWAPDB", "0", "1")
    h.run(s, "MULTI")
    #expect(h.run(s, "EXEC") == .array([]))
}

@Test func keysExpiringAfterWatchFailExec() {
    // Still present at EXEC, but its time has passed.
    var h = EngineHarness()
    var s = h.connect()
    h.run(s, "SET", "x", "1", "PX", "50")
    h.run(s, "WATCH", "x")
    h.clock.advance(milliseconds: 100)
    h.run(s, "MULTI")
    #expect(h.run(s, "EXEC") == .nullArray)
    // Removed by the active expiry cycle.
    h = EngineHarness()
    s = h.connect()
    h.run(s, "SET", "x", "1", "PX", "50")
    h.run(s, "WATCH", "x")
    h.clock.advance(milliseconds: 100)
    h.engine.activeExpireCycle()
    #expect(h.engine.databases[0].count == 0)
    h.run(s, "MULTI")
    #expect(h.run(s, "EXEC") == .nullArray)
}

@Test func unwatchResetAndDisconnectForgetWatchedKeys() {
    let h = EngineHarness()
    let s = h.connect()
    let other = h.connect()
    h.run(s, "WATCH", "x")
    #expect(h.run(s, "UNWATCH") == .simpleString("OK"))
    h.run(other, "SET", "x", "1")
    h.run(s, "MULTI")
    #expect(h.run(s, "EXEC") == .array([]))
    // UNWATCH also forgets that a watched key changed.
    h.run(s, "WATCH", "x")
    h.run(other, "SET", "x", "2")
    h.run(s, "UNWATCH")
    h.run(s, "MULTI")
    #expect(h.run(s, "EXEC") == .array([]))
    // RESET leaves MULTI and unwatches.
    h.run(s, "WATCH", "x")
    h.run(s, "MULTI")
    #expect(h.run(s, "RESET") == .simpleString("RESET"))
    #expect(!s.isInTransaction)
    #expect(h.engine.databases[0].watchers.isEmpty)
    // Disconnecting drops the session's watched keys from the registry.
    let leaving = h.connect()
    h.run(leaving, "WATCH", "x", "y")
    h.run(leaving, "MULTI")
    h.engine.closeSession(leaving)
    #expect(h.engine.databases[0].watchers.isEmpty)
    h.run(other, "SET", "x", "3")
}

@Test func aDirtySessionStopsWatching() {
    let h = EngineHarness()
    let s = h.connect()
    let other = h.connect()
    h.run(s, "WATCH", "x", "y")
    h.run(other, "SET", "x", "1")
    #expect(s.isWatchDirty)
    #expect(h.engine.databases[0].watchers.isEmpty)
    // WATCH while dirty adds nothing; EXEC still fails.
    h.run(s, "WATCH", "z")
    #expect(h.engine.databases[0].watchers.isEmpty)
    h.run(s, "MULTI")
    #expect(h.run(s, "EXEC") == .nullArray)
    #expect(!s.isWatchDirty)
}

@Test func clientListShowsTransactions() {
    let h = EngineHarness()
    let s = h.connect()
    let other = h.connect()
    func line() -> String { h.engine.clientInfoLine(s) }
    #expect(line().contains(" flags=N ") && line().contains(" multi=-1 "))
    h.run(s, "WATCH", "x")
    h.run(other, "SET", "x", "1")
    h.run(s, "MULTI")
    h.run(s, "SET", "a", "1")
    h.run(s, "GET", "a")
    #expect(line().contains(" flags=xd "))
    // Commands are not kept once the transaction is bound to fail.
    #expect(line().contains(" multi=0 "))
    h.run(s, "DISCARD")
    h.run(s, "MULTI")
    h.run(s, "SET", "a", "1")
    #expect(line().contains(" flags=x ") && line().contains(" multi=1 ") && line().contains(" multi-mem=29 "))
    #expect(line().contains(" cmd=set "))
}

@Test func statsCountCommandsInsideExecAsTheirOwn() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "MULTI")
    h.run(s, "SET", "a", "b")
    h.run(s, "AUTH", "a")
    _ = h.run(s, "EXEC")
    let table = h.engine.table
    let set = table.command(named: "set")!
    let auth = table.command(named: "auth")!
    let exec = table.command(named: "exec")!
    #expect((set.calls, set.failedCalls) == (1, 0))
    #expect((auth.calls, auth.failedCalls) == (1, 1))
    #expect((exec.calls, exec.failedCalls) == (1, 0))
    #expect(h.engine.stats.totalErrorReplies == 1)
    // A refusal while queueing counts as rejected; the EXECABORT as EXEC's failure.
    h.engine.resetStats()
    h.run(s, "MULTI")
    h.run(s, "SET")
    h.run(s, "EXEC")
    #expect(set.rejectedCalls == 1 && set.calls == 0)
    #expect((exec.calls, exec.failedCalls) == (1, 1))
    #expect(h.engine.stats.totalErrorReplies == 2)
}

@Test func clientPauseWriteHoldsExecOfWrites() {
    let h = EngineHarness()
    let s = h.connect()
    let admin = h.connect()
    h.run(s, "MULTI")
    h.run(s, "SET", "a", "1")
    h.run(admin, "CLIENT", "PAUSE", "100000", "WRITE")
    #expect(h.engine.execute(CommandArguments(strings: ["EXEC"]), for: s) == .postponed)
    h.run(admin, "CLIENT", "UNPAUSE")
    #expect(h.run(s, "EXEC") == .array([.simpleString("OK")]))
    // A transaction of reads runs during the pause.
    h.run(s, "MULTI")
    h.run(s, "GET", "a")
    h.run(admin, "CLIENT", "PAUSE", "100000", "WRITE")
    #expect(h.run(s, "EXEC") == .array([.bulk("1")]))
}

@Test func monitorIsRefusedInsideExec() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "MULTI")
    h.run(s, "MONITOR")
    #expect(h.run(s, "EXEC") == .array([.err("ERR MONITOR isn't allowed for DENY BLOCKING client")]))
    #expect(!s.isMonitor)
}

@Test func aPauseStartedInsideExecStartsAfterIt() {
    let h = EngineHarness()
    let s = h.connect()
    let other = h.connect()
    h.run(s, "MULTI")
    h.run(s, "SET", "one", "1")
    h.run(s, "CLIENT", "PAUSE", "100000", "WRITE")
    h.run(s, "SET", "two", "2")
    #expect(h.run(s, "EXEC") == .array([.simpleString("OK"), .simpleString("OK"), .simpleString("OK")]))
    #expect(h.engine.execute(CommandArguments(strings: ["SET", "three", "3"]), for: other) == .postponed)
    #expect(h.run(h.connect(), "GET", "two") == .bulk("2"))
}

/// Runs MULTI, PING, EXEC for `s`: true when EXEC ran the transaction, false when a
/// touched watched key made it reply a null array.
private func watchAllowsExec(_ h: EngineHarness, _ s: Session) -> Bool {
    h.run(s, "MULTI")
    h.run(s, "PING")
    let reply = h.run(s, "EXEC")
    #expect(reply == .nullArray || reply == .array([.simpleString("PONG")]))
    return reply != .nullArray
}

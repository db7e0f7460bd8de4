// A script that runs past busy-reply-threshold pauses: the test plays the event
// loop, running other clients' commands between the script's slices (the
// harness holds the continuations), so each interleaving is deterministic. The
// script loops until the threshold has passed, so nothing depends on timing luck.
import NIOCore
import RedstartEngine
import RedstartRESP
import Testing

@Suite struct BusyScriptTests {
    let h = ScriptingHarness()

    /// Starts `script` on a new client with a 1 ms threshold; returns once it has paused.
    private func startLongScript(_ arguments: String...) -> Session {
        let admin = h.connect()
        h.raw(admin, "CONFIG", "SET", "busy-reply-threshold", "1")
        let runner = h.connect()
        let result = h.engine.execute(CommandArguments(strings: arguments), for: runner)
        #expect(result == .scriptPaused)
        return runner
    }

    @Test func othersGetBusyAndScriptKillStopsIt() {
        let runner = startLongScript("EVAL", "local i = 0 while true do i = i + 1 end", "0")
        let other = h.connect()
        #expect(h.raw(other, "PING")
            == "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
        #expect(h.raw(other, "FUNCTION", "KILL")
            == "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
        #expect(h.raw(other, "FUNCTION", "STATS")
            == "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
        // MULTI is allowed; what it queues is refused, and EXEC (not allow-busy) aborts.
        #expect(h.raw(other, "MULTI") == "+OK\r\n")
        #expect(h.raw(other, "SET", "a", "1").hasPrefix("-BUSY"))
        #expect(h.raw(other, "EXEC").hasPrefix("-EXECABORT Transaction discarded because of: BUSY Redis is busy"))
        // The script goes on in slices while nobody kills it.
        #expect(h.runScheduled() == 1)
        #expect(h.hasScheduledWork)
        #expect(runner.takeReplies().readableBytes == 0)
        #expect(h.raw(other, "SCRIPT", "KILL") == "+OK\r\n")
        while h.hasScheduledWork { h.runScheduled() }
        #expect(String(buffer: runner.takeReplies()).hasPrefix("-ERR Script killed by user with SCRIPT KILL... script:"))
        #expect(h.engine.busyScript == nil)
        #expect(h.raw(other, "PING") == "+PONG\r\n")
        #expect((runner.transport as! TestTransport).resumed == 1)
    }

    @Test func aScriptThatWroteCannotBeKilled() {
        let runner = startLongScript("EVAL", "redis.call('set', KEYS[1], 'y') while true do end", "1", "x")
        let other = h.connect()
        #expect(h.raw(other, "SCRIPT", "KILL").hasPrefix("-UNKILLABLE Sorry the script already executed write commands"))
        #expect(h.raw(other, "GET", "x").hasPrefix("-BUSY"))
        _ = runner
    }

    @Test func pcallCannotCatchTheKill() {
        let runner = startLongScript(
            "EVAL", "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end", "0")
        let other = h.connect()
        #expect(h.raw(other, "SCRIPT", "KILL") == "+OK\r\n")
        while h.hasScheduledWork { h.runScheduled() }
        #expect(String(buffer: runner.takeReplies()).contains("killed by user"))
    }

    @Test func functionsAreKilledWithFunctionKill() {
        let admin = h.connect()
        h.raw(admin, "FUNCTION", "LOAD", "#!lua name=test\nredis.register_function('test', function() local a = 1 while true do a = a + 1 end end)")
        let runner = startLongScript("FCALL", "test", "0")
        let other = h.connect()
        #expect(h.raw(other, "SCRIPT", "KILL")
            == "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n")
        let stats = h.raw(other, "FUNCTION", "STATS")
        #expect(stats.hasPrefix("*4\r\n$14\r\nrunning_script\r\n*6\r\n$4\r\nname\r\n$4\r\ntest\r\n$7\r\ncommand\r\n*3\r\n$5\r\nFCALL\r\n$4\r\ntest\r\n$1\r\n0\r\n$11\r\nduration_ms\r\n:"))
        #expect(h.raw(other, "FUNCTION", "KILL") == "+OK\r\n")
        while h.hasScheduledWork { h.runScheduled() }
        #expect(String(buffer: runner.takeReplies()).contains("killed by user"))
    }

    @Test func aPausedTransactionEndsAsOneReply() {
        let admin = h.connect()
        h.raw(admin, "CONFIG", "SET", "busy-reply-threshold", "1")
        let runner = h.connect()
        h.raw(runner, "MULTI")
        h.raw(runner, "SET", "a", "1")
        h.raw(runner, "EVAL", "local i = 0 while i < 3000000 do i = i + 1 end return i", "0")
        h.raw(runner, "INCR", "a")
        #expect(h.start(runner, "EXEC") == .scriptPaused)
        #expect(h.raw(admin, "GET", "a").hasPrefix("-BUSY"))
        while h.hasScheduledWork { h.runScheduled() }
        #expect(String(buffer: runner.takeReplies()) == "*3\r\n+OK\r\n:3000000\r\n:2\r\n")
        #expect(h.raw(admin, "GET", "a") == "$1\r\n2\r\n")
    }

    @Test func blockedClientsTimeOutOnlyAfterTheScript() {
        let waiter = h.connect()
        #expect(h.start(waiter, "BLPOP", "list", "0.001") == .blocked)
        let runner = startLongScript("EVAL", "local i = 0 while i < 5000000 do i = i + 1 end redis.call('rpush', 'list', 'x') return i", "0")
        h.engine.handleBlockingTimeouts()
        #expect(waiter.takeReplies().readableBytes == 0)
        while h.hasScheduledWork { h.runScheduled() }
        #expect(String(buffer: runner.takeReplies()) == ":5000000\r\n")
        // The push made during the script served the waiter once the script ended.
        #expect(String(buffer: waiter.takeReplies()) == "*2\r\n$4\r\nlist\r\n$1\r\nx\r\n")
    }

    @Test func aClientThatLeavesWhileItsScriptRunsIsForgottenAfterIt() {
        let runner = startLongScript("EVAL", "local i = 0 while i < 3000000 do i = i + 1 end return i", "0")
        h.engine.closeSession(runner)
        #expect(h.engine.sessions[runner.id] != nil)
        while h.hasScheduledWork { h.runScheduled() }
        #expect(h.engine.sessions[runner.id] == nil)
    }
}

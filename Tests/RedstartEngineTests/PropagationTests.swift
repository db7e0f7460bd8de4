// What the engine hands to a propagation sink (the AOF and replicas later):
// writes that changed something, one unit per command or transaction, with
// MULTI … EXEC around units of several commands, and expired keys as DEL.
import RedstartRESP
import Testing

@testable import RedstartEngine

/// Records the units it is given, as text lines "db: command".
final class RecordingSink: PropagationSink {
    var units: [[String]] = []

    func propagate(_ unit: [PropagatedCommand]) {
        units.append(unit.map { "\($0.database): \($0.description)" })
    }
}

private func harnessWithSink() -> (EngineHarness, RecordingSink, Session) {
    let h = EngineHarness()
    let sink = RecordingSink()
    h.engine.propagationSink = sink
    return (h, sink, h.connect())
}

@Test func writesThatChangeSomethingArePropagated() {
    let (h, sink, s) = harnessWithSink()
    h.run(s, "SET", "a", "1")
    h.run(s, "GET", "a")
    h.run(s, "DEL", "missing")
    h.run(s, "SETNX", "a", "2")
    h.run(s, "SELECT", "2")
    h.run(s, "INCR", "n")
    #expect(sink.units == [["0: SET a 1"], ["2: INCR n"]])
}

@Test func aTransactionIsOneUnitOfItsWrites() {
    let (h, sink, s) = harnessWithSink()
    h.run(s, "MULTI")
    h.run(s, "SET", "a", "1")
    h.run(s, "GET", "a")
    h.run(s, "SELECT", "1")
    h.run(s, "SET", "b", "2")
    h.run(s, "EXEC")
    #expect(sink.units == [["0: MULTI", "0: SET a 1", "1: SET b 2", "1: EXEC"]])
}

@Test func transactionsWithOneOrNoWritesAreNotWrapped() {
    let (h, sink, s) = harnessWithSink()
    h.run(s, "MULTI")
    h.run(s, "SET", "a", "1")
    h.run(s, "GET", "a")
    h.run(s, "EXEC")
    h.run(s, "MULTI")
    h.run(s, "GET", "a")
    h.run(s, "DEL", "missing")
    h.run(s, "EXEC")
    h.run(s, "MULTI")
    h.run(s, "EXEC")
    #expect(sink.units == [["0: SET a 1"]])
}

@Test func abortedAndFailedTransactionsPropagateNothing() {
    let (h, sink, s) = harnessWithSink()
    let other = h.connect()
    h.run(s, "MULTI")
    h.run(s, "SET", "a", "1")
    h.run(s, "SET")
    h.run(s, "EXEC")
    h.run(s, "WATCH", "w")
    h.run(other, "SET", "w", "1")
    h.run(s, "MULTI")
    h.run(s, "SET", "a", "1")
    h.run(s, "EXEC")
    #expect(sink.units == [["0: SET w 1"]])
}

@Test func expiredKeysArePropagatedAsDel() {
    let (h, sink, s) = harnessWithSink()
    h.run(s, "SET", "a", "1", "PX", "10")
    h.run(s, "SET", "b", "1", "PX", "10")
    h.run(s, "SET", "c", "1", "PX", "10")
    sink.units.removeAll()
    h.clock.advance(milliseconds: 20)
    // Removed by a read: the DEL alone.
    h.run(s, "GET", "a")
    // Removed by a write: the DEL and the write, together.
    h.run(s, "SET", "b", "2")
    // Removed by the active cycle: one unit per key.
    h.engine.activeExpireCycle()
    #expect(sink.units == [["0: DEL a"], ["0: MULTI", "0: DEL b", "0: SET b 2", "0: EXEC"], ["0: DEL c"]])
}

@Test func lazyExpireIsPropagatedAsUnlink() throws {
    let h = try EngineHarness { _ = try $0.set("lazyfree-lazy-expire", arguments: ["yes"]) }
    h.engine.applyConfig()
    let sink = RecordingSink()
    h.engine.propagationSink = sink
    let s = h.connect()
    h.run(s, "SET", "a", "1", "PX", "10")
    h.clock.advance(milliseconds: 20)
    h.run(s, "EXISTS", "a")
    #expect(sink.units == [["0: SET a 1 PXAT 1700000000010"], ["0: UNLINK a"]])
}

@Test func keysExpiredBySCANAreNotWrappedTogether() {
    let (h, sink, s) = harnessWithSink()
    for key in ["a", "b", "c"] { h.run(s, "SET", key, "1", "PX", "10") }
    sink.units.removeAll()
    h.clock.advance(milliseconds: 20)
    h.run(s, "SCAN", "0", "COUNT", "100")
    #expect(sink.units.count == 1)
    #expect(sink.units.first?.sorted() == ["0: DEL a", "0: DEL b", "0: DEL c"])
}

@Test func commandsPropagateInTheirDeterministicEffectForm() {
    let (h, sink, s) = harnessWithSink()
    let now: Int64 = 1_700_000_000_000
    let steps: [([String], [String])] = [
        (["SET", "a", "1", "NX", "EX", "10"], ["0: SET a 1 PXAT \(now + 10_000)"]),
        (["SETEX", "b", "5", "v"], ["0: SET b v PXAT \(now + 5000)"]),
        (["PSETEX", "c", "5", "v"], ["0: SET c v PXAT \(now + 5)"]),
        (["SET", "d", "1", "GET"], ["0: SET d 1 GET"]),
        (["GETSET", "d", "2"], ["0: SET d 2"]),
        (["EXPIRE", "d", "100", "NX"], ["0: PEXPIREAT d \(now + 100_000) NX"]),
        (["PEXPIREAT", "d", "\(now + 7)"], ["0: PEXPIREAT d \(now + 7)"]),
        (["GETEX", "d", "PERSIST"], ["0: PERSIST d"]),
        (["GETEX", "d", "EX", "3"], ["0: PEXPIREAT d \(now + 3000)"]),
        (["GETEX", "d"], []),
        (["INCRBYFLOAT", "f", "1.5"], ["0: SET f 1.5 KEEPTTL"]),
        (["EXPIREAT", "f", "1"], ["0: DEL f"]),
        (["GETEX", "d", "PXAT", "1"], ["0: DEL d"]),
        (["GETDEL", "a"], ["0: DEL a"]),
        (["SADD", "s", "1", "2"], ["0: SADD s 1 2"]),
        (["SPOP", "s", "5"], ["0: DEL s"]),
    ]
    for (command, expected) in steps {
        sink.units = []
        _ = h.runAll(s, command)
        #expect(sink.units == (expected.isEmpty ? [] : [expected]), "\(command)")
    }
    // Lazy freeing shows in the deletion's name.
    h.run(s, "CONFIG", "SET", "lazyfree-lazy-user-del", "yes")
    h.run(s, "SET", "g", "1")
    sink.units = []
    h.run(s, "GETDEL", "g")
    #expect(sink.units == [["0: UNLINK g"]])
}

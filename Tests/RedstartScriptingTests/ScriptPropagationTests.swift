// What scripts hand to the propagation sink (the AOF and replicas later): their
// writes in effect form, as one MULTI … EXEC unit when there are several, never
// the EVAL itself; redis.set_repl narrows where they go.
import RedstartEngine
import Testing

@Suite struct ScriptPropagationTests {
    let h = ScriptingHarness()
    let sink = RecordingSink()

    init() {
        h.engine.propagationSink = sink
    }

    @Test func aScriptsWritesAreOneUnitInEffectForm() {
        let s = h.connect()
        h.raw(s, "EVAL", "redis.call('set', KEYS[1], 'v') redis.call('get', KEYS[1]) redis.call('incrbyfloat', 'f', 1.5)", "1", "k")
        #expect(sink.units == [["0: MULTI", "0: set k v", "0: SET f 1.5 KEEPTTL", "0: EXEC"]])
    }

    @Test func oneWriteIsPropagatedAlone_andReadsNotAtAll() {
        let s = h.connect()
        h.raw(s, "EVAL", "return redis.call('incr', KEYS[1])", "1", "n")
        h.raw(s, "EVAL", "return redis.call('get', KEYS[1])", "1", "n")
        let sha = h.raw(s, "SCRIPT", "LOAD", "return redis.call('incr', KEYS[1])").split(separator: "\r\n")[1]
        #expect(h.raw(s, "EVALSHA", String(sha), "1", "n") == ":2\r\n")
        #expect(sink.units == [["0: incr n"], ["0: incr n"]])
    }

    @Test func selectInsideAScriptPropagatesWithItsDatabase() {
        let s = h.connect()
        h.raw(s, "EVAL", "redis.call('set','a','1') redis.call('select','10') redis.call('incr','x')", "0")
        #expect(sink.units == [["0: MULTI", "0: set a 1", "10: incr x", "10: EXEC"]])
    }

    @Test func setReplChoosesTheTargets() {
        let s = h.connect()
        h.raw(s, "EVAL", """
            redis.call('set','a','1')
            redis.set_repl(redis.REPL_NONE) redis.call('set','b','2')
            redis.set_repl(redis.REPL_AOF) redis.call('set','c','3')
            redis.set_repl(redis.REPL_ALL) redis.call('set','d','4')
            """, "0")
        #expect(sink.units == [["0: MULTI", "0: set a 1", "0: set c 3 [1]", "0: set d 4", "0: EXEC"]])
        #expect(h.raw(s, "EVAL", "redis.set_repl(12345)", "0").contains("Invalid replication flags"))
    }

    @Test func functionsPropagateTheirEffects() {
        let s = h.connect()
        h.raw(s, "FUNCTION", "LOAD", "#!lua name=l\nredis.register_function('f', function(keys) return redis.call('set', keys[1], 'x') end)")
        h.raw(s, "FCALL", "f", "1", "k")
        #expect(sink.units.last == ["0: set k x"])
        #expect(sink.units.first?.first?.hasPrefix("0: FUNCTION LOAD") == true)
    }
}

// The gatekeeper: unknown commands and subcommands, arity, authentication,
// protected commands, CLIENT REPLY, and the counters it keeps.
import Testing

@testable import RedstartEngine

@Test func unknownCommandListsItsArgumentsLikeRedis() {
    let harness = EngineHarness()
    let session = harness.connect()
    #expect(
        harness.run(session, "FOO", "a", "b")
            == .err("ERR unknown command 'FOO', with args beginning with: 'a' 'b' "))
    #expect(harness.run(session, "nope") == .err("ERR unknown command 'nope', with args beginning with: "))
    // The argument list stops growing once it reaches 128 bytes.
    let long = String(repeating: "x", count: 200)
    let reply = harness.run(session, "FOO", long, "next")
    #expect(reply == .err("ERR unknown command 'FOO', with args beginning with: '\(String(repeating: "x", count: 128))' "))
}

@Test func unknownSubcommandAndArityErrors() {
    let harness = EngineHarness()
    let session = harness.connect()
    #expect(harness.run(session, "CONFIG", "nosuch") == .err("ERR unknown subcommand 'nosuch'. Try CONFIG HELP."))
    #expect(harness.run(session, "config") == .err("ERR wrong number of arguments for 'config' command"))
    #expect(harness.run(session, "CONFIG", "GET") == .err("ERR wrong number of arguments for 'config|get' command"))
    #expect(harness.run(session, "GET") == .err("ERR wrong number of arguments for 'get' command"))
    #expect(harness.run(session, "get", "a", "b") == .err("ERR wrong number of arguments for 'get' command"))
    #expect(harness.run(session, "PING", "a", "b") == .err("ERR wrong number of arguments for 'ping' command"))
}

@Test func commandNamesAreCaseInsensitive() {
    let harness = EngineHarness()
    let session = harness.connect()
    #expect(harness.run(session, "pInG") == .simpleString("PONG"))
    #expect(harness.run(session, "CoNfIg", "gEt", "port") == .array([.bulk("port"), .bulk("6379")]))
}

@Test func passwordProtectedServerRequiresAuth() throws {
    let harness = try EngineHarness { try $0.set("requirepass", arguments: ["secret"]) }
    let session = harness.connect()
    #expect(harness.run(session, "GET", "x") == .err("NOAUTH Authentication required."))
    #expect(harness.run(session, "PING") == .err("NOAUTH Authentication required."))
    #expect(harness.run(session, "AUTH", "wrong") == .err("WRONGPASS invalid username-password pair or user is disabled."))
    #expect(harness.run(session, "AUTH", "nobody", "secret") == .err("WRONGPASS invalid username-password pair or user is disabled."))
    #expect(harness.run(session, "AUTH", "secret") == .simpleString("OK"))
    #expect(harness.run(session, "PING") == .simpleString("PONG"))
    let other = harness.connect()
    #expect(harness.run(other, "AUTH", "default", "secret") == .simpleString("OK"))
}

@Test func authWithoutConfiguredPasswordIsAnError() {
    let harness = EngineHarness()
    let session = harness.connect()
    #expect(
        harness.run(session, "AUTH", "x")
            == .err(
                "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
            ))
    #expect(harness.run(session, "AUTH", "default", "anything") == .simpleString("OK"))
    #expect(harness.run(session, "AUTH", "a", "b", "c") == .err("ERR syntax error"))
}

@Test func debugIsProtectedByDefault() throws {
    let harness = EngineHarness()
    let session = harness.connect()
    let reply = harness.run(session, "DEBUG", "SLEEP", "0")
    #expect(reply.string?.hasPrefix("ERR DEBUG command not allowed.") == true)
    let enabled = try EngineHarness { try $0.set("enable-debug-command", arguments: ["yes"]) }
    let allowed = enabled.connect()
    #expect(enabled.run(allowed, "DEBUG", "SLEEP", "0") == .simpleString("OK"))
    #expect(enabled.run(allowed, "DEBUG", "ERROR", "boom") == .err("ERR boom"))
    #expect(enabled.run(allowed, "DEBUG", "ERROR", "-WRONGTYPE custom") == .err("WRONGTYPE custom"))
}

@Test func clientReplyOffSkipAndOn() {
    let harness = EngineHarness()
    let session = harness.connect()
    #expect(harness.runAll(session, ["CLIENT", "REPLY", "OFF"]).isEmpty)
    #expect(harness.runAll(session, ["PING"]).isEmpty)
    #expect(harness.runAll(session, ["CLIENT", "REPLY", "ON"]) == [.simpleString("OK")])
    #expect(harness.runAll(session, ["CLIENT", "REPLY", "SKIP"]).isEmpty)
    #expect(harness.runAll(session, ["PING"]).isEmpty)
    #expect(harness.runAll(session, ["PING"]) == [.simpleString("PONG")])
}

@Test func statsCountCallsFailuresAndRejections() {
    let harness = EngineHarness()
    let session = harness.connect()
    harness.run(session, "SET", "k", "v")
    harness.run(session, "SET", "k", "v", "EX", "x")
    harness.run(session, "SET", "k")
    let set = harness.engine.table.command(named: "set")!
    #expect(set.calls == 2)
    #expect(set.failedCalls == 1)
    #expect(set.rejectedCalls == 1)
    #expect(harness.engine.stats.totalErrorReplies == 2)
    #expect(harness.engine.stats.errorCounts.first { $0.code == "ERR" }?.count == 2)
    #expect(harness.engine.stats.totalCommandsProcessed == 2)
}

@Test func clientPauseHoldsWritesUntilUnpause() {
    let harness = EngineHarness()
    let admin = harness.connect()
    let writer = harness.connect()
    #expect(harness.run(admin, "CLIENT", "PAUSE", "100000", "WRITE") == .simpleString("OK"))
    #expect(harness.engine.execute(.init(strings: ["GET", "k"]), for: writer) == .executed)
    #expect(harness.engine.execute(.init(strings: ["SET", "k", "v"]), for: writer) == .postponed)
    #expect(writer.isPaused)
    #expect(harness.run(admin, "CLIENT", "UNPAUSE") == .simpleString("OK"))
    #expect(!writer.isPaused)
    #expect((writer.transport as! FakeTransport).resumed == 1)
}

@Test func clientPauseEndsAtItsDeadline() {
    let harness = EngineHarness()
    let admin = harness.connect()
    let other = harness.connect()
    #expect(harness.run(admin, "CLIENT", "PAUSE", "50") == .simpleString("OK"))
    #expect(harness.engine.execute(.init(strings: ["PING"]), for: other) == .postponed)
    harness.clock.advance(milliseconds: 60)
    harness.engine.cron()
    #expect(!other.isPaused)
    #expect(harness.run(admin, "CLIENT", "PAUSE", "-1") == .err("ERR timeout is negative"))
    #expect(harness.run(admin, "CLIENT", "PAUSE", "abc") == .err("ERR timeout is not an integer or out of range"))
    #expect(harness.run(admin, "CLIENT", "PAUSE", "10", "SOME") == .err("ERR CLIENT PAUSE mode must be WRITE or ALL"))
}

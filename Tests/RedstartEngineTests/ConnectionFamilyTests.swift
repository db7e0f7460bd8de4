// PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT.
import Testing

@testable import RedstartEngine

@Test func pingAndEcho() {
    let harness = EngineHarness()
    let session = harness.connect()
    #expect(harness.raw(session, "PING") == "+PONG\r\n")
    #expect(harness.raw(session, "PING", "hi") == "$2\r\nhi\r\n")
    #expect(harness.raw(session, "ECHO", "") == "$0\r\n\r\n")
}

@Test func quitRepliesOkAndMarksTheSessionForClosing() {
    let harness = EngineHarness()
    let session = harness.connect()
    #expect(harness.run(session, "QUIT", "extra") == .simpleString("OK"))
    #expect(session.closeAfterReply)
}

@Test func helloSwitchesProtocolAndRepliesTheServerMap() {
    let harness = EngineHarness()
    let session = harness.connect()
    let reply = harness.run(session, "HELLO", "3")
    guard case .map(let pairs) = reply else {
        Issue.record("expected a map, got \(reply)")
        return
    }
    let fields = Dictionary(uniqueKeysWithValues: pairs.map { ($0.key.string!, $0.value) })
    #expect(fields["server"] == .bulk("redis"))
    #expect(fields["version"] == .bulk("7.0.15"))
    #expect(fields["proto"] == .integer(3))
    #expect(fields["id"] == .integer(session.id))
    #expect(fields["mode"] == .bulk("standalone"))
    #expect(fields["role"] == .bulk("master"))
    #expect(fields["modules"] == .array([]))
    #expect(session.protocolVersion == .resp3)
    #expect(harness.raw(session, "GET", "missing") == "_\r\n")
    // HELLO 2 lowers the same map to a flat array.
    let back = harness.run(session, "HELLO", "2")
    #expect(back.elements?.count == 14)
    #expect(harness.raw(session, "GET", "missing") == "$-1\r\n")
}

@Test func helloErrors() throws {
    let harness = EngineHarness()
    let session = harness.connect()
    #expect(harness.run(session, "HELLO", "4") == .err("NOPROTO unsupported protocol version"))
    #expect(harness.run(session, "HELLO", "x") == .err("ERR Protocol version is not an integer or out of range"))
    #expect(harness.run(session, "HELLO", "3", "FOO") == .err("ERR Syntax error in HELLO option 'FOO'"))
    #expect(session.protocolVersion == .resp2)
    let locked = try EngineHarness { try $0.set("requirepass", arguments: ["pw"]) }
    let client = locked.connect()
    let refused = locked.run(client, "HELLO", "3")
    #expect(refused.string?.hasPrefix("NOAUTH HELLO must be called with the client already authenticated") == true)
    #expect(locked.run(client, "HELLO", "3", "AUTH", "default", "bad") == .err("WRONGPASS invalid username-password pair or user is disabled."))
    let accepted = locked.run(client, "HELLO", "3", "AUTH", "default", "pw", "SETNAME", "me")
    guard case .map = accepted else {
        Issue.record("expected a map, got \(accepted)")
        return
    }
    #expect(client.name == "me")
    #expect(client.isAuthenticated)
}

@Test func selectValidatesTheIndex() {
    let harness = EngineHarness()
    let session = harness.connect()
    #expect(harness.run(session, "SELECT", "15") == .simpleString("OK"))
    #expect(session.databaseIndex == 15)
    #expect(harness.run(session, "SELECT", "16") == .err("ERR DB index is out of range"))
    #expect(harness.run(session, "SELECT", "-1") == .err("ERR DB index is out of range"))
    #expect(harness.run(session, "SELECT", "x") == .err("ERR value is not an integer or out of range"))
    #expect(harness.run(session, "SELECT", "99999999999") == .err("ERR value is not an integer or out of range"))
}

@Test func selectedDatabasesAreSeparate() {
    let harness = EngineHarness()
    let session = harness.connect()
    harness.run(session, "SET", "k", "zero")
    harness.run(session, "SELECT", "1")
    #expect(harness.run(session, "GET", "k") == .nullBulkString)
    harness.run(session, "SET", "k", "one")
    harness.run(session, "SELECT", "0")
    #expect(harness.run(session, "GET", "k") == .bulk("zero"))
}

@Test func resetRestoresTheFreshConnectionState() throws {
    let harness = try EngineHarness { try $0.set("requirepass", arguments: ["pw"]) }
    let session = harness.connect()
    harness.run(session, "AUTH", "pw")
    harness.run(session, "HELLO", "3")
    harness.run(session, "SELECT", "3")
    harness.run(session, "CLIENT", "SETNAME", "n")
    #expect(harness.run(session, "RESET") == .simpleString("RESET"))
    #expect(session.protocolVersion == .resp2)
    #expect(session.databaseIndex == 0)
    #expect(session.name == nil)
    #expect(!session.isAuthenticated)
}

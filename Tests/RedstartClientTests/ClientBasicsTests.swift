// The client against both servers: raw and typed commands, error replies thrown
// with their code, RESP3 by default with values decoded alike in RESP2, AUTH with
// an ACL user, SELECT and the client name from the configuration, URLs.
import RedstartClient
import RedstartRESP
import RedstartTestSupport
import Testing

@Suite struct ClientBasicsTests {
    @Test(arguments: TestServer.allCases)
    func commandsRepliesAndErrors(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client()
        #expect(try await client.execute("SET", "greeting", "hello") == .simpleString("OK"))
        #expect(try await client.execute("GET", "greeting") == .bulk("hello"))
        #expect(try await client.execute("INCRBY", "n", 5) == .integer(5))
        let error = await #expect(throws: RedisServerError.self) { try await client.execute("INCR", "greeting") }
        #expect(error?.code == "ERR")
        #expect(error?.message == "ERR value is not an integer or out of range")
        let wrongType = await #expect(throws: RedisServerError.self) { try await client.execute("LPUSH", "greeting", "x") }
        #expect(wrongType?.code == "WRONGTYPE")
        // RESP3 by default: HGETALL is a map.
        try await client.execute("HSET", "h", "f", "v")
        #expect(try await client.execute("HGETALL", "h") == .map([RESPPair(.bulk("f"), .bulk("v"))]))
        let decoded = try await client.execute(RedisCommand(arguments: ["HGETALL", "h"]), as: [String: String].self)
        #expect(decoded == ["f": "v"])
        // Binary-safe arguments and replies.
        let bytes: [UInt8] = [0, 255, 13, 10, 32]
        try await client.execute("SET", "bin", RedisBytes(bytes))
        #expect(try await client.execute("GET", "bin") == .bulkString(bytes))
        await client.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func resp2ValuesDecodeAsResp3Values(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let resp2 = try server.client { $0.connection.protocolVersion = 2 }
        try await resp2.execute("HSET", "h", "a", "1", "b", "2")
        #expect(try await resp2.execute("HGETALL", "h") == .array([.bulk("a"), .bulk("1"), .bulk("b"), .bulk("2")]))
        let map = try await resp2.execute(RedisCommand(arguments: ["HGETALL", "h"]), as: [String: Int].self)
        #expect(map == ["a": 1, "b": 2])
        try await resp2.execute("ZADD", "z", 1.5, "m")
        #expect(try await resp2.execute(RedisCommand(arguments: ["ZSCORE", "z", "m"]), as: Double.self) == 1.5)
        await resp2.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func aclUserDatabaseAndNameFromTheURL(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let admin = try server.client()
        try await admin.execute("ACL", "SETUSER", "app", "on", ">s3cret pass", "~*", "+@all")
        let client = try RedstartClient(url: "redis://app:s3cret%20pass@127.0.0.1:\(server.port)/3?name=worker-1")
        #expect(try await client.execute("ACL", "WHOAMI") == .bulk("app"))
        #expect(try await client.execute("CLIENT", "GETNAME") == .bulk("worker-1"))
        try await client.execute("SET", "in-db-3", "yes")
        let info = try await admin.execute("INFO", "keyspace").string ?? ""
        #expect(info.contains("db3:keys=1"))
        let wrong = try RedstartClient(url: "redis://app:wrong@127.0.0.1:\(server.port)")
        let error = await #expect(throws: RedisServerError.self) { try await wrong.execute("PING") }
        #expect(error?.code == "WRONGPASS")
        await client.shutdown()
        await wrong.shutdown()
        await admin.shutdown()
    }

    @Test func connectionStateCommandsAreRefusedOnSharedConnections() async throws {
        let server = try await TestServer.redstart.start()
        let client = try server.client()
        for words in [["MULTI"], ["WATCH", "k"], ["SELECT", "1"], ["SUBSCRIBE", "c"], ["MONITOR"]] {
            await #expect(throws: RedstartClientError.self) { try await client.execute(RedisCommand(arguments: words)) }
        }
        #expect(try await client.execute("PING") == .simpleString("PONG"))
        await client.shutdown()
    }

    @Test func argumentsAreEncodedAsRedisReadsThem() {
        var command = RedisCommand("SET")
        command.appendKey("k")
        command.append(contentsOf: [0, 7, 10, -12, Int.max, Int.min])
        command.append(contentsOf: [1.5, 3.0, Double.infinity, -Double.infinity])
        let words = command.arguments.map { String(decoding: $0, as: UTF8.self) }
        #expect(words == ["SET", "k", "0", "7", "10", "-12", "9223372036854775807", "-9223372036854775808", "1.5", "3", "+inf", "-inf"])
        #expect(command.keyPositions == [1] && command.name == "set")
        #expect(RedisCommand(arguments: ["GET", "a b", "\u{1}"]).description == #"GET "a b" "\x01""#)
    }

    @Test func urls() throws {
        let plain = try RedisURL("redis://localhost:6380/2")
        #expect(plain.host == "localhost" && plain.port == 6380 && plain.database == 2 && !plain.useTLS)
        let secure = try RedisURL("rediss://user:p%40ss@[::1]:7000?name=x&protocol=2")
        #expect(secure.useTLS && secure.host == "::1" && secure.port == 7000)
        #expect(secure.username == "user" && secure.password == "p@ss" && secure.options["name"] == "x")
        let passwordOnly = try RedisURL("redis://:only@h")
        #expect(passwordOnly.username == nil && passwordOnly.password == "only" && passwordOnly.port == 6379)
        let lone = try RedisURL("redis://secret@h")
        #expect(lone.password == "secret")
        let unix = try RedisURL("unix:///tmp/redis.sock?db=4")
        #expect(unix.unixSocketPath == "/tmp/redis.sock" && unix.database == 4)
        #expect(throws: RedstartClientError.self) { try RedisURL("http://h") }
        #expect(throws: RedstartClientError.self) { try RedisURL("redis://h:notaport") }
        #expect(throws: RedstartClientError.self) { try RedstartConnection.Configuration(url: "redis://h?protocol=4") }
    }
}

// The generated command API (Sources/RedstartClient/Generated, from COMMAND DOCS): builders
// write exactly the words Redis documents, in its order, keys recorded (optional, repeated,
// oneof and block arguments, numkeys, subcommands); typed methods round-trip through both
// servers and decode their replies alike in RESP3 and RESP2.
import RedstartClient
import RedstartRESP
import Testing
import RedstartTestSupport

/// The words of `command` as text.
private func words(_ command: RedisCommand) -> [String] {
    command.arguments.map { String(decoding: $0, as: UTF8.self) }
}

@Suite struct GeneratedCommandsTests {
    @Test func setWritesItsOptionsInTheDocumentedOrder() {
        let command = RedisCommand.set("k", value: "v", condition: .nx, get: true, expiration: .seconds(10))
        #expect(words(command) == ["SET", "k", "v", "NX", "GET", "EX", "10"])
        #expect(command.keyPositions == [1] && command.name == "set")
        #expect(words(.set("k", value: 1.5, expiration: .keepTTL)) == ["SET", "k", "1.5", "KEEPTTL"])
        let pxat = RedisCommand.set("k", value: "v", condition: .xx, expiration: .unixTimeMilliseconds(1_700_000_000_000))
        #expect(words(pxat) == ["SET", "k", "v", "XX", "PXAT", "1700000000000"])
        #expect(words(.getex("k", expiration: .persist)) == ["GETEX", "k", "PERSIST"])
        #expect(words(.get(RedisBytes([0, 255]))) == ["GET", "\u{0}\u{FFFD}"])
    }

    @Test func subcommandsAreTwoWordsAndKeysAreCounted() {
        #expect(words(.configGet(["maxmemory", "port"])) == ["CONFIG", "GET", "maxmemory", "port"])
        let encoding = RedisCommand.objectEncoding("k")
        #expect(words(encoding) == ["OBJECT", "ENCODING", "k"] && encoding.keyPositions == [2])
        #expect(words(.clientList()) == ["CLIENT", "LIST"])
        #expect(words(.clientList(type: .pubsub, ids: [3, 4])) == ["CLIENT", "LIST", "TYPE", "PUBSUB", "ID", "3", "4"])
        #expect(words(.xinfoStream("s", full: .init(count: 5))) == ["XINFO", "STREAM", "s", "FULL", "COUNT", "5"])
        #expect(words(.xinfoStream("s", full: .init())) == ["XINFO", "STREAM", "s", "FULL"])
        // numkeys is written from the keys given.
        let eval = RedisCommand.eval("return 1", keys: ["a", "b"], args: ["x", 2])
        #expect(words(eval) == ["EVAL", "return 1", "2", "a", "b", "x", "2"] && eval.keyPositions == [3, 4])
        #expect(words(.eval("return 1")) == ["EVAL", "return 1", "0"])
        let names: [String] = ["z1", "z2"]  // a [String] passes as [any RESPArgumentEncodable]
        let zunion = RedisCommand.zunion(names, weights: [1, 2], aggregate: .max, withScores: true)
        #expect(words(zunion) == ["ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "2", "AGGREGATE", "MAX", "WITHSCORES"])
        #expect(zunion.keyPositions == [2, 3])
        #expect(words(.zunion(names)) == ["ZUNION", "2", "z1", "z2"])
        #expect(words(.lmpop(["l"], where: .left, count: 2)) == ["LMPOP", "1", "l", "LEFT", "COUNT", "2"])
    }

    @Test func repeatedBlocksAreArraysOfTuples() {
        #expect(words(.hset("h", fieldValues: [("f", "v"), ("n", 1)])) == ["HSET", "h", "f", "v", "n", "1"])
        let mset = RedisCommand.mset([("a", "1"), (key: "b", value: 2)])
        #expect(words(mset) == ["MSET", "a", "1", "b", "2"] && mset.keyPositions == [1, 3])
        let zadd = RedisCommand.zadd("z", condition: .xx, comparison: .gt, change: true, scoreMembers: [(1, "a"), (2.5, "b")])
        #expect(words(zadd) == ["ZADD", "z", "XX", "GT", "CH", "1", "a", "2.5", "b"])
        let geoadd = RedisCommand.geoadd("g", longitudeLatitudeMembers: [(13.5, 38.25, "Palermo")])
        #expect(words(geoadd) == ["GEOADD", "g", "13.5", "38.25", "Palermo"])
        #expect(words(.configSet([("maxmemory", "10mb")])) == ["CONFIG", "SET", "maxmemory", "10mb"])
        // multiple_token: the token before every element; nothing at all for none.
        let loadex = RedisCommand.moduleLoadex("m.so", configs: [("a", "1"), ("b", "2")], args: ["x"])
        #expect(words(loadex) == ["MODULE", "LOADEX", "m.so", "CONFIG", "a", "1", "CONFIG", "b", "2", "ARGS", "x"])
        #expect(words(.moduleLoadex("m.so")) == ["MODULE", "LOADEX", "m.so"])
        let tracking = RedisCommand.clientTracking(.on, prefixes: ["a:", "b:"], bcast: true)
        #expect(words(tracking) == ["CLIENT", "TRACKING", "ON", "PREFIX", "a:", "PREFIX", "b:", "BCAST"])
    }

    @Test func optionalAndRepeatedTokensSortAndScan() {
        let sort = RedisCommand.sort(
            "k", by: "w_*", limit: .init(offset: 0, count: 10), get: ["#", "o_*"], order: .desc, sorting: true,
            destination: "dst")
        #expect(
            words(sort) == [
                "SORT", "k", "BY", "w_*", "LIMIT", "0", "10", "GET", "#", "GET", "o_*", "DESC", "ALPHA", "STORE", "dst",
            ])
        #expect(sort.keyPositions == [1, 14])  // BY and GET patterns are not keys
        #expect(words(.sort("k")) == ["SORT", "k"])
        let scan = RedisCommand.scan(0, pattern: "user:*", count: 100, type: "string")
        #expect(words(scan) == ["SCAN", "0", "MATCH", "user:*", "COUNT", "100", "TYPE", "string"])
        #expect(words(.zcount("z", min: "(1", max: Double.infinity)) == ["ZCOUNT", "z", "(1", "+inf"])
        #expect(words(.zrange("z", start: 0, stop: -1, withScores: true)) == ["ZRANGE", "z", "0", "-1", "WITHSCORES"])
        #expect(words(.ping()) == ["PING"] && words(.ping(message: "hi")) == ["PING", "hi"])
    }

    @Test func oneofsAndBlocksWriteTheirOwnWords() {
        let geosearch = RedisCommand.geosearch(
            "g", from: .fromLonLat(longitude: 15, latitude: 37), by: .circle(radius: 200, unit: .km), order: .asc,
            count: .init(count: 3, any: true), withCoord: true)
        #expect(
            words(geosearch) == [
                "GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "KM", "ASC", "COUNT", "3", "ANY", "WITHCOORD",
            ])
        let box = RedisCommand.geosearch("g", from: .member("m"), by: .box(width: 1, height: 2.5, unit: .mi))
        #expect(words(box) == ["GEOSEARCH", "g", "FROMMEMBER", "m", "BYBOX", "1", "2.5", "MI"])
        let xadd = RedisCommand.xadd(
            "s", noMkStream: true, trim: .init(strategy: .maxLen, operator: .approximately, threshold: 1000, count: 10),
            idOrAuto: .autoID, fieldValues: [("f", "v")])
        #expect(words(xadd) == ["XADD", "s", "NOMKSTREAM", "MAXLEN", "~", "1000", "LIMIT", "10", "*", "f", "v"])
        let create = RedisCommand.xgroupCreate("s", groupName: "g", id: .newID, mkStream: true)
        #expect(words(create) == ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"])
        let kill = RedisCommand.clientKill(.newFormat([.clientID(5), .type(.master), .skipMe("no")]))
        #expect(words(kill) == ["CLIENT", "KILL", "ID", "5", "TYPE", "MASTER", "SKIPME", "no"])
        #expect(words(.clientKill(.ipPort("127.0.0.1:6379"))) == ["CLIENT", "KILL", "127.0.0.1:6379"])
        let bitfield = RedisCommand.bitfield(
            "k",
            operations: [
                .get(encoding: "u8", offset: 0),
                .write(overflow: .sat, writeOperation: .incrBy(encoding: "i5", offset: 100, increment: 1)),
            ])
        #expect(words(bitfield) == ["BITFIELD", "k", "GET", "u8", "0", "OVERFLOW", "SAT", "INCRBY", "i5", "100", "1"])
        let bitpos = RedisCommand.bitpos("k", bit: 1, index: .init(start: 2, endIndex: .init(end: -1, indexUnit: .bit)))
        #expect(words(bitpos) == ["BITPOS", "k", "1", "2", "-1", "BIT"])
        let migrate = RedisCommand.migrate(
            "h", port: 6380, keyOrEmptyString: .emptyString, destinationDB: 0, timeout: 5000, replace: true,
            authentication: .auth2(username: "u", password: "p"), keys: ["a", "b"])
        #expect(words(migrate) == ["MIGRATE", "h", "6380", "", "0", "5000", "REPLACE", "AUTH2", "u", "p", "KEYS", "a", "b"])
        #expect(migrate.keyPositions == [11, 12])
        #expect(words(.replicaof(.noOne)) == ["REPLICAOF", "NO", "ONE"])
        #expect(words(.replicaof(.hostPort(host: "h", port: 6379))) == ["REPLICAOF", "h", "6379"])
        let hello = RedisCommand.hello(arguments: .init(protover: 3, auth: .init(username: "u", password: "p"), clientName: "n"))
        #expect(words(hello) == ["HELLO", "3", "AUTH", "u", "p", "SETNAME", "n"])
        let xread = RedisCommand.xread(count: 2, milliseconds: 100, keys: ["s1", "s2"], ids: ["0", "$"])
        #expect(words(xread) == ["XREAD", "COUNT", "2", "BLOCK", "100", "STREAMS", "s1", "s2", "0", "$"])
        #expect(xread.keyPositions == [6, 7])
    }

    @Test(arguments: TestServer.allCases)
    func stringsAndKeys(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client()
        #expect(try await client.set("k", value: "v") == .simpleString("OK"))
        #expect(try await client.set("k", value: "w", condition: .nx).isNull)
        #expect(try await client.set("k", value: "w", get: true) == .bulk("v"))
        #expect(try await client.get("k") == RedisBytes("w"))
        #expect(try await client.get("missing") == nil)
        try await client.set("n", value: 1, expiration: .seconds(100))
        #expect((91...100).contains(try await client.ttl("n")))
        #expect(try await client.incrby("n", increment: 4) == 5)
        #expect(try await client.incrbyfloat("n", increment: 0.5) == 5.5)
        try await client.mset([("a", "1"), ("b", 2)])
        #expect(try await client.mget(["a", "nope", "b"]) == [RedisBytes("1"), nil, RedisBytes("2")])
        #expect(try await client.getex("a", expiration: .milliseconds(50_000)) == RedisBytes("1"))
        #expect(try await client.pttl("a") > 40_000)
        #expect(try await client.persist("a"))
        #expect(try await client.persist("a") == false)
        #expect(try await client.expire("a", seconds: 100, condition: .nx))
        #expect(try await client.expire("a", seconds: 200, condition: .nx) == false)
        #expect(try await client.getdel("a") == RedisBytes("1"))
        #expect(try await client.exists(["a", "b", "k"]) == 2)
        #expect(try await client.append("b", value: "x") == 2)
        #expect(try await client.getrange("b", start: 1, end: -1) == RedisBytes("x"))
        #expect(try await client.type("b") == "string")
        try await client.set("int", value: 123)
        try await client.set("text", value: "hello")
        #expect(try await client.objectEncoding("int") == "int")
        #expect(try await client.objectEncoding("text") == "embstr")
        #expect(try await client.objectEncoding("missing") == nil)
        for index in 0..<25 { try await client.set("user:\(index)", value: index) }
        var cursor = 0
        var found: Set<String> = []
        repeat {
            let reply = try await client.scan(cursor, pattern: "user:*", count: 7)
            let parts = try #require(reply.elements)
            cursor = try #require(Int(parts[0].string ?? ""))
            found.formUnion(try #require(parts[1].elements).compactMap(\.string))
        } while cursor != 0
        #expect(found == Set((0..<25).map { "user:\($0)" }))
        #expect(try await client.del(["user:0", "user:1", "nope"]) == 2)
        #expect(try await client.dbsize() == 28)
        await client.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func hashesSetsAndLists(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client()
        #expect(try await client.hset("h", fieldValues: [("f", "v"), ("n", 1)]) == 2)
        #expect(try await client.hgetall("h") == ["f": "v", "n": "1"])
        #expect(try await client.hget("h", field: "f") == RedisBytes("v"))
        #expect(try await client.hmget("h", fields: ["n", "nope"]) == [RedisBytes("1"), nil])
        #expect(try await client.hincrby("h", field: "n", increment: 41) == 42)
        #expect(try await client.hexists("h", field: "f"))
        #expect(try await client.hexists("h", field: "x") == false)
        #expect(try await client.hdel("h", fields: ["f", "x"]) == 1)
        #expect(try await client.hlen("h") == 1)
        #expect(try await client.hkeys("h") == ["n"])
        #expect(try await client.sadd("s", members: ["a", "b", "c"]) == 3)
        #expect(Set(try await client.smembers("s")) == ["a", "b", "c"])
        #expect(try await client.sismember("s", member: "a"))
        #expect(try await client.smismember("s", members: ["a", "z"]) == [true, false])
        #expect(try await client.srem("s", members: ["a"]) == 1)
        #expect(try await client.scard("s") == 2)
        #expect(try await client.lpush("l", elements: ["a", "b", "c"]) == 3)
        #expect(try await client.rpush("l", elements: ["z"]) == 4)
        #expect(try await client.lrange("l", start: 0, stop: -1) == ["c", "b", "a", "z"])
        #expect(try await client.lpop("l") == .bulk("c"))
        #expect(try await client.lpop("l", count: 2) == .array([.bulk("b"), .bulk("a")]))
        #expect(try await client.linsert("l", where: .before, pivot: "z", element: "y") == 2)
        #expect(try await client.lmove("l", destination: "l2", whereFrom: .left, whereTo: .right) == RedisBytes("y"))
        #expect(try await client.llen("l") == 1)
        #expect(try await client.lindex("l2", index: 0) == RedisBytes("y"))
        await client.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func sortedSetsGeoHyperLogLogAndBits(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client()
        #expect(try await client.zadd("z", scoreMembers: [(1, "a"), (2.5, "b"), (3, "c")]) == 3)
        #expect(try await client.zadd("z", condition: .xx, change: true, scoreMembers: [(5, "a"), (1, "new")]) == 1)
        #expect(try await client.zscore("z", member: "a") == 5)
        #expect(try await client.zscore("z", member: "nope") == nil)
        #expect(try await client.zrank("z", member: "b") == 0)
        #expect(try await client.zrank("z", member: "nope") == nil)
        #expect(try await client.zcount("z", min: "(2.5", max: "+inf") == 2)
        #expect(try await client.zincrby("z", increment: 0.5, member: "b") == 3)
        let ranged = try await client.zrange("z", start: 0, stop: -1, withScores: true)
        #expect(try scored(ranged) == [Scored("b", 3), Scored("c", 3), Scored("a", 5)])
        let byScore = try await client.zrange("z", start: "(3", stop: "+inf", sortBy: .byScore)
        #expect(byScore.elements?.compactMap(\.string) == ["a"])
        #expect(try await client.zmscore("z", members: ["a", "nope"]) == [5, nil])
        #expect(try await client.zrem("z", members: ["a", "nope"]) == 1)
        #expect(try await client.zcard("z") == 2)
        let cities: [(longitude: Double, latitude: Double, member: any RESPArgumentEncodable)] = [
            (13.361389, 38.115556, "Palermo"), (15.087269, 37.502669, "Catania"),
        ]
        #expect(try await client.geoadd("g", longitudeLatitudeMembers: cities) == 2)
        let distance = try #require(try await client.geodist("g", member1: "Palermo", member2: "Catania", unit: .km))
        #expect(abs(distance - 166.2742) < 0.01)
        let near = try await client.geosearch(
            "g", from: .fromLonLat(longitude: 15, latitude: 37), by: .circle(radius: 200, unit: .km), order: .asc)
        #expect(near.elements?.compactMap(\.string) == ["Catania", "Palermo"])
        #expect(try await client.pfadd("hll", elements: ["a", "b", "c"]))
        #expect(try await client.pfadd("hll", elements: ["a"]) == false)
        #expect(try await client.pfcount(["hll"]) == 3)
        #expect(try await client.setbit("bits", offset: 7, value: 1) == 0)
        #expect(try await client.getbit("bits", offset: 7) == 1)
        #expect(try await client.bitcount("bits") == 1)
        #expect(try await client.bitfield("bits", operations: [.get(encoding: "u8", offset: 0)]) == [1])
        await client.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func streams(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client()
        #expect(try await client.xadd("s", idOrAuto: .id("1-1"), fieldValues: [("f", "v")]) == "1-1")
        let automatic = try #require(try await client.xadd("s", idOrAuto: .autoID, fieldValues: [("g", 2), ("h", 3)]))
        #expect(automatic.contains("-"))
        #expect(try await client.xadd("none", noMkStream: true, idOrAuto: .autoID, fieldValues: [("f", "v")]) == nil)
        #expect(try await client.xlen("s") == 2)
        let entries = try #require(try await client.xrange("s", start: "-", end: "+").elements)
        #expect(entries.count == 2)
        #expect(entries[0] == .array([.bulk("1-1"), .array([.bulk("f"), .bulk("v")])]))
        #expect(try await client.xrange("s", start: "-", end: "+", count: 1).elements?.count == 1)
        #expect(try await client.xgroupCreate("s", groupName: "grp", id: .id("0"), mkStream: true) == RedisOK())
        let read = try await client.xreadgroup("grp", consumer: "c1", count: 10, keys: ["s"], ids: [">"])
        #expect(!read.isNull)
        #expect(try await client.xack("s", group: "grp", ids: ["1-1", automatic]) == 2)
        #expect(try await client.xtrim("s", strategy: .maxLen, threshold: 1) == 1)
        #expect(try await client.xdel("s", ids: [automatic]) == 1)
        await client.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func serverConnectionAndScripting(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client()
        #expect(try await client.ping() == "PONG")
        #expect(try await client.ping(message: "hi") == "hi")
        #expect(try await client.echo("x") == RedisBytes("x"))
        #expect(try await client.configSet([("maxmemory-policy", "allkeys-lru")]) == RedisOK())
        #expect(try await client.configGet(["maxmemory-policy"]) == ["maxmemory-policy": "allkeys-lru"])
        let name = try await client.withConnection { connection in
            try await connection.clientSetname("generated")
            #expect(try await connection.clientId() > 0)
            #expect(try await connection.select(2) == RedisOK())
            try await connection.set("in-db-2", value: "yes")
            #expect(try await connection.dbsize() == 1)
            try await connection.select(0)
            return try await connection.clientGetname()
        }
        #expect(name == "generated")
        #expect(try await client.dbsize() == 0)
        #expect(try await client.time().count == 2)
        #expect(try await client.info(sections: ["server"]).contains("redis_version"))
        #expect(try await client.publish("channel", message: "m") == 0)
        let eval = try await client.eval("return {KEYS[1], ARGV[1]}", keys: ["key"], args: ["arg"])
        #expect(eval == .array([.bulk("key"), .bulk("arg")]))
        let sha = try await client.scriptLoad("return 'cached'")
        #expect(try await client.scriptExists([sha, String(repeating: "0", count: 40)]) == [true, false])
        #expect(try await client.evalsha(sha) == .bulk("cached"))
        let library = "#!lua name=genlib\nredis.register_function('echo1', function(keys, args) return args[1] end)"
        #expect(try await client.functionLoad(replace: true, functionCode: library) == "genlib")
        #expect(try await client.fcall("echo1", args: ["hey"]) == .bulk("hey"))
        #expect(try await client.flushall() == RedisOK())
        await client.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func repliesDecodeAlikeInRESP2(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client { $0.connection.protocolVersion = 2 }
        try await client.hset("h", fieldValues: [("f", "v")])
        #expect(try await client.hgetall("h") == ["f": "v"])
        try await client.zadd("z", scoreMembers: [(1.5, "a"), (2, "b")])
        #expect(try await client.zscore("z", member: "a") == 1.5)
        #expect(try await client.zmscore("z", members: ["b", "nope"]) == [2, nil])
        let ranged = try await client.zrange("z", start: 0, stop: -1, withScores: true)
        #expect(try scored(ranged) == [Scored("a", 1.5), Scored("b", 2)])
        #expect(try await client.configGet(["maxmemory"]) == ["maxmemory": "0"])
        #expect(try await client.smismember("nope", members: ["a"]) == [false])
        #expect(try await client.withConnection { try await $0.clientGetname() } == nil)
        #expect(try await client.pubsubNumsub(channels: ["c"]) == ["c": 0])
        await client.shutdown()
    }
}

/// A member and its score, as ZRANGE … WITHSCORES replies them.
private struct Scored: Equatable {
    var member: String
    var score: Double
    init(_ member: String, _ score: Double) { (self.member, self.score) = (member, score) }
}

/// The pairs of a WITHSCORES reply: RESP3 nests them ([[m, s], …]), RESP2 flattens them ([m, s, …]).
private func scored(_ reply: RESPValue) throws -> [Scored] {
    let elements = try #require(reply.elements)
    let flat = elements.allSatisfy { $0.elements != nil } ? elements.flatMap { $0.elements ?? [] } : elements
    return try stride(from: 0, to: flat.count, by: 2).map {
        Scored(flat[$0].string ?? "", try flat[$0 + 1].decoded(as: Double.self))
    }
}

// INFO, CONFIG, SLOWLOG, LATENCY, MEMORY USAGE, CLIENT, COMMAND.
import RedstartRESP
import Testing

@testable import RedstartEngine

private func infoFields(_ text: String) -> [String: String] {
    var fields: [String: String] = [:]
    for line in text.split(separator: "\r\n") where !line.hasPrefix("#") {
        let parts = line.split(separator: ":", maxSplits: 1)
        if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
    }
    return fields
}

@Test func infoHasRedisSectionsAndFields() {
    let harness = EngineHarness()
    let s = harness.connect()
    harness.run(s, "SET", "a", "1")
    let text = harness.run(s, "INFO").string ?? ""
    for header in ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Modules", "# Errorstats", "# Cluster", "# Keyspace"] {
        #expect(text.contains(header + "\r\n"), "missing \(header)")
    }
    #expect(!text.contains("# Commandstats"))
    let fields = infoFields(text)
    #expect(fields["redis_version"] == "7.0.15")
    #expect(fields["redstart_version"] != nil)
    #expect(fields["connected_clients"] == "1")
    #expect(fields["role"] == "master")
    #expect(fields["db0"] == "keys=1,expires=0,avg_ttl=0")
    let everything = harness.run(s, "INFO", "everything").string ?? ""
    #expect(everything.contains("# Commandstats\r\n"))
    #expect(everything.contains("\r\ncmdstat_set:calls=1,"))
    let two = harness.run(s, "INFO", "server", "CLIENTS").string ?? ""
    #expect(two.hasPrefix("# Server\r\n"))
    #expect(two.contains("\r\n\r\n# Clients\r\n"))
    #expect(!two.contains("# Memory"))
    #expect(harness.run(s, "INFO", "nosuchsection").string == "")
}

@Test func infoErrorstatsCountsByCode() {
    let harness = EngineHarness()
    let s = harness.connect()
    harness.run(s, "NOSUCH")
    harness.run(s, "GET")
    let text = harness.run(s, "INFO", "errorstats").string ?? ""
    #expect(text == "# Errorstats\r\nerrorstat_ERR:count=2\r\n")
}

@Test func configGetSupportsGlobsAndSeveralPatterns() {
    let harness = EngineHarness()
    let s = harness.connect()
    let reply = harness.run(s, "CONFIG", "GET", "maxmemory*", "port", "PORT")
    let flat = reply.elements?.compactMap(\.string) ?? []
    #expect(flat.contains("maxmemory"))
    #expect(flat.contains("maxmemory-policy"))
    #expect(flat.contains("port"))
    #expect(flat.filter { $0.lowercased() == "port" }.count == 1)
    #expect(harness.run(s, "CONFIG", "GET", "nosuch") == .array([]))
}

@Test func configSetIsAllOrNothing() {
    let harness = EngineHarness()
    let s = harness.connect()
    #expect(harness.run(s, "CONFIG", "SET", "slowlog-max-len", "5", "maxclients", "50") == .simpleString("OK"))
    #expect(harness.engine.maxClients == 50)
    let reply = harness.run(s, "CONFIG", "SET", "slowlog-max-len", "7", "maxclients", "abc")
    #expect(reply == .err("ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"))
    #expect(harness.engine.config["slowlog-max-len"] == "5")
    #expect(harness.run(s, "CONFIG", "SET", "nosuch", "1") == .err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"))
    #expect(harness.run(s, "CONFIG", "SET", "daemonize", "no") == .err("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"))
    #expect(harness.run(s, "CONFIG", "SET", "timeout", "1", "timeout", "2") == .err("ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter"))
    #expect(harness.run(s, "CONFIG", "SET", "timeout", "1", "maxclients") == .err("ERR syntax error"))
    #expect(harness.run(s, "CONFIG", "SET", "dir", "/tmp") == .err("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"))
}

@Test func configSetRefusesFeaturesThatDoNotExistYet() {
    let harness = EngineHarness()
    let s = harness.connect()
    let reply = harness.run(s, "CONFIG", "SET", "activedefrag", "yes")
    #expect(reply.string?.hasPrefix("ERR CONFIG SET failed (possibly related to argument 'activedefrag') - ") == true)
    #expect(harness.run(s, "CONFIG", "SET", "activedefrag", "no") == .simpleString("OK"))
    #expect(harness.run(s, "CONFIG", "GET", "activedefrag") == .array([.bulk("activedefrag"), .bulk("no")]))
}

@Test func configSetChangesBehaviour() {
    let harness = EngineHarness()
    let s = harness.connect()
    #expect(harness.run(s, "CONFIG", "SET", "requirepass", "pw") == .simpleString("OK"))
    let newcomer = harness.connect()
    #expect(harness.run(newcomer, "PING") == .err("NOAUTH Authentication required."))
    // Clients already connected stay authenticated, as in Redis.
    #expect(harness.run(s, "PING") == .simpleString("PONG"))
}

@Test func configResetstatClearsCounters() {
    let harness = EngineHarness()
    let s = harness.connect()
    harness.run(s, "SET", "a", "1")
    harness.run(s, "NOSUCH")
    #expect(harness.run(s, "CONFIG", "RESETSTAT") == .simpleString("OK"))
    #expect(harness.engine.stats.totalErrorReplies == 0)
    #expect(harness.engine.table.command(named: "set")!.calls == 0)
}

@Test func slowlogRecordsSlowCommands() {
    let harness = EngineHarness()
    let s = harness.connect()
    harness.run(s, "CONFIG", "SET", "slowlog-log-slower-than", "0")
    harness.run(s, "SET", "k", String(repeating: "v", count: 200))
    let entries = harness.run(s, "SLOWLOG", "GET", "1").elements ?? []
    #expect(entries.count == 1)
    let entry = entries.first?.elements ?? []
    #expect(entry.count == 6)
    let arguments = entry[3].elements?.compactMap(\.string) ?? []
    #expect(arguments.first == "SET")
    #expect(arguments.last == String(repeating: "v", count: 128) + "... (72 more bytes)")
    #expect(entry[4] == .bulk("127.0.0.1:50000"))
    #expect(harness.run(s, "SLOWLOG", "LEN").int ?? 0 >= 2)
    #expect(harness.run(s, "SLOWLOG", "RESET") == .simpleString("OK"))
    #expect(harness.run(s, "SLOWLOG", "GET", "-2") == .err("ERR count should be greater than or equal to -1"))
    // Redis quotes the subcommand as the client wrote it.
    #expect(
        harness.run(s, "SLOWLOG", "Get", "1", "2")
            == .err("ERR unknown subcommand or wrong number of arguments for 'Get'. Try SLOWLOG HELP."))
}

@Test func slowlogRedactsPasswords() {
    let harness = EngineHarness()
    let s = harness.connect()
    harness.run(s, "CONFIG", "SET", "slowlog-log-slower-than", "0")
    harness.run(s, "CONFIG", "SET", "requirepass", "topsecret")
    let entries = harness.run(s, "SLOWLOG", "GET", "-1").elements ?? []
    let all = entries.flatMap { $0.elements?[3].elements?.compactMap(\.string) ?? [] }
    #expect(!all.contains("topsecret"))
    #expect(all.contains("(redacted)"))
}

@Test func slowlogRedactsAclSetuserWhetherItSucceedsOrNot() {
    let harness = EngineHarness()
    let s = harness.connect()
    harness.run(s, "CONFIG", "SET", "slowlog-log-slower-than", "0")
    harness.run(s, "SLOWLOG", "RESET")
    // Refused (a space in the name), then accepted: both logged as Redis logs them.
    #expect(harness.run(s, "ACL", "SETUSER", "slowlog test user", "+get", ">pass") == .err("ERR Usernames can't contain spaces or null characters"))
    #expect(harness.run(s, "ACL", "SETUSER", "slowlog-user", "+get", ">pass") == .simpleString("OK"))
    let entries = harness.run(s, "SLOWLOG", "GET", "2").elements ?? []
    let logged = entries.map { $0.elements?[3].elements?.compactMap(\.string) ?? [] }
    let redacted = ["ACL", "SETUSER", "(redacted)", "(redacted)", "(redacted)"]
    #expect(logged == [redacted, redacted])
}

@Test func latencyMonitorRecordsSpikes() throws {
    let harness = try EngineHarness { try $0.set("enable-debug-command", arguments: ["yes"]) }
    let s = harness.connect()
    harness.run(s, "CONFIG", "SET", "latency-monitor-threshold", "1")
    harness.engine.latency.add(event: "command", milliseconds: 5, time: 1000)
    let latest = harness.run(s, "LATENCY", "LATEST")
    #expect(latest == .array([.array([.bulk("command"), .integer(1000), .integer(5), .integer(5)])]))
    #expect(harness.run(s, "LATENCY", "HISTORY", "command") == .array([.array([.integer(1000), .integer(5)])]))
    #expect(harness.run(s, "LATENCY", "RESET") == .integer(1))
    #expect(harness.run(s, "LATENCY", "LATEST") == .array([]))
}

@Test func memoryUsageOfAKey() {
    let harness = EngineHarness()
    let s = harness.connect()
    harness.run(s, "SET", "k", "value")
    let usage = harness.run(s, "MEMORY", "USAGE", "k").int ?? 0
    #expect(usage > 0 && usage < 200)
    #expect(harness.run(s, "MEMORY", "USAGE", "missing") == .nullBulkString)
    #expect(harness.run(s, "MEMORY", "USAGE", "k", "SAMPLES", "x") == .err("ERR value is not an integer or out of range"))
    #expect(harness.run(s, "MEMORY", "USAGE", "k", "FOO") == .err("ERR syntax error"))
}

@Test func clientCommands() {
    let harness = EngineHarness()
    let s = harness.connect()
    let other = harness.connect(address: "127.0.0.1:50001")
    #expect(harness.run(s, "CLIENT", "ID") == .integer(s.id))
    #expect(harness.run(s, "CLIENT", "GETNAME") == .nullBulkString)
    #expect(harness.run(s, "CLIENT", "SETNAME", "worker-1") == .simpleString("OK"))
    #expect(harness.run(s, "CLIENT", "GETNAME") == .bulk("worker-1"))
    #expect(harness.run(s, "CLIENT", "SETNAME", "a b") == .err("ERR Client names cannot contain spaces, newlines or special characters."))
    #expect(harness.run(s, "CLIENT", "SETINFO", "LIB-NAME", "redis-py") == .simpleString("OK"))
    #expect(harness.run(s, "CLIENT", "SETINFO", "OTHER", "x") == .err("ERR Unrecognized option 'OTHER'"))
    let info = harness.run(s, "CLIENT", "INFO").string ?? ""
    #expect(info.hasPrefix("id=\(s.id) addr=127.0.0.1:50000 laddr=127.0.0.1:6379 fd=7 name=worker-1 "))
    #expect(info.contains(" flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 "))
    #expect(info.contains(" cmd=client|info user=default redir=-1 resp=2 lib-name=redis-py lib-ver="))
    #expect(info.hasSuffix("\n"))
    let list = harness.run(s, "CLIENT", "LIST").string ?? ""
    #expect(list.split(separator: "\n").count == 2)
    let byID = harness.run(s, "CLIENT", "LIST", "ID", String(other.id)).string ?? ""
    #expect(byID.hasPrefix("id=\(other.id) "))
    #expect(harness.run(s, "CLIENT", "LIST", "TYPE", "bogus") == .err("ERR Unknown client type 'bogus'"))
    #expect(harness.run(s, "CLIENT", "KILL", "127.0.0.1:59999") == .err("ERR No such client"))
    #expect(harness.run(s, "CLIENT", "KILL", "ADDR", "127.0.0.1:50001") == .integer(1))
    #expect((other.transport as! FakeTransport).isClosed)
    #expect(harness.run(s, "CLIENT", "KILL", "ID", "0") == .err("ERR client-id should be greater than 0"))
    #expect(harness.run(s, "CLIENT", "KILL", "ID", String(s.id)) == .integer(0))
    #expect(harness.run(s, "CLIENT", "KILL", "ID", String(s.id), "SKIPME", "no") == .integer(1))
    #expect(s.closeAfterReply)
}

@Test func monitorSeesOtherClientsCommands() {
    let harness = EngineHarness()
    let watcher = harness.connect()
    let worker = harness.connect(address: "127.0.0.1:50009")
    #expect(harness.run(watcher, "MONITOR") == .simpleString("OK"))
    harness.run(worker, "SET", "k", "a b\n")
    let lines = harness.drain(watcher).compactMap(\.string)
    #expect(lines.count == 1)
    #expect(lines[0].hasSuffix(" [0 127.0.0.1:50009] \"SET\" \"k\" \"a b\\n\""))
    harness.run(worker, "CONFIG", "GET", "port")  // admin commands are not shown
    #expect(harness.drain(watcher).isEmpty)
}

@Test func commandIntrospection() {
    let harness = EngineHarness()
    let s = harness.connect()
    #expect(harness.run(s, "COMMAND", "COUNT") == .integer(Int64(harness.engine.table.commands.count)))
    let get = harness.run(s, "COMMAND", "INFO", "get", "nosuch").elements ?? []
    #expect(get.count == 2)
    #expect(get[1] == .nullBulkString)
    let entry = get[0].elements ?? []
    #expect(entry.count == 10)
    #expect(entry[0] == .bulk("get"))
    #expect(entry[1] == .integer(2))
    #expect(entry[2] == .array([.simpleString("readonly"), .simpleString("fast")]))
    #expect(entry[6] == .array([.simpleString("@read"), .simpleString("@string"), .simpleString("@fast")]))
    #expect(harness.run(s, "COMMAND", "GETKEYS", "SET", "k", "v") == .array([.bulk("k")]))
    #expect(harness.run(s, "COMMAND", "GETKEYS", "DEL", "a", "b") == .array([.bulk("a"), .bulk("b")]))
    #expect(harness.run(s, "COMMAND", "GETKEYS", "PING", "x") == .err("ERR The command has no key arguments"))
    #expect(harness.run(s, "COMMAND", "GETKEYS", "NOPE", "x") == .err("ERR Invalid command specified"))
    #expect(harness.run(s, "COMMAND", "GETKEYS", "GET", "a", "b") == .err("ERR Invalid number of arguments specified for command"))
    let names = harness.run(s, "COMMAND", "LIST").elements?.compactMap(\.string) ?? []
    #expect(names.contains("config|get"))
    let filtered = harness.run(s, "COMMAND", "LIST", "FILTERBY", "PATTERN", "cl*").elements?.compactMap(\.string) ?? []
    #expect(filtered.allSatisfy { $0.hasPrefix("cl") } && filtered.contains("client"))
    let docs = harness.run(s, "COMMAND", "DOCS", "get")
    let docFields = docs.elements ?? []
    #expect(docFields.first == .bulk("get"))
    let getDocs = docFields.last?.elements?.compactMap(\.string) ?? []
    #expect(getDocs.contains("summary"))
    #expect(getDocs.contains("arguments"))
}

@Test func latencyStatsReportPercentilesPerCommand() {
    let harness = EngineHarness()
    let s = harness.connect()
    harness.run(s, "SET", "k", "v")
    let text = harness.run(s, "INFO", "latencystats").string ?? ""
    #expect(text.hasPrefix("# Latencystats\r\n"))
    #expect(text.contains("latency_percentiles_usec_set:p50="))
    #expect(text.contains(",p99=") && text.contains(",p99.9="))
    harness.run(s, "CONFIG", "SET", "latency-tracking", "no")
    #expect(harness.run(s, "INFO", "latencystats").string == "# Latencystats\r\n")
}

@Test func latencyHistogramPercentilesAreCloseToTheTruth() {
    var histogram = LatencyHistogram()
    for value in 1...10_000 { histogram.record(nanoseconds: Int64(value) * 1000) }
    let p50 = Double(histogram.value(atPercentile: 50))
    let p99 = Double(histogram.value(atPercentile: 99))
    #expect(abs(p50 - 5_000_000) / 5_000_000 < 0.04)
    #expect(abs(p99 - 9_900_000) / 9_900_000 < 0.04)
    #expect(histogram.value(atPercentile: 100) >= 10_000_000)
    for index in 0..<(LatencyHistogram.subBuckets * LatencyHistogram.octaves) {
        #expect(LatencyHistogram.bucket(LatencyHistogram.upperBound(index)) == index)
    }
}

@Test func commandInfoAndDocsOfANameLongerThanAnyCommandAreEmpty() {
    let h = EngineHarness()
    let c = h.connect()
    let long = String(repeating: "x", count: 70)
    #expect(h.run(c, "COMMAND", "INFO", long, "get|" + long) == .array([.nullBulkString, .nullBulkString]))
    #expect(h.run(c, "COMMAND", "DOCS", long) == .array([]))
}

@Test func memoryUsageOfBigCollectionsEstimatesFromSamples() {
    let h = EngineHarness()
    let c = h.connect()
    let members = (0..<20_000).map { "member:\(100_000 + $0):" + String(repeating: "x", count: 40) }
    _ = h.runAll(c, ["SADD", "s"] + members)
    _ = h.runAll(c, ["ZADD", "z"] + members.flatMap { ["1", $0] })
    _ = h.runAll(c, ["HSET", "h"] + members.flatMap { [$0, "v"] })
    for key in ["s", "z", "h"] {
        let sampled = h.run(c, "MEMORY", "USAGE", key, "SAMPLES", "50").int ?? 0
        let exact = h.run(c, "MEMORY", "USAGE", key, "SAMPLES", "0").int ?? 0
        // Members of one size: fifty of them predict the rest (fifty, not Redis's default
        // five: glibc, which the tests run on, may hand a string a block a size class bigger
        // than it asked for when the rest of a free block would be too small to keep).
        #expect(exact > 20_000 * 40, "\(key)")
        #expect(abs(sampled - exact) * 20 < exact, "\(key) \(sampled) \(exact)")
    }
}

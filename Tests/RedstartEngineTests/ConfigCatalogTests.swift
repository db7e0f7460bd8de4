// The configuration catalog: defaults read back, names are unique, values parse
// as Redis 7.0.15 parses them, and bad values get Redis's error texts (each
// expected text below is what a real redis-server 7.0.15 answers to the same
// CONFIG SET, after its "CONFIG SET failed (possibly related to argument ...) - ").
import Testing

@testable import RedstartEngine

@Suite struct ConfigCatalogTests {
    // MARK: Helpers

    /// The parameter called `name` (or an alias).
    private func named(_ name: String) -> ConfigParameter {
        guard let found = ConfigCatalog.parameters.first(where: { $0.name == name || $0.aliases.contains(name) }) else {
            preconditionFailure("no config parameter \(name)")
        }
        return found
    }

    /// The arguments CONFIG SET hands over for `value`: split at spaces for multi-argument parameters.
    private func arguments(_ parameter: ConfigParameter, _ value: String) -> [String] {
        parameter.flags.contains(.multiArgument) ? value.split(separator: " ").map(String.init) : [value]
    }

    /// The canonical text `value` becomes, starting from `current` (the default when nil).
    private func parse(_ name: String, _ value: String, current: String? = nil) throws(ConfigError) -> String {
        let parameter = named(name)
        return try parameter.canonicalValue(arguments(parameter, value), current: current ?? parameter.defaultValue)
    }

    /// The error text `value` is refused with, or nil when it parses.
    private func failure(_ name: String, _ value: String) -> String? {
        do throws(ConfigError) {
            _ = try parse(name, value)
            return nil
        } catch {
            return error.message
        }
    }

    // MARK: The table

    @Test func everyDefaultReadsBackAsItself() throws {
        for parameter in ConfigCatalog.parameters {
            let value = try parameter.canonicalValue(
                arguments(parameter, parameter.defaultValue), current: parameter.defaultValue)
            #expect(value == parameter.defaultValue, "\(parameter.name)")
            #expect(parameter.unsupported?(parameter.defaultValue) == nil, "\(parameter.name)")
        }
    }

    @Test func namesAndAliasesAreUniqueAndLowercase() {
        let names = ConfigCatalog.parameters.flatMap { [$0.name] + $0.aliases }
        #expect(Set(names).count == names.count)
        for name in names { #expect(name == name.lowercased(), "\(name)") }
    }

    @Test func catalogMatchesRedisParameterList() {
        // Redis 7.0.15 lists 192 names for CONFIG GET * (aliases included), 20 of them TLS's.
        let visibleNames = ConfigCatalog.parameters.filter { !$0.flags.contains(.hidden) }.flatMap { [$0.name] + $0.aliases }
        #expect(visibleNames.count == 192)
        let hidden = ConfigCatalog.parameters.filter { $0.flags.contains(.hidden) }.map(\.name)
        #expect(
            Set(hidden) == [
                "use-exit-on-panic", "rdb-key-save-delay", "key-load-delay", "watchdog-period",
                "loading-process-events-interval-bytes",
            ])
        #expect(ConfigCatalog.parameters.count == 178)
        let tlsNames = ConfigCatalog.parameters.map(\.name).filter { $0.hasPrefix("tls-") }
        #expect(tlsNames.count == 20)
    }

    @Test func aliasesAndFlags() {
        #expect(named("slave-read-only").name == "replica-read-only")
        #expect(named("slaveof").name == "replicaof")
        #expect(named("lua-time-limit").name == "busy-reply-threshold")
        #expect(named("hash-max-ziplist-entries").name == "hash-max-listpack-entries")
        #expect(named("requirepass").flags.contains(.sensitive))
        #expect(named("masterauth").flags.contains(.sensitive))
        #expect(named("dir").flags == [.protected, .denyLoading])
        #expect(named("dbfilename").flags == [.protected])
        #expect(named("appendonly").flags == [.denyLoading])
        #expect(named("replicaof").flags == [.immutable, .multiArgument])
        #expect(named("save").flags == [.multiArgument])
        #expect(named("notify-keyspace-events").flags == [])
        #expect(named("databases").flags == [.immutable])
    }

    @Test func defaultsAsAFreshServerShowsThem() {
        #expect(named("maxmemory").defaultValue == "0")
        #expect(named("loglevel").defaultValue == "notice")
        #expect(named("port").defaultValue == "6379")
        #expect(named("save").defaultValue == "3600 1 300 100 60 10000")
        #expect(named("bind").defaultValue == "* -::*")
        #expect(named("proto-max-bulk-len").defaultValue == "536870912")
        #expect(named("client-query-buffer-limit").defaultValue == "1073741824")
        #expect(named("active-defrag-ignore-bytes").defaultValue == "104857600")
        #expect(named("shutdown-on-sigterm").defaultValue == "default")
        #expect(named("proc-title-template").defaultValue == "{title} {listen-addr} {server-mode}")
    }

    // MARK: Booleans, integers, enumerations

    @Test func booleans() throws {
        #expect(try parse("activerehashing", "YES") == "yes")
        #expect(try parse("slave-read-only", "No") == "no")
        #expect(failure("activerehashing", "maybe") == "argument must be 'yes' or 'no'")
    }

    @Test func integers() throws {
        #expect(try parse("timeout", "5") == "5")
        #expect(failure("timeout", "abc") == "argument couldn't be parsed into an integer")
        #expect(failure("timeout", "1k") == "argument couldn't be parsed into an integer")
        #expect(failure("timeout", "-1") == "argument must be between 0 and 2147483647 inclusive")
        #expect(failure("maxclients", "0") == "argument must be between 1 and 4294967295 inclusive")
        #expect(
            failure("list-max-listpack-size", "-3000000000")
                == "argument must be between -2147483648 and 2147483647 inclusive")
        #expect(
            failure("slowlog-log-slower-than", "-2")
                == "argument must be between -1 and 9223372036854775807 inclusive")
        #expect(try parse("list-max-ziplist-size", "-1") == "-1")
    }

    @Test func memoryValues() throws {
        #expect(try parse("maxmemory", "1kb") == "1024")
        #expect(try parse("maxmemory", "1K") == "1000")
        #expect(try parse("repl-backlog-size", "1mb") == "1048576")
        #expect(failure("maxmemory", "1x") == "argument must be a memory value")
        #expect(failure("maxmemory", "-1") == "argument must be a memory value")
        #expect(
            failure("proto-max-bulk-len", "1000")
                == "argument must be between 1048576 and 9223372036854775807 inclusive")
        #expect(failure("repl-backlog-size", "0") == "argument must be between 1 and 9223372036854775807 inclusive")
        #expect(try parse("maxmemory-clients", "50%") == "50%")
        #expect(failure("maxmemory-clients", "101%") == "percentage argument must be less or equal to 100")
        #expect(failure("maxmemory-clients", "x%") == "argument must be a memory or percent value")
    }

    @Test func enumerations() throws {
        #expect(try parse("loglevel", "WARNING") == "warning")
        #expect(try parse("maxmemory-policy", "ALLKEYS-LRU") == "allkeys-lru")
        #expect(failure("loglevel", "x") == "argument(s) must be one of the following: debug, verbose, notice, warning")
        #expect(
            failure("loglevel", "debug verbose")
                == "argument(s) must be one of the following: debug, verbose, notice, warning")
        #expect(
            failure("appendfsync", "x") == "argument(s) must be one of the following: everysec, always, no")
        #expect(try parse("shutdown-on-sigint", "now force save") == "save now force")
        #expect(try parse("shutdown-on-sigint", "force NOW") == "now force")
        #expect(
            failure("shutdown-on-sigint", "bogus")
                == "argument(s) must be one of the following: default, save, nosave, now, force")
        #expect(
            failure("shutdown-on-sigint", "")
                == "argument(s) must be one of the following: default, save, nosave, now, force")
    }

    @Test func enumerationFlagsAndSynonymsFoldAsRedisDoes() throws {
        // Redis folds the zero-valued "default" into the other flags, refuses SAVE with NOSAVE,
        // and shows oom-score-adj "relative" by its first name, "yes".
        #expect(try parse("shutdown-on-sigint", "default save") == "save")
        #expect(try parse("shutdown-on-sigint", "save now default") == "save now")
        #expect(try parse("shutdown-on-sigint", "default") == "default")
        #expect(failure("shutdown-on-sigint", "save nosave") == "shutdown options SAVE and NOSAVE can't be used simultaneously")
        #expect(try parse("oom-score-adj", "relative") == "yes")
        #expect(failure("oom-score-adj", "bad") == "argument(s) must be one of the following: no, yes, relative, absolute")
    }

    // MARK: Strings Redis checks

    @Test func checkedStrings() throws {
        #expect(try parse("dbfilename", "x.rdb") == "x.rdb")
        #expect(failure("dbfilename", "a/b") == "dbfilename can't be a path, just a filename")
        #expect(failure("dbfilename", "a\\b") == "dbfilename can't be a path, just a filename")
        #expect(try parse("dbfilename", "") == "")
        #expect(failure("appendfilename", "") == "appendfilename can't be empty")
        #expect(failure("appendfilename", "a/b") == "appendfilename can't be a path, just a filename")
        #expect(failure("appenddirname", "") == "appenddirname can't be empty")
        #expect(failure("appenddirname", "a/b") == "appenddirname can't be a path, just a dirname")
        #expect(try parse("cluster-announce-hostname", "node-1.example") == "node-1.example")
        #expect(
            failure("cluster-announce-hostname", "a_b")
                == "Hostnames may only contain alphanumeric characters, hyphens or dots")
        #expect(
            failure("cluster-announce-hostname", String(repeating: "a", count: 300))
                == "Hostnames must be less than 256 characters")
    }

    @Test func procTitleTemplate() throws {
        let invalid = "template format is invalid or contains unknown variables"
        for valid in ["{port}", "a}b", "a}}b", "{{x", "x{{", "{listen-addr}", "{config-file}", "{title} {tls-port}"] {
            #expect(try parse("proc-title-template", valid) == valid)
        }
        for bad in ["{bogus}", "{title", "{}", "{", "", "  ", "{title}", "{server-mode}", "{title} {unixsocket}"] {
            #expect(failure("proc-title-template", bad) == invalid, "\(bad)")
        }
    }

    // MARK: Special parameters

    @Test func save() throws {
        #expect(try parse("save", "3600 1 300 100 60 10000") == "3600 1 300 100 60 10000")
        #expect(try parse("save", "100 1 200 5") == "100 1 200 5")
        #expect(try parse("save", "") == "")
        #expect(try named("save").canonicalValue([""], current: "3600 1") == "")  // config file: save ""
        #expect(try parse("save", "+5 1") == "5 1")
        #expect(try parse("save", "007 1") == "7 1")
        #expect(try parse("save", "1 4294967295") == "1 -1")  // Redis keeps changes in a C int
        for bad in ["100", "100 1 200", "100 a", "a 1", "0 1", "-1 1", "1 -1"] {
            #expect(failure("save", bad) == "Invalid save parameters", "\(bad)")
        }
        guard case .special(let codec) = named("save").type else {
            Issue.record("save is not special")
            return
        }
        #expect(codec.accumulatesInFile)
    }

    @Test func clientOutputBufferLimit() throws {
        let name = "client-output-buffer-limit"
        #expect(
            try parse(name, "replica 1kb 2mb 3 PUBSUB 1g 0 0")
                == "normal 0 0 0 slave 1024 2097152 3 pubsub 1000000000 0 0")
        #expect(
            try parse(name, "normal 1 2 3 normal 4 5 6")
                == "normal 4 5 6 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
        // Only the classes given change; the others keep their current limits.
        #expect(
            try parse(name, "pubsub 1 2 3", current: "normal 7 8 9 slave 1 1 1 pubsub 0 0 0")
                == "normal 7 8 9 slave 1 1 1 pubsub 1 2 3")
        #expect(try parse(name, "") == named(name).defaultValue)
        #expect(failure(name, "normal 1 2") == "Wrong number of arguments in buffer limit configuration.")
        #expect(failure(name, "master 1 2 3") == "Invalid client class specified in buffer limit configuration.")
        #expect(failure(name, "foo 1 2 3") == "Invalid client class specified in buffer limit configuration.")
        #expect(
            failure(name, "normal 1x 2 3")
                == "Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        #expect(
            failure(name, "normal 1 2 -3")
                == "Error in hard, soft or soft_seconds setting in buffer limit configuration.")
    }

    @Test func notifyKeyspaceEvents() throws {
        let cases = [
            "KEA": "AKE", "Ex": "xE", "A": "A", "g$lshzxet": "g$lshzxet", "g$lshzxetd": "A", "An": "An",
            "AKEmn": "AnKEm", "mKE": "KEm", "EKx": "xKE", "dn": "dn", "z$g": "g$z", "KK": "K", "": "",
        ]
        for (given, stored) in cases {
            #expect(try parse("notify-keyspace-events", given) == stored, "\(given)")
        }
        // An "n" next to "A" stays on but CONFIG GET hides it, as Redis shows the flags.
        let store = ConfigStore()
        try store.set("notify-keyspace-events", arguments: ["nKEA"])
        #expect(store["notify-keyspace-events"] == "AnKE")
        #expect(store.matching("notify-keyspace-events").map(\.1) == ["AKE"])
        let invalid = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        #expect(failure("notify-keyspace-events", "Q") == invalid)
        #expect(failure("notify-keyspace-events", "K E") == invalid)
    }

    @Test func bind() throws {
        #expect(try parse("bind", "127.0.0.1 -::1") == "127.0.0.1 -::1")
        #expect(try named("bind").canonicalValue([""], current: "* -::*") == "")
        let seventeen = (1...17).map { String($0) }.joined(separator: " ")
        #expect(failure("bind", seventeen) == "Too many bind addresses specified.")
    }

    @Test func oomScoreAdjValues() throws {
        #expect(try parse("oom-score-adj-values", "-2000 +5 0100") == "-2000 5 100")
        #expect(failure("oom-score-adj-values", "1 2") == "wrong number of arguments")
        #expect(failure("oom-score-adj-values", "") == "wrong number of arguments")
        let range = "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
        #expect(failure("oom-score-adj-values", "1 2 x") == range)
        #expect(failure("oom-score-adj-values", "1 2 2001") == range)
    }

    @Test func latencyTrackingInfoPercentiles() throws {
        let name = "latency-tracking-info-percentiles"
        #expect(try parse(name, "0 100") == "0 100")
        #expect(try parse(name, "1e1 0x10 .5 5.") == "10 16 0.5 5")
        #expect(try parse(name, "33.3333333") == "33.333333")
        #expect(try parse(name, "99.99999999") == "100")
        #expect(try parse(name, "0.0000001") == "0")
        #expect(try parse(name, "") == "")
        let range = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
        #expect(failure(name, "100.0001") == range)
        #expect(failure(name, "-1") == range)
        #expect(failure(name, "inf") == range)
        #expect(failure(name, "x") == "Invalid latency-tracking-info-percentiles parameters")
        #expect(failure(name, "nan") == "Invalid latency-tracking-info-percentiles parameters")
    }

    @Test func replicaOf() throws {
        #expect(try parse("replicaof", "127.0.0.1 6379") == "127.0.0.1 6379")
        #expect(try parse("slaveof", "Host +7") == "Host 7")
        #expect(try parse("replicaof", "NO ONE") == "")
        #expect(try parse("replicaof", "") == "")
        #expect(failure("replicaof", "127.0.0.1") == "wrong number of arguments")
        #expect(failure("replicaof", "127.0.0.1 70000") == "Invalid master port")
        #expect(failure("replicaof", "127.0.0.1 x") == "Invalid master port")
    }

    /// Replication's settings are accepted now that replication exists.
    @Test func replicationSettingsAreAccepted() throws {
        let store = ConfigStore()
        try store.set("replicaof", arguments: ["127.0.0.1", "6379"])
        #expect(store["replicaof"] == "127.0.0.1 6379")
        try store.set("slaveof", arguments: ["no", "one"])
        #expect(store["replicaof"] == "")
        try store.set("min-replicas-to-write", arguments: ["2"])
        #expect(store.integer("min-replicas-to-write") == 2)
    }

    // MARK: Features Redstart does not have yet

    @Test func refusedFeatureValuesThrow() {
        let refused: [(name: String, value: String, allowed: String)] = [
            ("cluster-enabled", "yes", "no"),
            ("io-threads", "4", "1"),
            ("activedefrag", "yes", "no"),
        ]
        for (name, value, allowed) in refused {
            let store = ConfigStore()
            let parameter = named(name)
            var message: String?
            do throws(ConfigError) {
                try store.set(name, arguments: arguments(parameter, value))
            } catch {
                message = error.message
            }
            #expect(message?.hasSuffix("not supported yet by Redstart") == true, "\(name) \(value)")
            #expect(store[parameter.name] == parameter.defaultValue, "\(name)")
            var allowedMessage: String?
            do throws(ConfigError) {
                try store.set(name, arguments: arguments(parameter, allowed))
            } catch {
                allowedMessage = error.message
            }
            #expect(allowedMessage == nil, "\(name) \(allowed)")
        }
        // TLS settings BoringSSL fixes are refused with that reason, whatever else is allowed.
        #expect(ConfigStore().parameter(named: "tls-port")?.unsupported == nil)
        #expect(ConfigStore().parameter(named: "tls-ciphersuites")?.unsupported?("TLS_AES_128_GCM_SHA256")?.hasSuffix("this setting cannot be changed") == true)
    }

    @Test func badValuesAreRefusedBeforeTheFeatureCheck() {
        // A malformed value gets Redis's own error, not the "not supported" one.
        let store = ConfigStore()
        var message: String?
        do throws(ConfigError) {
            try store.set("save", arguments: ["0", "1"])
        } catch {
            message = error.message
        }
        #expect(message == "Invalid save parameters")
    }
}

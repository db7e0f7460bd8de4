// Every configuration parameter Redstart knows, as Redis 7.0.15 declares them
// (names, aliases, types, limits, defaults as CONFIG GET shows them, flags),
// plus the refusals for features Redstart does not have yet. To add one, put a
// line in its type's group below; a `.special` type also needs a codec in the
// second half of this file, with Redis's canonical text and error texts.
import RedstartRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The table of configuration parameters, in Redis's order.
public enum ConfigCatalog {
    public static let parameters: [ConfigParameter] = [
        // Booleans: yes / no.
        .init("rdbchecksum", .bool, default: "yes", flags: [.immutable]),
        .init("daemonize", .bool, default: "no", flags: [.immutable]),
        .init("io-threads-do-reads", .bool, default: "no", flags: [.immutable]),
        .init("always-show-logo", .bool, default: "no", flags: [.immutable]),
        .init("protected-mode", .bool, default: "yes"),
        .init("rdbcompression", .bool, default: "yes"),
        .init("rdb-del-sync-files", .bool, default: "no"),
        .init("activerehashing", .bool, default: "yes"),
        .init("stop-writes-on-bgsave-error", .bool, default: "yes"),
        .init("set-proc-title", .bool, default: "yes", flags: [.immutable]),
        .init("dynamic-hz", .bool, default: "yes"),
        .init("lazyfree-lazy-eviction", .bool, default: "no"),
        .init("lazyfree-lazy-expire", .bool, default: "no"),
        .init("lazyfree-lazy-server-del", .bool, default: "no"),
        .init("lazyfree-lazy-user-del", .bool, default: "no"),
        .init("lazyfree-lazy-user-flush", .bool, default: "no"),
        .init("repl-disable-tcp-nodelay", .bool, default: "no"),
        .init("repl-diskless-sync", .bool, default: "yes"),
        .init("aof-rewrite-incremental-fsync", .bool, default: "yes"),
        .init("no-appendfsync-on-rewrite", .bool, default: "no"),
        .init("cluster-require-full-coverage", .bool, default: "yes"),
        .init("rdb-save-incremental-fsync", .bool, default: "yes"),
        .init("aof-load-truncated", .bool, default: "yes"),
        .init("aof-use-rdb-preamble", .bool, default: "yes"),
        .init("aof-timestamp-enabled", .bool, default: "no"),
        .init("cluster-replica-no-failover", aliases: ["cluster-slave-no-failover"], .bool, default: "no"),
        .init("replica-lazy-flush", aliases: ["slave-lazy-flush"], .bool, default: "no"),
        .init("replica-serve-stale-data", aliases: ["slave-serve-stale-data"], .bool, default: "yes"),
        .init("replica-read-only", aliases: ["slave-read-only"], .bool, default: "yes"),
        .init("replica-ignore-maxmemory", aliases: ["slave-ignore-maxmemory"], .bool, default: "yes"),
        .init("jemalloc-bg-thread", .bool, default: "yes"),
        .init("activedefrag", .bool, default: "no", unsupported: notYet("no", "active defragmentation")),
        .init("syslog-enabled", .bool, default: "no", flags: [.immutable]),
        .init("cluster-enabled", .bool, default: "no", flags: [.immutable], unsupported: notYet("no", "cluster mode")),
        .init("appendonly", .bool, default: "no", flags: [.denyLoading]),
        .init("cluster-allow-reads-when-down", .bool, default: "no"),
        .init("cluster-allow-pubsubshard-when-down", .bool, default: "yes"),
        .init("crash-log-enabled", .bool, default: "yes"),
        .init("crash-memcheck-enabled", .bool, default: "yes"),
        .init("use-exit-on-panic", .bool, default: "no", flags: [.hidden]),
        .init("disable-thp", .bool, default: "yes", flags: [.immutable]),
        .init("cluster-allow-replica-migration", .bool, default: "yes"),
        .init("replica-announced", .bool, default: "yes"),
        .init("latency-tracking", .bool, default: "yes"),
        .init("aof-disable-auto-gc", .bool, default: "no"),
        .init("replica-ignore-disk-write-errors", .bool, default: "no"),

        // Strings; with emptyIsNull, "" means unset. The ones Redis checks have a codec (see below).
        .init("aclfile", .string(emptyIsNull: false), default: "", flags: [.immutable]),
        .init("unixsocket", .string(emptyIsNull: true), default: "", flags: [.immutable]),
        .init("pidfile", .string(emptyIsNull: true), default: "", flags: [.immutable]),
        .init("replica-announce-ip", aliases: ["slave-announce-ip"], .string(emptyIsNull: true), default: ""),
        .init("masteruser", .string(emptyIsNull: true), default: "", flags: [.sensitive]),
        .init("cluster-announce-ip", .string(emptyIsNull: true), default: ""),
        .init("cluster-config-file", .string(emptyIsNull: false), default: "nodes.conf", flags: [.immutable]),
        .init("cluster-announce-hostname", .special(announcedHostnameCodec), default: ""),
        .init("syslog-ident", .string(emptyIsNull: false), default: "redis", flags: [.immutable]),
        .init("dbfilename", .special(dbFilenameCodec), default: "dump.rdb", flags: [.protected]),
        .init("appendfilename", .special(appendFilenameCodec), default: "appendonly.aof", flags: [.immutable]),
        .init("appenddirname", .special(appendDirnameCodec), default: "appendonlydir", flags: [.immutable]),
        .init("server_cpulist", .string(emptyIsNull: true), default: "", flags: [.immutable]),
        .init("bio_cpulist", .string(emptyIsNull: true), default: "", flags: [.immutable]),
        .init("aof_rewrite_cpulist", .string(emptyIsNull: true), default: "", flags: [.immutable]),
        .init("bgsave_cpulist", .string(emptyIsNull: true), default: "", flags: [.immutable]),
        .init("ignore-warnings", .string(emptyIsNull: false), default: ""),
        .init("proc-title-template", .special(procTitleTemplateCodec), default: "{title} {listen-addr} {server-mode}"),
        .init("bind-source-addr", .string(emptyIsNull: true), default: ""),
        .init("logfile", .string(emptyIsNull: false), default: "", flags: [.immutable]),
        .init("masterauth", .string(emptyIsNull: true), default: "", flags: [.sensitive]),
        .init("requirepass", .string(emptyIsNull: true), default: "", flags: [.sensitive]),

        // Enumerations, values in Redis's order; isFlags for the multi-argument ones.
        .init("supervised", .enumeration(["upstart", "systemd", "auto", "no"], isFlags: false), default: "no", flags: [.immutable]),
        .init("syslog-facility", .enumeration(["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"], isFlags: false), default: "local0", flags: [.immutable]),
        .init("repl-diskless-load", .enumeration(["disabled", "on-empty-db", "swapdb"], isFlags: false), default: "disabled", flags: [.denyLoading]),
        .init("loglevel", .enumeration(["debug", "verbose", "notice", "warning"], isFlags: false), default: "notice"),
        .init("maxmemory-policy", .enumeration(["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"], isFlags: false), default: "noeviction"),
        .init("appendfsync", .enumeration(["everysec", "always", "no"], isFlags: false), default: "everysec"),
        .init("oom-score-adj", .enumeration(["no", "yes", "relative=yes", "absolute"], isFlags: false), default: "no"),
        .init("acl-pubsub-default", .enumeration(["allchannels", "resetchannels"], isFlags: false), default: "resetchannels"),
        .init("sanitize-dump-payload", .enumeration(["no", "yes", "clients"], isFlags: false), default: "no"),
        .init("enable-protected-configs", .enumeration(["no", "yes", "local"], isFlags: false), default: "no", flags: [.immutable]),
        .init("enable-debug-command", .enumeration(["no", "yes", "local"], isFlags: false), default: "no", flags: [.immutable]),
        .init("enable-module-command", .enumeration(["no", "yes", "local"], isFlags: false), default: "no", flags: [.immutable]),
        .init("cluster-preferred-endpoint-type", .enumeration(["ip", "hostname", "unknown-endpoint"], isFlags: false), default: "ip"),
        .init("propagation-error-behavior", .enumeration(["ignore", "panic", "panic-on-replicas"], isFlags: false), default: "ignore"),
        .init("shutdown-on-sigint", .enumeration(["default", "save", "nosave", "now", "force"], isFlags: true), default: "default", flags: [.multiArgument]),
        .init("shutdown-on-sigterm", .enumeration(["default", "save", "nosave", "now", "force"], isFlags: true), default: "default", flags: [.multiArgument]),

        // Integers, with Redis's limits (int, unsigned int, long long, size_t, ...) and spellings.
        .init("databases", .integer(min: 1, max: intMax, format: .plain), default: "16", flags: [.immutable]),
        .init("port", .integer(min: 0, max: 65535, format: .plain), default: "6379"),
        .init("io-threads", .integer(min: 1, max: 128, format: .plain), default: "1", flags: [.immutable], unsupported: notYet("1", "I/O threading")),
        .init("auto-aof-rewrite-percentage", .integer(min: 0, max: intMax, format: .plain), default: "100"),
        .init("cluster-replica-validity-factor", aliases: ["cluster-slave-validity-factor"], .integer(min: 0, max: intMax, format: .plain), default: "10"),
        .init("list-max-listpack-size", aliases: ["list-max-ziplist-size"], .integer(min: intMin, max: intMax, format: .plain), default: "-2"),
        .init("tcp-keepalive", .integer(min: 0, max: intMax, format: .plain), default: "300"),
        .init("cluster-migration-barrier", .integer(min: 0, max: intMax, format: .plain), default: "1"),
        .init("active-defrag-cycle-min", .integer(min: 1, max: 99, format: .plain), default: "1"),
        .init("active-defrag-cycle-max", .integer(min: 1, max: 99, format: .plain), default: "25"),
        .init("active-defrag-threshold-lower", .integer(min: 0, max: 1000, format: .plain), default: "10"),
        .init("active-defrag-threshold-upper", .integer(min: 0, max: 1000, format: .plain), default: "100"),
        .init("lfu-log-factor", .integer(min: 0, max: intMax, format: .plain), default: "10"),
        .init("lfu-decay-time", .integer(min: 0, max: intMax, format: .plain), default: "1"),
        .init("replica-priority", aliases: ["slave-priority"], .integer(min: 0, max: intMax, format: .plain), default: "100"),
        .init("repl-diskless-sync-delay", .integer(min: 0, max: intMax, format: .plain), default: "5"),
        .init("maxmemory-samples", .integer(min: 1, max: intMax, format: .plain), default: "5"),
        .init("maxmemory-eviction-tenacity", .integer(min: 0, max: 100, format: .plain), default: "10"),
        .init("timeout", .integer(min: 0, max: intMax, format: .plain), default: "0"),
        .init("replica-announce-port", aliases: ["slave-announce-port"], .integer(min: 0, max: 65535, format: .plain), default: "0"),
        .init("tcp-backlog", .integer(min: 0, max: intMax, format: .plain), default: "511", flags: [.immutable]),
        .init("cluster-port", .integer(min: 0, max: 65535, format: .plain), default: "0", flags: [.immutable]),
        .init("cluster-announce-bus-port", .integer(min: 0, max: 65535, format: .plain), default: "0"),
        .init("cluster-announce-port", .integer(min: 0, max: 65535, format: .plain), default: "0"),
        .init("cluster-announce-tls-port", .integer(min: 0, max: 65535, format: .plain), default: "0"),
        .init("repl-timeout", .integer(min: 1, max: intMax, format: .plain), default: "60"),
        .init("repl-ping-replica-period", aliases: ["repl-ping-slave-period"], .integer(min: 1, max: intMax, format: .plain), default: "10"),
        .init(
            "list-compress-depth", .integer(min: 0, max: intMax, format: .plain), default: "0"),
        .init("rdb-key-save-delay", .integer(min: intMin, max: intMax, format: .plain), default: "0", flags: [.hidden]),
        .init("key-load-delay", .integer(min: intMin, max: intMax, format: .plain), default: "0", flags: [.hidden]),
        .init("active-expire-effort", .integer(min: 1, max: 10, format: .plain), default: "1"),
        .init("hz", .integer(min: 0, max: intMax, format: .plain), default: "10"),
        .init("min-replicas-to-write", aliases: ["min-slaves-to-write"], .integer(min: 0, max: intMax, format: .plain), default: "0"),
        .init("min-replicas-max-lag", aliases: ["min-slaves-max-lag"], .integer(min: 0, max: intMax, format: .plain), default: "10"),
        .init("watchdog-period", .integer(min: 0, max: intMax, format: .plain), default: "0", flags: [.hidden]),
        .init("shutdown-timeout", .integer(min: 0, max: intMax, format: .plain), default: "10"),
        .init("repl-diskless-sync-max-replicas", .integer(min: 0, max: intMax, format: .plain), default: "0"),
        .init("maxclients", .integer(min: 1, max: uintMax, format: .plain), default: "10000"),
        .init("unixsocketperm", .integer(min: 0, max: 0o777, format: .octal), default: "0", flags: [.immutable]),
        .init("socket-mark-id", .integer(min: 0, max: uintMax, format: .plain), default: "0", flags: [.immutable]),
        .init("active-defrag-max-scan-fields", .integer(min: 1, max: .max, format: .plain), default: "1000"),
        .init("slowlog-max-len", .integer(min: 0, max: .max, format: .plain), default: "128"),
        .init("acllog-max-len", .integer(min: 0, max: .max, format: .plain), default: "128"),
        .init("busy-reply-threshold", aliases: ["lua-time-limit"], .integer(min: 0, max: .max, format: .plain), default: "5000"),
        .init("cluster-node-timeout", .integer(min: 0, max: .max, format: .plain), default: "15000"),
        .init("slowlog-log-slower-than", .integer(min: -1, max: .max, format: .plain), default: "10000"),
        .init("latency-monitor-threshold", .integer(min: 0, max: .max, format: .plain), default: "0"),
        .init("proto-max-bulk-len", .integer(min: 1_048_576, max: .max, format: .memory), default: "536870912"),
        .init("stream-node-max-entries", .integer(min: 0, max: .max, format: .plain), default: "100"),
        .init("repl-backlog-size", .integer(min: 1, max: .max, format: .memory), default: "1048576"),
        // maxmemory and cluster-link-sendbuf-limit are unsigned long long in Redis; Int64.max bounds them here.
        .init("maxmemory", .integer(min: 0, max: .max, format: .memory), default: "0"),
        .init("cluster-link-sendbuf-limit", .integer(min: 0, max: .max, format: .memory), default: "0"),
        .init("hash-max-listpack-entries", aliases: ["hash-max-ziplist-entries"], .integer(min: 0, max: .max, format: .plain), default: "512"),
        .init("set-max-intset-entries", .integer(min: 0, max: .max, format: .plain), default: "512"),
        .init("zset-max-listpack-entries", aliases: ["zset-max-ziplist-entries"], .integer(min: 0, max: .max, format: .plain), default: "128"),
        .init("active-defrag-ignore-bytes", .integer(min: 1, max: .max, format: .memory), default: "104857600"),
        .init("hash-max-listpack-value", aliases: ["hash-max-ziplist-value"], .integer(min: 0, max: .max, format: .memory), default: "64"),
        .init("stream-node-max-bytes", .integer(min: 0, max: .max, format: .memory), default: "4096"),
        .init("zset-max-listpack-value", aliases: ["zset-max-ziplist-value"], .integer(min: 0, max: .max, format: .memory), default: "64"),
        .init("hll-sparse-max-bytes", .integer(min: 0, max: .max, format: .memory), default: "3000"),
        .init("tracking-table-max-keys", .integer(min: 0, max: .max, format: .plain), default: "1000000"),
        .init("client-query-buffer-limit", .integer(min: 1_048_576, max: .max, format: .memory), default: "1073741824"),
        .init("maxmemory-clients", .integer(min: -100, max: .max, format: .memoryOrPercent), default: "0"),
        .init("repl-backlog-ttl", .integer(min: 0, max: .max, format: .plain), default: "3600"),
        .init("auto-aof-rewrite-min-size", .integer(min: 0, max: .max, format: .memory), default: "67108864"),
        .init("loading-process-events-interval-bytes", .integer(min: 1024, max: intMax, format: .plain), default: "2097152", flags: [.hidden]),
        // TLS, served by swift-nio-ssl (BoringSSL). What BoringSSL does not let a server
        // configure through it is refused with the reason rather than ignored.
        .init("tls-port", .integer(min: 0, max: 65535, format: .plain), default: "0"),
        .init("tls-cert-file", .string(emptyIsNull: true), default: ""),
        .init("tls-key-file", .string(emptyIsNull: true), default: ""),
        .init("tls-key-file-pass", .string(emptyIsNull: true), default: "", flags: [.sensitive]),
        .init("tls-client-cert-file", .string(emptyIsNull: true), default: ""),
        .init("tls-client-key-file", .string(emptyIsNull: true), default: ""),
        .init("tls-client-key-file-pass", .string(emptyIsNull: true), default: "", flags: [.sensitive]),
        .init("tls-ca-cert-file", .string(emptyIsNull: true), default: ""),
        .init("tls-ca-cert-dir", .string(emptyIsNull: true), default: ""),
        .init("tls-protocols", .string(emptyIsNull: true), default: ""),
        .init("tls-ciphers", .string(emptyIsNull: true), default: ""),
        .init("tls-auth-clients", .enumeration(["no", "yes", "optional"], isFlags: false), default: "yes"),
        .init("tls-replication", .bool, default: "no"),
        .init("tls-cluster", .bool, default: "no"),
        // Read and checked, but BoringSSL has no DHE ciphers: ECDHE is what clients get.
        .init("tls-dh-params-file", .string(emptyIsNull: true), default: ""),
        .init(
            "tls-ciphersuites", .string(emptyIsNull: true), default: "",
            unsupported: ConfigParameter.only("", because: boringSSLFixes("uses a fixed set of TLS 1.3 cipher suites"))),
        .init(
            "tls-prefer-server-ciphers", .bool, default: "no",
            unsupported: ConfigParameter.only("no", because: boringSSLFixes("keeps the client's cipher preference"))),
        .init(
            "tls-session-caching", .bool, default: "yes",
            unsupported: ConfigParameter.only("yes", because: boringSSLFixes("always caches sessions"))),
        .init(
            "tls-session-cache-size", .integer(min: 0, max: intMax, format: .plain), default: "20480",
            unsupported: ConfigParameter.only("20480", because: boringSSLFixes("caches up to 20480 sessions"))),
        .init(
            "tls-session-cache-timeout", .integer(min: 0, max: intMax, format: .plain), default: "300",
            unsupported: ConfigParameter.only("300", because: boringSSLFixes("sets its own session lifetimes"))),

        // Special: parsed and shown by the codecs below.
        // dir: the server puts its working directory in at start-up and applies changes with chdir.
        .init("dir", .string(emptyIsNull: false), default: "", flags: [.protected, .denyLoading]),
        .init("save", .special(saveCodec), default: "3600 1 300 100 60 10000", flags: [.multiArgument]),
        .init("client-output-buffer-limit", .special(clientOutputBufferLimitCodec), default: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", flags: [.multiArgument]),
        .init("oom-score-adj-values", .special(oomScoreAdjValuesCodec), default: "0 200 800", flags: [.multiArgument]),
        .init("notify-keyspace-events", .special(keyspaceEventsCodec), default: ""),
        .init("bind", .special(bindCodec), default: "* -::*", flags: [.multiArgument]),
        .init("replicaof", aliases: ["slaveof"], .special(replicaOfCodec), default: "", flags: [.immutable, .multiArgument]),
        .init("latency-tracking-info-percentiles", .special(latencyPercentilesCodec), default: "50 99 99.9", flags: [.multiArgument]),
    ]

    // MARK: Limits of Redis's C types

    private static let intMin = Int64(Int32.min)
    private static let intMax = Int64(Int32.max)
    private static let uintMax = Int64(UInt32.max)

    /// The refusal of a TLS setting BoringSSL (through swift-nio-ssl) does not offer.
    private static func boringSSLFixes(_ behaviour: String) -> String {
        "Redstart's TLS library (BoringSSL, through swift-nio-ssl) \(behaviour); this setting cannot be changed"
    }

    /// Refuses every value but `allowed`: "<feature> is not supported yet by Redstart".
    private static func notYet(_ allowed: String, _ feature: String) -> @Sendable (String) -> String? {
        ConfigParameter.only(allowed, because: "\(feature) is not supported yet by Redstart")
    }

    // MARK: Special codecs

    /// `save`: "<seconds> <changes>" pairs, seconds >= 1 and changes >= 0; "" (or nothing) clears them.
    /// Each config-file line adds its points; `save ""` there removes all points read so far.
    static let saveCodec = SpecialConfigCodec(accumulatesInFile: true) {
        (arguments: [String], _: String) throws(ConfigError) -> String in
        let words = arguments.count == 1 && arguments[0].isEmpty ? [] : arguments
        let invalid = ConfigError("Invalid save parameters")
        guard words.count % 2 == 0 else { throw invalid }
        var points: [String] = []
        for start in stride(from: 0, to: words.count, by: 2) {
            guard let seconds = cInteger(words[start]), seconds >= 1,
                let changes = cInteger(words[start + 1]), changes >= 0
            else { throw invalid }
            // Redis keeps the change count in a C int: larger counts wrap, as CONFIG GET then shows.
            points.append("\(seconds) \(Int32(truncatingIfNeeded: changes))")
        }
        return points.joined(separator: " ")
    }

    /// `client-output-buffer-limit`: "<class> <hard> <soft> <seconds>" groups; the classes not
    /// given keep their current limits. `replica` is shown as `slave`, as Redis does.
    static let clientOutputBufferLimitCodec = SpecialConfigCodec {
        (arguments: [String], current: String) throws(ConfigError) -> String in
        guard arguments.count % 4 == 0 else {
            throw ConfigError("Wrong number of arguments in buffer limit configuration.")
        }
        // "<hard> <soft> <seconds>" for normal, slave, pubsub, taken from the current canonical text.
        var limits = ["0 0 0", "268435456 67108864 60", "33554432 8388608 60"]
        let words = current.split(separator: " ")
        if words.count == 12 {
            for slot in 0..<3 { limits[slot] = words[(slot * 4 + 1)...(slot * 4 + 3)].joined(separator: " ") }
        }
        for start in stride(from: 0, to: arguments.count, by: 4) {
            let slot: Int
            switch arguments[start].lowercased() {
            case "normal": slot = 0
            case "slave", "replica": slot = 1
            case "pubsub": slot = 2
            default: throw ConfigError("Invalid client class specified in buffer limit configuration.")
            }
            guard let hard = parseMemory(arguments[start + 1]), let soft = parseMemory(arguments[start + 2]),
                let seconds = cInteger(arguments[start + 3]).map({ Int32(truncatingIfNeeded: $0) }), seconds >= 0
            else {
                throw ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
            }
            limits[slot] = "\(hard) \(soft) \(seconds)"
        }
        return "normal \(limits[0]) slave \(limits[1]) pubsub \(limits[2])"
    }

    /// `oom-score-adj-values`: exactly three integers in -2000...2000.
    static let oomScoreAdjValuesCodec = SpecialConfigCodec {
        (arguments: [String], _: String) throws(ConfigError) -> String in
        guard arguments.count == 3 else { throw ConfigError("wrong number of arguments") }
        var values: [String] = []
        for argument in arguments {
            guard let value = cInteger(argument), value >= -2000, value <= 2000 else {
                throw ConfigError("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
            }
            values.append(String(value))
        }
        return values.joined(separator: " ")
    }

    /// `notify-keyspace-events`: class characters, stored in Redis's order ("KEA" is stored
    /// "AKE"). "A" stands for g$lshzxetd; an `n` given with it stays on ("AnKE") but CONFIG GET
    /// hides it ("AKE"), as Redis shows it.
    static let keyspaceEventsCodec = SpecialConfigCodec(shown: { stored in
        stored.hasPrefix("An") ? "A" + stored.dropFirst(2) : stored
    }) {
        (arguments: [String], _: String) throws(ConfigError) -> String in
        guard arguments.count == 1 else { throw ConfigError("wrong number of arguments") }
        let allTypes = Array("g$lshzxetd".utf8)  // what "A" means
        let typeClasses = Array("g$lshzxetdn".utf8)  // shown first, in this order, when not all of "A"
        let trailing = Array("KEm".utf8)  // always shown last, in this order
        var chosen = Set<UInt8>()
        for byte in arguments[0].utf8 {
            if byte == UInt8(ascii: "A") {
                chosen.formUnion(allTypes)
            } else if typeClasses.contains(byte) || trailing.contains(byte) {
                chosen.insert(byte)
            } else {
                throw ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
            }
        }
        let picked = chosen
        let isChosen = { (byte: UInt8) -> Bool in picked.contains(byte) }
        var shown: [UInt8] = typeClasses.filter(isChosen)
        if allTypes.allSatisfy(isChosen) { shown = Array((isChosen(UInt8(ascii: "n")) ? "An" : "A").utf8) }
        shown += trailing.filter(isChosen)
        return String(decoding: shown, as: UTF8.self)
    }

    /// `bind`: up to 16 addresses; a single "" means none.
    static let bindCodec = SpecialConfigCodec {
        (arguments: [String], _: String) throws(ConfigError) -> String in
        guard arguments.count <= 16 else { throw ConfigError("Too many bind addresses specified.") }
        if arguments.count == 1 && arguments[0].isEmpty { return "" }
        return arguments.joined(separator: " ")
    }

    /// `replicaof`: "<host> <port>", or "no one" for none (shown ""). Unlike Redis, "" (or nothing)
    /// is also taken as none, so the default reads back.
    static let replicaOfCodec = SpecialConfigCodec {
        (arguments: [String], _: String) throws(ConfigError) -> String in
        if arguments.isEmpty || (arguments.count == 1 && arguments[0].isEmpty) { return "" }
        guard arguments.count == 2 else { throw ConfigError("wrong number of arguments") }
        if arguments[0].lowercased() == "no" && arguments[1].lowercased() == "one" { return "" }
        // Redis reads the port with strtol into a C int, then checks the range.
        guard let port = cInteger(arguments[1]).map({ Int32(truncatingIfNeeded: $0) }), port >= 0, port <= 65535
        else { throw ConfigError("Invalid master port") }
        return "\(arguments[0]) \(port)"
    }

    /// `latency-tracking-info-percentiles`: zero or more numbers in 0...100, shown as C's `%f`
    /// without trailing zeros ("99.9"); a single "" means none.
    static let latencyPercentilesCodec = SpecialConfigCodec {
        (arguments: [String], _: String) throws(ConfigError) -> String in
        let words = arguments.count == 1 && arguments[0].isEmpty ? [] : arguments
        var shown: [String] = []
        for word in words {
            guard let percentile = cDouble(word) else {
                throw ConfigError("Invalid latency-tracking-info-percentiles parameters")
            }
            guard percentile >= 0.0 && percentile <= 100.0 else {
                throw ConfigError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
            }
            var text = formatWithC("%f", percentile)
            if text.contains(".") {
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
            }
            shown.append(text)
        }
        return shown.joined(separator: " ")
    }

    // MARK: Strings Redis checks

    /// `dbfilename`: a file name, not a path.
    static let dbFilenameCodec = checkedString { value in
        isBaseName(value) ? nil : "dbfilename can't be a path, just a filename"
    }

    /// `appendfilename`: a non-empty file name, not a path.
    static let appendFilenameCodec = checkedString { value in
        if value.isEmpty { return "appendfilename can't be empty" }
        return isBaseName(value) ? nil : "appendfilename can't be a path, just a filename"
    }

    /// `appenddirname`: a non-empty directory name, not a path.
    static let appendDirnameCodec = checkedString { value in
        if value.isEmpty { return "appenddirname can't be empty" }
        return isBaseName(value) ? nil : "appenddirname can't be a path, just a dirname"
    }

    /// `cluster-announce-hostname`: under 256 bytes of letters, digits, '-' and '.'; "" means unset.
    static let announcedHostnameCodec = checkedString { value in
        if value.utf8.count >= 256 { return "Hostnames must be less than 256 characters" }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
                continue
            default:
                return "Hostnames may only contain alphanumeric characters, hyphens or dots"
            }
        }
        return nil
    }

    /// `proc-title-template`: every `{variable}` must be known ("{{" is a literal brace), and the
    /// expansion with an empty title must not be blank. As if no unix socket is configured, so
    /// `{title}`, `{server-mode}` and `{unixsocket}` expand to nothing.
    static let procTitleTemplateCodec = checkedString { value in
        let blank: Set<String> = ["title", "server-mode", "unixsocket"]
        let expansion = ProcessTitleTemplate.expand(value) { name in
            ProcessTitleTemplate.variables.contains(name) ? (blank.contains(name) ? "" : "x") : nil
        }
        return expansion.map { $0.isEmpty } ?? true ? "template format is invalid or contains unknown variables" : nil
    }

    // MARK: Helpers

    /// A one-argument text parameter whose value `check` vets (it returns Redis's error text, or nil).
    private static func checkedString(_ check: @escaping @Sendable (String) -> String?) -> SpecialConfigCodec {
        SpecialConfigCodec { (arguments: [String], _: String) throws(ConfigError) -> String in
            let value = arguments.joined(separator: " ")
            if let problem = check(value) { throw ConfigError(problem) }
            return value
        }
    }

    /// Whether `path` has no directory part (no '/' or '\'), as Redis's pathIsBaseName.
    private static func isBaseName(_ path: String) -> Bool {
        !path.utf8.contains(UInt8(ascii: "/")) && !path.utf8.contains(UInt8(ascii: "\\"))
    }

    /// The integer C's `strtoll` reads from all of `text`, as Redis's special configs check it:
    /// leading spaces and a sign are allowed, "" is 0, out-of-range values clamp; nil when
    /// anything is left after the number.
    static func cInteger(_ text: String) -> Int64? {
        text.withCString { start -> Int64? in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtoll(start, &end, 10)
            guard let end, end.pointee == 0 else { return nil }
            return Int64(value)
        }
    }

    /// The number C's `strtod` reads from all of `text`, as Redis's string2d: no leading space,
    /// nothing left over, no NaN, no overflow or total underflow.
    static func cDouble(_ text: String) -> Double? {
        guard let first = text.utf8.first, first != 0x20, !(0x09...0x0D).contains(first) else { return nil }
        return text.withCString { start -> Double? in
            var end: UnsafeMutablePointer<CChar>?
            errno = 0
            let value = strtod(start, &end)
            guard let end, UnsafePointer<CChar>(end) - start == text.utf8.count else { return nil }
            if errno == ERANGE && (value.isInfinite || value == 0) { return nil }
            return value.isNaN ? nil : value
        }
    }
}

// DEBUG: the subcommands client and server test suites use. SLEEP, ERROR and
// LOG; RELOAD (save, empty, load the RDB file again); LOADAOF and
// AOF-FLUSH-SLEEP (the append-only file, through the host); DIGEST and DIGEST-VALUE
// (Redis's SHA-1 digest of the data, Support/DatasetDigest.swift); POPULATE;
// OBJECT (the low-level view of a value); SET-ACTIVE-EXPIRE,
// SET-SKIP-CHECKSUM-VALIDATION, PAUSE-CRON and SET-DISABLE-DENY-SCRIPTS (switches
// for tests); CHANGE-REPL-ID, CONFIG-REWRITE-FORCE-ALL; PROTOCOL, HTSTATS and
// STRINGMATCH-TEST (DebugFamily+Introspection.swift); SDSLEN, LISTPACK and QUICKLIST
// (DebugFamily+Structures.swift); SEGFAULT, PANIC, ASSERT, OOM, LEAK, RESTART and
// CRASH-AND-RECOVER (DebugFamily+Crashes.swift).
#if canImport(Glibc)
import Glibc
#endif
import RedstartRESP

enum DebugFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init(
                "debug", arity: -2, flags: [.admin, .noScript, .loading, .stale, .protected], group: "server",
                run: debug)
        ]
    }

    static func debug(_ cmd: CommandContext) throws(ReplyError) {
        let count = cmd.args.count
        if cmd.argument(1, is: "help") {
            cmd.replyHelp(help)
        } else if cmd.argument(1, is: "sleep") && count == 3 {
            // Redis parses the delay with strtod: anything that is not a number sleeps 0 seconds.
            let seconds = Double(cmd.args.string(at: 2)) ?? 0
            if seconds > 0 { usleep(useconds_t(min(seconds, 3600) * 1_000_000)) }
            cmd.reply.ok()
        } else if cmd.argument(1, is: "error") && count == 3 {
            throw ReplyError(line: cmd.args.string(at: 2))
        } else if cmd.argument(1, is: "log") && count == 3 {
            cmd.engine.log(.warning, "DEBUG LOG: \(cmd.args.string(at: 2))")
            cmd.reply.ok()
        } else if cmd.argument(1, is: "reload") {
            try reload(cmd)
            cmd.engine.preventRunningCommandPropagation()
        } else if cmd.argument(1, is: "loadaof") {
            guard let host = cmd.engine.host else { throw ReplyError(line: "ERR") }
            // The reload changes the dataset, but nothing of it is to be written anywhere.
            cmd.engine.preventRunningCommandPropagation()
            if host.reloadAppendOnlyFile(for: cmd.session) {
                cmd.reply.ok()
            } else {
                cmd.engine.holdCommand(of: cmd.session)
            }
        } else if cmd.argument(1, is: "aof-flush-sleep") && count == 3 {
            cmd.engine.host?.setAppendOnlyFlushSleep(microseconds: Int(clamping: try cmd.integer(2)))
            cmd.reply.ok()
        } else if cmd.argument(1, is: "replicate") && count >= 3 {
            // Sends a command to the replicas only, unchecked (tests of replica errors).
            cmd.engine.replication?.replicate((2..<count).map { cmd.args.bytes(at: $0) })
            cmd.reply.ok()
        } else if cmd.argument(1, is: "digest") && count == 2 {
            cmd.reply.simpleString(DatasetDigest.hex(DatasetDigest.dataset(cmd.engine.databases)))
        } else if cmd.argument(1, is: "digest-value") {
            cmd.reply.arrayHeader(count - 2)
            for index in 2..<count {
                var digest = DatasetDigest.Digest(repeating: 0, count: 20)
                if let entry = cmd.args.withBytes(at: index, { cmd.db.table.find($0) }) {
                    DatasetDigest.value(cmd.db, entry, into: &digest)
                }
                cmd.reply.simpleString(DatasetDigest.hex(digest))
            }
        } else if cmd.argument(1, is: "populate") && count >= 3 && count <= 5 {
            try populate(cmd)
        } else if cmd.argument(1, is: "object") && count == 3 {
            try object(cmd)
        } else if cmd.argument(1, is: "set-active-expire") && count == 3 {
            cmd.engine.activeExpireEnabled = try cmd.integer(2) != 0
            cmd.reply.ok()
        } else if cmd.argument(1, is: "set-skip-checksum-validation") && count == 3 {
            cmd.engine.skipsChecksumValidation = try cmd.integer(2) != 0
            cmd.reply.ok()
        } else if cmd.argument(1, is: "pause-cron") && count == 3 {
            cmd.engine.cronPaused = atoiLike(cmd, 2) != 0
            cmd.reply.ok()
        } else if cmd.argument(1, is: "set-disable-deny-scripts") && count == 3 {
            cmd.engine.scriptDenyDisabled = atoiLike(cmd, 2) != 0
            cmd.reply.ok()
        } else if cmd.argument(1, is: "protocol") && count == 3 {
            try DebugProtocol.reply(cmd, type: cmd.args.lowercasedString(at: 2))
        } else if cmd.argument(1, is: "htstats") && count == 3 {
            try htstats(cmd)
        } else if cmd.argument(1, is: "change-repl-id") && count == 2 {
            cmd.engine.log(.warning, "Changing replication IDs after receiving DEBUG change-repl-id")
            cmd.engine.changeReplicationID()
            cmd.reply.ok()
        } else if cmd.argument(1, is: "stringmatch-test") && count == 2 {
            stringMatchFuzz()
            cmd.reply.simpleString("Apparently Redis did not crash: test passed")
        } else if cmd.argument(1, is: "sdslen") && count == 3 {
            try sdsLength(cmd)
        } else if cmd.argument(1, is: "listpack") && count == 3 {
            try listpack(cmd)
        } else if cmd.argument(1, is: "quicklist") && (count == 3 || count == 4) {
            try quicklist(cmd)
        } else if cmd.argument(1, is: "quicklist-packed-threshold") && count == 3 {
            // Redis's quicklistisSetPackedThreshold: 0 restores 1 GB; at most 4 GB - 1 MB.
            guard let size = parseMemory(cmd.args.string(at: 2)), size <= (1 << 32) - (1 << 20) else {
                throw ReplyError("argument must be a memory value bigger than 1 and smaller than 4gb")
            }
            ChunkedList.packedThreshold = size == 0 ? 1 << 30 : Int(size)
            cmd.reply.ok()
        } else if (cmd.argument(1, is: "mallctl") || cmd.argument(1, is: "mallctl-str")) && (count == 3 || count == 4),
            let reply = try allocatorSetting(cmd)
        {
            switch reply {
            case .integer(let value): cmd.reply.integer(Int(value))
            case .text(let text): cmd.reply.bulk(text)
            case .written: cmd.reply.ok()
            case .failed(let message): throw ReplyError(message)
            }
        } else if cmd.argument(1, is: "replybuffer") && count == 4 {
            try replyBuffer(cmd)
        } else if cmd.argument(1, is: "config-rewrite-force-all") && count == 2 {
            guard let host = cmd.engine.host else { throw ReplyError("The server is running without a config file") }
            do throws(ReplyError) {
                try host.rewriteConfig(forceAll: true)
            } catch {
                throw ReplyError("CONFIG-REWRITE-FORCE-ALL failed: \(error.line.hasPrefix("ERR ") ? String(error.line.dropFirst(4)) : error.line)")
            }
            cmd.reply.ok()
        } else if try crashOrRestart(cmd) {
            return
        } else {
            throw cmd.subcommandSyntaxError()
        }
    }

    /// DEBUG MALLCTL <key> [<number>] and MALLCTL-STR <key> [<string>|VOID]: the
    /// allocator's settings (jemalloc's mallctl); nil when the allocator has none.
    private static func allocatorSetting(_ cmd: CommandContext) throws(ReplyError) -> AllocatorSettingReply? {
        guard let host = cmd.engine.host else { return nil }
        let name = cmd.args.string(at: 2)
        if cmd.argument(1, is: "mallctl") {
            let value: Int64? = cmd.args.count == 4 ? Int64(try cmd.integer(3)) : nil
            return host.allocatorNumberSetting(name, write: value)
        }
        return host.allocatorStringSetting(name, write: cmd.args.count == 4 ? cmd.args.string(at: 3) : nil)
    }

    /// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE].
    private static func reload(_ cmd: CommandContext) throws(ReplyError) {
        var save = true
        var flush = true
        var merge = false
        for index in 2..<cmd.args.count {
            if cmd.argument(index, is: "merge") {
                merge = true
            } else if cmd.argument(index, is: "noflush") {
                flush = false
            } else if cmd.argument(index, is: "nosave") {
                save = false
            } else {
                throw ReplyError("DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
            }
        }
        guard let host = cmd.engine.host else { throw ReplyError("Error trying to load the RDB dump") }
        try host.reloadSnapshot(save: save, flush: flush, merge: merge)
        cmd.reply.ok()
    }

    /// DEBUG POPULATE count [prefix] [size]: string keys prefix:N = "value:N" (padded with
    /// zero bytes or cut to `size`); existing keys are left alone.
    private static func populate(_ cmd: CommandContext) throws(ReplyError) {
        let keys = try cmd.integer(2)
        guard keys >= 0 else { throw ReplyError("value is out of range, must be positive") }
        var size = 0
        if cmd.args.count == 5 {
            let requested = try cmd.integer(4)
            guard requested >= 0 else { throw ReplyError("value is out of range, must be positive") }
            size = Int(requested)
        }
        let prefix = cmd.args.count >= 4 ? cmd.args.bytes(at: 3) : Array("key".utf8)
        let engine = cmd.engine
        let db = cmd.db
        for number in 0..<keys {
            let key = prefix + Array(":\(number)".utf8)
            let exists = key.withUnsafeBytes { engine.lookupWrite(db, $0) } != nil
            if exists { continue }
            var value = Array("value:\(number)".utf8)
            if size > 0 { value = Array(value.prefix(size)) + [UInt8](repeating: 0, count: max(0, size - value.count)) }
            key.withUnsafeBytes { raw in
                _ = value.withUnsafeBytes { engine.addKey(db, raw, Value.storedString(from: $0)) }
                // Watchers and caches are told; the change counter is not (as Redis), so the
                // keys are neither propagated to the AOF and replicas nor count for save points.
                engine.keyModified(db, raw, changes: 0)
            }
        }
        cmd.reply.ok()
    }

    /// DEBUG OBJECT key: Redis's low-level line about the value.
    private static func object(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        guard let entry = cmd.args.withBytes(at: 2, { db.table.find($0) }) else { throw .noSuchKey }
        let value = db.value(at: entry).pointee
        var serialized: [UInt8] = []
        RDBValueCodec.write(value, compressing: cmd.engine.rdbCompression, into: &serialized)
        var extra = ""
        if let list = value.list {
            let nodes = max(1, list.chunkCount)
            extra = " ql_nodes:\(list.chunkCount) ql_avg_node:\(formatWithC("%.2f", Double(list.count) / Double(nodes)))"
                + " ql_listpack_max:\(cmd.engine.listFill) ql_compressed:\(cmd.engine.listCompressDepth != 0 ? 1 : 0)"
                + " ql_uncompressed_size:\(list.allocatedBytes)"
        }
        let clock = db.clock(at: entry)
        cmd.reply.simpleString(
            "Value at:0x\(String(UInt(bitPattern: entry.hashValue), radix: 16)) refcount:1 encoding:\(value.encodingName)"
                + " serializedlength:\(serialized.count - 1) lru:\(clock)"
                + " lru_seconds_idle:\(cmd.engine.idleMilliseconds(clock: clock) / 1000)\(extra)")
    }

    private static let help = [
        "AOF-FLUSH-SLEEP <microsec>",
        "    Server will sleep before flushing the AOF, this is used for testing.",
        "ASSERT",
        "    Crash by assertion failed.",
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "CONFIG-REWRITE-FORCE-ALL",
        "    Like CONFIG REWRITE but writes all configuration options, including",
        "    keywords not listed in original configuration file or default values.",
        "CRASH-AND-RECOVER [<milliseconds>]",
        "    Hard crash and restart after a <milliseconds> delay (default 0).",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LEAK <string>",
        "    Create a memory leak of the input string.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "HTSTATS <dbid>",
        "    Return hash table statistics of the specified Redis database.",
        "LOADAOF",
        "    Flush the AOF buffers on disk and reload the AOF in memory.",
        "REPLICATE <string>",
        "    Replicates the provided string to replicas, allowing data divergence.",
        "MALLCTL <key> [<val>]",
        "    Get or set a malloc tuning integer.",
        "MALLCTL-STR <key> [<val>]",
        "    Get or set a malloc tuning string.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "OOM",
        "    Crash the server simulating an out-of-memory error.",
        "PANIC",
        "    Crash the server simulating a panic.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB.",
        "    * NOFLUSH: the existing database will not be removed before load, but",
        "      conflicting keys will generate an exception and kill the server.",
        "    * NOSAVE: the database will be loaded from an existing RDB file.",
        "    Examples:",
        "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
        "      the database.",
        "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
        "      existing RDB file.",
        "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
        "      file to the database.",
        "RESTART [<milliseconds>]",
        "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
        "SDSLEN <key>",
        "    Show low level SDS string info representing `key` and value.",
        "SEGFAULT",
        "    Crash the server with sigsegv.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Sets the threshold for elements to be inserted as plain vs packed nodes",
        "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
        "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
        "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "STRINGMATCH-TEST",
        "    Run a fuzz tester against the stringmatchlen() function.",
        "LISTPACK <key>",
        "    Show low level info about the listpack encoding of <key>.",
        "QUICKLIST <key> [<0|1>]",
        "    Show low level info about the quicklist encoding of <key>.",
        "    The optional argument (0 by default) sets the level of detail",
        "PAUSE-CRON <0|1>",
        "    Stop periodic cron job processing.",
        "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
        "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
        "    In case NEVER is provided the last observed peak will never be reset",
        "    In case RESET is provided the peak reset time will be restored to the default value",
        "REPLYBUFFER RESIZING <0|1>",
        "    Enable or disable the reply buffer resize cron job",
    ]
}

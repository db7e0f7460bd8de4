// SLOWLOG, LATENCY and MEMORY: what the server observed about itself (LATENCY
// HISTOGRAM/GRAPH/DOCTOR in IntrospectionFamily+Latency.swift, MEMORY
// STATS/DOCTOR/MALLOC-STATS/PURGE in IntrospectionFamily+Memory.swift).
import RedstartRESP

enum IntrospectionFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init(
                "slowlog", arity: -2, group: "server",
                subcommands: [
                    .init("help", arity: 2, flags: [.loading, .stale], group: "server", run: slowlogHelp),
                    .init("get", arity: -2, flags: [.admin, .loading, .stale], group: "server", run: slowlogGet),
                    .init("len", arity: 2, flags: [.admin, .loading, .stale], group: "server", run: slowlogLen),
                    .init("reset", arity: 2, flags: [.admin, .loading, .stale], group: "server", run: slowlogReset),
                ]),
            .init(
                "latency", arity: -2, group: "server",
                subcommands: [
                    .init("help", arity: 2, flags: [.loading, .stale], group: "server", run: latencyHelp),
                    .init(
                        "latest", arity: 2, flags: [.admin, .noScript, .loading, .stale], group: "server",
                        run: latencyLatest),
                    .init(
                        "history", arity: 3, flags: [.admin, .noScript, .loading, .stale], group: "server",
                        run: latencyHistory),
                    .init(
                        "reset", arity: -2, flags: [.admin, .noScript, .loading, .stale], group: "server",
                        run: latencyReset),
                    .init(
                        "doctor", arity: 2, flags: [.admin, .noScript, .loading, .stale], group: "server",
                        run: latencyDoctor),
                    .init(
                        "graph", arity: 3, flags: [.admin, .noScript, .loading, .stale], group: "server",
                        run: latencyGraph),
                    .init(
                        "histogram", arity: -2, flags: [.admin, .noScript, .loading, .stale], group: "server",
                        run: latencyHistogram),
                ]),
            .init(
                "memory", arity: -2, group: "server",
                subcommands: [
                    .init("help", arity: 2, flags: [.loading, .stale], group: "server", run: memoryHelp),
                    .init(
                        "usage", arity: -3, flags: [.readonly], keys: KeyPositions(first: 2, last: 2, step: 1),
                        group: "server", run: memoryUsage),
                    .init("stats", arity: 2, group: "server", run: memoryStats),
                    .init("doctor", arity: 2, group: "server", run: memoryDoctor),
                    .init("malloc-stats", arity: 2, group: "server", run: memoryMallocStats),
                    .init("purge", arity: 2, group: "server", run: memoryPurge),
                ]),
        ]
    }

    // MARK: SLOWLOG

    /// SLOWLOG HELP → status lines.
    static func slowlogHelp(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ])
    }

    /// SLOWLOG GET [count] → array of [id, timestamp, microseconds, arguments, address, name], newest first.
    static func slowlogGet(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count <= 3 else {
            throw cmd.subcommandSyntaxError()
        }
        var count = 10
        if cmd.args.count == 3 {
            guard let requested = cmd.args.int64(at: 2), requested >= -1 else {
                throw ReplyError("count should be greater than or equal to -1")
            }
            count = requested == -1 ? Int.max : Int(requested)
        }
        let entries = cmd.engine.slowlog.entries.prefix(count)
        cmd.reply.arrayHeader(entries.count)
        for entry in entries {
            cmd.reply.arrayHeader(6)
            cmd.reply.integer(entry.id)
            cmd.reply.integer(entry.timestamp)
            cmd.reply.integer(entry.durationMicroseconds)
            cmd.reply.arrayHeader(entry.arguments.count)
            for argument in entry.arguments { cmd.reply.bulk(argument) }
            cmd.reply.bulk(entry.clientAddress)
            cmd.reply.bulk(entry.clientName)
        }
    }

    /// SLOWLOG LEN → integer.
    static func slowlogLen(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.integer(cmd.engine.slowlog.entries.count)
    }

    /// SLOWLOG RESET → +OK.
    static func slowlogReset(_ cmd: CommandContext) throws(ReplyError) {
        cmd.engine.slowlog.reset()
        cmd.reply.ok()
    }

    // MARK: LATENCY

    /// LATENCY HELP → status lines.
    static func latencyHelp(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ])
    }

    /// LATENCY LATEST → array of [event, time of the latest spike, its ms, all-time max ms].
    static func latencyLatest(_ cmd: CommandContext) throws(ReplyError) {
        let events = cmd.engine.latency.events.sorted { $0.key < $1.key }
        cmd.reply.arrayHeader(events.count)
        for (name, history) in events {
            let last = history.samples.last ?? LatencySample(time: 0, latency: 0)
            cmd.reply.arrayHeader(4)
            cmd.reply.bulk(name)
            cmd.reply.integer(last.time)
            cmd.reply.integer(last.latency)
            cmd.reply.integer(history.maxLatency)
        }
    }

    /// LATENCY HISTORY event → array of [unix time, ms], oldest first.
    static func latencyHistory(_ cmd: CommandContext) throws(ReplyError) {
        let samples = cmd.engine.latency.events[cmd.args.string(at: 2)]?.samples ?? []
        cmd.reply.arrayHeader(samples.count)
        for sample in samples {
            cmd.reply.arrayHeader(2)
            cmd.reply.integer(sample.time)
            cmd.reply.integer(sample.latency)
        }
    }

    /// LATENCY RESET [event ...] → integer: events cleared.
    static func latencyReset(_ cmd: CommandContext) throws(ReplyError) {
        let names = (2..<cmd.args.count).map { cmd.args.string(at: $0) }
        cmd.reply.integer(cmd.engine.latency.reset(names))
    }

    // MARK: MEMORY

    /// MEMORY HELP → status lines.
    static func memoryHelp(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ])
    }

    /// MEMORY USAGE key [SAMPLES count] → integer bytes, or null for a missing key.
    static func memoryUsage(_ cmd: CommandContext) throws(ReplyError) {
        var index = 3
        var samples = 5  // Redis's default; 0 means every element
        while index < cmd.args.count {
            guard cmd.argument(index, is: "samples"), index + 1 < cmd.args.count else { throw .syntax }
            let given = try cmd.integer(index + 1)
            guard given >= 0 else { throw .syntax }
            samples = Int(clamping: given)
            index += 2
        }
        let db = cmd.db
        guard let index = cmd.args.withBytes(at: 2, { cmd.engine.findLive(db, $0) }) else {
            cmd.reply.null()
            return
        }
        // The table entry and its bucket, the key's heap bytes, and the value's.
        let entry = db.table.entry(index).pointee
        let usage = MemoryLayout<KeyEntry>.stride + 8 + entry.key.heapSize + entry.value.approximateSize(samples: samples)
        cmd.reply.integer(usage)
    }
}

// CONFIG GET | SET | RESETSTAT | REWRITE | HELP. SET validates every pair
// before changing anything and undoes the changes if applying one fails, so a
// multi-pair CONFIG SET is all or nothing, as in Redis 7.0.
import RedstartRESP

enum ConfigFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init(
                "config", arity: -2, group: "server",
                subcommands: [
                    .init("help", arity: 2, flags: [.loading, .stale], group: "server", run: help),
                    .init("get", arity: -3, flags: [.admin, .noScript, .loading, .stale], group: "server", run: get),
                    .init(
                        "set", arity: -4, flags: [.admin, .noScript, .loading, .stale], group: "server", run: set),
                    .init(
                        "resetstat", arity: 2, flags: [.admin, .noScript, .loading, .stale], group: "server",
                        run: resetstat),
                    .init(
                        "rewrite", arity: 2, flags: [.admin, .noScript, .loading, .stale], group: "server",
                        run: rewrite),
                ]),
        ]
    }

    /// CONFIG HELP → status lines.
    static func help(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ])
    }

    /// CONFIG GET pattern [pattern ...] → map of parameter names to values.
    static func get(_ cmd: CommandContext) throws(ReplyError) {
        var seen = Set<String>()
        var pairs: [(String, String)] = []
        for index in 2..<cmd.args.count {
            let pattern = cmd.args.string(at: index)
            let isGlob = pattern.contains { "*?[".contains($0) }
            for (name, value) in cmd.engine.config.matching(pattern) {
                // An exact name is echoed as the client spelled it, as Redis does.
                let shown = isGlob ? name : pattern
                if seen.insert(name).inserted { pairs.append((shown, value)) }
            }
        }
        cmd.reply.mapHeader(pairs.count)
        for (name, value) in pairs {
            cmd.reply.bulk(name)
            cmd.reply.bulk(value)
        }
    }

    /// CONFIG SET parameter value [parameter value ...] → +OK, all pairs or none.
    static func set(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count % 2 == 0 else { throw .syntax }
        let store = cmd.engine.config
        var parameters: [ConfigParameter] = []
        var values: [String] = []
        // First pass: every name must exist and be settable, and appear once.
        var firstProblem: ReplyError?
        for index in stride(from: 2, to: cmd.args.count, by: 2) {
            let name = cmd.args.string(at: index)
            guard let parameter = store.parameter(named: name) else {
                if firstProblem == nil || !(firstProblem!.line.hasPrefix("ERR Unknown")) {
                    // An unknown name wins over every other problem, as in Redis.
                    firstProblem = ReplyError("Unknown option or number of arguments for CONFIG SET - '\(name)'")
                }
                continue
            }
            if firstProblem != nil { continue }
            if parameter.flags.contains(.immutable) {
                firstProblem = failure(name, "can't set immutable config")
            } else if parameter.flags.contains(.protected) && !cmd.engine.protectedConfigAccess.allows(cmd.session) {
                firstProblem = failure(name, "can't set protected config")
            } else if parameters.contains(where: { $0.name == parameter.name }) {
                firstProblem = failure(name, "duplicate parameter")
            }
            parameters.append(parameter)
            values.append(cmd.args.string(at: index + 1))
        }
        // Settings that cannot change while a dataset loads answer -LOADING first, as Redis.
        let persistence = cmd.engine.persistence
        if persistence.loading != nil || persistence.asyncLoading,
            parameters.contains(where: { $0.flags.contains(.denyLoading) })
        {
            throw .loading
        }
        if let firstProblem { throw firstProblem }
        // Second pass: set each value, undoing everything at the first refusal.
        let previous = parameters.map { store[$0.name] }
        var applied = 0
        var failing = 0
        do throws(ConfigError) {
            for (index, (parameter, value)) in zip(parameters, values).enumerated() {
                failing = index
                // Multi-argument values arrive as one string and are split at spaces, as Redis does.
                let arguments =
                    parameter.flags.contains(.multiArgument)
                    ? value.split(separator: " ").map(String.init) : [value]
                let canonical = try store.set(parameter.name, arguments: arguments)
                applied += 1
                try cmd.engine.host?.applyConfig(parameter.name, value: canonical)
            }
        } catch {
            for index in 0..<min(applied + 1, parameters.count) {
                store.restore(parameters[index].name, canonical: previous[index])
                if index < applied { try? cmd.engine.host?.applyConfig(parameters[index].name, value: previous[index]) }
            }
            cmd.engine.applyConfig()
            throw failure(parameters[failing].name, error.message)
        }
        cmd.engine.applyConfig()
        cmd.reply.ok()
    }

    private static func failure(_ name: String, _ reason: String) -> ReplyError {
        ReplyError("CONFIG SET failed (possibly related to argument '\(name)') - \(reason)")
    }

    /// CONFIG RESETSTAT → +OK: clears INFO stats, commandstats, errorstats, SLOWLOG is kept.
    static func resetstat(_ cmd: CommandContext) throws(ReplyError) {
        cmd.engine.resetStats()
        cmd.reply.ok()
    }

    /// CONFIG REWRITE → +OK once the config file holds the current settings.
    static func rewrite(_ cmd: CommandContext) throws(ReplyError) {
        guard let host = cmd.engine.host else { throw ReplyError("The server is running without a config file") }
        try host.rewriteConfig(forceAll: false)
        cmd.reply.ok()
    }
}

extension Engine {
    /// CONFIG RESETSTAT: server stats, command stats, error stats and lazyfreed_objects.
    public func resetStats() {
        stats.reset()
        for spec in table.commands { spec.resetStats() }
        lazyFree.resetFreedCount()
    }
}

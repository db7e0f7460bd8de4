// FUNCTION and FCALL: libraries of Lua functions that live with the dataset
// (FLUSHALL keeps them; FUNCTION DUMP/RESTORE move them, in payloads
// interchangeable with Redis 7.0's), called by name with FCALL / FCALL_RO.
import CLua
import CRedstartLua
import RedstartEngine
import RedstartRESP

enum FunctionFamily {
    static var commands: [CommandSpec] {
        let scriptFlags: CommandFlags = [
            .noScript, .stale, .skipMonitor, .noMandatoryKeys, .movableKeys, .mayReplicate, .runsScript,
        ]
        let acl: ACLCategories = [.slow, .scripting]
        return [
            .init(
                "fcall", arity: -3, flags: scriptFlags, acl: acl, group: "scripting",
                flagsForArguments: { fcallFlags($0, $1, declared: scriptFlags) }, run: fcall),
            .init(
                "fcall_ro", arity: -3, flags: scriptFlags.union(.readonly).subtracting(.mayReplicate), acl: acl,
                group: "scripting", run: fcallRO),
            .init(
                "function", arity: -2, group: "scripting",
                subcommands: [
                    .init("delete", arity: 3, flags: [.write, .noScript], acl: acl, group: "scripting", run: delete),
                    .init("dump", arity: 2, flags: [.noScript], acl: acl, group: "scripting", run: dump),
                    .init("flush", arity: -2, flags: [.write, .noScript], acl: acl, group: "scripting", run: flush),
                    .init("help", arity: 2, flags: [.loading, .stale], acl: acl, group: "scripting", run: help),
                    .init(
                        "kill", arity: 2, flags: [.noScript, .allowBusy], acl: acl, group: "scripting", run: kill),
                    .init("list", arity: -2, flags: [.noScript], acl: acl, group: "scripting", run: list),
                    .init(
                        "load", arity: -3, flags: [.write, .denyOOM, .noScript], acl: acl, group: "scripting",
                        run: load),
                    .init(
                        "restore", arity: -3, flags: [.write, .denyOOM, .noScript], acl: acl, group: "scripting",
                        run: restore),
                    .init(
                        "stats", arity: 2, flags: [.noScript, .allowBusy], acl: acl, group: "scripting", run: stats),
                ]),
        ]
    }

    /// FCALL function numkeys [key ...] [arg ...] → the function's reply.
    static func fcall(_ cmd: CommandContext) throws(ReplyError) {
        try Scripting.of(cmd).fcall(cmd, readOnly: false)
    }

    /// FCALL_RO function numkeys [key ...] [arg ...] → as FCALL, for no-writes functions.
    static func fcallRO(_ cmd: CommandContext) throws(ReplyError) {
        try Scripting.of(cmd).fcall(cmd, readOnly: true)
    }

    /// The flags the gatekeeper judges for an FCALL: the function's (Redis's fcallGetCommandFlags).
    private static func fcallFlags(_ engine: Engine, _ args: CommandArguments, declared: CommandFlags) -> CommandFlags {
        guard args.count > 1, let scripting = Scripting.of(engine),
            let function = scripting.libraries.function(named: args.string(at: 1))
        else { return declared }
        return function.flags.commandFlags(from: declared)
    }

    /// FUNCTION LOAD [REPLACE] code → the library's name.
    static func load(_ cmd: CommandContext) throws(ReplyError) {
        var replace = false
        var index = 2
        while index < cmd.args.count - 1 {
            guard cmd.argument(index, is: "replace") else {
                throw ReplyError("Unknown option given: " + cmd.args.string(at: index))
            }
            replace = true
            index += 1
        }
        guard index < cmd.args.count else { throw ReplyError("Function code is missing") }
        let scripting = Scripting.of(cmd)
        let library = try scripting.loadLibrary(
            cmd.args.bytes(at: index), replace: replace, into: &scripting.libraries, timeLimited: true)
        cmd.engine.stats.dirty += 1
        cmd.reply.bulk(library.name)
    }

    /// FUNCTION DELETE library → +OK.
    static func delete(_ cmd: CommandContext) throws(ReplyError) {
        let scripting = Scripting.of(cmd)
        guard let library = scripting.libraries.library(named: cmd.args.string(at: 2)) else {
            throw ReplyError("Library not found")
        }
        scripting.libraries.unlink(library)
        library.release(in: scripting.functionsEngine.state)
        cmd.engine.stats.dirty += 1
        cmd.reply.ok()
    }

    /// FUNCTION FLUSH [ASYNC|SYNC] → +OK: every library is deleted.
    static func flush(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count <= 3 else { throw cmd.subcommandSyntaxError() }
        if cmd.args.count == 3 && !(cmd.argument(2, is: "sync") || cmd.argument(2, is: "async")) {
            throw ReplyError("FUNCTION FLUSH only supports SYNC|ASYNC option")
        }
        let scripting = Scripting.of(cmd)
        scripting.libraries.removeAll(releasingIn: scripting.functionsEngine.state)
        cmd.engine.stats.dirty += 1
        cmd.reply.ok()
    }

    /// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] → per library: name, engine, functions
    /// (name, description, flags) and, with WITHCODE, its code.
    static func list(_ cmd: CommandContext) throws(ReplyError) {
        var withCode = false
        var pattern: [UInt8]?
        var index = 2
        while index < cmd.args.count {
            if !withCode && cmd.argument(index, is: "withcode") {
                withCode = true
            } else if pattern == nil && cmd.argument(index, is: "libraryname") {
                guard index + 1 < cmd.args.count else { throw ReplyError("library name argument was not given") }
                index += 1
                pattern = cmd.args.bytes(at: index)
            } else {
                throw ReplyError("Unknown argument " + cmd.args.string(at: index))
            }
            index += 1
        }
        let libraries = Scripting.of(cmd).libraries.libraries.filter { library in
            pattern.map { globMatch(pattern: $0, string: Array(library.name.utf8), ignoreCase: true) } ?? true
        }
        cmd.reply.arrayHeader(libraries.count)
        for library in libraries {
            cmd.reply.mapHeader(withCode ? 4 : 3)
            cmd.reply.bulk("library_name")
            cmd.reply.bulk(library.name)
            cmd.reply.bulk("engine")
            cmd.reply.bulk("LUA")
            cmd.reply.bulk("functions")
            cmd.reply.arrayHeader(library.functions.count)
            for function in library.functions {
                cmd.reply.mapHeader(3)
                cmd.reply.bulk("name")
                cmd.reply.bulk(function.name)
                cmd.reply.bulk("description")
                if let description = function.description { cmd.reply.bulk(description) } else { cmd.reply.null() }
                cmd.reply.bulk("flags")
                let names = ScriptFlags.named.filter { function.flags.contains($0.0) }
                cmd.reply.setHeader(names.count)
                for (_, name) in names { cmd.reply.simpleString(name) }
            }
            if withCode {
                cmd.reply.bulk("library_code")
                cmd.reply.bulk(library.code)
            }
        }
    }

    /// FUNCTION DUMP → a payload of every library, for FUNCTION RESTORE.
    static func dump(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.bulk(FunctionPayload.dump(Scripting.of(cmd).libraries.libraries, compressing: cmd.engine.rdbCompression))
    }

    /// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE] → +OK.
    static func restore(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count <= 4 else { throw cmd.subcommandSyntaxError() }
        var policy = FunctionPayload.Policy.append
        if cmd.args.count == 4 {
            if cmd.argument(3, is: "append") {
                policy = .append
            } else if cmd.argument(3, is: "replace") {
                policy = .replace
            } else if cmd.argument(3, is: "flush") {
                policy = .flush
            } else {
                throw ReplyError("Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
            }
        }
        try Scripting.of(cmd).restoreLibraries(cmd.args.bytes(at: 2), policy: policy)
        cmd.engine.stats.dirty += 1
        cmd.reply.ok()
    }

    /// FUNCTION STATS → the running script (name, command, duration) and the engine's counts.
    static func stats(_ cmd: CommandContext) throws(ReplyError) {
        let scripting = Scripting.of(cmd)
        if let run = scripting.run, run.isEval { throw BusyScript(session: run.caller, isEval: true).error }
        cmd.reply.mapHeader(2)
        cmd.reply.bulk("running_script")
        if let run = scripting.run {
            cmd.reply.mapHeader(3)
            cmd.reply.bulk("name")
            cmd.reply.bulk(run.name)
            cmd.reply.bulk("command")
            cmd.reply.arrayHeader(run.arguments.count)
            for index in 0..<run.arguments.count { run.arguments.withBytes(at: index) { cmd.reply.bulk($0) } }
            cmd.reply.bulk("duration_ms")
            cmd.reply.integer((cmd.engine.clock.monotonicMicroseconds - run.start) / 1000)
        } else {
            cmd.reply.null()
        }
        cmd.reply.bulk("engines")
        cmd.reply.mapHeader(1)
        cmd.reply.bulk("LUA")
        cmd.reply.mapHeader(2)
        cmd.reply.bulk("libraries_count")
        cmd.reply.integer(scripting.libraries.count)
        cmd.reply.bulk("functions_count")
        cmd.reply.integer(scripting.libraries.functionCount)
    }

    /// FUNCTION KILL → +OK: the running function stops at its next hook (if it wrote nothing).
    static func kill(_ cmd: CommandContext) throws(ReplyError) {
        try Scripting.of(cmd).kill(eval: false)
        cmd.reply.ok()
    }

    /// FUNCTION HELP → status lines.
    static func help(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ])
    }
}

extension Scripting {
    /// Runs an FCALL-family command.
    func fcall(_ cmd: CommandContext, readOnly: Bool) throws(ReplyError) {
        engine.feedMonitorsBeforeScript(cmd.args, from: cmd.session, spec: cmd.spec)
        guard let function = libraries.function(named: cmd.args.string(at: 1)) else {
            throw ReplyError("Function not found")
        }
        let keyCount = try numberOfKeys(cmd, ofFunction: true)
        try runScript(
            cmd, on: functionsEngine, source: .function(function.name), flags: function.flags,
            readOnly: readOnly, keyCount: keyCount, function: function.reference)
    }
}

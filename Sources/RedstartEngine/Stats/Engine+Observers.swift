// What the dispatcher records after a command for the people watching:
// SLOWLOG entries and the MONITOR feed. Sensitive arguments (passwords) never
// reach either: the spec's redaction rule replaces them with "(redacted)".
import RedstartRESP

extension Engine {
    /// Appends a SLOWLOG entry for a command that took `duration` microseconds.
    func addSlowlogEntry(_ spec: CommandSpec, _ args: CommandArguments, _ session: Session, duration: Int64, start: Int64) {
        let shown = min(args.count, Slowlog.maxArguments)
        let arguments = (0..<shown).map { visibleArgument(spec, args, $0) }
        slowlog.add(
            arguments: arguments, totalArguments: args.count, duration: duration, timestamp: start / 1_000_000,
            clientAddress: session.transport?.remoteAddress ?? "", clientName: session.name ?? "",
            maxLength: slowlogMaxLength)
    }

    /// Sends `args` to every MONITOR session as Redis's monitor line.
    func feedMonitors(_ args: CommandArguments, from session: Session, spec: CommandSpec) {
        let now = clock.wallMicroseconds
        let micros = String(now % 1_000_000)
        var line = "\(now / 1_000_000).\(String(repeating: "0", count: 6 - micros.count))\(micros) ["
        line += "\(session.databaseIndex) "
        if let transport = session.transport {
            line += transport.isUnixSocket ? "unix:" + transport.localAddress : transport.remoteAddress
        } else {
            line += "lua"
        }
        line += "]"
        for index in 0..<args.count {
            line += " " + quotedRepr(visibleArgument(spec, args, index))
        }
        for monitor in monitors {
            monitor.reply.simpleString(line)
            if monitor !== session { monitor.transport?.outputPending() }
        }
    }

    /// Argument `index`, or "(redacted)" when it holds a secret.
    private func visibleArgument(_ spec: CommandSpec, _ args: CommandArguments, _ index: Int) -> [UInt8] {
        isSensitiveArgument(spec, args, index) ? Array("(redacted)".utf8) : args.bytes(at: index)
    }

    /// Passwords in AUTH, HELLO ... AUTH, ACL SETUSER, MIGRATE ... AUTH, and CONFIG SET of
    /// sensitive parameters.
    func isSensitiveArgument(_ spec: CommandSpec, _ args: CommandArguments, _ index: Int) -> Bool {
        switch spec.fullName {
        case "auth":
            return index >= 1
        case "acl|setuser":
            // Everything after the subcommand, the user's name too, refused or not.
            return index >= 2
        case "hello":
            // HELLO [protover [AUTH username password] ...]
            for position in 2..<max(2, args.count) where args.isEqual(at: position, toLowercase: "auth") {
                if index == position + 1 || index == position + 2 { return true }
            }
            return false
        case "migrate":
            return MigrateFamily.sensitiveArguments(args).contains(index)
        case "config|set":
            guard index >= 3, index % 2 == 1 else { return false }
            return config.parameter(named: args.string(at: index - 1))?.flags.contains(.sensitive) ?? false
        default:
            return false
        }
    }
}

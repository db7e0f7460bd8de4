// The command table: every family's specs, indexed by lowercase name. Adding a
// family means adding its `commands` to `families` below; nothing else.
import RedstartRESP

/// A family of commands, declared as one table of specs.
public protocol CommandFamily {
    static var commands: [CommandSpec] { get }
}

/// All commands the engine knows, by name.
public final class CommandTable: @unchecked Sendable {
    /// Top-level commands, in table order.
    public let commands: [CommandSpec]
    private let index: [CommandName: CommandSpec]

    public init(_ commands: [CommandSpec]) {
        self.commands = commands
        var index: [CommandName: CommandSpec] = [:]
        for spec in commands {
            precondition(index[CommandName(spec.name)] == nil, "command \(spec.name) declared twice")
            index[CommandName(spec.name)] = spec
        }
        self.index = index
    }

    /// The table of every built-in family.
    public static func standard() -> CommandTable {
        CommandTable(
            ConnectionFamily.commands + ClientFamily.commands + ServerFamily.commands
                + ConfigFamily.commands + CommandInfoFamily.commands + IntrospectionFamily.commands
                + StringFamily.commands + KeyFamily.commands
        )
    }

    /// The top-level command named `name`.
    public func command(_ name: CommandName) -> CommandSpec? { index[name] }

    /// The command named by text (any case), e.g. `get` or `config|get`.
    public func command(named text: String) -> CommandSpec? {
        let parts = text.lowercased().split(separator: "|", maxSplits: 1)
        guard let first = parts.first, let top = index[CommandName(String(first))] else { return nil }
        if parts.count == 1 { return top }
        return top.subcommand(CommandName(String(parts[1])))
    }

    /// Every command and subcommand, depth first.
    public var allSpecs: [CommandSpec] {
        commands.flatMap { [$0] + $0.subcommands }
    }
}

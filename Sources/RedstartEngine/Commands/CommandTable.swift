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
    /// Open addressing over CommandName.fastHash: (name, spec) slots, a power of two in size.
    private let slots: [(CommandName, CommandSpec)?]
    private let mask: Int

    public init(_ commands: [CommandSpec]) {
        self.commands = commands
        var size = 64
        while size < commands.count * 4 { size <<= 1 }
        var slots = [(CommandName, CommandSpec)?](repeating: nil, count: size)
        for spec in commands {
            let name = CommandName(spec.name)
            var slot = Int(truncatingIfNeeded: name.fastHash) & (size - 1)
            while let (existing, _) = slots[slot] {
                precondition(existing != name, "command \(spec.name) declared twice")
                slot = (slot + 1) & (size - 1)
            }
            slots[slot] = (name, spec)
        }
        self.slots = slots
        self.mask = size - 1
    }

    /// The table of every built-in family, plus `extra` commands (those of the subsystems
    /// above the engine, such as scripting).
    public static func standard(adding extra: [CommandSpec] = []) -> CommandTable {
        CommandTable(
            ConnectionFamily.commands + ClientFamily.commands + ServerFamily.commands
                + ConfigFamily.commands + CommandInfoFamily.commands + IntrospectionFamily.commands
                + StringFamily.commands + BitmapFamily.commands + KeyFamily.commands + ExpireFamily.commands
                + ListFamily.commands + HashFamily.commands + SetFamily.commands + SortedSetFamily.commands
                + DatabaseFamily.commands + ObjectFamily.commands + ClusterFamily.commands
                + TransactionFamily.commands + PubSubFamily.commands + SortFamily.commands + DumpFamily.commands
                + StreamFamily.commands + PersistenceFamily.commands + DebugFamily.commands + ModuleFamily.commands
                + HyperLogLogFamily.commands + GeoFamily.commands + MigrateFamily.commands
                + LolwutFamily.commands + ACLFamily.commands
                + extra
        )
    }

    /// The top-level command named `name`.
    public func command(_ name: CommandName) -> CommandSpec? {
        var slot = Int(truncatingIfNeeded: name.fastHash) & mask
        while let (candidate, spec) = slots[slot] {
            if candidate == name { return spec }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// The command named by text (any case), e.g. `get` or `config|get`.
    public func command(named text: String) -> CommandSpec? {
        let parts = text.lowercased().split(separator: "|", maxSplits: 1)
        guard let first = parts.first, let name = CommandName(text: String(first)), let top = command(name) else { return nil }
        if parts.count == 1 { return top }
        return CommandName(text: String(parts[1])).flatMap(top.subcommand)
    }

    /// Every command and subcommand, depth first.
    public var allSpecs: [CommandSpec] {
        commands.flatMap { [$0] + $0.subcommands }
    }
}

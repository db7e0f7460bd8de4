// The command table: every family's specs, indexed by lowercase name. Adding a
// family means adding its `commands` to `families` below; nothing else.
import RedstartRESP

/// A family of commands, declared as one table of specs.
public protocol CommandFamily {
    static var commands: [CommandSpec] { get }
}

/// All commands the engine knows, by name.
public final class CommandTable: @unchecked Sendable {
    /// Top-level commands a client can call, in table order (every one, unless the config
    /// file's rename-command removed some).
    public let commands: [CommandSpec]
    /// Open addressing over CommandName.fastHash: (name, spec) slots, a power of two in size.
    /// The slots do not retain their specs (a retain and a release per command looked up):
    /// `names` holds them.
    private let slots: [(CommandName, Unmanaged<CommandSpec>)?]
    private let mask: Int
    /// Names longer than a CommandName holds, lowercased: only rename-command makes them
    /// (redis.conf's own example renames CONFIG to a 40-character name).
    private let longNames: [[UInt8]: CommandSpec]
    /// The table rename-command started from, when this one has renames.
    private let renamedFrom: CommandTable?
    /// Every name (lowercase bytes) and the command it calls.
    private let names: [([UInt8], CommandSpec)]

    public convenience init(_ commands: [CommandSpec]) {
        self.init(names: commands.map { (Array($0.name.lowercased().utf8), $0) }, order: commands, renamedFrom: nil)
    }

    /// A table of `names` (lowercase name bytes and the command each calls); `commands`
    /// lists the reachable ones in `order`'s order.
    private init(names: [([UInt8], CommandSpec)], order: [CommandSpec], renamedFrom: CommandTable?) {
        var size = 64
        while size < names.count * 4 { size <<= 1 }
        var slots = [(CommandName, Unmanaged<CommandSpec>)?](repeating: nil, count: size)
        var longNames: [[UInt8]: CommandSpec] = [:]
        for (bytes, spec) in names {
            guard let name = bytes.withUnsafeBytes(CommandName.init(bytes:)) else {
                precondition(longNames.updateValue(spec, forKey: bytes) == nil, "command name declared twice")
                continue
            }
            var slot = Int(truncatingIfNeeded: name.fastHash) & (size - 1)
            while let (existing, _) = slots[slot] {
                precondition(existing != name, "command \(spec.name) declared twice")
                slot = (slot + 1) & (size - 1)
            }
            slots[slot] = (name, .passUnretained(spec))
        }
        self.slots = slots
        self.mask = size - 1
        self.longNames = longNames
        self.renamedFrom = renamedFrom
        self.names = names
        let reachable = Set(names.map { ObjectIdentifier($0.1) })
        self.commands = order.filter { reachable.contains(ObjectIdentifier($0)) }
    }

    /// The table before any rename-command: ACL rules name commands by their own names, and
    /// what the AOF and a primary send (effect forms written with the commands' own names)
    /// is applied whatever the names clients use here.
    public var original: CommandTable { renamedFrom ?? self }

    /// Why a rename-command line was refused (Redis's texts).
    public enum RenameError: Error, Equatable {
        case noSuchCommand
        case targetExists

        public var message: String {
            switch self {
            case .noSuchCommand: return "No such command in rename-command"
            case .targetExists: return "Target command name already exists"
            }
        }
    }

    /// This table with the top-level command called `name` (any case) called `newName`
    /// instead, or with no name at all when `newName` is empty (redis.conf's rename-command).
    /// Names are bytes compared without ASCII case, as Redis's command table (and clients'
    /// lookups here) compare them.
    public func renaming(_ name: [UInt8], to newName: [UInt8]) throws(RenameError) -> CommandTable {
        var names = self.names
        let old = name.withUnsafeBytes(Self.lowercased)
        guard let position = names.firstIndex(where: { $0.0 == old }) else { throw .noSuchCommand }
        let spec = names.remove(at: position).1
        if !newName.isEmpty {
            let new = newName.withUnsafeBytes(Self.lowercased)
            guard !names.contains(where: { $0.0 == new }) else { throw .targetExists }
            names.append((new, spec))
        }
        return CommandTable(names: names, order: original.commands, renamedFrom: original)
    }

    /// `renaming` with names given as text.
    public func renaming(_ name: String, to newName: String) throws(RenameError) -> CommandTable {
        try renaming(Array(name.utf8), to: Array(newName.utf8))
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
        commandReference(name)?.takeUnretainedValue()
    }

    /// The top-level command named `name`, unretained: the table holds its specs for as
    /// long as it lives, and the engine's table lives as long as the engine.
    public func commandReference(_ name: CommandName) -> Unmanaged<CommandSpec>? {
        var slot = Int(truncatingIfNeeded: name.fastHash) & mask
        while let (candidate, spec) = slots[slot] {
            if candidate == name { return spec }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// The top-level command argument `index` of a request names, or nil.
    @inline(__always)
    public func command(_ arguments: CommandArguments, at index: Int) -> CommandSpec? {
        commandReference(arguments, at: index)?.takeUnretainedValue()
    }

    /// The top-level command argument `index` of a request names, unretained, or nil.
    @inline(__always)
    public func commandReference(_ arguments: CommandArguments, at index: Int) -> Unmanaged<CommandSpec>? {
        if let name = CommandName(arguments, at: index) { return commandReference(name) }
        guard !longNames.isEmpty else { return nil }
        return arguments.withBytes(at: index) { longNames[Self.lowercased($0)].map { .passUnretained($0) } }
    }

    /// The command named by text (any case), e.g. `get` or `config|get`.
    public func command(named text: String) -> CommandSpec? {
        let parts = text.split(separator: "|", maxSplits: 1)
        guard let first = parts.first else { return nil }
        let top: CommandSpec?
        if let name = CommandName(text: String(first)) {
            top = command(name)
        } else {
            top = Array(first.utf8).withUnsafeBytes { longNames[Self.lowercased($0)] }
        }
        guard let top else { return nil }
        if parts.count == 1 { return top }
        return CommandName(text: String(parts[1])).flatMap(top.subcommand)
    }

    private static func lowercased(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        bytes.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
    }

    /// Every command and subcommand, depth first.
    public var allSpecs: [CommandSpec] {
        commands.flatMap { [$0] + $0.subcommands }
    }
}

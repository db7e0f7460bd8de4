// One command's declaration: name, arity, flags, key positions, ACL
// categories, group and handler, written as one line in its family's table.
// A container (CONFIG, CLIENT, ...) has no handler; its subcommands do. The
// spec also carries the command's counters for INFO commandstats.
import RedstartRESP

/// Runs one command. Throws a ReplyError to answer with that error.
public typealias CommandHandler = (CommandContext) throws(ReplyError) -> Void

/// Where the keys of a command are, in Redis's (first, last, step) form.
public struct KeyPositions: Sendable, Equatable {
    public var first: Int
    /// Negative counts from the end: -1 is the last argument.
    public var last: Int
    public var step: Int

    public init(first: Int, last: Int, step: Int) {
        self.first = first
        self.last = last
        self.step = step
    }

    /// A command without key arguments.
    public static let none = KeyPositions(first: 0, last: 0, step: 0)
    /// One key, the first argument.
    public static let first = KeyPositions(first: 1, last: 1, step: 1)
    /// Every argument from the first on is a key.
    public static let all = KeyPositions(first: 1, last: -1, step: 1)
}

/// A command (or subcommand) of the command table.
public final class CommandSpec: @unchecked Sendable {
    /// Lowercase name; for a subcommand only its own part (`get` of `config|get`).
    public let name: String
    /// `config|get` for subcommands, `name` otherwise: what errors and COMMAND print.
    @exclusivity(unchecked) public private(set) var fullName: String
    /// Redis arity: positive = exactly, negative = at least; counts the command name.
    public let arity: Int
    public let flags: CommandFlags
    public let keys: KeyPositions
    /// Explicit categories plus the ones implied by the flags.
    public let aclCategories: ACLCategories
    /// The documentation group (`string`, `server`, `connection`, ...).
    public let group: String
    /// Nil for containers, which dispatch to a subcommand.
    public let handler: CommandHandler?
    /// Finds the keys (and their flags) itself, for commands whose key specs cannot say
    /// (flags that depend on options, as SET ... GET): Redis's getkeys_proc.
    let findKeys: (@Sendable (CommandArguments) -> [KeyReference]?)?
    /// The flags a call with these arguments has, when they depend on the arguments (a
    /// script with a shebang declares whether it writes: Redis's getCommandFlags). Used by
    /// CLIENT PAUSE and by MULTI's union of flags.
    public let flagsForArguments: ((Engine, CommandArguments) -> CommandFlags)?
    /// Subcommands by lowercase name, in declaration order.
    @exclusivity(unchecked) public private(set) var subcommands: [CommandSpec] = []
    @exclusivity(unchecked) private var subcommandIndex: [CommandName: CommandSpec] = [:]
    public private(set) weak var parent: CommandSpec?
    /// The command's number in the ACL selectors' command bitmaps (ACLCommandIndex).
    @exclusivity(unchecked) public internal(set) var aclID = 0

    // INFO commandstats counters.
    @exclusivity(unchecked) public var calls = 0
    @exclusivity(unchecked) public var microseconds: Int64 = 0
    @exclusivity(unchecked) public var rejectedCalls = 0
    @exclusivity(unchecked) public var failedCalls = 0
    /// Latencies of the calls (INFO latencystats), when latency-tracking is on.
    @exclusivity(unchecked) public var latency = LatencyHistogram()

    public init(
        _ name: String, arity: Int, flags: CommandFlags = [], keys: KeyPositions = .none,
        acl: ACLCategories = [], group: String,
        findKeys: (@Sendable (CommandArguments) -> [KeyReference]?)? = nil,
        flagsForArguments: ((Engine, CommandArguments) -> CommandFlags)? = nil,
        run handler: CommandHandler? = nil, subcommands: [CommandSpec] = []
    ) {
        self.name = name
        self.fullName = name
        self.arity = arity
        self.flags = flags
        self.keys = keys
        self.aclCategories = ACLCategories.withImplied(acl, flags: flags)
        self.group = group
        self.handler = handler
        self.findKeys = findKeys
        self.flagsForArguments = flagsForArguments
        for sub in subcommands { addSubcommand(sub) }
    }

    private func addSubcommand(_ sub: CommandSpec) {
        sub.parent = self
        sub.fullName = name + "|" + sub.name
        subcommands.append(sub)
        subcommandIndex[CommandName(sub.name)] = sub
    }

    /// True for a container command (one that has subcommands).
    public var isContainer: Bool { !subcommands.isEmpty }

    /// The subcommand named by `name`, if any.
    public func subcommand(_ name: CommandName) -> CommandSpec? { subcommandIndex[name] }

    /// The flags of a call with `args` (the declared ones unless they depend on the arguments).
    @inline(__always)
    public func flags(for args: CommandArguments, in engine: Engine) -> CommandFlags {
        flagsForArguments?(engine, args) ?? flags
    }

    /// Whether `count` arguments satisfy the arity.
    public func accepts(argumentCount count: Int) -> Bool {
        arity > 0 ? count == arity : count >= -arity
    }

    /// Clears the commandstats counters (CONFIG RESETSTAT).
    public func resetStats() {
        calls = 0
        microseconds = 0
        rejectedCalls = 0
        failedCalls = 0
        latency.reset()
        for sub in subcommands { sub.resetStats() }
    }
}

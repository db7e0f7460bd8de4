// A session's MULTI state: the commands queued for EXEC, and whether one of
// them could not be queued (then EXEC answers EXECABORT and runs nothing).
// Queued arguments are copied out of the connection's input buffer, since they
// outlive the read they arrived in.
import RedstartRESP

/// A command waiting for EXEC.
struct QueuedCommand {
    let spec: CommandSpec
    let args: CommandArguments
}

/// What MULTI started and EXEC or DISCARD ends.
struct Transaction {
    private(set) var commands: [QueuedCommand] = []
    /// A command was refused while queueing (Redis's CLIENT_DIRTY_EXEC).
    var hasQueueingError = false
    /// The union of the queued commands' flags: EXEC counts as a write (CLIENT PAUSE WRITE) when any is.
    private(set) var flags: CommandFlags = []
    /// Bytes of the queued arguments (CLIENT LIST `multi-mem`).
    private(set) var argumentBytes = 0
    /// Of the flags EXEC has only when every queued command has them (`loading`, `stale`:
    /// Redis's cmd_inv_flags), those some queued command lacks.
    private(set) var flagsLackedBySome: CommandFlags = []
    static let flagsNeededByEvery: CommandFlags = [.loading, .stale]

    /// Every queued command may run while the dataset loads (flag `loading`).
    var allAllowedWhileLoading: Bool { !flagsLackedBySome.contains(.loading) }

    /// Queues a copy of `args`; `flags` are the call's flags (`spec.flags(for:in:)`).
    mutating func append(_ spec: CommandSpec, _ args: CommandArguments, flags callFlags: CommandFlags) {
        let owned = args.owned()
        commands.append(QueuedCommand(spec: spec, args: owned))
        flags.formUnion(callFlags)
        flagsLackedBySome.formUnion(Self.flagsNeededByEvery.subtracting(callFlags))
        argumentBytes += owned.byteCount + 8 * owned.count
    }

    /// Bytes this transaction holds, estimated as Redis's multiStateMemOverhead does.
    var memory: Int { argumentBytes + commands.capacity * MemoryLayout<QueuedCommand>.stride }
}

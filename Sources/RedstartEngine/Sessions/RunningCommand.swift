// The top-level command the engine is running, as the few places that look at it
// from elsewhere see it (client tracking of a script's keys, CLIENT LIST's
// argv-mem, a blocked command's arguments, errors propagated from a script).
import RedstartRESP

/// The command `Engine.runAdmitted` is running, borrowed from that call: set and cleared
/// for every command, so it holds its spec and arguments without retaining them (a copy
/// of a spec and its arguments was three retains and three releases per command). Valid
/// while that call runs, paused scripts included (their frames stay on the fiber's stack).
struct RunningCommand {
    private let specReference: Unmanaged<CommandSpec>
    private let argumentsAddress: UnsafePointer<CommandArguments>

    init(spec: CommandSpec, args: UnsafePointer<CommandArguments>) {
        specReference = .passUnretained(spec)
        argumentsAddress = args
    }

    var spec: CommandSpec { specReference.takeUnretainedValue() }
    var args: CommandArguments { argumentsAddress.pointee }
}

// The seam between the engine and the scripting subsystem (the RedstartScripting
// module: Lua, EVAL, FUNCTION). The module registers its command families in the
// table and itself as `engine.scripting`; the engine asks it only to run script
// commands where they can pause, and for INFO figures. While a paused script
// holds the server, `busyScript` says so and the gatekeeper answers -BUSY to
// every command not flagged allow-busy.
import RedstartRESP

/// What the engine asks of the scripting subsystem.
public protocol ScriptingSubsystem: AnyObject {
    /// Runs `command` (one that runs a script, or an EXEC that holds one) with
    /// `Engine.run(_:)`, so that a script running past busy-reply-threshold can pause and
    /// let the server answer others. Returns true when the command finished; false when it
    /// paused: it then finishes later on the same thread, and the subsystem resumes the
    /// session (`Engine.finishPausedCommand`).
    func runPausable(_ command: consuming AdmittedCommand) -> Bool
    /// The scripting lines of INFO memory.
    var memoryInfo: ScriptingMemoryInfo { get }
    /// The code of every function library, in order (RDB files carry them).
    var functionLibraryCodes: [[UInt8]] { get }
    /// Loads a function library read from an RDB file (replacing one of the same name when
    /// `replace`); throws Redis's error.
    func loadFunctionLibrary(_ code: [UInt8], replace: Bool) throws(ReplyError)
    /// Removes every function library (before a load replaces the dataset).
    func removeAllFunctions()
}

/// A command the gatekeeper let through, to run with `Engine.run(_:)`.
public struct AdmittedCommand {
    let spec: CommandSpec
    let args: CommandArguments
    let session: Session
    /// Where the command's reply starts in the session's buffer (CLIENT REPLY).
    let replyMark: Int
}

/// INFO memory's scripting figures (bytes, except the counts).
public struct ScriptingMemoryInfo: Sendable {
    /// The EVAL Lua state's heap (`used_memory_lua`, `used_memory_vm_eval`).
    public var evalEngine = 0
    /// The cached EVAL scripts (`used_memory_scripts_eval`).
    public var evalScripts = 0
    public var cachedScripts = 0
    /// The functions Lua state's heap (`used_memory_vm_functions`).
    public var functionsEngine = 0
    /// The libraries' bookkeeping (`used_memory_functions`).
    public var functions = 0
    public var functionCount = 0
    public var libraryCount = 0

    public init() {}
}

/// A script that ran past busy-reply-threshold and paused: until it ends, other clients
/// get -BUSY.
public struct BusyScript {
    /// The client whose command runs the script.
    public let session: Session
    /// EVAL (SCRIPT KILL stops it) rather than FCALL (FUNCTION KILL does).
    public let isEval: Bool

    public init(session: Session, isEval: Bool) {
        self.session = session
        self.isEval = isEval
    }

    /// The refusal other commands get, naming the command that can kill the script.
    public var error: ReplyError {
        ReplyError(
            code: "BUSY",
            "Redis is busy running a script. You can only call \(isEval ? "SCRIPT" : "FUNCTION") KILL or SHUTDOWN NOSAVE.")
    }
}

/// What a running script allows the commands it calls (Redis's scriptRunCtx flags).
public struct ScriptCallPermissions {
    /// EVAL_RO, FCALL_RO, or a script declaring no-writes: write commands are refused.
    public var isReadOnly: Bool
    /// The script has called a write command (then SCRIPT KILL refuses, -UNKILLABLE).
    public var hasWritten = false
    /// Where its writes propagate (redis.set_repl).
    public var propagation: PropagationTargets = .all
    /// The script declared allow-oom: its writes run even when memory was over maxmemory.
    public var allowsOOM = false

    public init(isReadOnly: Bool) {
        self.isReadOnly = isReadOnly
    }
}

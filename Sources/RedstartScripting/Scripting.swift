// The scripting subsystem: Redis 7.0's EVAL scripts and functions over two Lua
// states, the script cache, the function libraries, the client scripts run
// their commands in, and the run in progress. The server creates it after the
// engine (its commands are in the engine's table from the start: `commands`)
// and installs it as `engine.scripting`. Everything here runs on the engine's
// thread; a script that runs long runs on a fiber so that it can pause
// (Scripting+Pausing.swift).
import CLua
import CRedstartLua
import NIOCore
import RedstartEngine
import RedstartRESP

/// The script being run (Redis's scriptRunCtx). One object serves every run (scripts
/// never nest), set up by `begin`. It holds the command's caller, spec and arguments
/// without retaining them: they belong to the command running the script, whose frame
/// outlives the run (paused runs included: their frames stay on the fiber's stack), and
/// retaining and releasing them was eight atomic operations a script.
final class ScriptRun {
    /// The caller, for redis.call's hot path too (no retain per call).
    @exclusivity(unchecked) private(set) var callerReference: Unmanaged<Session>?
    @exclusivity(unchecked) private var specReference: Unmanaged<CommandSpec>?
    @exclusivity(unchecked) private var argumentsAddress: UnsafePointer<CommandArguments>?
    /// The EVAL script or the function running.
    @exclusivity(unchecked) private var source: ScriptSource?
    /// The SHA1 of an EVAL script, or the function's name (errors and logs show it).
    var name: String { source?.name ?? "" }
    /// An EVAL script (SCRIPT KILL stops it) rather than a function (FUNCTION KILL does).
    var isEval: Bool { source?.isEval ?? true }
    @exclusivity(unchecked) var permissions = ScriptCallPermissions(isReadOnly: false)
    /// The RESP version the script's commands reply in (redis.setresp).
    @exclusivity(unchecked) var protocolVersion: RESPVersion = .resp2
    /// Monotonic start, microseconds.
    @exclusivity(unchecked) private(set) var start: Int64 = 0
    /// Ran past busy-reply-threshold: other clients get -BUSY until it ends.
    @exclusivity(unchecked) var isTimedOut = false
    /// When it last went on after a pause (monotonic microseconds).
    @exclusivity(unchecked) var lastResumed: Int64 = 0
    /// SCRIPT KILL / FUNCTION KILL asked for it to stop.
    @exclusivity(unchecked) var isKilled = false

    /// The client whose command runs the script.
    var caller: Session! { callerReference?.takeUnretainedValue() }
    /// The command that runs it (EVAL, FCALL, ...).
    var spec: CommandSpec! { specReference?.takeUnretainedValue() }
    /// That command's arguments.
    var arguments: CommandArguments { argumentsAddress?.pointee ?? ScriptRun.noArguments }

    /// Sets the run up for a new script; `arguments` must stay valid until `end`.
    func begin(
        caller: Session, spec: CommandSpec, arguments: UnsafePointer<CommandArguments>, source: ScriptSource,
        permissions: ScriptCallPermissions, start: Int64
    ) {
        callerReference = .passUnretained(caller)
        specReference = .passUnretained(spec)
        argumentsAddress = arguments
        self.source = source
        self.permissions = permissions
        self.start = start
        protocolVersion = .resp2
        isTimedOut = false
        lastResumed = 0
        isKilled = false
    }

    /// Lets go of what the run borrowed.
    func end() {
        callerReference = nil
        specReference = nil
        argumentsAddress = nil
        source = nil
    }

    private static let noArguments = CommandArguments([])
}

/// What a run runs. An EVAL script is not retained (a retain and a release of it and of its
/// SHA1 per script): only SCRIPT FLUSH removes one, and it is refused to scripts and, while
/// one is paused, to everyone (-BUSY). A function is named by its name: a full
/// synchronization from a primary may replace the libraries while one is paused.
enum ScriptSource {
    case eval(Unmanaged<CachedScript>)
    case function(String)

    /// The EVAL script's SHA1, or the function's name.
    var name: String {
        switch self {
        case .eval(let script): script.takeUnretainedValue().sha
        case .function(let name): name
        }
    }

    var isEval: Bool {
        if case .eval = self { return true }
        return false
    }
}

/// Redis 7.0's scripting for one engine.
public final class Scripting: ScriptingSubsystem {
    unowned(unsafe) let engine: Engine
    /// `engine` for redis.call's hot path: borrowed, no retain per call.
    let engineReference: Unmanaged<Engine>
    /// Runs work on the engine's thread soon (a paused script goes on from there); nil when
    /// nothing can be scheduled, and then scripts never pause.
    let schedule: ((@escaping () -> Void) -> Void)?

    @exclusivity(unchecked) var evalEngine: LuaEngine
    let functionsEngine: LuaEngine
    /// EVAL scripts by SHA1.
    @exclusivity(unchecked) var scripts: [ScriptDigest: CachedScript] = [:]
    /// Bytes of the cached scripts' bodies.
    @exclusivity(unchecked) var scriptBytes = 0
    @exclusivity(unchecked) var libraries = FunctionLibraries()
    /// The client scripts run their commands in (Redis's Lua client).
    let scriptSession: Session
    /// The script running now, if any (always `runState` then).
    var run: ScriptRun? { isRunning ? runState : nil }
    let runState = ScriptRun()
    /// A script is running (`runState` describes it); a flag, not an optional reference to
    /// `runState`, which would be a retain and a release per script.
    @exclusivity(unchecked) var isRunning = false
    /// The last script EVALSHA named and its SHA as given: job queues call a few scripts
    /// over and over, and comparing 40 bytes is cheaper than parsing and hashing them. The
    /// script is not retained: `scripts` holds it, and SCRIPT FLUSH forgets both together.
    @exclusivity(unchecked) var lastSHA: SHAText?
    @exclusivity(unchecked) var lastSHAScript: Unmanaged<CachedScript>?
    /// The library whose code is running in FUNCTION LOAD, if any.
    @exclusivity(unchecked) var loadingLibrary: LibraryLoad?
    /// math.random's rand48 state, shared by both Lua states as Redis's one generator.
    let randomState: UnsafeMutablePointer<UInt64>

    // The arguments of the command a script is calling, reused from call to call.
    @exclusivity(unchecked) var callBuffer = ByteBufferAllocator().buffer(capacity: 256)
    @exclusivity(unchecked) var callSpans: [ArgumentSpan] = []
    @exclusivity(unchecked) var callStrings = LuaArgumentScratch()
    /// The command a script called last, by its name as written (Scripting+Calls.swift).
    @exclusivity(unchecked) var lastCalledCommand: (name: CalledCommandName, spec: Unmanaged<CommandSpec>)?

    // Pausing (Scripting+Pausing.swift).
    let fiber: OpaquePointer?
    /// The command handed to the fiber: initialized by `runPausable` until the fiber's entry
    /// moves it out.
    let pausedCommand = UnsafeMutablePointer<AdmittedCommand>.allocate(capacity: 1)

    /// The scripting of `engine`; `schedule` runs work on the engine's thread soon.
    public init(engine: Engine, schedule: ((@escaping () -> Void) -> Void)?) {
        self.engine = engine
        engineReference = Unmanaged.passUnretained(engine)
        self.schedule = schedule
        randomState = .allocate(capacity: 1)
        randomState.initialize(to: redstart_rand48_initial())
        evalEngine = LuaEngine(kind: .eval, randomState: randomState)
        functionsEngine = LuaEngine(kind: .functions, randomState: randomState)
        scriptSession = Session(id: 0, now: engine.clock.wallMilliseconds, transport: nil)
        scriptSession.isScriptClient = true
        scriptSession.isAuthenticated = true
        fiber = schedule == nil ? nil : redstart_fiber_create(16 << 20)
        evalEngine.scripting = self
        functionsEngine.scripting = self
    }

    deinit {
        redstart_fiber_destroy(fiber)
        pausedCommand.deallocate()
        callStrings.deallocate()
        randomState.deallocate()
    }

    /// The commands of the subsystem, for the engine's command table.
    public static var commands: [CommandSpec] { EvalFamily.commands + FunctionFamily.commands }

    /// The subsystem of the engine running `cmd` (its commands exist only with it).
    static func of(_ cmd: CommandContext) -> Scripting {
        unsafeDowncast(cmd.engine.scripting! as AnyObject, to: Scripting.self)
    }

    /// The subsystem of `engine`, if it has this one.
    static func of(_ engine: Engine) -> Scripting? {
        engine.scripting as? Scripting
    }

    public var memoryInfo: ScriptingMemoryInfo {
        var info = ScriptingMemoryInfo()
        info.evalEngine = evalEngine.memory
        info.cachedScripts = scripts.count
        // Each script: its body, its 40-byte name and the cache entry, as Redis counts them.
        info.evalScripts = scriptBytes + scripts.count * (40 + 64)
        info.functionsEngine = functionsEngine.memory
        info.functions = libraries.memory
        info.functionCount = libraries.functionCount
        info.libraryCount = libraries.count
        return info
    }

    // MARK: - Lua's requests

    /// Handles what a Lua state asks (the C dispatch function); see redstart_lua_operation.
    func handle(_ operation: Int32, from lua: LuaEngine, state L: LuaState) -> Int32 {
        switch UInt32(operation) {
        case REDSTART_OP_CALL.rawValue: return redisCall(L, raising: true)
        case REDSTART_OP_PCALL.rawValue: return redisCall(L, raising: false)
        case REDSTART_OP_HOOK.rawValue: return hookFired(L, lua)
        case REDSTART_OP_IS_RUNNING.rawValue: return run != nil ? 1 : 0
        case REDSTART_OP_LOG.rawValue:
            if let level = LogLevel(rawValue: Int(lua_tointeger(L, 1))), let message = Lua.text(L, 2) {
                engine.log(level, String(decoding: message, as: UTF8.self))
            }
            return 0
        case REDSTART_OP_SETRESP.rawValue:
            let version: RESPVersion = lua_tointeger(L, 1) == 3 ? .resp3 : .resp2
            run?.protocolVersion = version
            scriptSession.protocolVersion = version
            return 0
        case REDSTART_OP_SETREPL.rawValue:
            run?.permissions.propagation = PropagationTargets(rawValue: UInt8(truncatingIfNeeded: lua_tointeger(L, 1)))
            return 0
        case REDSTART_OP_ACL_CHECK.rawValue: return aclCheck(L)
        case REDSTART_OP_REGISTER_FUNCTION.rawValue: return registerFunction(L)
        default: return 0
        }
    }
}

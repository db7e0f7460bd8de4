// One Lua state with Redis's sandbox: the EVAL state (reset by SCRIPT FLUSH) or
// the functions state (one for the server's life, holding every library's
// functions). Calls from Lua into the server arrive here through the C
// dispatch function and go on to the Scripting subsystem that owns the state.
import CLua
import CRedstartLua
import RedstartEngine

final class LuaEngine {
    enum Kind { case eval, functions }

    let kind: Kind
    /// The state; valid for the engine's life.
    @exclusivity(unchecked) private(set) var state: LuaState!
    /// Who handles what Lua asks (set right after creation, before any script runs).
    @exclusivity(unchecked) unowned(unsafe) var scripting: Scripting!
    /// Script runs since the last incremental GC step.
    @exclusivity(unchecked) var runsSinceCollection = 0

    init(kind: Kind, randomState: UnsafeMutablePointer<UInt64>) {
        LuaEngine.installDispatch
        self.kind = kind
        let owner = Unmanaged.passUnretained(self).toOpaque()
        let version = Engine.redisVersion
        let parts = version.split(separator: ".").compactMap { Int32($0) }
        let number = parts.count == 3 ? parts[0] << 16 | parts[1] << 8 | parts[2] : 0
        state = redstart_lua_sandbox_create(
            kind == .eval ? Int32(REDSTART_LUA_EVAL.rawValue) : Int32(REDSTART_LUA_FUNCTIONS.rawValue), owner,
            randomState, version, number)
        precondition(state != nil, "Lua could not allocate its state")
    }

    deinit {
        lua_close(state)
    }

    /// Bytes of the Lua heap (INFO used_memory_lua and friends).
    var memory: Int {
        Int(lua_gc(state, LUA_GCCOUNT, 0)) * 1024 + Int(lua_gc(state, LUA_GCCOUNTB, 0))
    }

    /// Runs a small step of the collector every 50 script runs, as Redis does, instead of
    /// letting Lua run a whole cycle in the middle of some script.
    func collectGarbageIncrementally() {
        runsSinceCollection += 1
        if runsSinceCollection == 50 {
            runsSinceCollection = 0
            lua_gc(state, LUA_GCSTEP, 50)
        }
    }

    /// Installs the C-to-Swift dispatch function once per process.
    private static let installDispatch: Void = {
        // The engine and its subsystem outlive every call from Lua: no retains on this path.
        redstart_lua_set_dispatch { owner, L, operation in
            Unmanaged<LuaEngine>.fromOpaque(owner!)._withUnsafeGuaranteedRef { engine in
                Unmanaged.passUnretained(engine.scripting)._withUnsafeGuaranteedRef { scripting in
                    scripting.handle(operation, from: engine, state: L!)
                }
            }
        }
    }()
}

// The function libraries: each library keeps the code it was loaded from (what
// FUNCTION DUMP and RDB files carry, and later the AOF) and the functions its code
// registered, each a registry reference into the functions Lua state. Libraries
// are found by exact name, functions by name in any case, as in Redis. Order is
// load order (Redis's is its dictionary's, which clients must not rely on).
import CLua

/// A function a library registered.
final class ScriptFunction {
    let name: String
    let description: [UInt8]?
    let flags: ScriptFlags
    /// Registry reference to the callback in the functions state.
    let reference: Int32
    unowned let library: FunctionLibrary

    init(name: String, description: [UInt8]?, flags: ScriptFlags, reference: Int32, library: FunctionLibrary) {
        self.name = name
        self.description = description
        self.flags = flags
        self.reference = reference
        self.library = library
    }
}

/// A loaded library.
final class FunctionLibrary {
    let name: String
    /// The whole code FUNCTION LOAD was given, metadata line included.
    let code: [UInt8]
    /// Its functions in registration order.
    private(set) var functions: [ScriptFunction] = []

    init(name: String, code: [UInt8]) {
        self.name = name
        self.code = code
    }

    func function(named name: String) -> ScriptFunction? {
        functions.first { $0.name == name }
    }

    func add(_ function: ScriptFunction) { functions.append(function) }

    /// Releases the functions' callbacks in `L` (the library is being dropped).
    func release(in L: LuaState) {
        for function in functions { luaL_unref(L, LUA_REGISTRYINDEX, function.reference) }
    }

    /// Bytes it holds, as Redis estimates a library and its functions.
    var memory: Int {
        code.count + name.utf8.count + 64
            + functions.reduce(0) { $0 + $1.name.utf8.count + ($1.description?.count ?? 0) + 96 }
    }
}

/// Every library and the functions they registered.
struct FunctionLibraries {
    private(set) var libraries: [FunctionLibrary] = []
    /// Functions by lowercased name.
    private var functions: [String: ScriptFunction] = [:]

    var count: Int { libraries.count }
    var functionCount: Int { functions.count }
    var memory: Int { libraries.reduce(0) { $0 + $1.memory } }

    func library(named name: String) -> FunctionLibrary? {
        libraries.first { $0.name == name }
    }

    /// The function called `name` in any case.
    func function(named name: String) -> ScriptFunction? {
        functions[name.lowercased()]
    }

    /// The first function of `library` whose name another library already uses.
    func collision(with library: FunctionLibrary) -> ScriptFunction? {
        library.functions.first { functions[$0.name.lowercased()] != nil }
    }

    mutating func link(_ library: FunctionLibrary) {
        libraries.append(library)
        for function in library.functions { functions[function.name.lowercased()] = function }
    }

    mutating func unlink(_ library: FunctionLibrary) {
        libraries.removeAll { $0 === library }
        for function in library.functions { functions.removeValue(forKey: function.name.lowercased()) }
    }

    /// Drops every library, releasing their callbacks in `L`.
    mutating func removeAll(releasingIn L: LuaState) {
        for library in libraries { library.release(in: L) }
        libraries.removeAll()
        functions.removeAll()
    }
}

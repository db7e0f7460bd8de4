// FUNCTION DUMP / RESTORE payloads, in Redis 7.0's format: for each library the
// RDB_OPCODE_FUNCTION2 byte (245) and its code as an RDB string, then the RDB
// version and a CRC-64. Restore also reads the 7.0 release candidates' form
// (opcode 246: name, engine, optional description, code). RDB files carry
// libraries the same way, through `functionLibraryCodes` and
// `loadFunctionLibrary` (the ScriptingSubsystem seam).
import RedstartEngine
import RedstartRESP

enum FunctionPayload {
    static let functionOpcode: UInt8 = 245
    static let oldFunctionOpcode: UInt8 = 246

    /// What FUNCTION RESTORE does with the libraries already loaded.
    enum Policy { case append, replace, flush }

    /// The payload of `libraries`.
    static func dump(_ libraries: [FunctionLibrary], compressing: Bool) -> [UInt8] {
        var body: [UInt8] = []
        for library in libraries {
            body.append(functionOpcode)
            library.code.withUnsafeBytes { RDBValueCodec.writeString($0, compressing: compressing, into: &body) }
        }
        return DumpPayload.seal(body)
    }

    /// The library codes in `payload`, or Redis's error text.
    static func codes(in payload: [UInt8]) throws(ReplyError) -> [[UInt8]] {
        try payload.withUnsafeBytes { raw in Result { () throws(ReplyError) in try codes(inPayload: raw) } }.get()
    }

    private static func codes(inPayload raw: UnsafeRawBufferPointer) throws(ReplyError) -> [[UInt8]] {
            guard let body = DumpPayload.body(of: raw) else {
                throw ReplyError("DUMP payload version or checksum are wrong")
            }
            var reader = RDBReader(body)
            var codes: [[UInt8]] = []
            while reader.remaining > 0 {
                guard let type = reader.byte() else { throw ReplyError("can not read data type") }
                switch type {
                case functionOpcode:
                    guard let code = reader.string() else { throw ReplyError("Failed loading library payload") }
                    codes.append(code)
                case oldFunctionOpcode:
                    guard let name = reader.string() else { throw ReplyError("Failed loading library name") }
                    guard let engine = reader.string() else { throw ReplyError("Failed loading engine name") }
                    guard let hasDescription = reader.count() else {
                        throw ReplyError("Failed loading library description indicator")
                    }
                    if hasDescription != 0 && reader.string() == nil {
                        throw ReplyError("Failed loading library description")
                    }
                    guard let code = reader.string() else { throw ReplyError("Failed loading library blob") }
                    codes.append(Array("#!".utf8) + engine + Array(" name=".utf8) + name + [10] + code)
                default:
                    throw ReplyError("given type is not a function")
                }
            }
            return codes
    }
}

extension Scripting {
    /// The code of every library, in order (what an RDB or AOF rewrite saves).
    public var functionLibraryCodes: [[UInt8]] { libraries.libraries.map(\.code) }

    public func loadFunctionLibrary(_ code: [UInt8], replace: Bool) throws(ReplyError) {
        _ = try loadLibrary(code, replace: replace, into: &libraries, timeLimited: false)
    }

    public func removeAllFunctions() {
        libraries.removeAll(releasingIn: functionsEngine.state)
    }

    /// Loads the libraries of a FUNCTION DUMP payload (Redis's functionRestoreCommand): all
    /// of them or none, throwing Redis's error.
    func restoreLibraries(_ payload: [UInt8], policy: FunctionPayload.Policy) throws(ReplyError) {
        let codes = try FunctionPayload.codes(in: payload)
        let L = functionsEngine.state!
        var restored = FunctionLibraries()
        do throws(ReplyError) {
            for code in codes { _ = try loadLibrary(code, replace: false, into: &restored, timeLimited: false) }
        } catch {
            restored.removeAll(releasingIn: L)
            throw error
        }
        switch policy {
        case .flush:
            libraries.removeAll(releasingIn: L)
            for library in restored.libraries { libraries.link(library) }
        case .append, .replace:
            var replaced: [FunctionLibrary] = []
            for library in restored.libraries {
                guard let old = libraries.library(named: library.name) else { continue }
                guard policy == .replace else {
                    for old in replaced { libraries.link(old) }
                    restored.removeAll(releasingIn: L)
                    throw ReplyError("Library \(library.name) already exists")
                }
                libraries.unlink(old)
                replaced.append(old)
            }
            if let taken = restored.libraries.lazy.compactMap({ self.libraries.collision(with: $0) }).first {
                for old in replaced { libraries.link(old) }
                restored.removeAll(releasingIn: L)
                throw ReplyError("Function \(taken.name) already exists")
            }
            for library in restored.libraries { libraries.link(library) }
            for old in replaced { old.release(in: L) }
        }
    }
}

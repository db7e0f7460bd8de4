// What a client blocked on keys waits for: the keys (in its database), the
// operation to perform on the first key that gets data, and its deadline. The
// database keeps, per key, the requests waiting on it in the order they came
// (fairness); the session points at its request while it is blocked.
import DequeModule
import RedstartRESP

/// A blocked BLPOP/BRPOP/BLMOVE/BRPOPLPUSH/BLMPOP/BZPOPMIN/BZPOPMAX/BZMPOP/XREAD/XREADGROUP.
final class BlockedRequest {
    enum Operation {
        /// BLPOP/BRPOP: replies [key, element].
        case pop(fromFront: Bool)
        /// BLMPOP: replies [key, [elements]], at most `count`.
        case popMany(fromFront: Bool, count: Int)
        /// BLMOVE/BRPOPLPUSH: pops from the key, pushes to `destination`, replies the element.
        case move(fromFront: Bool, toFront: Bool, destination: ByteString, isRPopLPush: Bool)
        /// BZPOPMIN/BZPOPMAX: replies [key, member, score].
        case zpop(max: Bool)
        /// BZMPOP: replies [key, [[member, score], ...]], at most `count`.
        case zpopMany(max: Bool, count: Int)
        /// XREAD/XREADGROUP: replies the entries after the IDs (or the group's last ID).
        case streamRead(StreamReadRequest)

        /// Whether a key holding `value` can serve this pop or move (others keep waiting).
        /// Stream readers are served by their own rules (Engine+StreamBlocking.swift).
        func accepts(_ value: Value) -> Bool {
            switch self {
            case .pop, .popMany, .move: return value.list != nil
            case .zpop, .zpopMany: return value.sortedSet != nil
            case .streamRead: return false
            }
        }

        /// The stream read this request waits to do, if it is one.
        var streamRead: StreamReadRequest? {
            if case .streamRead(let request) = self { return request }
            return nil
        }
    }

    unowned let session: Session
    let database: Database
    /// The keys, each once, in the order given.
    let keys: [ByteString]
    let hashes: [UInt64]
    let operation: Operation
    /// Unix milliseconds when it times out; 0 = never.
    let deadline: Int64
    /// The command that blocked (for commandstats when it is served) and its arguments (for
    /// SLOWLOG, which logs it as called).
    let spec: CommandSpec
    let arguments: CommandArguments?
    /// How long the command ran before it blocked, in microseconds (counted again when served).
    let initialMicros: Int64
    /// Still waiting (the deadline heap skips requests that are not).
    var isWaiting = true

    init(
        session: Session, database: Database, keys: [ByteString], operation: Operation, deadline: Int64,
        spec: CommandSpec, arguments: CommandArguments?, initialMicros: Int64
    ) {
        self.session = session
        self.database = database
        self.keys = keys
        self.hashes = keys.map { $0.withUnsafeBytes { KeyHash.hash($0) } }
        self.operation = operation
        self.deadline = deadline
        self.spec = spec
        self.arguments = arguments
        self.initialMicros = initialMicros
    }

    /// Whether this request waits on `key` (with hash `hash`).
    func waits(on key: UnsafeRawBufferPointer, hash: UInt64) -> Bool {
        for index in keys.indices where hashes[index] == hash && keys[index].equals(key) { return true }
        return false
    }
}

/// A key that got data while clients wait on it; served after the running command.
struct ReadyKey {
    let database: Database
    let key: ByteString
    let hash: UInt64
}

/// What a blocked XREAD or XREADGROUP reads when its keys get entries.
final class StreamReadRequest {
    /// For XREAD, per key (in the request's key order): entries after this ID are served.
    let ids: [StreamID]
    /// Entries at most (XREAD's default when blocking is 1000).
    let count: Int
    /// XREADGROUP's group and consumer names (nil for XREAD).
    let group: ByteString?
    let consumer: ByteString?
    let noAck: Bool

    init(ids: [StreamID], count: Int, group: ByteString?, consumer: ByteString?, noAck: Bool) {
        self.ids = ids
        self.count = count
        self.group = group
        self.consumer = consumer
        self.noAck = noAck
    }
}

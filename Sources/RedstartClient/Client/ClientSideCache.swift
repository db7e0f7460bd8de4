// Client-side caching with server-assisted invalidation (CLIENT TRACKING, default
// mode, RESP3). Each multiplexed connection turns tracking on; the server then
// remembers the keys that connection read and pushes `invalidate` when one of them
// changes, expires or is evicted (or `invalidate` with null on FLUSHALL/FLUSHDB).
//
// Replies of read-only single-key commands are kept, keyed by the command's exact
// bytes. The hazard is a reply that was already stale when stored: the reply to
// GET k is received, then an invalidation of k is handled, then the task resumes
// and stores the old value. So every lookup that misses takes a ticket (the number
// of invalidations seen so far) before sending, and the reply is stored only if no
// invalidation of its key (or of everything) was seen since; a short ring of recent
// invalidations answers that, and a ticket older than the ring never stores. A lost
// connection has missed invalidations, so it empties the cache and counts as an
// invalidation of everything.
import NIOConcurrencyHelpers
import NIOCore
import RedstartRESP

extension RedstartClient {
    /// Client-side caching settings (`Configuration.clientSideCache`).
    public struct ClientSideCacheConfiguration: Sendable {
        /// Replies kept at most; a random one is dropped to make room.
        public var maximumEntries = 10_000
        /// Replies larger than this (their element count or byte length) are not kept.
        public var maximumReplySize = 64 * 1024

        public init(maximumEntries: Int = 10_000) {
            self.maximumEntries = maximumEntries
        }
    }

    /// What the cache has done since the client started.
    public struct ClientSideCacheStatistics: Sendable, Hashable {
        public var hits = 0
        public var misses = 0
        /// Keys invalidated by the server (an invalidation of everything counts once).
        public var invalidations = 0
        /// Replies held now.
        public var entries = 0
    }
}

final class ClientSideCache: Sendable {
    /// Read-only commands whose reply depends only on the value of their one key
    /// (argument 1), so that the server's invalidation of that key covers them. TTL,
    /// PTTL and OBJECT change without a write and are never cached.
    static let cacheableCommands: Set<String> = [
        "get", "strlen", "getrange", "substr", "getbit", "bitcount", "bitpos",
        "hget", "hmget", "hgetall", "hlen", "hexists", "hkeys", "hvals", "hstrlen",
        "llen", "lrange", "lindex", "lpos",
        "scard", "smembers", "sismember", "smismember",
        "zcard", "zscore", "zmscore", "zrange", "zrangebyscore", "zrevrange", "zrevrangebyscore",
        "zrangebylex", "zrevrangebylex", "zrank", "zrevrank", "zcount", "zlexcount",
        "type", "exists", "pfcount", "xlen", "xrange", "xrevrange", "geopos", "geodist", "geohash",
    ]

    private static let ringSize = 256

    private struct State {
        var replies: [ByteBuffer: (key: [UInt8], reply: RESPValue)] = [:]
        var commandsByKey: [[UInt8]: [ByteBuffer]] = [:]
        /// Invalidations seen so far; a ticket is this number when the request was sent.
        var sequence: UInt64 = 0
        /// The key of invalidation n at n % ringSize (nil: everything).
        var recent: [[UInt8]?] = Array(repeating: nil, count: ClientSideCache.ringSize)
        var statistics = RedstartClient.ClientSideCacheStatistics()
    }

    let configuration: RedstartClient.ClientSideCacheConfiguration
    private let state = NIOLockedValueBox(State())

    init(configuration: RedstartClient.ClientSideCacheConfiguration) {
        self.configuration = configuration
    }

    /// Whether replies of `command` (named `name`) may be cached: each of these commands
    /// has its one key at argument 1, whether the command was built by a typed method or
    /// from raw words (which record no key positions).
    static func isCacheable(_ command: RedisCommand, name: String) -> Bool {
        cacheableCommands.contains(name) && command.argumentCount >= 2
            && (name != "exists" || command.argumentCount == 2)
    }

    /// The kept reply of `command`, or nil (a miss).
    func lookup(_ command: RedisCommand) -> RESPValue? {
        state.withLockedValue { state in
            if let hit = state.replies[command.encodedArguments] {
                state.statistics.hits += 1
                return hit.reply
            }
            state.statistics.misses += 1
            return nil
        }
    }

    /// A ticket to store a reply under, taken just before its request is sent.
    func ticket() -> UInt64 {
        state.withLockedValue { $0.sequence }
    }

    /// Keeps `reply` unless its key was invalidated after `ticket` was taken.
    func store(_ reply: RESPValue, for command: RedisCommand, ticket: UInt64) {
        if case .error = reply { return }
        guard Self.size(of: reply) <= configuration.maximumReplySize else { return }
        let key = command.arguments[1]
        state.withLockedValue { state in
            let missed = state.sequence - ticket
            if missed > UInt64(Self.ringSize) { return }
            for number in stride(from: ticket, to: state.sequence, by: 1) {
                let invalidated = state.recent[Int(number % UInt64(Self.ringSize))]
                if invalidated == nil || invalidated == key { return }
            }
            if state.replies.count >= configuration.maximumEntries, let victim = state.replies.randomElement() {
                Self.remove(victim.key, of: victim.value.key, from: &state)
            }
            if state.replies.updateValue((key, reply), forKey: command.encodedArguments) == nil {
                state.commandsByKey[key, default: []].append(command.encodedArguments)
            }
            state.statistics.entries = state.replies.count
        }
    }

    /// Handles a push from a tracking connection (other pushes are ignored).
    func handle(push: RESPValue) {
        guard case .push(let parts) = push, parts.count == 2, parts[0].string == "invalidate" else { return }
        state.withLockedValue { state in
            if case .array(let keys) = parts[1] {
                for case .bulkString(let key) in keys { Self.invalidate(key, in: &state, byServer: true) }
            } else {
                Self.invalidate(nil, in: &state, byServer: true)
            }
        }
    }

    /// Forgets every reply because a tracking connection was opened or lost (invalidations
    /// may have been missed); not counted in the statistics, which count the server's.
    func connectionChanged() {
        state.withLockedValue { state in Self.invalidate(nil, in: &state, byServer: false) }
    }

    var statistics: RedstartClient.ClientSideCacheStatistics {
        state.withLockedValue { $0.statistics }
    }

    private static func invalidate(_ key: [UInt8]?, in state: inout State, byServer: Bool) {
        state.recent[Int(state.sequence % UInt64(ringSize))] = key
        state.sequence += 1
        if byServer { state.statistics.invalidations += 1 }
        if let key {
            for command in state.commandsByKey.removeValue(forKey: key) ?? [] { state.replies[command] = nil }
        } else {
            state.replies.removeAll()
            state.commandsByKey.removeAll()
        }
        state.statistics.entries = state.replies.count
    }

    private static func remove(_ command: ByteBuffer, of key: [UInt8], from state: inout State) {
        state.replies[command] = nil
        state.commandsByKey[key]?.removeAll { $0 == command }
        if state.commandsByKey[key]?.isEmpty == true { state.commandsByKey[key] = nil }
    }

    /// A rough size of a reply: bytes of strings, count of elements.
    private static func size(of reply: RESPValue) -> Int {
        switch reply {
        case .bulkString(let bytes): return bytes.count
        case .array(let elements), .set(let elements): return elements.reduce(elements.count) { $0 + size(of: $1) }
        case .map(let pairs): return pairs.reduce(pairs.count) { $0 + size(of: $1.key) + size(of: $1.value) }
        default: return 8
        }
    }
}

// maxmemory-policy and the eviction pool, as Redis's evict.c approximates LRU,
// LFU and TTL: each round samples maxmemory-samples keys per database and
// keeps the 16 best candidates seen so far (the pool outlives the round), and
// the candidate with the highest score — longest idle, least frequently used,
// nearest expiry — is evicted first.

/// The maxmemory-policy values.
enum EvictionPolicy {
    case noEviction
    case allKeysLRU, allKeysLFU, allKeysRandom
    case volatileLRU, volatileLFU, volatileRandom, volatileTTL

    init(_ name: String) {
        switch name {
        case "allkeys-lru": self = .allKeysLRU
        case "allkeys-lfu": self = .allKeysLFU
        case "allkeys-random": self = .allKeysRandom
        case "volatile-lru": self = .volatileLRU
        case "volatile-lfu": self = .volatileLFU
        case "volatile-random": self = .volatileRandom
        case "volatile-ttl": self = .volatileTTL
        default: self = .noEviction
        }
    }

    /// Only keys with an expiry are candidates.
    var isVolatile: Bool {
        switch self {
        case .volatileLRU, .volatileLFU, .volatileRandom, .volatileTTL: return true
        default: return false
        }
    }

    var isRandom: Bool { self == .allKeysRandom || self == .volatileRandom }
}

/// The best eviction candidates seen, ascending by score (the best is last).
struct EvictionPool {
    static let capacity = 16

    struct Candidate {
        var key: ByteString
        var database: Int
        /// Higher is a better victim.
        var score: UInt64
    }

    private(set) var candidates: [Candidate] = []

    init() { candidates.reserveCapacity(Self.capacity) }

    /// Offers a sampled key: kept when the pool has room or the key beats its worst.
    mutating func offer(_ key: ByteString, database: Int, score: UInt64) {
        if candidates.contains(where: { $0.database == database && $0.key == key }) { return }
        let position = candidates.firstIndex { $0.score >= score } ?? candidates.count
        if candidates.count == Self.capacity {
            guard position > 0 else { return }  // worse than everything kept
            candidates.removeFirst()
            candidates.insert(Candidate(key: key, database: database, score: score), at: position - 1)
        } else {
            candidates.insert(Candidate(key: key, database: database, score: score), at: position)
        }
    }

    /// Takes the best candidate out.
    mutating func popBest() -> Candidate? { candidates.popLast() }
}

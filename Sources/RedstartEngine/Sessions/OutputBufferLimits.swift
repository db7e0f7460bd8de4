// client-output-buffer-limit, parsed: for each client class a hard limit, a
// soft limit and how long the soft limit may be exceeded. 0 means no limit.

/// One class's output buffer limits, in bytes and seconds.
public struct OutputBufferLimit: Sendable, Equatable {
    public var hard: Int
    public var soft: Int
    public var softSeconds: Int

    public init(hard: Int, soft: Int, softSeconds: Int) {
        self.hard = hard
        self.soft = soft
        self.softSeconds = softSeconds
    }

    /// Whether `bytes` of waiting output pass the limit: the hard one, or the soft one for
    /// longer than its seconds (`softSince` keeps when it was first passed, unix ms). As
    /// Redis, the time is counted in whole unix seconds and must be passed, not reached: a
    /// client over the soft limit is dropped after more than its seconds, at most one more.
    public func isExceeded(by bytes: Int, now: Int64, softSince: inout Int64?) -> Bool {
        if hard > 0 && bytes >= hard { return true }
        guard soft > 0 && bytes >= soft else {
            softSince = nil
            return false
        }
        let since = softSince ?? now
        softSince = since
        return now / 1000 - since / 1000 > Int64(softSeconds)
    }
}

/// The limits of every client class.
public struct OutputBufferLimits: Sendable, Equatable {
    public var normal: OutputBufferLimit
    public var replica: OutputBufferLimit
    public var pubsub: OutputBufferLimit

    public static let defaults = OutputBufferLimits(
        normal: OutputBufferLimit(hard: 0, soft: 0, softSeconds: 0),
        replica: OutputBufferLimit(hard: 256 << 20, soft: 64 << 20, softSeconds: 60),
        pubsub: OutputBufferLimit(hard: 32 << 20, soft: 8 << 20, softSeconds: 60))

    public init(normal: OutputBufferLimit, replica: OutputBufferLimit, pubsub: OutputBufferLimit) {
        self.normal = normal
        self.replica = replica
        self.pubsub = pubsub
    }

    /// Parses the canonical text of client-output-buffer-limit
    /// (`normal 0 0 0 slave 268435456 67108864 60 pubsub ...`).
    public init?(_ canonical: String) {
        var result = OutputBufferLimits.defaults
        let words = canonical.split(separator: " ")
        guard words.count % 4 == 0 else { return nil }
        for start in stride(from: 0, to: words.count, by: 4) {
            guard let hard = Int(words[start + 1]), let soft = Int(words[start + 2]),
                let seconds = Int(words[start + 3])
            else { return nil }
            let limit = OutputBufferLimit(hard: hard, soft: soft, softSeconds: seconds)
            switch words[start] {
            case "normal": result.normal = limit
            case "slave", "replica": result.replica = limit
            case "pubsub": result.pubsub = limit
            default: return nil
            }
        }
        self = result
    }

    /// The limit for a kind of client.
    public func limit(for kind: ClientKind) -> OutputBufferLimit {
        switch kind {
        case .normal, .master: return normal
        case .replica: return replica
        case .pubsub: return pubsub
        }
    }
}

extension Engine {
    /// The output limit a client of `kind` is held to. A replica's hard limit is never
    /// below repl-backlog-size (Redis's rule: the replica shares the backlog's memory, and a
    /// lower limit would drop a replica right after it continued from the backlog).
    public func outputLimit(for kind: ClientKind) -> OutputBufferLimit {
        var limit = outputLimits.limit(for: kind)
        if kind == .replica && limit.hard > 0 {
            limit.hard = max(limit.hard, Int(clamping: config.integer("repl-backlog-size")))
        }
        return limit
    }
}

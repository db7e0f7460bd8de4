// What a subscription yields: a message published to a channel (or to a shard
// channel, or matched by a pattern), decoded alike from RESP3 pushes and RESP2
// arrays.
import RedstartRESP

/// One Pub/Sub message.
public struct PubSubMessage: Sendable, Hashable {
    /// The channel it was published to.
    public var channel: String
    /// The pattern that matched it (PSUBSCRIBE), nil otherwise.
    public var pattern: String?
    /// Whether it came through SSUBSCRIBE.
    public var isShardMessage = false
    public var payload: RedisBytes

    /// A message push (`message`, `pmessage`, `smessage`), or nil for anything else.
    init?(push value: RESPValue) {
        guard let parts = value.elements, let kind = parts.first?.string?.lowercased() else { return nil }
        switch kind {
        case "message", "smessage":
            guard parts.count == 3, let channel = parts[1].string, case .bulkString(let bytes) = parts[2] else { return nil }
            self.channel = channel
            isShardMessage = kind == "smessage"
            payload = RedisBytes(bytes)
        case "pmessage":
            guard parts.count == 4, let pattern = parts[1].string, let channel = parts[2].string,
                case .bulkString(let bytes) = parts[3]
            else { return nil }
            self.channel = channel
            self.pattern = pattern
            payload = RedisBytes(bytes)
        default:
            return nil
        }
    }

    public init(channel: String, pattern: String? = nil, isShardMessage: Bool = false, payload: RedisBytes) {
        self.channel = channel
        self.pattern = pattern
        self.isShardMessage = isShardMessage
        self.payload = payload
    }
}

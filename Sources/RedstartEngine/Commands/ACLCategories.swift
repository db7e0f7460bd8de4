// ACL categories as Redis 7.0 names and orders them. A spec declares only the
// categories that say what data it touches (@string, @connection, ...); the
// ones implied by its flags are added the way Redis's setImplicitACLCategories
// does (write -> @write, readonly -> @read, admin -> @admin @dangerous, ...).

/// The ACL categories of a command.
public struct ACLCategories: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let keyspace = ACLCategories(rawValue: 1 << 0)
    public static let read = ACLCategories(rawValue: 1 << 1)
    public static let write = ACLCategories(rawValue: 1 << 2)
    public static let set = ACLCategories(rawValue: 1 << 3)
    public static let sortedSet = ACLCategories(rawValue: 1 << 4)
    public static let list = ACLCategories(rawValue: 1 << 5)
    public static let hash = ACLCategories(rawValue: 1 << 6)
    public static let string = ACLCategories(rawValue: 1 << 7)
    public static let bitmap = ACLCategories(rawValue: 1 << 8)
    public static let hyperLogLog = ACLCategories(rawValue: 1 << 9)
    public static let geo = ACLCategories(rawValue: 1 << 10)
    public static let stream = ACLCategories(rawValue: 1 << 11)
    public static let pubsub = ACLCategories(rawValue: 1 << 12)
    public static let admin = ACLCategories(rawValue: 1 << 13)
    public static let fast = ACLCategories(rawValue: 1 << 14)
    public static let slow = ACLCategories(rawValue: 1 << 15)
    public static let blocking = ACLCategories(rawValue: 1 << 16)
    public static let dangerous = ACLCategories(rawValue: 1 << 17)
    public static let connection = ACLCategories(rawValue: 1 << 18)
    public static let transaction = ACLCategories(rawValue: 1 << 19)
    public static let scripting = ACLCategories(rawValue: 1 << 20)

    /// Every category with its name, in Redis's order.
    public static let names: [(ACLCategories, String)] = [
        (.keyspace, "keyspace"), (.read, "read"), (.write, "write"), (.set, "set"),
        (.sortedSet, "sortedset"), (.list, "list"), (.hash, "hash"), (.string, "string"),
        (.bitmap, "bitmap"), (.hyperLogLog, "hyperloglog"), (.geo, "geo"), (.stream, "stream"),
        (.pubsub, "pubsub"), (.admin, "admin"), (.fast, "fast"), (.slow, "slow"),
        (.blocking, "blocking"), (.dangerous, "dangerous"), (.connection, "connection"),
        (.transaction, "transaction"), (.scripting, "scripting"),
    ]

    /// `explicit` plus the categories Redis derives from `flags`.
    public static func withImplied(_ explicit: ACLCategories, flags: CommandFlags) -> ACLCategories {
        var result = explicit
        if flags.contains(.write) { result.insert(.write) }
        // Scripting commands are not @read even when read-only (Redis's rule).
        if flags.contains(.readonly) && !explicit.contains(.scripting) { result.insert(.read) }
        if flags.contains(.admin) { result.formUnion([.admin, .dangerous]) }
        if flags.contains(.pubsub) { result.insert(.pubsub) }
        if flags.contains(.fast) { result.insert(.fast) }
        if flags.contains(.blocking) { result.insert(.blocking) }
        if !result.contains(.fast) { result.insert(.slow) }
        return result
    }

    /// `@name` for each category, in Redis's order.
    public var reportedNames: [String] {
        Self.names.compactMap { contains($0.0) ? "@" + $0.1 : nil }
    }
}

// Command flags as Redis 7.0 declares them. `reportedNames` lists the flags
// COMMAND INFO shows, in Redis's order (may_replicate, protected and the
// sentinel flags are hidden on purpose, as in Redis).

/// What a command is allowed to do and how the gatekeeper treats it.
public struct CommandFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let write = CommandFlags(rawValue: 1 << 0)
    public static let readonly = CommandFlags(rawValue: 1 << 1)
    public static let denyOOM = CommandFlags(rawValue: 1 << 2)
    public static let module = CommandFlags(rawValue: 1 << 3)
    public static let admin = CommandFlags(rawValue: 1 << 4)
    public static let pubsub = CommandFlags(rawValue: 1 << 5)
    public static let noScript = CommandFlags(rawValue: 1 << 6)
    public static let blocking = CommandFlags(rawValue: 1 << 7)
    public static let loading = CommandFlags(rawValue: 1 << 8)
    public static let stale = CommandFlags(rawValue: 1 << 9)
    public static let skipMonitor = CommandFlags(rawValue: 1 << 10)
    public static let skipSlowlog = CommandFlags(rawValue: 1 << 11)
    public static let asking = CommandFlags(rawValue: 1 << 12)
    public static let fast = CommandFlags(rawValue: 1 << 13)
    public static let noAuth = CommandFlags(rawValue: 1 << 14)
    public static let mayReplicate = CommandFlags(rawValue: 1 << 15)
    public static let sentinel = CommandFlags(rawValue: 1 << 16)
    public static let onlySentinel = CommandFlags(rawValue: 1 << 17)
    public static let noMandatoryKeys = CommandFlags(rawValue: 1 << 18)
    public static let protected = CommandFlags(rawValue: 1 << 19)
    public static let noAsyncLoading = CommandFlags(rawValue: 1 << 20)
    public static let noMulti = CommandFlags(rawValue: 1 << 21)
    public static let movableKeys = CommandFlags(rawValue: 1 << 22)
    public static let allowBusy = CommandFlags(rawValue: 1 << 23)

    // Flags Redis keeps to itself (COMMAND INFO never shows them).

    /// May remove expired keys it happens to meet (RANDOMKEY, SCAN): the DELs it
    /// propagates are not wrapped in MULTI/EXEC with it.
    public static let touchesArbitraryKeys = CommandFlags(rawValue: 1 << 24)
    /// Runs at once even inside MULTI instead of being queued (MULTI, EXEC,
    /// DISCARD, WATCH, QUIT, RESET).
    public static let skipsQueue = CommandFlags(rawValue: 1 << 25)
    /// Internal: accepted from a RESP2 client in subscribed mode ((P|S)(UN)SUBSCRIBE, PING,
    /// QUIT, RESET).
    public static let allowedWhileSubscribed = CommandFlags(rawValue: 1 << 26)
    /// Internal: runs a Lua script (EVAL*, FCALL*). The gatekeeper runs such a command (or
    /// an EXEC that holds one) where a long script can pause, and never propagates it as
    /// called: the script's commands propagate themselves.
    public static let runsScript = CommandFlags(rawValue: 1 << 27)

    /// The flags COMMAND INFO reports, in Redis's order.
    public static let reportedNames: [(CommandFlags, String)] = [
        (.write, "write"), (.readonly, "readonly"), (.denyOOM, "denyoom"), (.module, "module"),
        (.admin, "admin"), (.pubsub, "pubsub"), (.noScript, "noscript"), (.blocking, "blocking"),
        (.loading, "loading"), (.stale, "stale"), (.skipMonitor, "skip_monitor"),
        (.skipSlowlog, "skip_slowlog"), (.asking, "asking"), (.fast, "fast"), (.noAuth, "no_auth"),
        (.noMandatoryKeys, "no_mandatory_keys"), (.noAsyncLoading, "no_async_loading"),
        (.noMulti, "no_multi"), (.movableKeys, "movablekeys"), (.allowBusy, "allow_busy"),
    ]

    /// The names COMMAND INFO shows for these flags.
    public var reportedNames: [String] {
        Self.reportedNames.compactMap { contains($0.0) ? $0.1 : nil }
    }
}

// One client's state inside the engine: selected database, protocol version,
// authentication, name, reply mode, MULTI queue and watched keys, and the
// reply buffer commands write into.
// Sessions are created and dropped by the server's connection handler through
// Engine.openSession/closeSession; everything here runs on the engine thread.
import NIOCore
import RedstartRESP

/// CLIENT REPLY modes.
public enum ReplyMode: Sendable {
    case on
    case off
    /// Skip the reply of the next command only (set by CLIENT REPLY SKIP).
    case skipNext
    /// The command that is running now has its reply dropped.
    case skipping
}

/// Kinds of client, as CLIENT LIST `TYPE` and client-output-buffer-limit name them.
public enum ClientKind: String, Sendable {
    case normal, master, replica, pubsub
}

/// A client session.
public final class Session {
    /// In MULTI: commands are queued until EXEC.
    public var isInTransaction: Bool { transaction != nil }
    /// Commands queued since MULTI, or nil outside MULTI (CLIENT LIST `multi=`).
    public var queuedCommandCount: Int? { transaction?.commands.count }
    /// Bytes of the queued commands' arguments (CLIENT LIST `multi-mem=`).
    public var queuedArgumentBytes: Int { transaction?.argumentBytes ?? 0 }
    /// Bytes held by the MULTI queue and the watched keys (part of CLIENT LIST `tot-mem=`).
    public var transactionMemory: Int {
        // A watched key: its object (about 64 bytes) and its slots in two lists.
        (transaction?.memory ?? 0) + watchedKeys.count * 80
    }

    /// The unique, increasing client id (CLIENT ID).
    public let id: Int64
    /// Replies of the current batch; the server sends and clears it.
    @exclusivity(unchecked) public var reply: ReplyWriter
    /// The connection, or nil for an internal session. Held strongly (the connection holds
    /// the session too) and dropped by Engine.closeSession: a weak reference would make
    /// every retain of the connection take the runtime's slow path.
    @exclusivity(unchecked) public var transport: (any SessionTransport)?

    /// The selected database.
    @exclusivity(unchecked) public var databaseIndex = 0
    /// CLIENT SETNAME / HELLO SETNAME; nil when never set or set to "".
    @exclusivity(unchecked) public var name: String?
    /// CLIENT SETINFO LIB-NAME / LIB-VER.
    @exclusivity(unchecked) public var libraryName: String?
    @exclusivity(unchecked) public var libraryVersion: String?
    /// Passed AUTH (or no password is required).
    @exclusivity(unchecked) public var isAuthenticated = false
    /// The ACL user the session is authenticated as; nil for internal sessions (the AOF's),
    /// which may run anything.
    @exclusivity(unchecked) public var aclUser: ACLUser?
    /// CLIENT LIST's `user=`.
    public var userName: String { aclUser?.name ?? "(superuser)" }
    @exclusivity(unchecked) public var replyMode: ReplyMode = .on
    /// In MONITOR mode: receives every command the server runs.
    @exclusivity(unchecked) public var isMonitor = false
    /// CLIENT NO-EVICT and NO-TOUCH.
    @exclusivity(unchecked) public var isNoEvict = false
    @exclusivity(unchecked) public var isNoTouch = false
    /// CLIENT TRACKING: nil while off.
    @exclusivity(unchecked) var tracking: TrackingMode?
    /// Close the connection once the current replies are sent (QUIT, protocol error).
    @exclusivity(unchecked) public var closeAfterReply = false
    /// Creation time and time of the last command, in unix milliseconds.
    public let createdAt: Int64
    @exclusivity(unchecked) public var lastInteraction: Int64
    /// The last command run, or running (`cmd=` of CLIENT LIST).
    @exclusivity(unchecked) public var lastCommand: CommandSpec?
    /// A replica attached to this server (`.replica`), or the link to this server's primary
    /// (`.master`): CLIENT LIST's S and M flags, their output limits and checks.
    @exclusivity(unchecked) public var replicationKind: ClientKind?
    /// The replication stream's offset after this client's last write (what WAIT waits for).
    @exclusivity(unchecked) public var replicationWriteOffset: Int64 = 0
    /// Called when the connection has sent all its output (set for a replica that is fed
    /// the stream as it drains).
    @exclusivity(unchecked) public var outputDrained: (() -> Void)?
    /// Waiting in a blocking command (BLPOP ...): runs nothing else until served.
    @exclusivity(unchecked) public internal(set) var isBlocked = false
    /// Its command runs a script that paused (it ran past busy-reply-threshold): the
    /// connection neither runs its next commands nor sends its replies until the command
    /// ends (Redis's protected client).
    @exclusivity(unchecked) public internal(set) var isProtected = false
    /// Its connection closed while it was protected: the engine forgets it when the command ends.
    @exclusivity(unchecked) var closesWhenUnprotected = false
    /// The session scripts run their commands in (Redis's Lua client): SORT orders its
    /// output, and nothing shows it in CLIENT LIST.
    @exclusivity(unchecked) public var isScriptClient = false
    /// The client that replays the append-only file: no checks, never blocks, no replies kept.
    @exclusivity(unchecked) public var isReplayClient = false
    /// Its primary's link or the AOF's replay (Redis's mustObeyClient): what it sends was
    /// already decided elsewhere, so it is applied, not judged.
    public var mustObey: Bool { replicationKind == .master || isReplayClient }
    /// Waiting for a CLIENT PAUSE to end before running its next command.
    @exclusivity(unchecked) public var isPaused = false
    /// The most reply bytes the buffer held at once since `replyPeakResetAt` (`rbp=`).
    @exclusivity(unchecked) public var replyPeak = 0
    /// The reply buffer's size between turns, as the cron sized it (Session+ReplyBuffer).
    @exclusivity(unchecked) public internal(set) var replyBufferSize = Session.replyBufferMinimum
    @exclusivity(unchecked) var replyPeakResetAt: Int64 = 0
    /// Between MULTI and EXEC/DISCARD: the queued commands.
    @exclusivity(unchecked) var transaction: Transaction?
    /// Pub/Sub subscriptions, in subscription order.
    @exclusivity(unchecked) var subscribedChannels: [ByteString] = []
    @exclusivity(unchecked) var subscribedPatterns: [ByteString] = []
    @exclusivity(unchecked) var subscribedShardChannels: [ByteString] = []
    /// The running command's output is pushes ((un)subscribe confirmations), which CLIENT
    /// REPLY OFF/SKIP does not drop.
    @exclusivity(unchecked) var repliesArePushes = false
    /// Messages were written for it and its connection was (or will be, when the running
    /// command ends) told so; cleared by `outputSent()` once the connection sends them, so a
    /// pipeline of PUBLISHes tells each subscriber's connection once.
    @exclusivity(unchecked) var hasNotedOutput = false
    /// Keys this session watches (WATCH), in any database.
    @exclusivity(unchecked) var watchedKeys: [WatchedKey] = []
    /// A watched key changed: the next EXEC fails (Redis's CLIENT_DIRTY_CAS).
    @exclusivity(unchecked) public internal(set) var isWatchDirty = false

    public init(id: Int64, now: Int64, transport: (any SessionTransport)?, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.id = id
        self.createdAt = now
        self.lastInteraction = now
        self.transport = transport
        self.reply = ReplyWriter(buffer: allocator.buffer(capacity: 0), version: .resp2)
    }

    /// The protocol version chosen by HELLO.
    public var protocolVersion: RESPVersion {
        get { reply.version }
        set { reply.version = newValue }
    }

    /// The connection sent this session's output: the next message must tell it again.
    @inline(__always)
    public func outputSent() { hasNotedOutput = false }

    /// The kind of client for CLIENT LIST and output limits.
    public var kind: ClientKind { replicationKind ?? (isSubscribed ? .pubsub : .normal) }

    /// Takes the replies written so far, leaving the buffer empty.
    public func takeReplies() -> ByteBuffer {
        let out = reply.buffer
        reply.buffer.clear()
        return out
    }
}

// The engine: all data and all command execution, on one thread. The server
// layer drives it with openSession / execute / closeSession / cron; nothing
// here knows about sockets or files (see EngineHost for what it asks of the
// process). Settings the hot path reads are mirrored from the ConfigStore into
// plain fields by applyConfig(), so a command never parses config text.
import NIOCore
import RedstartRESP

/// The Redis-compatible state machine.
public final class Engine {
    /// Redis version reported to clients (they gate features on it).
    public static let redisVersion = "7.0.15"
    /// Redstart's own version.
    public static let redstartVersion = "0.1.0"

    public let table: CommandTable
    /// EXEC's spec: the gatekeeper treats it apart (refusals abort the transaction).
    let execSpec: CommandSpec?
    public let config: ConfigStore
    public let clock: any EngineClock
    /// The server around the engine (nil in tests). Not weak: a weak reference gives its
    /// object a side table, after which every retain and release of the server takes the
    /// runtime's slow path (closures and the AOF reach the engine through it on every loop
    /// turn). The server owns the engine and clears this in its deinit.
    public unowned(unsafe) var host: (any EngineHost)?
    public let databases: [Database]

    @exclusivity(unchecked) public var stats = ServerStats()
    /// Objects handed to the background freeing thread.
    public let lazyFree = LazyFreeCounters()
    /// COMMAND DOCS and key-spec metadata, parsed on first use.
    let catalog = CommandCatalog()
    /// ACL users, their checks' data and ACL LOG.
    public let acl: AccessControl
    @exclusivity(unchecked) public var slowlog = Slowlog()
    @exclusivity(unchecked) public var latency = LatencyMonitor()

    /// Connected sessions by client id.
    @exclusivity(unchecked) public private(set) var sessions: [Int64: Session] = [:]
    /// Sessions in MONITOR mode, in the order they started monitoring.
    @exclusivity(unchecked) var monitors: [Session] = []
    @exclusivity(unchecked) private var nextClientID: Int64 = 1

    /// When the server started, in unix milliseconds and monotonic microseconds.
    public let startTime: Int64
    public let startMonotonic: Int64
    /// Unix time (milliseconds) cached at the start of the running command.
    @exclusivity(unchecked) public internal(set) var commandTime: Int64
    /// The same instant in microseconds (the start of the command's duration).
    @exclusivity(unchecked) var commandStartMicros: Int64 = 0
    /// While a connection runs the commands of one read (`runInputBatch`): the clock reading
    /// that ended the previous one, which starts the next (a pipeline reads the clock once
    /// per command, not twice). Nil outside a batch and before its first command ends.
    @exclusivity(unchecked) private var batchClockReading: Int64?
    @exclusivity(unchecked) private var isRunningInputBatch = false
    /// The running command must not refresh access clocks (CLIENT NO-TOUCH, OBJECT, TYPE ...).
    @exclusivity(unchecked) var isNoTouchCall = false
    /// The running command is a write command.
    @exclusivity(unchecked) var isWriteCall = false
    /// Saves, loads and their outcomes (INFO persistence, LASTSAVE, -MISCONF, -LOADING).
    @exclusivity(unchecked) public var persistence = PersistenceStatus()
    /// The background save being written, if any (its progress shows in INFO).
    @exclusivity(unchecked) public var runningSnapshot: DatasetSnapshot?
    /// Counts cron runs (for tasks that run every N cycles).
    @exclusivity(unchecked) var cronLoops = 0
    /// The database the next active expiry cycle starts with.
    @exclusivity(unchecked) var expireCursorDatabase = 0
    /// When the instantaneous metrics were last sampled (unix milliseconds).
    @exclusivity(unchecked) var lastStatsSample: Int64 = 0
    /// The replication ID INFO reports (random per start, as Redis's master_replid).
    public var replicationID = Engine.newReplicationID()

    /// 40 random hex digits (Redis's changeReplicationId).
    static func newReplicationID() -> String {
        (0..<40).map { _ in String("0123456789abcdef".randomElement()!) }.joined()
    }

    /// DEBUG CHANGE-REPL-ID: a new replication ID (the secondary one is already cleared).
    public func changeReplicationID() {
        replicationID = Self.newReplicationID()
    }

    // MARK: Settings mirrored from the config

    /// requirepass as last applied to the default user.
    @exclusivity(unchecked) private var requirePass = ""
    @exclusivity(unchecked) public private(set) var protocolLimits = ProtocolLimits()
    @exclusivity(unchecked) public private(set) var queryBufferLimit = 1024 * 1024 * 1024
    @exclusivity(unchecked) public private(set) var maxClients = 10000
    /// Idle seconds before a client is closed; 0 = never.
    @exclusivity(unchecked) public private(set) var idleTimeout = 0
    @exclusivity(unchecked) public private(set) var outputLimits = OutputBufferLimits.defaults
    @exclusivity(unchecked) public private(set) var isProtectedMode = true
    /// The cron's frequency: `configuredHz`, doubled (up to 500) while there are more than
    /// 200 clients per tick and dynamic-hz is on, as Redis's serverCron.
    @exclusivity(unchecked) public internal(set) var hz = 10
    @exclusivity(unchecked) private(set) var configuredHz = 10
    @exclusivity(unchecked) private(set) var isDynamicHz = true
    /// activerehashing: the cron moves rehashing tables forward (commands always do).
    @exclusivity(unchecked) private(set) var isActiveRehashing = true
    /// busy-reply-threshold (lua-time-limit) in milliseconds: when a script starts pausing
    /// for other clients (0: never).
    @exclusivity(unchecked) public private(set) var busyReplyThreshold: Int64 = 5000
    /// loading-process-events-interval-bytes: a load step ends after this many bytes (or
    /// 10 ms), so clients get their -LOADING replies, INFO and PING while a dataset loads.
    @exclusivity(unchecked) public private(set) var loadingEventsIntervalBytes = 2 << 20
    @exclusivity(unchecked) var slowlogThreshold: Int64 = 10000
    @exclusivity(unchecked) var slowlogMaxLength = 128
    @exclusivity(unchecked) var latencyThreshold: Int64 = 0
    @exclusivity(unchecked) var latencyTracking = true
    /// maxmemory-policy is an LFU one: keys keep access counters instead of access times.
    @exclusivity(unchecked) var usesLFU = false
    @exclusivity(unchecked) var lfuLogFactor = 10
    @exclusivity(unchecked) var lfuDecayTime = 1
    @exclusivity(unchecked) public private(set) var lazyFreeUserFlush = false
    @exclusivity(unchecked) public private(set) var lazyFreeUserDelete = false
    @exclusivity(unchecked) public private(set) var lazyFreeServerDelete = false
    /// The `save` points, stop-writes-on-bgsave-error, rdb-key-save-delay (microseconds per
    /// key, tests slow a save down with it), key-load-delay (the same for loading).
    @exclusivity(unchecked) public private(set) var savePoints: [SavePoint] = []
    @exclusivity(unchecked) var stopWritesOnSaveError = true
    /// DEBUG SET-ACTIVE-EXPIRE 0 turns the cron's expiry cycle off; DEBUG
    /// SET-SKIP-CHECKSUM-VALIDATION 1 makes RESTORE accept any checksum.
    @exclusivity(unchecked) var activeExpireEnabled = true
    /// DEBUG PAUSE-CRON 1 stops the cron's work; DEBUG SET-DISABLE-DENY-SCRIPTS 1 lets
    /// scripts call commands flagged noscript.
    @exclusivity(unchecked) public internal(set) var cronPaused = false
    @exclusivity(unchecked) var scriptDenyDisabled = false
    /// DEBUG REPLYBUFFER RESIZING: reply buffers are sized to their clients' use.
    @exclusivity(unchecked) var replyBufferResizing = true
    /// The highest used_memory since freed memory was last given back to the system.
    @exclusivity(unchecked) var usedMemoryPeakSinceTrim = 0
    /// DEBUG REPLYBUFFER PEAK-RESET-TIME: how often (ms) a client's reply peak (`rbp=`)
    /// restarts from what it holds; -1 never.
    @exclusivity(unchecked) var replyBufferPeakResetTime = Engine.defaultReplyBufferPeakResetTime
    static let defaultReplyBufferPeakResetTime = 5000
    @exclusivity(unchecked) var skipsChecksumValidation = false
    @exclusivity(unchecked) var rdbKeySaveDelay: Int64 = 0
    @exclusivity(unchecked) public private(set) var keyLoadDelay: Int64 = 0
    /// maxmemory-policy is an LRU one: RDB files carry the keys' idle times.
    @exclusivity(unchecked) var usesLRU = false
    /// rdbcompression: strings in DUMP payloads (and RDB files) are LZF-compressed.
    @exclusivity(unchecked) public private(set) var rdbCompression = true
    @exclusivity(unchecked) public private(set) var lazyFreeExpire = false
    @exclusivity(unchecked) var activeExpireEffort = 1
    @exclusivity(unchecked) var latencyPercentiles: [Double] = [50, 99, 99.9]
    @exclusivity(unchecked) var debugCommandAccess: ProtectedAccess = .no
    @exclusivity(unchecked) var moduleCommandAccess: ProtectedAccess = .no
    @exclusivity(unchecked) var protectedConfigAccess: ProtectedAccess = .no
    @exclusivity(unchecked) public private(set) var logLevel: LogLevel = .notice
    /// list-max-listpack-size and list-compress-depth, as new lists take them.
    @exclusivity(unchecked) var listShape = ListShape(fill: -2, compressDepth: 0)
    /// list-max-listpack-size: the chunk size of new lists.
    var listFill: Int { listShape.fill }
    /// list-compress-depth: chunks kept uncompressed at each end of new lists (0: none compressed).
    var listCompressDepth: Int { listShape.compressDepth }
    /// hash-max-listpack-entries / -value and set-max-intset-entries: when small encodings end.
    @exclusivity(unchecked) var hashMaxEntries = 512
    @exclusivity(unchecked) var hashMaxValue = 64
    @exclusivity(unchecked) var setMaxIntegers = 512
    /// stream-node-max-bytes / -entries: when a stream starts a new node.
    @exclusivity(unchecked) var streamNodeMaxBytes = 4096
    @exclusivity(unchecked) var streamNodeMaxEntries = 100
    @exclusivity(unchecked) var zsetMaxEntries = 128
    /// hll-sparse-max-bytes: when a sparse HyperLogLog turns dense.
    @exclusivity(unchecked) var hllSparseMaxBytes = 3000
    @exclusivity(unchecked) var zsetMaxValue = 64
    /// notify-keyspace-events: the classes published; empty unless K or E is on.
    @exclusivity(unchecked) var keyspaceEvents: KeyspaceEvents = []

    // MARK: Transactions and propagation

    /// EXEC is running its queued commands (they must not block).
    @exclusivity(unchecked) public internal(set) var isExecutingTransaction = false
    /// Where propagated write commands go (AOF, replicas, tests); nil = nowhere, and then
    /// nothing is recorded.
    @exclusivity(unchecked) public var propagationSink: (any PropagationSink)?
    /// Commands recorded for propagation by the running command, sent when it ends.
    @exclusivity(unchecked) var pendingPropagation: [PropagatedCommand] = []
    /// Encoding buffers of propagated commands the sinks are done with, for the next commands
    /// (`Engine.propagate`): a write with the AOF or replicas on allocates no buffer of its own.
    @exclusivity(unchecked) var spareEncodings: [[UInt8]] = []
    /// Where the commands being recorded propagate (narrowed while a script that called
    /// redis.set_repl runs its commands).
    @exclusivity(unchecked) var propagationTargets: PropagationTargets = .all
    /// What the running command propagates as, when not as called.
    @exclusivity(unchecked) var rewrittenCommand: [[UInt8]]?
    /// The running command propagates even without a change (forceRunningCommandPropagation),
    /// to these targets (empty: not forced).
    @exclusivity(unchecked) var forcedPropagationTargets: PropagationTargets = []
    /// The error-reply count already attributed to a command (failed_calls): a command
    /// inside EXEC claims its own errors, so EXEC is not counted failed for them.
    @exclusivity(unchecked) var errorsAttributed = 0

    // MARK: Blocking operations

    /// Sessions blocked on keys (BLPOP ...), by session id.
    @exclusivity(unchecked) var blockedRequests: [Int64: BlockedRequest] = [:]
    /// Keys that may serve blocked clients once the running command ends, in signal order.
    @exclusivity(unchecked) var readyKeys: [ReadyKey] = []
    /// Timeouts of blocked sessions, earliest first.
    @exclusivity(unchecked) var blockingDeadlines = DeadlineHeap<BlockedRequest>()

    // MARK: Pub/Sub

    /// Subscribers by channel, pattern and shard channel, in subscription order.
    @exclusivity(unchecked) var channelSubscribers: [ByteString: [Session]] = [:]
    @exclusivity(unchecked) var patternSubscribers: [ByteString: [Session]] = [:]
    @exclusivity(unchecked) var shardSubscribers: [ByteString: [Session]] = [:]
    /// Sessions that received messages during the running command.
    @exclusivity(unchecked) var sessionsWithOutput: [Session] = []
    /// The session whose command is running (top level), and the messages it published or
    /// caused to itself: they follow its reply, never land inside it (as Redis 7.2 does).
    /// Not retained (a retain and a release per command): it is set only while its command
    /// runs, whose caller holds the session, and a command set aside (a paused script) keeps
    /// it strongly in its SuspendedCommand.
    @exclusivity(unchecked) public internal(set) unowned(unsafe) var runningSession: Session?
    @exclusivity(unchecked) var selfPushes = ByteBufferAllocator().buffer(capacity: 0)
    /// The top-level command running (a script's commands track their caller's keys).
    @exclusivity(unchecked) var runningCommand: RunningCommand?

    // MARK: Client-side caching

    /// The tracking table and broadcast prefixes (CLIENT TRACKING).
    let tracking = TrackingRegistry()
    /// tracking-table-max-keys (0: no limit).
    @exclusivity(unchecked) var trackingTableMaxKeys = 1_000_000
    /// Random numbers for sampling (the tracking table's limit, eviction).
    @exclusivity(unchecked) var random = FastRandom()

    // MARK: maxmemory

    /// maxmemory in bytes (0: no limit), the policy and its settings.
    @exclusivity(unchecked) public private(set) var maxMemory = 0
    @exclusivity(unchecked) var evictionPolicy = EvictionPolicy.noEviction
    /// maxmemory-clients: bytes, or a negative percentage of maxmemory (0: off).
    @exclusivity(unchecked) public private(set) var maxMemoryClients = 0
    @exclusivity(unchecked) var maxMemorySamples = 5
    @exclusivity(unchecked) var evictionTenacity = 10
    @exclusivity(unchecked) var lazyFreeEviction = false
    /// replica-ignore-maxmemory: a replica evicts nothing (its primary's DELs do).
    @exclusivity(unchecked) var replicaIgnoresMaxMemory = true
    /// The best eviction candidates seen (kept between rounds, as Redis's pool).
    @exclusivity(unchecked) var evictionPool = EvictionPool()
    /// Where the random policies look for a key next.
    @exclusivity(unchecked) var evictionNextDatabase = 0
    /// A round ran out of time with memory still over the limit: the next ones go on.
    @exclusivity(unchecked) var evictionContinues = false
    @exclusivity(unchecked) var evictionTaskScheduled = false
    /// Since when (monotonic µs) memory has been over the limit, while it is.
    @exclusivity(unchecked) var evictionExceededSince: Int64?
    /// Whether the running command started out of memory (scripts' first write checks it).
    @exclusivity(unchecked) var startedOutOfMemory = false

    // MARK: Scripting

    /// The scripting subsystem (EVAL, FUNCTION), when the server has one.
    @exclusivity(unchecked) public var scripting: (any ScriptingSubsystem)?
    /// A paused script holds the server: other clients get -BUSY.
    @exclusivity(unchecked) public internal(set) var busyScript: BusyScript?

    // MARK: Replication

    /// The replication subsystem (REPLICAOF, PSYNC, WAIT), when the server has one.
    @exclusivity(unchecked) public var replication: (any ReplicationSubsystem)?
    /// The role facts every command checks (read-only replica, stale data, min-replicas).
    @exclusivity(unchecked) public var replicationGate = ReplicationGate()
    /// Keys with a TTL that clients of this (writable) replica wrote, by database.
    @exclusivity(unchecked) var replicaWrittenExpiringKeys: [Int: Set<ByteString>] = [:]

    // MARK: CLIENT PAUSE

    /// The active pause, if any.
    @exclusivity(unchecked) var pause: ClientPause?
    /// Set by the server while a shutdown waits for lagging replicas (INFO).
    @exclusivity(unchecked) public var shutdownWait: ShutdownWait?
    /// Sessions whose next command waits for the pause to end, in arrival order.
    @exclusivity(unchecked) var pausedSessions: [Session] = []

    public init(config: ConfigStore = ConfigStore(), clock: any EngineClock = SystemClock(), table: CommandTable = .standard()) {
        self.config = config
        self.clock = clock
        self.table = table
        self.execSpec = table.original.command(named: "exec")
        self.acl = AccessControl(table: table.original)
        let now = clock.wallMilliseconds
        self.startTime = now
        self.startMonotonic = clock.monotonicMicroseconds
        self.commandTime = now
        self.persistence.lastSaveTime = now / 1000
        let count = Int(config.integer("databases"))
        self.databases = (0..<count).map { Database(index: $0) }
        for db in databases {
            db.streamRemoved = { [unowned self, unowned db] key in
                key.withUnsafeBytes { self.signalKeyAsReady(db, $0) }
            }
            db.tableMayGrow = { [unowned self] bytes in !self.wouldExceedMaxMemory(adding: bytes) }
        }
        applyConfig()
    }

    /// Re-reads every mirrored setting from the config store.
    public func applyConfig() {
        let password = config["requirepass"]
        if password != requirePass {
            requirePass = password
            applyRequirePass(password)
        }
        acl.pubsubAllChannels = config["acl-pubsub-default"] == "allchannels"
        acl.logMaxLength = Int(clamping: config.integer("acllog-max-len"))
        protocolLimits.maxBulkLength = Int(config.integer("proto-max-bulk-len"))
        queryBufferLimit = Int(config.integer("client-query-buffer-limit"))
        maxClients = Int(config.integer("maxclients"))
        idleTimeout = Int(config.integer("timeout"))
        outputLimits = OutputBufferLimits(config["client-output-buffer-limit"]) ?? .defaults
        isProtectedMode = config.bool("protected-mode")
        configuredHz = max(1, min(500, Int(config.integer("hz"))))
        isDynamicHz = config.bool("dynamic-hz")
        isActiveRehashing = config.bool("activerehashing")
        adaptHz()
        busyReplyThreshold = config.integer("busy-reply-threshold")
        loadingEventsIntervalBytes = Int(config.integer("loading-process-events-interval-bytes"))
        slowlogThreshold = config.integer("slowlog-log-slower-than")
        slowlogMaxLength = Int(config.integer("slowlog-max-len"))
        slowlog.trim(to: slowlogMaxLength)
        latencyThreshold = config.integer("latency-monitor-threshold")
        latencyTracking = config.bool("latency-tracking")
        usesLFU = config["maxmemory-policy"].hasSuffix("-lfu")
        usesLRU = config["maxmemory-policy"].hasSuffix("-lru")
        savePoints = SavePoint.parse(config["save"])
        stopWritesOnSaveError = config.bool("stop-writes-on-bgsave-error")
        rdbKeySaveDelay = config.integer("rdb-key-save-delay")
        keyLoadDelay = config.integer("key-load-delay")
        lfuLogFactor = Int(config.integer("lfu-log-factor"))
        lfuDecayTime = Int(config.integer("lfu-decay-time"))
        trackingTableMaxKeys = Int(clamping: config.integer("tracking-table-max-keys"))
        hllSparseMaxBytes = Int(clamping: config.integer("hll-sparse-max-bytes"))
        let newMaxMemory = Int(clamping: config.integer("maxmemory"))
        let maxMemoryLowered = newMaxMemory != maxMemory && newMaxMemory > 0 && (maxMemory == 0 || newMaxMemory < maxMemory)
        maxMemory = newMaxMemory
        evictionPolicy = EvictionPolicy(config["maxmemory-policy"])
        maxMemoryClients = Int(clamping: config.integer("maxmemory-clients"))
        maxMemorySamples = max(1, Int(clamping: config.integer("maxmemory-samples")))
        evictionTenacity = Int(clamping: config.integer("maxmemory-eviction-tenacity"))
        lazyFreeEviction = config.bool("lazyfree-lazy-eviction")
        replicaIgnoresMaxMemory = config.bool("replica-ignore-maxmemory")
        replicationGate.readOnly = config.bool("replica-read-only")
        replicationGate.serveStale = config.bool("replica-serve-stale-data")
        if maxMemoryLowered && host != nil { maxMemoryChanged() }
        lazyFreeUserFlush = config.bool("lazyfree-lazy-user-flush")
        lazyFreeUserDelete = config.bool("lazyfree-lazy-user-del")
        lazyFreeServerDelete = config.bool("lazyfree-lazy-server-del")
        rdbCompression = config.bool("rdbcompression")
        lazyFreeExpire = config.bool("lazyfree-lazy-expire")
        activeExpireEffort = Int(config.integer("active-expire-effort"))
        latencyPercentiles = config["latency-tracking-info-percentiles"].split(separator: " ").compactMap { Double($0) }
        debugCommandAccess = ProtectedAccess(config["enable-debug-command"])
        moduleCommandAccess = ProtectedAccess(config["enable-module-command"])
        protectedConfigAccess = ProtectedAccess(config["enable-protected-configs"])
        logLevel = LogLevel(name: config["loglevel"]) ?? .notice
        let fill = Int(config.integer("list-max-listpack-size"))
        let depth = max(0, Int(config.integer("list-compress-depth")))
        if fill != listShape.fill || depth != listShape.compressDepth { listShape = ListShape(fill: fill, compressDepth: depth) }
        hashMaxEntries = Int(clamping: config.integer("hash-max-listpack-entries"))
        hashMaxValue = Int(clamping: config.integer("hash-max-listpack-value"))
        setMaxIntegers = Int(clamping: config.integer("set-max-intset-entries"))
        streamNodeMaxBytes = Int(clamping: config.integer("stream-node-max-bytes"))
        streamNodeMaxEntries = Int(clamping: config.integer("stream-node-max-entries"))
        zsetMaxEntries = Int(clamping: config.integer("zset-max-listpack-entries"))
        zsetMaxValue = Int(clamping: config.integer("zset-max-listpack-value"))
        let events = KeyspaceEvents(configText: config["notify-keyspace-events"])
        keyspaceEvents = events.isDisjoint(with: [.keyspace, .keyevent]) ? [] : events
    }

    // MARK: Sessions

    /// Whether another client may connect (`maxclients`).
    public var canAcceptClient: Bool { sessions.count < maxClients }

    /// Registers a new client connection.
    public func openSession(transport: (any SessionTransport)?) -> Session {
        let session = Session(id: nextClientID, now: clock.wallMilliseconds, transport: transport)
        nextClientID += 1
        authenticateAsDefault(session)
        sessions[session.id] = session
        stats.totalConnectionsReceived += 1
        return session
    }

    /// Forgets a client whose connection closed.
    public func closeSession(_ session: Session) {
        // A paused script still runs this client's command: forget it when the command ends.
        if session.isProtected {
            session.closesWhenUnprotected = true
            return
        }
        sessions.removeValue(forKey: session.id)
        session.transport = nil
        discardTransaction(session)
        if session.isBlocked { dropBlockedRequest(of: session) }
        dropSubscriptions(session)
        disableTracking(session)
        if session.isMonitor {
            monitors.removeAll { $0 === session }
        }
        if session.isPaused {
            pausedSessions.removeAll { $0 === session }
        }
        if let replication { replication.sessionClosed(session) }
    }

    /// Bytes held by normal clients (INFO mem_clients_normal): the sum of what CLIENT LIST's
    /// tot-mem shows for each, as Redis sums getClientMemoryUsage (the query buffer's whole
    /// room, not only its unread bytes); replicas' count in the replication memory.
    public var clientsMemory: Int {
        sessions.values.reduce(0) { total, session in
            guard session.replicationKind != .replica else { return total }
            return total + clientMemory(session)
        }
    }

    /// Sessions in connection order.
    public var sessionsInOrder: [Session] {
        sessions.values.sorted { $0.id < $1.id }
    }

    /// Writes a log line through the host (if any) when `level` passes `loglevel`.
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String) {
        guard level >= logLevel else { return }
        host?.log(level, message())
    }

    // MARK: Time

    /// Refreshes the cached command time.
    func updateCommandTime() {
        let now = batchClockReading ?? clock.wallMicroseconds
        commandStartMicros = now
        commandTime = now / 1000
    }

    /// Moves the cached command time to the running command's end (the reading taken then).
    func advanceCommandTimeToCommandEnd() {
        commandTime = (batchClockReading ?? clock.wallMicroseconds) / 1000
    }

    /// Reads the wall clock at a command's end; inside an input batch the reading also
    /// starts the next command.
    func readClockAtCommandEnd() -> Int64 {
        let now = clock.wallMicroseconds
        if isRunningInputBatch { batchClockReading = now }
        return now
    }

    /// Runs `body`, which executes the complete commands of one read of a connection back
    /// to back: each starts at the instant the previous one ended.
    public func runInputBatch<R>(_ body: () throws -> R) rethrows -> R {
        let outer = isRunningInputBatch
        isRunningInputBatch = true
        defer {
            isRunningInputBatch = outer
            if !outer { batchClockReading = nil }
        }
        return try body()
    }

    /// Seconds since start.
    public var uptimeSeconds: Int64 { (clock.monotonicMicroseconds - startMonotonic) / 1_000_000 }
}

/// Who may use a protected command or config (enable-debug-command, ...).
enum ProtectedAccess {
    case no, yes, local

    init(_ text: String) {
        switch text {
        case "yes": self = .yes
        case "local": self = .local
        default: self = .no
        }
    }

    /// Whether `session` may use the protected action.
    func allows(_ session: Session) -> Bool {
        switch self {
        case .yes: return true
        case .no: return false
        case .local:
            guard let transport = session.transport else { return true }
            if transport.isUnixSocket { return true }
            let address = transport.remoteAddress
            return address.hasPrefix("127.0.0.1:") || address.hasPrefix("[::1]:") || address.hasPrefix("::1:")
        }
    }
}

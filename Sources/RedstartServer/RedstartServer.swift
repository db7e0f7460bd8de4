// The server process around the engine: listening sockets, the single event
// loop that runs every connection and the engine, the cron timer, signals,
// pidfile, and start-up and shutdown with Redis's log lines. Embeddable:
// tests and redstart-server's main both use this type.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import NIOSSL
import RedstartEngine
import RedstartScripting
import Synchronization

/// Signals received and not yet handled (set from the C signal handler).
private let pendingSignal = Atomic<Int32>(0)
/// A shutdown signal came and the shutdown has not been given up (Redis's shutdown_asap):
/// a SIGINT then means "exit now", even in the middle of the final save.
private let shutdownSignalled = Atomic<Bool>(false)
/// `temp-<pid>.rdb` (in the working directory, which is `dir`) as a C string made before
/// any signal can come: the signal handler removes it without allocating.
nonisolated(unsafe) private var temporaryRDBName: UnsafeMutablePointer<CChar>?

/// A running Redstart server.
public final class RedstartServer: @unchecked Sendable {
    /// The engine; touch it only on `eventLoop`.
    public let engine: Engine
    public let log: ServerLog
    /// The one event loop that runs every connection and the engine (ARCHITECTURE.md,
    /// "Execution model": a loop of our own, under NIO's channel API).
    let loop: EpollEventLoop
    public let eventLoop: any EventLoop
    private let configFile: String?
    private let executable: String
    private var listeners: [EpollAcceptor] = []
    /// tls-port's listeners, and the context their new connections get (replaced when a
    /// tls-* parameter changes; connections keep the one they started with).
    private var tlsListeners: [EpollAcceptor] = []
    let tlsContext = LoopConfined(TLSContextBox())
    private(set) var tlsPort = 0
    private(set) var tcpPort = 0
    /// The `bind` list the TCP listeners were opened with.
    private var boundAddresses = ""
    private let stopped: EventLoopPromise<Void>
    private var isShuttingDown = false
    /// A shutdown giving lagging replicas shutdown-timeout to catch up (ShutdownWait.swift).
    var pendingShutdown: PendingShutdown?
    private var cronTask: Scheduled<Void>?
    /// oom-score-adj: the score the process had before Redstart changed it.
    var oomScore = OOMScoreAdjustment()
    /// supervised: the service manager told when the server is ready and when it stops.
    var supervision: ServiceSupervision?
    /// MIGRATE's connections to other servers.
    let migrations = MigrationConnections()
    /// The timer for the earliest blocked client's timeout, and when it fires.
    private var blockingTimer: (task: Scheduled<Void>, deadline: Int64)?
    /// Sends replies once per loop turn.
    private let flusher: ReplyFlusher
    /// The thread that frees big objects off the event loop (lazyfree).
    private let backgroundWork = NIOThreadPool(numberOfThreads: 1)
    let facts: ProcessFacts
    /// The RDB file: saves and loads.
    private(set) lazy var rdb = RDBPersistence(server: self)
    /// The append-only file.
    private(set) lazy var aof = AOFPersistence(server: self)
    /// Replication, as a primary and as a replica.
    private(set) lazy var replication = Replication(server: self)
    /// Where propagated writes go (the AOF, replicas).
    private(set) lazy var propagation = PropagationFanout(server: self)
    /// The thread that writes background snapshots (BGSAVE, AOF rewrites) to disk.
    let writerThread = NIOThreadPool(numberOfThreads: 1)
    /// The config file's `user` lines (name and rules), applied by `start()`.
    public var configuredUsers: [[[UInt8]]] = []

    /// Every command the server has: the engine's and those of the subsystems above it.
    public static func standardCommands() -> CommandTable {
        .standard(adding: Scripting.commands + ReplicationCommands.commands)
    }

    /// A server configured by `config`; nothing is opened until `start()`. `commands` is
    /// the command table, with the config file's renames (`ConfigFileLoader.commands`).
    public init(
        config: ConfigStore, commands: CommandTable = standardCommands(), configFile: String? = nil,
        executable: String = "", log: ServerLog = ServerLog()
    ) {
        // A parent may have started us with SIGTERM/SIGINT blocked (the mask is inherited);
        // unblock them before any thread exists, so every thread inherits the open mask.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        sigprocmask(SIG_UNBLOCK, &signals, nil)
        do {
            self.loop = try EpollEventLoop()
        } catch {
            fatalError("Cannot create the event loop: \(error)")
        }
        self.eventLoop = loop
        self.configFile = configFile
        self.executable = executable
        self.log = log
        self.engine = Engine(config: config, table: commands)
        self.stopped = eventLoop.makePromise(of: Void.self)
        self.flusher = ReplyFlusher(eventLoop: eventLoop)
        // A paused script goes on from a task on the loop once the loop served the others.
        // The task is due a little later, not at once: NIO runs the tasks that are due
        // before it polls sockets again, so an immediate task would starve the clients.
        let loop = eventLoop
        engine.scripting = Scripting(engine: engine) { work in
            _ = loop.assumeIsolated().scheduleTask(in: .microseconds(50)) { work() }
        }
        CPUAffinity.rememberInitialCPUs()
        backgroundWork.start()
        writerThread.start()
        var uts = utsname()
        uname(&uts)
        let os = [uts.sysname, uts.release, uts.machine].map { field in
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }.joined(separator: " ")
        self.facts = ProcessFacts(
            processID: Int(getpid()), tcpPort: Int(config.integer("port")), executable: executable,
            configFile: configFile ?? "",
            runID: (0..<40).map { _ in String("0123456789abcdef".randomElement()!) }.joined(), os: os,
            archBits: MemoryLayout<Int>.size * 8)
        log.level = LogLevel(name: config["loglevel"]) ?? .notice
        let logfile = config["logfile"]
        log.path = logfile.isEmpty ? nil : logfile
        if config.bool("syslog-enabled") { log.openSystemLog(ident: config["syslog-ident"], facility: config["syslog-facility"]) }
    }

    deinit {
        // The engine holds the server unretained (`Engine.host`).
        engine.host = nil
    }

    /// Opens the listening sockets and starts serving. Throws a message naming what failed.
    public func start() throws(ServerStartError) {
        let config = engine.config
        log.write(.warning, "oO0OoO0OoO0Oo Redstart is starting oO0OoO0OoO0Oo")
        log.write(
            .warning,
            "Redstart version=\(Engine.redstartVersion) (Redis \(Engine.redisVersion) compatible), bits=\(facts.archBits), pid=\(facts.processID), just started"
        )
        if configFile == nil {
            log.write(
                .warning,
                "Warning: no config file specified, using the default config. In order to specify a config file use \(executable) /path/to/redis.conf"
            )
        } else {
            log.write(.warning, "Configuration loaded")
        }
        log.role = "M"
        try applyDirectory(config["dir"])
        try loadUsersAtStartup()
        adjustOpenFilesLimit()
        TransparentHugePages.applyAtStartup(config, log: log)
        tcpPort = Int(config.integer("port"))
        boundAddresses = config["bind"]
        let backlog = Int(config.integer("tcp-backlog"))
        var sockets: [CInt]
        do throws(ListenError) {
            sockets = try openTCPSockets(port: tcpPort, bind: config["bind"])
        } catch {
            log.write(.warning, "Warning: Could not create server TCP listening socket \(error)")
            throw ServerStartError("Failed listening on port \(tcpPort) (TCP), aborting.")
        }
        let unixPath = config["unixsocket"]
        if !unixPath.isEmpty {
            do throws(ListenError) {
                sockets.append(
                    try ListeningSocket.unix(
                        path: unixPath, permissions: Int(config.integer("unixsocketperm")), backlog: backlog))
            } catch {
                log.write(.warning, "Failed opening Unix socket: \(error)")
                sockets.forEach { _ = Glibc.close($0) }
                throw ServerStartError("Failed opening Unix socket, aborting.")
            }
        }
        var tlsSockets: [CInt] = []
        if TLSContextBuilder.isNeeded(config) {
            do throws(TLSSetupError) {
                tlsContext.value.context = try TLSContextBuilder.serverContext(config)
            } catch {
                log.write(.warning, error.description)
                sockets.forEach { _ = Glibc.close($0) }
                throw ServerStartError("Failed to configure TLS. Check logs for more info.")
            }
            tlsPort = Int(config.integer("tls-port"))
            do throws(ListenError) {
                tlsSockets = try openTCPSockets(port: tlsPort, bind: config["bind"])
            } catch {
                log.write(.warning, "Warning: Could not create server TLS listening socket \(error)")
                sockets.forEach { _ = Glibc.close($0) }
                throw ServerStartError("Failed listening on port \(tlsPort) (tls), aborting.")
            }
        }
        writePidFile()
        if config.bool("always-show-logo") || isatty(STDOUT_FILENO) != 0 {
            log.writeRaw(.notice, Self.logo(port: tcpPort, bits: facts.archBits))
        } else {
            log.write(.notice, "Running mode=standalone, port=\(tcpPort).")
        }
        log.write(.warning, "Server initialized")
        installSignalHandlers()
        CrashReporting.configure(config, logPath: log.path)
        applyProcessTitle()
        CPUAffinity.bind(backgroundWork, to: "bio_cpulist", of: config, log: log)
        CPUAffinity.bind(aof.fsyncThread, to: "bio_cpulist", of: config, log: log)
        eventLoop.execute { [self] in
            CrashReporting.prepareCurrentThread()
            CPUAffinity.bindCurrentThread("server_cpulist", of: config, log: log)
            engine.host = self
            engine.replication = replication
            try? oomScore.apply(engine.config, isReplica: engine.replicationGate.isReplica, log: log)
            applyAllocatorBackgroundThread()
            supervision = ServiceSupervision(config: engine.config, log: log)
            engine.stats.startupMemory = ProcessResources.allocatedBytes()
            scheduleCron()
            SignalWakeup.install(on: loop) { [unowned self] in _ = handlePendingSignal() }
            // The engine and the AOF captured themselves, not through the server: the engine's
            // weak `host` gives the server a side table, and each retain of it (a use of an
            // unowned(unsafe) self) then took the runtime's slow path, 0.5% of the CPU at
            // pipeline depth 1 for these two closures, run every loop turn (perf). Neither
            // holds the flusher, so there is no cycle.
            let aof = aof
            flusher.beforeSending = { [engine] in
                engine.broadcastTrackingInvalidations()
                aof.flushBeforeReplies()
            }
            flusher.afterSending = { [engine] in
                if engine.maxMemoryClients != 0 { engine.evictClientsIfNeeded() }
            }
            flusher.beforeClosing = { [unowned(unsafe) self] in aof.syncBeforeClosing() }
            aof.gate = flusher.gate
            // The manifest is read whatever appendonly says (rewrites keep it up to date).
            aof.loadManifestFromDisk()
            let loaded = { [self] in
                aof.openIfNeededOnServerStart()
                aof.deleteHistoryFiles()
                log.write(.notice, "Ready to accept connections")
                let primary = engine.config["replicaof"].split(separator: " ")
                supervision?.notifyReady(isReplica: primary.count == 2)
                if primary.count == 2, let port = Int(primary[1]) {
                    replication.follow(host: String(primary[0]), port: port, requestedBy: nil)
                }
            }
            // With appendonly the AOF is the dataset; the RDB file is not read.
            if engine.config.bool("appendonly") {
                aof.loadAtStartup(then: loaded)
            } else {
                rdb.loadAtStartup(then: loaded)
            }
        }
        // The sockets listen already; they are watched (and accept) only now, after the task
        // above, so no command runs before the engine is set up and loading has begun.
        do {
            // The callback runs on the loop straight after the acceptors start, in the same turn.
            try listen(on: sockets, tls: tlsSockets).map { [self] in
                listeners = $0.plain
                tlsListeners = $0.secure
            }.wait()
        } catch {
            throw ServerStartError("Failed to start listening: \(error)")
        }
    }

    /// Blocks until the server has shut down.
    public func waitUntilStopped() {
        try? stopped.futureResult.wait()
        try? writerThread.syncShutdownGracefully()
        aof.shutdownThreads()
        try? loop.syncShutdownGracefully()
    }

    /// Asks the server to shut down (from any thread).
    public func requestShutdown() {
        eventLoop.execute { [self] in
            _ = requestShutdown(reason: "User requested shutdown...", mode: .standard, now: false, force: false, from: nil)
        }
    }

    /// Opens one listening socket per `bind` address; an address marked `-` may be unavailable.
    private func openTCPSockets(port: Int, bind: String) throws(ListenError) -> [CInt] {
        guard port != 0 else { return [] }
        let backlog = Int(engine.config.integer("tcp-backlog"))
        var sockets: [CInt] = []
        for entry in bind.split(separator: " ").map(String.init) {
            let optional = entry.hasPrefix("-")
            let address = optional ? String(entry.dropFirst()) : entry
            do throws(ListenError) {
                sockets.append(
                    try ListeningSocket.tcp(
                        address: address, port: port, backlog: backlog,
                        mark: UInt32(clamping: engine.config.integer("socket-mark-id"))))
            } catch {
                let unavailable = error.description.contains("Cannot assign") || error.description.contains("not supported")
                if optional && unavailable { continue }
                sockets.forEach { _ = Glibc.close($0) }
                throw ListenError(description: "\(address):\(port): \(error)")
            }
        }
        return sockets
    }

    /// Moves the TCP listeners to a new port or bind list (CONFIG SET port / bind), on the loop.
    private func rebind(port: Int, bind: String, error message: String) throws(ConfigError) {
        let sockets: [CInt]
        do throws(ListenError) {
            sockets = try openTCPSockets(port: port, bind: bind)
        } catch {
            log.write(.warning, "Warning: Could not create server TCP listening socket \(error)")
            throw ConfigError(message)
        }
        let old = listeners.filter { $0.localAddress?.protocol != .unix }
        listeners.removeAll { $0.localAddress?.protocol != .unix }
        for listener in old { listener.close() }
        listen(on: sockets, tls: []).assumeIsolated().whenSuccess { [self] in listeners += $0.plain }
        tcpPort = port
    }

    /// Moves the TLS listeners to a new port or bind list (CONFIG SET tls-port / bind).
    private func rebindTLS(port: Int, bind: String) throws(ConfigError) {
        if port != 0 && tlsContext.value.context == nil { try reloadTLS() }
        let sockets: [CInt]
        do throws(ListenError) {
            sockets = try openTCPSockets(port: port, bind: bind)
        } catch {
            log.write(.warning, "Warning: Could not create server TLS listening socket \(error)")
            throw ConfigError("Unable to listen on this port")
        }
        for listener in tlsListeners { listener.close() }
        tlsListeners = []
        listen(on: [], tls: sockets).assumeIsolated().whenSuccess { [self] in tlsListeners += $0.secure }
        tlsPort = port
    }

    /// Builds the TLS context again from the tls-* settings (for new connections).
    private func reloadTLS() throws(ConfigError) {
        do throws(TLSSetupError) {
            tlsContext.value.context = try TLSContextBuilder.serverContext(engine.config)
        } catch {
            log.write(.warning, error.description)
            throw ConfigError("Unable to update TLS configuration. Check server logs.")
        }
    }

    /// Starts accepting on listening sockets, all of them in one task on the loop: a client
    /// answered on the first cannot find another not accepting yet, and no command (a
    /// SHUTDOWN closing them) runs in between. The future completes on the loop.
    private func listen(on plain: [CInt], tls secure: [CInt]) -> EventLoopFuture<(plain: [EpollAcceptor], secure: [EpollAcceptor])> {
        loop.submit { [self] in
            let plainAcceptors = plain.map { EpollAcceptor(descriptor: $0, on: loop, initialize: initializer(tls: false)) }
            let secureAcceptors = secure.map { EpollAcceptor(descriptor: $0, on: loop, initialize: initializer(tls: true)) }
            for acceptor in plainAcceptors + secureAcceptors { try acceptor.start() }
            return (plainAcceptors, secureAcceptors)
        }
    }

    /// What each accepted connection gets before it goes active: its socket options, TLS's
    /// handler on tls-port, and its ConnectionHandler.
    private func initializer(tls: Bool) -> (EpollSocketChannel) throws -> Void {
        let keepalive = Int(engine.config.integer("tcp-keepalive"))
        return { [self] channel in
            let isTCP = channel.localAddress?.protocol != .unix
            // Replies leave at once (no Nagle delay behind an unacknowledged segment), as
            // Redis does. The option is TCP's: `.socketOption(.tcp_nodelay)` would set
            // SOL_SOCKET's option of the same number, SO_DEBUG.
            if isTCP { try channel.syncOptions!.setOption(.tcpOption(.tcp_nodelay), value: 1) }
            if keepalive > 0, isTCP {
                try channel.syncOptions!.setOption(.socketOption(.so_keepalive), value: 1)
                try channel.syncOptions!.setOption(.tcpOption(.init(rawValue: TCP_KEEPIDLE)), value: keepalive)
                try channel.syncOptions!.setOption(.tcpOption(.init(rawValue: TCP_KEEPINTVL)), value: max(1, keepalive / 3))
                try channel.syncOptions!.setOption(.tcpOption(.init(rawValue: TCP_KEEPCNT)), value: 3)
            }
            if tls {
                guard let context = tlsContext.value.context else { throw TLSSetupError("TLS is not configured") }
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
            }
            let handler = ConnectionHandler(
                engine: engine, log: log, flusher: flusher, remoteAddress: channel.remoteAddress,
                localAddress: channel.localAddress, isTLS: tls)
            try channel.pipeline.syncOperations.addHandler(handler)
            // Its only handler without TLS: reads go to it directly, past the pipeline.
            if !tls { channel.readDirectly(into: handler) }
        }
    }

    // MARK: - Cron and signals

    private func scheduleCron() {
        let interval = TimeAmount.microseconds(Int64(1_000_000 / max(1, engine.hz)))
        cronTask = eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            cron()
            if !isShuttingDown { scheduleCron() }
        }
    }

    private func cron() {
        CrashReporting.armWatchdog(engine)
        // DEBUG PAUSE-CRON stops all of it, a pending SIGTERM included (SHUTDOWN ABORT may
        // still cancel that), as Redis's serverCron.
        if engine.cronPaused { return }
        if handlePendingSignal() { return }
        if pendingShutdown != nil && continuePendingShutdown() { return }
        engine.cron()
        migrations.closeIdle(now: engine.clock.wallMilliseconds / 1000)
        rdb.pollBackgroundSave()
        aof.pollRewrite()
        if engine.persistence.loading == nil { aof.cron() }
        let now = engine.clock.wallMilliseconds
        replication.tick(now: now)
        if now - lastReplicationCron >= 1000 {
            lastReplicationCron = now
            replication.cron()
        }
    }

    /// When the replication cron last ran (it runs once a second).
    private var lastReplicationCron: Int64 = 0

    /// Whether a background snapshot (BGSAVE or AOF rewrite) is running: one at a time.
    var hasBackgroundJob: Bool { rdb.isSavingInBackground || aof.isRewriting || replication.isMakingCopy }

    /// A background snapshot ended: one that waited for it starts now (Redis starts them
    /// from its cron; starting here saves up to a cron period).
    func backgroundJobEnded() {
        if engine.persistence.aof.rewriteScheduled { aof.cron() }
        replication.startPendingFullSync(now: engine.clock.wallMilliseconds)
    }

    /// Acts on a shutdown signal that arrived (from the cron, or at once through the signal
    /// pipe); true when the server is shutting down. Nothing while the cron is paused.
    private func handlePendingSignal() -> Bool {
        if engine.cronPaused { return false }
        let signal = pendingSignal.exchange(0, ordering: .relaxed)
        guard signal != 0 else { return false }
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        let words = engine.config[signal == SIGINT ? "shutdown-on-sigint" : "shutdown-on-sigterm"].split(separator: " ")
        let mode: ShutdownMode = words.contains("nosave") ? .noSave : words.contains("save") ? .save : .standard
        switch requestShutdown(
            reason: "Received \(name) scheduling shutdown...", mode: mode, now: words.contains("now"),
            force: words.contains("force"), from: nil)
        {
        case .exiting: return true
        case .waiting: return false
        case .refused: break
        }
        shutdownSignalled.store(false, ordering: .relaxed)
        log.write(.warning, "\(name) received but errors trying to shut down the server, check the logs for more information")
        return false
    }

    private func installSignalHandlers() {
        signal(SIGPIPE, SIG_IGN)
        temporaryRDBName = strdup("temp-\(getpid()).rdb")
        signal(SIGTERM) { number in
            shutdownSignalled.store(true, ordering: .relaxed)
            pendingSignal.store(number, ordering: .relaxed)
            wakeForSignal()
        }
        signal(SIGINT) { number in
            if shutdownSignalled.load(ordering: .relaxed) {
                // "You insist... exiting now." An unclean exit: the final save's file goes.
                let text: StaticString = "You insist... exiting now.\n"
                _ = write(STDERR_FILENO, text.utf8Start, text.utf8CodeUnitCount)
                if let name = temporaryRDBName { unlink(name) }
                _exit(1)
            }
            shutdownSignalled.store(true, ordering: .relaxed)
            pendingSignal.store(number, ordering: .relaxed)
            wakeForSignal()
        }
    }

    // MARK: - Shutdown

    /// Saves the final snapshot when `mode` asks for one (or save points are configured), then
    /// stops. Returns false, and stays up, when the save failed and `force` is false.
    @discardableResult
    func performShutdown(mode: ShutdownMode = .standard, force: Bool = false) -> Bool {
        guard !isShuttingDown else { return true }
        guard persistBeforeExit(mode: mode, force: force) else { return false }
        isShuttingDown = true
        cronTask?.cancel()
        let pidfile = engine.config["pidfile"]
        if !pidfile.isEmpty {
            log.write(.notice, "Removing the pid file.")
            unlink(pidfile)
        }
        let unixPath = engine.config["unixsocket"]
        if !unixPath.isEmpty { unlink(unixPath) }
        log.write(.warning, "Redstart is now ready to exit, bye bye...")
        for listener in listeners { listener.close() }
        for session in engine.sessionsInOrder { engine.disconnect(session) }
        // After the tasks the disconnections just queued (a closed channel lets go of its
        // handlers in one).
        eventLoop.assumeIsolated().execute { [stopped] in stopped.succeed(()) }
        return true
    }

    /// What a shutdown does to persistence before the process goes (also before DEBUG
    /// RESTART): the background save stopped, the AOF written and synced, the final save;
    /// false when the server must stay up.
    func persistBeforeExit(mode: ShutdownMode, force: Bool) -> Bool {
        replication.logSyncBeforeShutdown()
        if rdb.isSavingInBackground {
            log.write(.warning, "There is a child saving an .rdb. Killing it!")
            rdb.abortBackgroundSave()
        }
        guard aof.prepareShutdown(force: force) else { return false }
        if mode == .save || (mode == .standard && !engine.savePoints.isEmpty) {
            log.write(.notice, "Saving the final RDB snapshot before exiting.")
            supervision?.notify("STATUS=Saving the final RDB snapshot\n")
            if !rdb.save() {
                if !force {
                    log.write(.warning, "Error trying to save the DB, can't exit.")
                    supervision?.notify("STATUS=Error trying to save the DB, can't exit.\n")
                    return false
                }
                log.write(.warning, "Error trying to save the DB; exiting anyway (FORCE).")
            }
        }
        return true
    }

    /// The start-up banner (always-show-logo, or a terminal), with the port and pid lines
    /// Redis's banner has (tools wait for " PID: <pid>").
    static func logo(port: Int, bits: Int) -> String {
        """

                 _.-''-._
             _.-'   ()   '-._        Redstart \(Engine.redstartVersion) (Redis \(Engine.redisVersion) compatible) \(bits) bit
            '-._  ___  _.-'
                '-.\\ //.-'          Running in standalone mode
                   \\V//              Port: \(port)
                   //\\              PID: \(getpid())
                  //  \\
                 ''    ''


        """
    }

    private func writePidFile() {
        let path = engine.config["pidfile"]
        guard !path.isEmpty, let file = fopen(path, "w") else { return }
        fputs("\(getpid())\n", file)
        fclose(file)
    }

    /// Changes the working directory and stores its absolute path as `dir`.
    private func applyDirectory(_ path: String) throws(ServerStartError) {
        if !path.isEmpty && chdir(path) != 0 {
            throw ServerStartError("Can't chdir to '\(path)': \(String(cString: strerror(errno)))")
        }
        engine.config.restore("dir", canonical: Self.currentDirectory())
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Raises the open-files limit to fit maxclients, or lowers maxclients to fit the limit (as Redis does).
    private func adjustOpenFilesLimit() {
        let wanted = rlim_t(engine.config.integer("maxclients") + 32)
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < wanted else { return }
        var raised = limit
        raised.rlim_cur = min(wanted, limit.rlim_max)
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        if limit.rlim_cur < wanted {
            let allowed = max(1, Int(limit.rlim_cur) - 32)
            log.write(
                .warning,
                "You requested maxclients of \(engine.config.integer("maxclients")) requiring at least \(wanted) max file descriptors. Redis can't set maximum open files to \(wanted) because of OS error: \(String(cString: strerror(errno))). Current maximum open files is \(limit.rlim_cur). maxclients has been reduced to \(allowed) to compensate for low ulimit."
            )
            engine.config.restore("maxclients", canonical: String(allowed))
            engine.applyConfig()
        }
    }
}

/// Why the server could not start.
public struct ServerStartError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension RedstartServer: EngineHost {
    public var processFacts: ProcessFacts {
        var facts = self.facts
        facts.tcpPort = tcpPort
        return facts
    }

    public func resourceUsage() -> ResourceUsage { ProcessResources.usage() }
    public func usedMemory() -> Int { ProcessResources.allocatedBytes() }
    public func allocatorReport() -> String { ProcessResources.allocatorReport() }
    public func allocatorNumberSetting(_ name: String, write value: Int64?) -> AllocatorSettingReply? {
        ProcessResources.allocator?.numberSetting?(name, value)
    }
    public func allocatorStringSetting(_ name: String, write value: String?) -> AllocatorSettingReply? {
        ProcessResources.allocator?.stringSetting?(name, value)
    }
    public func releaseFreeMemory() -> Bool {
        _ = ProcessResources.trimHeap()
        return true
    }
    public func anonymousHugePagesBytes() -> Int { ProcessResources.anonymousHugePagesBytes() }

    public func abortPendingShutdown() -> Bool {
        if pendingShutdown != nil {
            shutdownSignalled.store(false, ordering: .relaxed)
            abandonPendingShutdown(because: "Shutdown manually aborted.")
            return true
        }
        guard pendingSignal.exchange(0, ordering: .relaxed) != 0 else { return false }
        shutdownSignalled.store(false, ordering: .relaxed)
        log.write(.warning, "Shutdown manually aborted.")
        return true
    }

    public func shutdown(mode: ShutdownMode, now: Bool, force: Bool, for session: Session) -> ShutdownOutcome {
        requestShutdown(reason: "User requested shutdown...", mode: mode, now: now, force: force, from: session)
    }

    public func saveSnapshot() -> Bool { rdb.save() }

    public func startBackgroundSave() -> Bool { rdb.startBackgroundSave() }

    public func abortBackgroundSave() {
        rdb.abortBackgroundSave()
        replication.abortFullSyncs()
    }

    public func startAppendOnlyRewrite() -> Bool { aof.startRewrite() }

    public func reloadAppendOnlyFile(for session: Session) -> Bool { aof.reload(for: session) }

    public func setAppendOnlyFlushSleep(microseconds: Int) { aof.setFlushSleep(microseconds: microseconds) }

    public func reloadSnapshot(save: Bool, flush: Bool, merge: Bool) throws(ReplyError) {
        try rdb.reload(save: save, flush: flush, merge: merge)
    }

    public func rewriteConfig(forceAll: Bool) throws(ReplyError) {
        guard let configFile else { throw ReplyError("The server is running without a config file") }
        // With an ACL file the users live there: the config file keeps no `user` lines.
        let users = engine.config["aclfile"].isEmpty ? engine.configUserLines : []
        try ConfigRewriter(store: engine.config, path: configFile, forceAll: forceAll, userLines: users).rewrite()
    }

    public func applyConfig(_ name: String, value: String) throws(ConfigError) {
        switch name {
        case "dir":
            guard chdir(value) == 0 else { throw ConfigError(String(cString: strerror(errno))) }
            engine.config.restore("dir", canonical: Self.currentDirectory())
        case "loglevel":
            log.level = LogLevel(name: value) ?? .notice
        case "port":
            guard let port = Int(value), port != tcpPort else { return }
            try rebind(port: port, bind: engine.config["bind"], error: "Unable to listen on this port")
        case "bind":
            guard value != boundAddresses else { return }
            try rebind(port: tcpPort, bind: value, error: "Failed to bind to specified addresses.")
            if tlsPort != 0 { try rebindTLS(port: tlsPort, bind: value) }
            boundAddresses = value
        case "tls-port":
            guard let port = Int(value), port != tlsPort else { return }
            try rebindTLS(port: port, bind: engine.config["bind"])
        case "tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-ca-cert-file", "tls-ca-cert-dir",
            "tls-protocols", "tls-ciphers", "tls-auth-clients", "tls-replication", "tls-cluster":
            if TLSContextBuilder.isNeeded(engine.config) { try reloadTLS() }
        case "appendonly":
            if value == "yes" {
                guard aof.start() else { throw ConfigError("Unable to turn on AOF. Check server logs.") }
            } else {
                aof.stop()
            }
        case "min-replicas-to-write", "min-replicas-max-lag":
            replication.updateGoodReplicas()
        case "repl-backlog-size":
            replication.resizeBacklog()
        case "aof-disable-auto-gc":
            if value == "no" { aof.deleteHistoryFiles() }
        case "appendfsync", "aof-timestamp-enabled", "no-appendfsync-on-rewrite", "aof-use-rdb-preamble":
            aof.refreshSettings()
        case "oom-score-adj", "oom-score-adj-values":
            try oomScore.apply(engine.config, isReplica: engine.replicationGate.isReplica, log: log)
        case "jemalloc-bg-thread":
            applyAllocatorBackgroundThread()
        case "proc-title-template":
            applyProcessTitle()
        case "watchdog-period":
            CrashReporting.applyWatchdogPeriod(engine)
        case "crash-log-enabled", "crash-memcheck-enabled", "use-exit-on-panic":
            CrashReporting.apply(engine.config)
        default:
            break
        }
    }

    /// jemalloc-bg-thread (default yes), as Redis's set_jemalloc_bg_thread: jemalloc's own
    /// thread gives dirty pages back on time instead of only when the server allocates.
    private func applyAllocatorBackgroundThread() {
        let enabled: Int64 = engine.config.bool("jemalloc-bg-thread") ? 1 : 0
        _ = ProcessResources.allocator?.numberSetting?("background_thread", enabled)
    }

    public func log(_ level: LogLevel, _ message: String) {
        log.write(level, message)
    }

    public func runInBackground(_ work: @escaping @Sendable () -> Void) {
        backgroundWork.submit { _ in work() }
    }

    public func migrate(_ request: MigrationRequest) -> MigrationOutcome {
        migrations.exchange(request, now: engine.clock.wallMilliseconds / 1000)
    }

    public var migrationCachedSockets: Int { migrations.count }

    public func runOnLoopSoon(_ work: @escaping () -> Void) {
        eventLoop.assumeIsolated().execute(work)
    }

    public func scheduleBlockingTimeout(at deadline: Int64) {
        if let blockingTimer {
            if blockingTimer.deadline <= deadline { return }
            blockingTimer.task.cancel()
        }
        let delay = max(0, deadline - engine.clock.wallMilliseconds)
        let task = eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(delay)) { [self] in
            blockingTimer = nil
            engine.handleBlockingTimeouts()
        }
        blockingTimer = (task, deadline)
    }
}

/// Carries a value that is only ever used on the server's one event loop into
/// NIO's Sendable closures (every channel of the server runs on that loop).
/// The TLS context new tls-port connections get.
final class TLSContextBox {
    var context: NIOSSLContext?
}

struct LoopConfined<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

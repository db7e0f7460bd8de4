// What the engine asks of the process around it (the server layer): facts
// about the process for INFO, and actions that touch files, sockets or the
// process itself (SHUTDOWN, CONFIG REWRITE, applying `dir` or `port`).

/// How SHUTDOWN was asked to treat persistence.
public enum ShutdownMode: Sendable {
    case standard, save, noSave
}

/// What a SHUTDOWN came to.
public enum ShutdownOutcome: Sendable, Equatable {
    /// The server is exiting.
    case exiting
    /// Lagging replicas are given shutdown-timeout to catch up; the caller waits.
    case waiting
    /// It stays up: the error for the caller.
    case refused(String)
}

/// Facts about the server process for INFO server and HELLO.
public struct ProcessFacts: Sendable {
    public var processID: Int
    public var tcpPort: Int
    public var executable: String
    public var configFile: String
    public var runID: String
    public var os: String
    public var archBits: Int

    public init(
        processID: Int = 0, tcpPort: Int = 0, executable: String = "", configFile: String = "",
        runID: String = String(repeating: "0", count: 40), os: String = "", archBits: Int = 64
    ) {
        self.processID = processID
        self.tcpPort = tcpPort
        self.executable = executable
        self.configFile = configFile
        self.runID = runID
        self.os = os
        self.archBits = archBits
    }
}

/// Process-level resource figures for INFO memory and INFO cpu.
public struct ResourceUsage: Sendable {
    public var residentBytes: Int = 0
    public var allocatedBytes: Int = 0
    public var systemMemoryBytes: Int = 0
    public var userCPUSeconds: Double = 0
    public var systemCPUSeconds: Double = 0
    /// The heap allocator, as INFO's mem_allocator names it.
    public var allocatorName = "libc"
    /// The allocator's own totals, when it keeps them (jemalloc does): bytes in blocks
    /// handed out, in the pages those occupy, and resident.
    public var allocator: (allocated: Int, active: Int, resident: Int)?

    public init() {}
}

/// The server layer, as the engine sees it.
public protocol EngineHost: AnyObject {
    /// Facts about the process.
    var processFacts: ProcessFacts { get }
    /// Current memory and CPU use.
    func resourceUsage() -> ResourceUsage
    /// Bytes the process has allocated (used_memory); cheap enough to ask before every
    /// command when maxmemory is set.
    func usedMemory() -> Int
    /// The allocator's own statistics report (MEMORY MALLOC-STATS).
    func allocatorReport() -> String
    /// DEBUG MALLCTL name [value]: the allocator's numeric setting (jemalloc's mallctl),
    /// written when `value` is given; nil when the allocator has no such interface.
    func allocatorNumberSetting(_ name: String, write value: Int64?) -> AllocatorSettingReply?
    /// DEBUG MALLCTL-STR name [value|VOID]: the same for a string setting (VOID calls a
    /// control that takes no value, as thread.tcache.flush).
    func allocatorStringSetting(_ name: String, write value: String?) -> AllocatorSettingReply?
    /// Gives free heap memory back to the system (MEMORY PURGE); false on failure.
    func releaseFreeMemory() -> Bool
    /// Bytes of transparent huge pages backing the process's anonymous memory (LATENCY DOCTOR).
    func anonymousHugePagesBytes() -> Int
    /// Stops the server after the current command; returns an error text to refuse.
    func shutdown(mode: ShutdownMode, now: Bool, force: Bool, for session: Session) -> ShutdownOutcome
    /// SHUTDOWN ABORT: cancels a shutdown a signal asked for and the cron has not begun;
    /// false when there is none.
    func abortPendingShutdown() -> Bool
    /// DEBUG RESTART (`graceful`: the config file rewritten and the shutdown's saves first)
    /// and DEBUG CRASH-AND-RECOVER: the executable started again in this process with its
    /// command line, after `delayMilliseconds`. Returns only when it could not (logged).
    func restart(graceful: Bool, delayMilliseconds: Int)
    /// Writes the current configuration back to the config file (CONFIG REWRITE); with
    /// `forceAll` every parameter, defaults included (DEBUG CONFIG-REWRITE-FORCE-ALL).
    func rewriteConfig(forceAll: Bool) throws(ReplyError)
    /// Applies a changed parameter that needs the process (dir, port, bind, ...).
    /// Throws the error text to refuse the new value.
    func applyConfig(_ name: String, value: String) throws(ConfigError)
    /// Writes a line to the server log.
    func log(_ level: LogLevel, _ message: String)
    /// A command from the primary's stream or the AOF being loaded (`session` says which)
    /// replied the error `line`: Redis's "== CRITICAL ==" report, and its panic under
    /// propagation-error-behavior.
    func propagatedCommandFailed(_ session: Session, error line: String, command name: String)
    /// Runs `work` on a background thread (lazy freeing), in submission order.
    func runInBackground(_ work: @escaping @Sendable () -> Void)
    /// Writes the dataset to the RDB file now, on this thread (SAVE, SHUTDOWN, FLUSHALL);
    /// false when it failed (the reason is logged).
    func saveSnapshot() -> Bool
    /// Starts writing the dataset to the RDB file in the background (BGSAVE, save points);
    /// false when it could not start (the reason is logged).
    func startBackgroundSave() -> Bool
    /// Stops the background save in progress; its temporary file is removed (FLUSHALL).
    func abortBackgroundSave()
    /// DEBUG RELOAD: saves (unless `save` is false), empties the dataset (unless `flush` is
    /// false) and loads the RDB file again; with `merge`, keys in the file replace existing ones.
    func reloadSnapshot(save: Bool, flush: Bool, merge: Bool) throws(ReplyError)
    /// Starts rewriting the append-only file in the background (BGREWRITEAOF); false when it
    /// could not start (the reason is logged).
    func startAppendOnlyRewrite() -> Bool
    /// DEBUG LOADAOF: writes what is pending, empties the dataset and loads the AOF again.
    /// Returns false when the load goes on in steps (clients get -LOADING meanwhile): the
    /// host then replies +OK to `session` and calls `Engine.finishPausedCommand` once done.
    func reloadAppendOnlyFile(for session: Session) -> Bool
    /// DEBUG AOF-FLUSH-SLEEP: sleeps `microseconds` before each write of the AOF buffer.
    func setAppendOnlyFlushSleep(microseconds: Int)
    /// Calls `Engine.handleBlockingTimeouts` at unix millisecond `deadline` (a blocked
    /// client's timeout), or earlier; a later call with a later deadline may be ignored.
    func scheduleBlockingTimeout(at deadline: Int64)
    /// MIGRATE's exchange with another server, over a cached blocking connection.
    func migrate(_ request: MigrationRequest) -> MigrationOutcome
    /// MIGRATE's cached connections (INFO migrate_cached_sockets).
    var migrationCachedSockets: Int { get }
    /// Runs `work` on the engine's loop after the events already waiting (a long eviction
    /// goes on between other clients' commands).
    func runOnLoopSoon(_ work: @escaping () -> Void)
    /// The contents of the ACL file (ACL LOAD), or the system's reason it could not be read.
    func readACLFile(_ path: String) -> Result<[UInt8], HostFileError>
    /// Replaces the ACL file with `contents` (a temporary file renamed over it); false on
    /// failure, after logging why.
    func writeACLFile(_ path: String, _ contents: [UInt8]) -> Bool
}

/// Why the host could not read a file.
public struct HostFileError: Error {
    public let reason: String
    public init(reason: String) { self.reason = reason }
}

/// Redis's log levels, with the mark each prints.
public enum LogLevel: Int, Sendable, Comparable {
    case debug = 0, verbose, notice, warning

    /// `.` debug, `-` verbose, `*` notice, `#` warning.
    public var mark: Character {
        switch self {
        case .debug: return "."
        case .verbose: return "-"
        case .notice: return "*"
        case .warning: return "#"
        }
    }

    /// The level named by the `loglevel` setting.
    public init?(name: String) {
        switch name {
        case "debug": self = .debug
        case "verbose": self = .verbose
        case "notice": self = .notice
        case "warning": self = .warning
        default: return nil
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What DEBUG MALLCTL and MALLCTL-STR answer.
public enum AllocatorSettingReply: Equatable, Sendable {
    /// The setting's value before any write.
    case integer(Int64)
    case text(String)
    /// A write-only setting was written.
    case written
    /// The allocator refused: its error, as strerror says it.
    case failed(String)
}

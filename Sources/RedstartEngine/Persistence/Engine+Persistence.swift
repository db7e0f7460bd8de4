// The engine's side of RDB persistence: what INFO persistence, LASTSAVE and
// the gatekeeper need to know (the last save, the one in progress, the
// dataset being loaded), the save points the cron checks, and the refusals
// that follow from them (-MISCONF after a failed background save, -LOADING
// while the dataset loads). Writing and reading files is the host's
// (EngineHost: saveSnapshot, startBackgroundSave, ...).

/// The state of persistence, as INFO persistence reports it.
public struct PersistenceStatus {
    /// Unix seconds of the last successful save (LASTSAVE).
    public var lastSaveTime: Int64 = 0
    /// `stats.dirty` when the dataset last matched the file (changes since are unsaved).
    public var dirtyAtLastSave = 0
    /// The last background save succeeded (rdb_last_bgsave_status).
    public var lastBackgroundSaveSucceeded = true
    /// Unix milliseconds of the last background save attempt (failed ones are retried
    /// after 5 seconds, as Redis's CONFIG_BGSAVE_RETRY_DELAY).
    public var lastBackgroundSaveAttempt: Int64 = 0
    /// When a replica last logged applying its primary's write despite a disk error.
    var lastDiskErrorApplyLog: Int64 = 0
    /// Seconds the last background save took (-1: none yet).
    public var lastBackgroundSaveSeconds = -1
    /// A background save is in progress: when it began (unix milliseconds).
    public var backgroundSaveStart: Int64?
    /// BGSAVE SCHEDULE asked for one after the running save.
    public var backgroundSaveScheduled = false
    /// Successful saves since start (rdb_saves).
    public var saves = 0
    /// Bytes of keys written early during the last background save (rdb_last_cow_size).
    public var lastCopiedBytes = 0
    /// The dataset being loaded, if any.
    public var loading: LoadingProgress?
    /// A replica receives a copy of its primary's dataset while serving the one it has
    /// (repl-diskless-load swapdb with the same history: INFO async_loading).
    public var asyncLoading = false
    /// Keys loaded and skipped as expired by the last load.
    public var lastLoadKeysLoaded = 0
    public var lastLoadKeysExpired = 0
    /// The append-only file.
    public var aof = AOFStatus()
    /// Background snapshots started (BGSAVE, AOF rewrites): INFO's total_forks.
    public var backgroundJobs = 0

    public init() {}
}

/// The append-only file's state, as INFO persistence reports it (the server keeps it).
public struct AOFStatus {
    /// appendonly is on (also while its first rewrite runs).
    public var enabled = false
    /// A rewrite is running: when it began (unix milliseconds).
    public var rewriteStart: Int64?
    /// BGREWRITEAOF was asked while another background job ran, or AOF was turned on then.
    public var rewriteScheduled = false
    public var lastRewriteSeconds = -1
    public var lastRewriteSucceeded = true
    public var rewrites = 0
    public var consecutiveRewriteFailures = 0
    public var lastWriteSucceeded = true
    /// A background fsync failed (cleared by the next one that succeeds).
    public var fsyncFailed = false
    /// strerror of the last write or fsync failure (the -MISCONF text).
    public var lastWriteError = ""
    public var lastCopiedBytes = 0
    /// Bytes of the whole AOF (base and increments), and of it after the last rewrite.
    public var currentSize: Int64 = 0
    public var baseSize: Int64 = 0
    /// Bytes waiting to be written.
    public var bufferLength = 0
    public var pendingFsyncs = 0
    /// Writes done while a background fsync was late by more than 2 seconds.
    public var delayedFsyncs = 0

    public init() {}
}

/// How far a load (start-up, DEBUG RELOAD) is.
public struct LoadingProgress {
    /// Unix seconds when it began.
    public var startTime: Int64
    public var totalBytes: Int
    public var loadedBytes = 0
    public var keysLoaded = 0

    public init(startTime: Int64, totalBytes: Int) {
        self.startTime = startTime
        self.totalBytes = totalBytes
    }
}

/// A save point: save when at least `changes` changes are `seconds` old.
public struct SavePoint: Equatable, Sendable {
    public let seconds: Int64
    public let changes: Int

    /// The points of a `save` setting ("3600 1 300 100"), in order.
    public static func parse(_ text: String) -> [SavePoint] {
        let words = text.split(separator: " ").compactMap { Int64($0) }
        return stride(from: 0, to: words.count - 1, by: 2).map { SavePoint(seconds: words[$0], changes: Int(words[$0 + 1])) }
    }
}

extension Engine {
    /// Changes since the last save (rdb_changes_since_last_save).
    public var changesSinceLastSave: Int { stats.dirty - persistence.dirtyAtLastSave }

    /// Whether a background save is running.
    public var isSavingInBackground: Bool { persistence.backgroundSaveStart != nil }

    /// Whether an AOF rewrite is running.
    public var isRewritingAppendOnlyFile: Bool { persistence.aof.rewriteStart != nil }

    /// Records a successful save of the dataset as it was when `stats.dirty` was `dirty`.
    public func noteSaved(dirtyAt dirty: Int) {
        persistence.dirtyAtLastSave = dirty
        persistence.lastSaveTime = clock.wallMilliseconds / 1000
        persistence.saves += 1
    }

    /// Whether writes are refused for a persistence failure (see diskErrorRefusal).
    var hasDiskError: Bool {
        !persistence.lastBackgroundSaveSucceeded
            || (persistence.aof.enabled && (!persistence.aof.lastWriteSucceeded || persistence.aof.fsyncFailed))
    }

    /// The refusal of write commands after a failed background save
    /// (stop-writes-on-bgsave-error) or while the AOF cannot be written, or nil.
    var diskErrorRefusal: ReplyError? {
        guard stopWritesOnSaveError, !savePoints.isEmpty, !persistence.lastBackgroundSaveSucceeded else {
            // Field by field: a copy of the AOF state would retain its strings on every write.
            guard persistence.aof.enabled, !persistence.aof.lastWriteSucceeded || persistence.aof.fsyncFailed else {
                return nil
            }
            return ReplyError(code: "MISCONF", "Errors writing to the AOF file: \(persistence.aof.lastWriteError)")
        }
        return ReplyError(
            code: "MISCONF",
            "Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
        )
    }

    /// A write from this replica's primary while writes to disk fail: a panic, or with
    /// replica-ignore-disk-write-errors the write goes on (logged at most every 10 seconds).
    func applyDespiteDiskError(_ spec: CommandSpec) {
        if spec.name != "ping" && !config.bool("replica-ignore-disk-write-errors") {
            serverPanic("Replica was unable to write command to disk.")
        }
        let now = clock.wallMilliseconds
        guard now > persistence.lastDiskErrorApplyLog + 10_000 else { return }
        persistence.lastDiskErrorApplyLog = now
        log(.warning, "Replica is applying a command even though it is unable to write to disk.")
    }

    /// The cron's persistence work: a scheduled BGSAVE once none runs, and the save points.
    func checkSavePoints() {
        guard let host, persistence.loading == nil, !isSavingInBackground, !isRewritingAppendOnlyFile else { return }
        if persistence.backgroundSaveScheduled {
            if host.startBackgroundSave() { persistence.backgroundSaveScheduled = false }
            return
        }
        let now = clock.wallMilliseconds
        let changes = changesSinceLastSave
        let retryAllowed = persistence.lastBackgroundSaveSucceeded || now - persistence.lastBackgroundSaveAttempt >= 5000
        guard retryAllowed else { return }
        for point in savePoints where changes >= point.changes && now / 1000 - persistence.lastSaveTime > point.seconds {
            log(.notice, "\(point.changes) changes in \(point.seconds) seconds. Saving...")
            _ = host.startBackgroundSave()
            return
        }
    }
}

extension Engine {
    /// Empties every database and the function libraries before a load replaces them
    /// (DEBUG RELOAD), with what a flush tells watchers and blocked clients.
    public func emptyDatasetForLoad(lazily: Bool = false) {
        for db in databases {
            touchWatchedKeys(emptying: db, replacedWith: nil)
            emptyDatabase(db, lazily: lazily)
        }
        invalidateTrackingOnFlush()
        scripting?.removeAllFunctions()
    }
}

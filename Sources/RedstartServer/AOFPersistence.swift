// The append-only file, as Redis 7.0 keeps it: a directory (`appenddirname`)
// with a base file (a snapshot, RDB or commands), incremental files of the
// writes since, and a manifest naming them (AOFManifest).
//
// Writes arrive from the engine's propagation, one unit per command (a whole
// EXEC or script as MULTI … EXEC), and are appended in RESP to a buffer with
// SELECT (and `#TS:` lines with aof-timestamp-enabled) as needed. The buffer
// goes to the file in one write(2) at the end of each event-loop turn, before
// any reply of that turn is sent (the ReplyFlusher calls `flushBeforeReplies`
// first), so a transaction is never split and, with `appendfsync always`, a
// write is on disk before its reply leaves: one fdatasync per turn covers
// every client of that turn (group commit). With `everysec` the fsync runs on
// a thread of its own at most once a second; if it is still running the
// write waits up to two seconds (then goes ahead and counts
// aof_delayed_fsync), as Redis's flushAppendOnlyFile.
//
// A rewrite (BGREWRITEAOF, auto-aof-rewrite-*, turning AOF on) opens a new
// incremental file for the writes that follow, writes a new base from a
// DatasetSnapshot in the background, then switches the manifest to it in one
// rename: older files become history and are removed. A crash at any point
// leaves a manifest whose files load.
#if canImport(Glibc)
import Glibc
#endif
import CRedstartShims
import NIOCore
import NIOPosix
import RedstartEngine
import RedstartRESP
import Synchronization

/// The server's append-only file.
final class AOFPersistence: PropagationSink {
    enum State {
        case off
        /// Turned on at run time: the first rewrite must finish before the AOF counts.
        case waitingForRewrite
        case on
    }

    unowned(unsafe) let server: RedstartServer
    var engine: Engine { server.engine }
    var log: ServerLog { server.log }
    var state: State = .off
    var manifest = AOFManifest()
    /// The manifest text last written, to skip writing it unchanged.
    var persistedManifest: String?
    /// The incremental file being appended to.
    var descriptor: CInt = -1
    /// Writes not yet handed to write(2).
    var buffer: [UInt8] = []
    var selectedDatabase = -1
    private var lastTimestamp: Int64 = 0
    var lastIncrementalSize: Int64 = 0
    var lastIncrementalFsyncOffset: Int64 = 0
    var lastFsyncSecond: Int64 = 0
    private var flushPostponedSince: Int64 = 0
    private var flushSleepMicros = 0
    private var lastWriteErrorLog: Int64 = 0
    private var lastWriteErrno: CInt = 0
    var flushTaskQueued = false
    /// The rewrite in progress, the format of its base file, and where its temporary file is.
    var rewrite: SnapshotJob?
    var rewriteIsRDB = true
    var rewriteFailureDelayMinutes = 0
    var nextRewriteAllowed: Int64 = 0
    /// The thread that runs the everysec fsyncs.
    let fsyncThread = NIOThreadPool(numberOfThreads: 1)
    let fsyncs = FsyncCounters()

    /// Holds replies until their AOF bytes are synced (appendfsync always).
    var gate = DurabilityGate()
    /// An fdatasync for `always` runs on the fsync thread.
    var durableSyncInFlight = false
    /// Turns that wrote at least this much sync off the loop (see startDurableSync).
    static let backgroundSyncThreshold = 16 * 1024

    // Settings, refreshed when CONFIG SET changes one.
    var policy = FsyncPolicy.everySecond
    var timestamps = false
    private var noFsyncOnRewrite = false
    var usePreamble = true

    enum FsyncPolicy { case always, everySecond, no }

    init(server: RedstartServer) {
        self.server = server
        fsyncThread.start()
        refreshSettings()
    }

    func shutdownThreads() { try? fsyncThread.syncShutdownGracefully() }

    var directoryName: String { engine.config["appenddirname"] }
    var prefix: String { engine.config["appendfilename"] }
    func path(_ name: String) -> String { directoryName + "/" + name }
    var isOn: Bool { state != .off }
    var isRewriting: Bool { rewrite != nil }

    /// Reads the settings the hot path uses (after start-up and CONFIG SET).
    func refreshSettings() {
        let config = engine.config
        let previous = policy
        switch config["appendfsync"] {
        case "always": policy = .always
        case "no": policy = .no
        default: policy = .everySecond
        }
        // Leaving `always`: what replies wait for is synced now, and none wait any more.
        if previous == .always && policy != .always { syncBeforeClosing() }
        timestamps = config.bool("aof-timestamp-enabled")
        noFsyncOnRewrite = config.bool("no-appendfsync-on-rewrite")
        usePreamble = config.bool("aof-use-rdb-preamble")
    }

    var nowSeconds: Int64 { engine.clock.wallMilliseconds / 1000 }

    // MARK: - Appending

    func propagate(_ unit: [PropagatedCommand]) {
        guard state == .on || (state == .waitingForRewrite && rewrite != nil) else { return }
        let wasEmpty = buffer.isEmpty
        for command in unit where command.targets.contains(.aof) {
            if timestamps && nowSeconds > lastTimestamp {
                lastTimestamp = nowSeconds
                buffer.append(contentsOf: Array("#TS:\(lastTimestamp)\r\n".utf8))
            }
            if command.database != selectedDatabase {
                AOFEncoding.appendSelect(command.database, to: &buffer)
                selectedDatabase = command.database
            }
            buffer.append(contentsOf: command.encoded)
        }
        engine.persistence.aof.bufferLength = buffer.count
        if policy == .always && !buffer.isEmpty { gate.hasPendingBytes = true }
        if wasEmpty && !buffer.isEmpty && !flushTaskQueued {
            // Writes without a reply (expired keys) are written at the end of the turn too.
            flushTaskQueued = true
            server.eventLoop.execute { [self] in
                flushTaskQueued = false
                flush(force: false)
            }
        }
    }

    /// Called before the turn's replies are sent.
    func flushBeforeReplies() {
        if isOn && !buffer.isEmpty { flush(force: false) }
    }

    /// Writes the buffer (Redis's flushAppendOnlyFile) and fsyncs as the policy says.
    func flush(force: Bool) {
        guard descriptor >= 0 else { return }
        let now = nowSeconds
        var syncInProgress = false
        if buffer.isEmpty {
            // Nothing to write, but an everysec fsync may still be owed.
            let unsynced = lastIncrementalFsyncOffset != lastIncrementalSize
            if policy == .everySecond && unsynced && now > lastFsyncSecond && fsyncs.pending.load(ordering: .relaxed) == 0 {
                fsyncIfNeeded(now: now, syncInProgress: false)
            } else if policy == .always && gate.writtenGeneration > gate.syncedGeneration {
                startDurableSync()
            }
            return
        }
        // With `always`, bytes that arrive while an fdatasync runs are written when it ends
        // (a write(2) would wait for the fsync anyway): the loop goes on serving, and the
        // next fsync covers all of them.
        if policy == .always && durableSyncInFlight && !force { return }
        if policy == .everySecond { syncInProgress = fsyncs.pending.load(ordering: .relaxed) > 0 }
        if policy == .everySecond && !force && syncInProgress {
            // The disk is busy with the last fsync: a write now would wait for it.
            if flushPostponedSince == 0 {
                flushPostponedSince = now
                return
            } else if now - flushPostponedSince < 2 {
                return
            }
            engine.persistence.aof.delayedFsyncs += 1
            log.write(
                .notice,
                "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis."
            )
        }
        if flushSleepMicros > 0 { usleep(useconds_t(flushSleepMicros)) }
        let written = writeBufferMeasured(syncInProgress: syncInProgress)
        flushPostponedSince = 0
        if written != buffer.count {
            writeFailed(written: written, now: now)
            return
        }
        if !engine.persistence.aof.lastWriteSucceeded {
            log.write(.warning, "AOF write error looks solved, Redis can write again.")
            engine.persistence.aof.lastWriteSucceeded = true
        }
        engine.persistence.aof.currentSize += Int64(written)
        lastIncrementalSize += Int64(written)
        // The buffer is reused unless a burst made it big (Redis keeps only small ones; its
        // allocator makes regrowth cheap, ours less so).
        if buffer.capacity <= 1 << 20 {
            buffer.removeAll(keepingCapacity: true)
        } else {
            buffer = []
        }
        engine.persistence.aof.bufferLength = 0
        if policy == .always { _ = gate.noteWritten() }
        fsyncIfNeeded(now: now, syncInProgress: syncInProgress, turnBytes: written)
    }

    /// writeBuffer with the latency monitor's AOF write events (Redis's flushAppendOnlyFile):
    /// `aof-write`, and by what the disk was doing meanwhile, `aof-write-pending-fsync`,
    /// `aof-write-active-child` (a background snapshot writing) or `aof-write-alone`.
    private func writeBufferMeasured(syncInProgress: Bool) -> Int {
        guard engine.isMonitoringLatency else { return writeBuffer() }
        let start = engine.clock.monotonicMicroseconds
        let written = writeBuffer()
        let elapsed = (engine.clock.monotonicMicroseconds - start) / 1000
        let circumstance =
            syncInProgress ? "aof-write-pending-fsync" : server.hasBackgroundJob ? "aof-write-active-child" : "aof-write-alone"
        engine.addLatencySampleIfNeeded(circumstance, milliseconds: elapsed)
        engine.addLatencySampleIfNeeded("aof-write", milliseconds: elapsed)
        return written
    }

    /// write(2) of the whole buffer, retried on short writes; the bytes written, or -1.
    private func writeBuffer() -> Int {
        let (written, error) = buffer.withUnsafeBytes { writeFully(descriptor, $0) }
        guard error != 0 else { return written }
        lastWriteErrno = error
        return written > 0 ? written : -1
    }

    private func writeFailed(written: Int, now: Int64) {
        let canLog = now - lastWriteErrorLog > 30
        if canLog { lastWriteErrorLog = now }
        var written = written
        if written == -1 {
            if canLog { log.write(.warning, "Error writing to the AOF file: \(String(cString: strerror(lastWriteErrno)))") }
        } else {
            if canLog {
                log.write(.warning, "Short write while writing to the AOF file: (nwritten=\(written), expected=\(buffer.count))")
            }
            if ftruncate(descriptor, off_t(lastIncrementalSize)) == -1 {
                if canLog {
                    log.write(
                        .warning,
                        "Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: \(String(cString: strerror(errno)))"
                    )
                }
            } else {
                written = -1
            }
            lastWriteErrno = ENOSPC
        }
        if policy == .always {
            // The replies of this turn are already promised: the contract cannot be kept.
            log.write(.warning, "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...")
            exit(1)
        }
        engine.persistence.aof.lastWriteSucceeded = false
        engine.persistence.aof.lastWriteError = String(cString: strerror(lastWriteErrno))
        if written > 0 {
            engine.persistence.aof.currentSize += Int64(written)
            lastIncrementalSize += Int64(written)
            buffer.removeFirst(written)
        }
    }

    private func fsyncIfNeeded(now: Int64, syncInProgress: Bool, turnBytes: Int = 0) {
        if noFsyncOnRewrite && server.hasBackgroundJob {
            // The user chose not to sync during rewrites: replies do not wait either.
            gate.noteAllSynced()
            return
        }
        switch policy {
        case .always:
            startDurableSync(turnBytes: turnBytes)
            lastFsyncSecond = now
        case .everySecond where now > lastFsyncSecond:
            if !syncInProgress {
                backgroundFsync(descriptor, thenClose: false)
                lastIncrementalFsyncOffset = lastIncrementalSize
            }
            lastFsyncSecond = now
        default:
            break
        }
    }

    /// Syncs everything written so far. A small turn (clients one command at a time) syncs
    /// here, on the loop, as Redis does: its clients wait for nothing else, and answering
    /// them at once lets them all join the next turn. A big turn (pipelines) syncs on the
    /// fsync thread while the loop works on the next turn, whose replies wait for the sync
    /// after it (see DurabilityGate); if one runs, the next starts when it ends.
    private func startDurableSync(turnBytes: Int = 0) {
        guard !durableSyncInFlight, descriptor >= 0, gate.writtenGeneration > gate.syncedGeneration else { return }
        if turnBytes < Self.backgroundSyncThreshold {
            let failure = engine.measuringLatency("aof-fsync-always") { fdatasync(self.descriptor) == -1 ? errno : 0 }
            if failure != 0 {
                log.write(
                    .warning,
                    "Can't persist AOF for fsync error when the AOF fsync policy is 'always': \(String(cString: strerror(failure))). Exiting..."
                )
                exit(1)
            }
            lastIncrementalFsyncOffset = lastIncrementalSize
            gate.noteAllSynced()
            return
        }
        durableSyncInFlight = true
        let target = gate.writtenGeneration
        let offset = lastIncrementalSize
        let descriptor = self.descriptor
        let loop = server.eventLoop
        fsyncThread.submit { [self] _ in
            let start = redstart_monotonic_microseconds()
            let failure = fdatasync(descriptor) == -1 ? errno : 0
            let milliseconds = Int64((redstart_monotonic_microseconds() - start) / 1000)
            loop.execute { [self] in durableSyncEnded(target, offset: offset, failure: failure, milliseconds: milliseconds) }
        }
    }

    private func durableSyncEnded(_ generation: Int, offset: Int64, failure: CInt, milliseconds: Int64) {
        durableSyncInFlight = false
        engine.addLatencySampleIfNeeded("aof-fsync-always", milliseconds: milliseconds)
        // A descriptor closed by a switch to a new file was synced before it closed.
        if failure != 0 && failure != EBADF {
            log.write(
                .warning,
                "Can't persist AOF for fsync error when the AOF fsync policy is 'always': \(String(cString: strerror(failure))). Exiting..."
            )
            exit(1)
        }
        if offset <= lastIncrementalSize { lastIncrementalFsyncOffset = max(lastIncrementalFsyncOffset, offset) }
        gate.noteSynced(generation)
        // What arrived meanwhile waits for the writes of the clients just answered (the end
        // of the turn that reads them writes and syncs all of it at once); a short timer
        // covers a quiet loop.
        if policy == .always && isOn && !buffer.isEmpty && !flushTaskQueued {
            flushTaskQueued = true
            server.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(200)) { [self] in
                flushTaskQueued = false
                flush(force: false)
            }
        }
    }

    /// Writes the buffer and syncs the file now, on this thread: no reply waits after it
    /// (replies sent as a connection closes, leaving `always`, turning the AOF off).
    func syncBeforeClosing() {
        guard isOn, descriptor >= 0 else {
            gate.noteAllSynced()
            return
        }
        flush(force: true)
        if gate.writtenGeneration > gate.syncedGeneration {
            fdatasync(descriptor)
            lastIncrementalFsyncOffset = lastIncrementalSize
        }
        gate.noteAllSynced()
    }

    func backgroundFsync(_ descriptor: CInt, thenClose: Bool) {
        fsyncs.pending.add(1, ordering: .relaxed)
        let counters = fsyncs
        fsyncThread.submit { _ in
            if fdatasync(descriptor) == -1 && errno != EBADF && errno != EINVAL {
                counters.failure.store(errno, ordering: .relaxed)
            } else if !thenClose {
                counters.failure.store(0, ordering: .relaxed)
            }
            if thenClose { close(descriptor) }
            counters.pending.subtract(1, ordering: .relaxed)
        }
    }

    /// The -MISCONF text while the AOF cannot be written or synced, else nil.
    func refreshWriteStatus() {
        let failedSync = fsyncs.failure.load(ordering: .relaxed)
        if isOn && failedSync != 0 {
            engine.persistence.aof.fsyncFailed = true
            engine.persistence.aof.lastWriteError = String(cString: strerror(failedSync))
        } else {
            engine.persistence.aof.fsyncFailed = false
        }
        engine.persistence.aof.pendingFsyncs = fsyncs.pending.load(ordering: .relaxed)
    }

    // MARK: - Cron

    /// Once per server cron tick: scheduled and automatic rewrites, postponed writes, fsyncs.
    func cron() {
        refreshWriteStatus()
        let status = engine.persistence.aof
        if !server.hasBackgroundJob && status.rewriteScheduled && !rewriteLimited() {
            _ = startRewrite()
        }
        let percentage = engine.config.integer("auto-aof-rewrite-percentage")
        if state == .on && !server.hasBackgroundJob && percentage > 0
            && status.currentSize > engine.config.integer("auto-aof-rewrite-min-size")
        {
            let base = max(status.baseSize, 1)
            let growth = status.currentSize * 100 / base - 100
            if growth >= percentage && !rewriteLimited() {
                log.write(.notice, "Starting automatic rewriting of AOF on \(growth)% growth")
                _ = startRewrite()
            }
        }
        if isOn { flush(force: false) }
    }

    /// After three failed rewrites in a row automatic ones wait 1, 2, 4 … 60 minutes.
    private func rewriteLimited() -> Bool {
        guard engine.persistence.aof.consecutiveRewriteFailures >= 3 else {
            rewriteFailureDelayMinutes = 0
            nextRewriteAllowed = 0
            return false
        }
        if nextRewriteAllowed != 0 {
            if nowSeconds < nextRewriteAllowed { return true }
            nextRewriteAllowed = 0
            return false
        }
        rewriteFailureDelayMinutes = min(rewriteFailureDelayMinutes == 0 ? 1 : rewriteFailureDelayMinutes * 2, 60)
        nextRewriteAllowed = nowSeconds + Int64(rewriteFailureDelayMinutes) * 60
        log.write(
            .warning,
            "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in \(rewriteFailureDelayMinutes) minutes"
        )
        return true
    }

    func setFlushSleep(microseconds: Int) { flushSleepMicros = max(0, microseconds) }

    // MARK: - Manifest and files

    /// Reads the manifest from the AOF directory (none there: an empty one); a broken
    /// manifest ends the process, as Redis.
    func loadManifestFromDisk() {
        manifest = AOFManifest()
        persistedManifest = nil
        guard directoryExists(directoryName) else { return }
        let manifestPath = path(prefix + ".manifest")
        guard fileExists(manifestPath) else { return }
        guard let bytes = readWholeFile(manifestPath) else {
            log.write(.warning, "Fatal error: can't open the AOF manifest file \(manifestPath) for reading: \(String(cString: strerror(errno)))")
            exit(1)
        }
        do throws(AOFManifestError) {
            manifest = try AOFManifest.parse(bytes)
            persistedManifest = manifest.text
        } catch {
            for line in error.logLines { log.write(.warning, line) }
            exit(1)
        }
    }

    /// Writes `manifest` through a temporary file, fsync and rename; false when it failed.
    func persist(_ manifest: AOFManifest) -> Bool {
        let text = manifest.text
        if text == persistedManifest { return true }
        let name = prefix + ".manifest"
        let temporaryName = "temp-" + prefix + ".manifest"
        let handle = open(path(temporaryName), O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0o644)
        guard handle >= 0 else {
            log.write(.warning, "Can't open the AOF manifest file \(temporaryName): \(String(cString: strerror(errno)))")
            return false
        }
        defer { close(handle) }
        guard writeAll(handle, Array(text.utf8)) else {
            log.write(
                .warning, "Error trying to write the temporary AOF manifest file \(temporaryName): \(String(cString: strerror(errno)))")
            return false
        }
        guard fsync(handle) == 0 else {
            log.write(.warning, "Fail to fsync the temp AOF file \(temporaryName): \(String(cString: strerror(errno))).")
            return false
        }
        guard rename(path(temporaryName), path(name)) == 0 else {
            log.write(
                .warning,
                "Error trying to rename the temporary AOF manifest file \(temporaryName) into \(name): \(String(cString: strerror(errno)))")
            return false
        }
        syncDirectory(directoryName)
        persistedManifest = text
        return true
    }

    /// Creates the AOF directory when missing; false (logged) when it cannot.
    func createDirectoryIfMissing() -> Bool {
        if mkdir(directoryName, 0o755) == 0 || errno == EEXIST { return true }
        log.write(.warning, "Can't open or create append-only dir \(directoryName): \(String(cString: strerror(errno)))")
        return false
    }

    /// Removes the history files (unless aof-disable-auto-gc) and drops them from the manifest.
    func deleteHistoryFiles() {
        guard !manifest.history.isEmpty, !engine.config.bool("aof-disable-auto-gc") else { return }
        for info in manifest.history {
            log.write(.notice, "Removing the history file \(info.name) in the background")
            unlinkInBackground(path(info.name))
        }
        manifest.history = []
        _ = persist(manifest)
    }

    /// Removes `path` now (its name is free at once for a new file) and lets the background
    /// thread release its blocks, by closing the last descriptor there (Redis's bg_unlink).
    func unlinkInBackground(_ path: String) {
        let handle = open(path, O_RDONLY | O_CLOEXEC)
        unlink(path)
        guard handle >= 0 else { return }
        engine.host?.runInBackground { close(handle) }
    }

    /// A file of the AOF directory's size, or nil (logged as Redis does) when it cannot be
    /// read; the stat(2) is the latency monitor's `aof-fstat`, as Redis's getAppendOnlyFileSize.
    func fileSize(_ name: String) -> Int64? {
        var info = stat()
        let failure = engine.measuringLatency("aof-fstat") { stat(path(name), &info) == 0 ? 0 : errno }
        guard failure == 0 else {
            log.write(.warning, "Unable to obtain the AOF file \(name) length. stat: \(String(cString: strerror(failure)))")
            return nil
        }
        return Int64(info.st_size)
    }

    // MARK: - Turning on and off

    /// CONFIG SET appendonly yes: the AOF counts once a first rewrite wrote its base.
    func start() -> Bool {
        guard state == .off else { return true }
        state = .waitingForRewrite
        engine.persistence.aof.enabled = true
        server.propagation.feedsAOF = true
        if server.rdb.isSavingInBackground {
            engine.persistence.aof.rewriteScheduled = true
            log.write(
                .warning,
                "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible."
            )
        } else if engine.isExecutingTransaction {
            engine.persistence.aof.rewriteScheduled = true
            log.write(.warning, "AOF was enabled during a transaction. An AOF background was scheduled to start when possible.")
        } else {
            if rewrite != nil {
                log.write(
                    .warning,
                    "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now."
                )
                killRewrite()
            }
            guard startRewrite() else {
                state = .off
                engine.persistence.aof.enabled = false
                server.propagation.feedsAOF = false
                log.write(
                    .warning,
                    "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error."
                )
                return false
            }
        }
        lastFsyncSecond = nowSeconds
        if fsyncs.failure.load(ordering: .relaxed) != 0 {
            log.write(.warning, "AOF reopen, just ignore the AOF fsync error in bio job")
            fsyncs.failure.store(0, ordering: .relaxed)
        }
        if !engine.persistence.aof.lastWriteSucceeded {
            log.write(.warning, "AOF reopen, just ignore the last error.")
            engine.persistence.aof.lastWriteSucceeded = true
        }
        return true
    }

    /// CONFIG SET appendonly no: the file is written, synced and closed; a rewrite stops.
    func stop() {
        guard state != .off else { return }
        flush(force: true)
        if descriptor >= 0 {
            if fsync(descriptor) == -1 {
                log.write(.warning, "Fail to fsync the AOF file: \(String(cString: strerror(errno)))")
            } else {
                lastFsyncSecond = nowSeconds
            }
            close(descriptor)
        }
        gate.noteAllSynced()
        descriptor = -1
        selectedDatabase = -1
        state = .off
        engine.persistence.aof.enabled = false
        engine.persistence.aof.rewriteScheduled = false
        server.propagation.feedsAOF = false
        lastIncrementalSize = 0
        lastIncrementalFsyncOffset = 0
        killRewrite()
        buffer = []
        engine.persistence.aof.bufferLength = 0
    }

    /// Shutdown: stops a rewrite, writes and syncs the buffer. False (and the server stays
    /// up) while the first rewrite after turning AOF on runs, unless `force`.
    func prepareShutdown(force: Bool) -> Bool {
        if rewrite != nil {
            if state == .waitingForRewrite {
                if !force {
                    log.write(.warning, "Writing initial AOF, can't exit.")
                    return false
                }
                log.write(.warning, "Writing initial AOF. Exit anyway.")
            }
            log.write(.warning, "There is a child rewriting the AOF. Killing it!")
            killRewrite()
        }
        if state != .off {
            log.write(.notice, "Calling fsync() on the AOF file.")
            flush(force: true)
            if descriptor >= 0 { fsync(descriptor) }
            gate.noteAllSynced()
        }
        return true
    }

}



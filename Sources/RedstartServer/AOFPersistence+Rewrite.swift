// Rewriting the append-only file (BGREWRITEAOF, automatic rewrites, turning
// AOF on): a new incremental file named in the manifest first, a new base
// written by a SnapshotJob, then one manifest rename that makes the old files
// history. See ARCHITECTURE.md, Persistence (AOF).
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import RedstartEngine
import Synchronization

extension AOFPersistence {
    // MARK: - Rewriting

    /// Starts a rewrite (Redis's rewriteAppendOnlyFileBackground); false when it could not.
    func startRewrite() -> Bool {
        guard !server.hasBackgroundJob else { return false }
        guard createDirectoryIfMissing() else {
            engine.persistence.aof.lastRewriteSucceeded = false
            return false
        }
        selectedDatabase = -1
        flush(force: true)
        guard openNewIncrementalFile() else {
            engine.persistence.aof.lastRewriteSucceeded = false
            return false
        }
        engine.persistence.aof.rewrites += 1
        do throws(SpawnFailure) {
            rewrite = try SnapshotJob(
                server: server, kind: .aof, format: snapshotFormat(rdb: usePreamble),
                checksum: engine.config.bool("rdbchecksum"), writerThread: server.writerThread
            ) { [self] result in rewriteEnded(result) }
        } catch {
            log.write(.warning, "Can't rewrite append only file in background: fork: \(error.description)")
            engine.persistence.aof.lastRewriteSucceeded = false
            return false
        }
        rewriteIsRDB = usePreamble
        log.write(.notice, "Background append only file rewriting started by pid \(rewrite!.child)")
        engine.persistence.aof.rewriteScheduled = false
        engine.persistence.aof.rewriteStart = engine.clock.wallMilliseconds
        return true
    }

    /// Opens the incremental file the writes during a rewrite go to (a temporary one while
    /// AOF waits for its first rewrite); the manifest names it before anything is written.
    private func openNewIncrementalFile() -> Bool {
        guard state != .off else { return true }
        var updated = manifest
        let name = state == .waitingForRewrite ? temporaryIncrementalName : updated.addIncremental(prefix: prefix)
        let handle = open(path(name), O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0o644)
        guard handle >= 0 else {
            log.write(.warning, "Can't open the append-only file \(name): \(String(cString: strerror(errno)))")
            return false
        }
        if state == .on && !persist(updated) {
            close(handle)
            return false
        }
        log.write(.notice, "Creating AOF incr file \(name) on background rewrite")
        if descriptor >= 0 {
            backgroundFsync(descriptor, thenClose: true)
            lastFsyncSecond = nowSeconds
        }
        descriptor = handle
        lastIncrementalSize = 0
        lastIncrementalFsyncOffset = 0
        if state == .on { manifest = updated }
        return true
    }

    private var temporaryIncrementalName: String { "temp-" + prefix + ".incr" }

    /// Checks whether the rewrite's process exited (from the cron).
    func pollRewrite() { rewrite?.poll() }

    /// The rewrite's file is complete (or failed): switch the manifest to the new base.
    private func rewriteEnded(_ result: SnapshotJobResult) {
        guard rewrite != nil else { return }
        rewrite = nil
        let status = engine.persistence.aof
        let temporary = result.temporaryFile
        if let signal = result.signal {
            log.write(.warning, "Background AOF rewrite terminated by signal \(signal)")
            // A rewrite this server stopped itself (SIGUSR1) is not a failed one, as Redis.
            if signal != SIGUSR1 { rewriteFailed() }
        } else if let failure = result.failure {
            log.write(.warning, "Write error writing append only file on disk: \(failure)")
            log.write(.warning, "Background AOF rewrite terminated with error")
            rewriteFailed()
        } else {
            log.write(.notice, "Background AOF rewrite terminated with success")
            engine.persistence.aof.lastCopiedBytes = result.copiedBytes
            if switchToRewrittenBase(temporary: temporary) {
                engine.persistence.aof.lastRewriteSucceeded = true
                engine.persistence.aof.consecutiveRewriteFailures = 0
                log.write(.notice, "Background AOF rewrite finished successfully")
                if state == .waitingForRewrite { state = .on }
            } else {
                rewriteFailed()
            }
        }
        unlink(temporary)
        if state == .waitingForRewrite {
            buffer = []
            engine.persistence.aof.bufferLength = 0
            log.write(.notice, "Removing the temp incr aof file \(temporaryIncrementalName) in the background")
            unlinkInBackground(path(temporaryIncrementalName))
        }
        let started = status.rewriteStart ?? engine.clock.wallMilliseconds
        engine.persistence.aof.lastRewriteSeconds = Int((engine.clock.wallMilliseconds - started) / 1000)
        engine.persistence.aof.rewriteStart = nil
        if state == .waitingForRewrite { engine.persistence.aof.rewriteScheduled = true }
        server.backgroundJobEnded()
    }

    private func rewriteFailed() {
        engine.persistence.aof.lastRewriteSucceeded = false
        engine.persistence.aof.consecutiveRewriteFailures += 1
    }

    /// rename(2), timed as the latency monitor's `aof-rename` when it succeeds (as Redis's
    /// backgroundRewriteDoneHandler); the errno when it fails.
    private func renameMeasured(_ from: String, _ to: String) -> CInt? {
        let start = engine.clock.monotonicMicroseconds
        guard rename(from, to) == 0 else { return errno }
        engine.addLatencySampleIfNeeded("aof-rename", milliseconds: (engine.clock.monotonicMicroseconds - start) / 1000)
        return nil
    }

    /// Renames the new base (and, after turning AOF on, the temporary incremental file)
    /// into place and writes the manifest that names them; false (undone) on failure.
    private func switchToRewrittenBase(temporary: String) -> Bool {
        var updated = manifest
        let baseName = updated.addBase(prefix: prefix, rdbFormat: rewriteIsRDB)
        if let failure = renameMeasured(temporary, path(baseName)) {
            log.write(
                .warning,
                "Error trying to rename the temporary AOF file \(temporary) into \(baseName): \(String(cString: strerror(failure)))")
            return false
        }
        log.write(.notice, "Successfully renamed the temporary AOF base file \(temporary) into \(baseName)")
        var incrementalName: String?
        if state == .waitingForRewrite {
            let name = updated.addIncremental(prefix: prefix)
            if let failure = renameMeasured(path(temporaryIncrementalName), path(name)) {
                log.write(
                    .warning,
                    "Error trying to rename the temporary AOF incr file \(temporaryIncrementalName) into \(name): \(String(cString: strerror(failure)))"
                )
                unlink(path(baseName))
                return false
            }
            log.write(.notice, "Successfully renamed the temporary AOF incr file \(temporaryIncrementalName) into \(name)")
            incrementalName = name
        }
        updated.markRewrittenIncrementalsAsHistory(keepingLast: descriptor >= 0)
        guard persist(updated) else {
            unlink(path(baseName))
            if let incrementalName { unlink(path(incrementalName)) }
            return false
        }
        manifest = updated
        if state != .off {
            let size = (fileSize(baseName) ?? 0) + lastIncrementalSize
            engine.persistence.aof.currentSize = size
            engine.persistence.aof.baseSize = size
        }
        deleteHistoryFiles()
        return true
    }

    /// Stops the running rewrite (turning AOF off or on again, shutdown).
    func killRewrite() {
        guard let job = rewrite else { return }
        log.write(.notice, "Killing running AOF rewrite child: \(job.child)")
        rewrite = nil
        job.abort()
        unlink(job.temporaryFile)
        engine.persistence.aof.rewriteStart = nil
    }
}

/// What the fsync thread reports: fsyncs queued or running, and the errno of the last
/// one that failed (0 once one succeeds).
final class FsyncCounters: Sendable {
    let pending = Atomic<Int>(0)
    let failure = Atomic<Int32>(0)
}

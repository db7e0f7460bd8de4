// The server's side of RDB persistence: where the file is, saving it now
// (SAVE, SHUTDOWN, FLUSHALL), saving it in the background (BGSAVE, save
// points: a SnapshotJob) and loading it (start-up, DEBUG RELOAD). A load maps
// the file and feeds it to an RDBLoader in steps of about 10 ms, while
// clients get -LOADING.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import RedstartEngine
import RedstartRESP

/// Saves and loads the RDB file for one server.
final class RDBPersistence {
    private unowned let server: RedstartServer
    private var engine: Engine { server.engine }
    private var log: ServerLog { server.log }
    /// The background save in progress.
    /// (When it began is the engine's `persistence.backgroundSaveStart`.)
    private var background: SnapshotJob?
    /// The thread that writes background saves (shared with AOF rewrites).
    private var writerThread: NIOThreadPool { server.writerThread }
    static let loadStepMicros: Int64 = 10_000

    init(server: RedstartServer) {
        self.server = server
    }

    private var directory: String { engine.config["dir"] }
    private var fileName: String { engine.config["dbfilename"] }
    private var checksum: Bool { engine.config.bool("rdbchecksum") }

    // MARK: - Saving now

    /// Writes the dataset on this thread (SAVE, SHUTDOWN, FLUSHALL, DEBUG RELOAD).
    func save() -> Bool {
        let dirty = engine.stats.dirty
        let file: RDBFileWriter
        do throws(RDBFileError) {
            file = try RDBFileWriter(
                directory: directory, fileName: fileName, temporaryName: "temp-\(getpid()).rdb", checksum: checksum,
                syncsIncrementally: engine.config.bool("rdb-save-incremental-fsync"))
        } catch {
            log.write(.warning, error.description)
            return false
        }
        let snapshot = DatasetSnapshot(
            engine: engine, format: .rdb(compressing: engine.rdbCompression, usedMemory: ProcessResources.allocatedBytes())
        ) { file.write($0) }
        while !snapshot.step(until: .max) {}
        snapshot.finish()
        if let failure = file.finish() {
            log.write(.warning, failure)
            return false
        }
        log.write(.notice, "DB saved on disk")
        engine.noteSaved(dirtyAt: dirty)
        return true
    }

    // MARK: - Saving in the background

    var isSavingInBackground: Bool { background != nil }

    /// Starts a background save; false when it could not (logged, counted as failed).
    func startBackgroundSave() -> Bool {
        guard background == nil else { return false }
        let now = engine.clock.wallMilliseconds
        engine.persistence.lastBackgroundSaveAttempt = now
        do throws(SpawnFailure) {
            background = try SnapshotJob(
                server: server, kind: .rdb,
                format: .rdb(compressing: engine.rdbCompression, usedMemory: ProcessResources.allocatedBytes()),
                checksum: checksum, writerThread: writerThread
            ) { [self] result in backgroundSaveEnded(result) }
        } catch {
            log.write(.warning, "Can't save in background: fork: \(error.description)")
            engine.persistence.lastBackgroundSaveSucceeded = false
            return false
        }
        engine.persistence.backgroundSaveStart = now
        log.write(.notice, "Background saving started by pid \(background!.child)")
        return true
    }

    /// Checks whether the background save's process exited (from the cron).
    func pollBackgroundSave() { background?.poll() }

    private func backgroundSaveEnded(_ result: SnapshotJobResult) {
        guard let job = background else { return }
        background = nil
        let started = engine.persistence.backgroundSaveStart ?? engine.clock.wallMilliseconds
        engine.persistence.backgroundSaveStart = nil
        engine.persistence.lastBackgroundSaveSeconds = Int((engine.clock.wallMilliseconds - started) / 1000)
        engine.persistence.lastCopiedBytes = result.copiedBytes
        var failure = result.failure
        if failure == nil && rename(result.temporaryFile, directory + "/" + fileName) != 0 {
            failure = "Error moving temp DB file \(result.temporaryFile) on the final destination \(fileName) (in server root dir \(directory)): \(String(cString: strerror(errno)))"
        }
        if let signal = result.signal {
            log.write(.warning, "Background saving terminated by signal \(signal)")
            // A save this server stopped itself (SIGUSR1) is not a failed one, as Redis.
            if signal != SIGUSR1 { engine.persistence.lastBackgroundSaveSucceeded = false }
            unlink(result.temporaryFile)
        } else if let failure {
            log.write(.warning, failure)
            log.write(.warning, "Background saving error")
            engine.persistence.lastBackgroundSaveSucceeded = false
            unlink(result.temporaryFile)
        } else {
            syncDirectory(directory)
            log.write(.notice, "DB saved on disk")
            log.write(.notice, "Background saving terminated with success")
            engine.persistence.lastBackgroundSaveSucceeded = true
            engine.noteSaved(dirtyAt: job.dirty)
        }
        server.replication.backgroundSaveEnded(success: result.failure == nil && result.signal == nil)
        server.backgroundJobEnded()
    }

    /// Stops the background save in progress and removes its temporary file.
    func abortBackgroundSave() {
        guard let job = background else { return }
        log.write(.notice, "Background saving aborted")
        background = nil
        engine.persistence.backgroundSaveStart = nil
        job.abort()
        unlink(job.temporaryFile)
    }

    // MARK: - Loading

    /// Loads the RDB file at start-up, in steps on the event loop; calls `done` once the
    /// dataset is whole. A file that cannot be read or is corrupt ends the process (exit 1).
    func loadAtStartup(then done: @escaping () -> Void) {
        removeAbandonedTemporaryFiles()
        let path = fileName
        let mapping: MappedFile
        do throws(RDBFileError) {
            guard let mapped = try MappedFile(path: path) else {
                done()
                return
            }
            mapping = mapped
        } catch {
            log.write(.warning, "Fatal error loading the DB: \(error.description). Exiting.")
            exit(1)
        }
        let loader: RDBLoader
        do throws(RDBLoadError) {
            loader = try RDBLoader(mapping.bytes, engine: engine, checksum: checksum)
        } catch {
            fatalLoadError(error, file: mapping)
        }
        log.write(.notice, "Loading RDB produced by version \(Engine.redisVersion)")
        // A primary's expired keys become DELs in its backlog (restoreHistory).
        var expiredKeys: [(database: Int, key: [UInt8])] = []
        if engine.config["replicaof"].isEmpty { loader.onExpiredKey = { expiredKeys.append(($0, $1)) } }
        runLoad(loader, size: mapping.bytes.count, failed: { [self] error in fatalLoadError(error, file: mapping) }) { [self] in
            mapping.unmap()
            if let history = RDBReplicationInfo(aux: loader.aux) {
                server.replication.restoreHistory(history, expiredKeys: expiredKeys)
            }
            done()
        }
    }

    /// Loads the file at `path` into the (emptied) dataset in steps of about 10 ms while
    /// clients get -LOADING (a replica's copy from its primary); `done` gets nil, or why the
    /// file did not load (the dataset may then hold part of it).
    func load(_ path: String, done: @escaping (String?) -> Void) {
        let mapping: MappedFile
        do throws(RDBFileError) {
            guard let mapped = try MappedFile(path: path) else {
                done("\(path) is missing")
                return
            }
            mapping = mapped
        } catch {
            done(error.description)
            return
        }
        load(bytes: mapping.bytes, release: { mapping.unmap() }, done: done)
    }

    /// Loads an RDB held in memory (`release` frees it once read), as `load(_:done:)`.
    func load(bytes: UnsafeRawBufferPointer, release: @escaping () -> Void, done: @escaping (String?) -> Void) {
        let loader: RDBLoader
        do throws(RDBLoadError) {
            loader = try RDBLoader(bytes, engine: engine, checksum: checksum)
        } catch {
            release()
            done(error.description)
            return
        }
        runLoad(
            loader, size: bytes.count,
            failed: { error in
                release()
                done(error.description)
            }
        ) {
            release()
            done(nil)
        }
    }

    /// Feeds `loader` in steps of about 10 ms between the loop's other work while clients get
    /// -LOADING; then `loaded` once the dataset is whole, or `failed` with the error.
    private func runLoad(
        _ loader: RDBLoader, size: Int, failed: @escaping (RDBLoadError) -> Void, loaded: @escaping () -> Void
    ) {
        let started = engine.clock.monotonicMicroseconds
        engine.persistence.loading = LoadingProgress(startTime: engine.clock.wallMilliseconds / 1000, totalBytes: size)
        func step() {
            do throws(RDBLoadError) {
                let finished = try loader.step(until: engine.clock.monotonicMicroseconds + Self.loadStepMicros)
                engine.persistence.loading?.loadedBytes = loader.offset
                engine.persistence.loading?.keysLoaded = loader.keysLoaded
                guard finished else {
                    server.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(max(50, engine.keyLoadDelay))) { step() }
                    return
                }
            } catch {
                engine.persistence.loading = nil
                failed(error)
                return
            }
            finishLoad(loader, micros: engine.clock.monotonicMicroseconds - started)
            loaded()
        }
        step()
    }

    /// Removes temporary files of saves whose process is gone (killed mid-save): temp-<pid>.rdb
    /// and temp-bg-<pid>-<ms>.rdb in `dir`, for pids that no longer run.
    private func removeAbandonedTemporaryFiles() {
        guard let directory = opendir(".") else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            // Read in place up to its NUL: a dirent is only as long as its name, so copying the
            // 256-byte d_name field reads past it (valgrind: uninitialised bytes).
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            guard name.hasPrefix("temp-"), name.hasSuffix(".rdb") else { continue }
            let middle = name.dropFirst(name.hasPrefix("temp-bg-") ? 8 : 5).dropLast(4)
            guard let pid = Int32(middle.split(separator: "-").first ?? ""), pid > 0 else { continue }
            if !processIsRunning(pid) {
                unlink(name)
                log.write(.notice, "Removed \(name), left by a save that did not finish")
            }
        }
    }

    /// Whether `pid` is a running process (not gone, not a zombie: a killed save's child may
    /// not be reaped yet when the server starts again).
    private func processIsRunning(_ pid: Int32) -> Bool {
        if kill(pid, 0) != 0 && errno == ESRCH { return false }
        guard let stat = readWholeFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")),
            close + 2 < stat.count
        else { return true }
        return stat[close + 2] != UInt8(ascii: "Z")
    }

    private func finishLoad(_ loader: RDBLoader, micros: Int64) {
        logAux(loader)
        engine.persistence.loading = nil
        engine.persistence.lastLoadKeysLoaded = loader.keysLoaded
        engine.persistence.lastLoadKeysExpired = loader.keysExpired
        if loader.emptyKeysSkipped > 0 {
            log.write(
                .warning,
                "Done loading RDB, keys loaded: \(loader.keysLoaded), keys expired: \(loader.keysExpired), empty keys skipped: \(loader.emptyKeysSkipped).")
        } else {
            log.write(.notice, "Done loading RDB, keys loaded: \(loader.keysLoaded), keys expired: \(loader.keysExpired).")
        }
        log.write(.notice, "DB loaded from disk: \(formatWithC("%.3f", Double(micros) / 1_000_000)) seconds")
    }

    private func logAux(_ loader: RDBLoader) {
        for (key, value) in loader.aux {
            switch key {
            case "ctime":
                if let created = Int64(value) {
                    log.write(.notice, "RDB age \(max(0, engine.clock.wallMilliseconds / 1000 - created)) seconds")
                }
            case "used-mem":
                if let bytes = Int(value) { log.write(.notice, "RDB memory usage when created \(formatWithC("%.2f", Double(bytes) / 1_048_576)) Mb") }
            default:
                log.write(.verbose, "RDB '\(key)': \(value)")
            }
        }
    }

    private func fatalLoadError(_ error: RDBLoadError, file: MappedFile? = nil) -> Never {
        if let offset = error.offset {
            log.write(.warning, "Internal error in RDB reading offset \(offset), function at rdb.c:0 -> \(error.description)")
        } else {
            log.write(.warning, error.description)
        }
        // As Redis, the log then shows the whole check of the file.
        if let file {
            for line in RDBCheck.check(file.bytes, name: fileName).lines { log.write(.warning, line) }
        }
        log.write(.warning, "Terminating server after rdb file reading failure.")
        exit(1)
    }

    /// DEBUG RELOAD: save, empty, load again, all on this thread.
    func reload(save: Bool, flush: Bool, merge: Bool) throws(ReplyError) {
        abortBackgroundSave()
        if save && !self.save() { throw ReplyError(line: "ERR") }
        if flush { engine.emptyDatasetForLoad() }
        let mapping: MappedFile?
        do throws(RDBFileError) {
            mapping = try MappedFile(path: fileName)
        } catch {
            log.write(.warning, error.description)
            throw ReplyError("Error trying to load the RDB dump")
        }
        guard let mapping else { throw ReplyError("Error trying to load the RDB dump") }
        defer { mapping.unmap() }
        do throws(RDBLoadError) {
            let loader = try RDBLoader(mapping.bytes, engine: engine, merge: merge, checksum: checksum)
            while try !loader.step(until: .max) {}
            engine.persistence.lastLoadKeysLoaded = loader.keysLoaded
            engine.persistence.lastLoadKeysExpired = loader.keysExpired
        } catch {
            log.write(.warning, "Internal error in RDB reading offset \(error.offset ?? 0) -> \(error.description)")
            throw ReplyError("Error trying to load the RDB dump")
        }
        log.write(.notice, "DB reloaded by DEBUG RELOAD")
    }
}

/// A file mapped read-only into memory.
public final class MappedFile {
    public let bytes: UnsafeRawBufferPointer
    private var mapped = true

    /// Maps `path`; nil when it does not exist.
    public init?(path: String) throws(RDBFileError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw RDBFileError(String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw RDBFileError(String(cString: strerror(errno))) }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapped = false
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw RDBFileError(String(cString: strerror(errno)))
        }
        madvise(address, size, MADV_SEQUENTIAL)
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    public func unmap() {
        guard mapped, let base = bytes.baseAddress else { return }
        mapped = false
        munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
    }

    deinit { unmap() }
}

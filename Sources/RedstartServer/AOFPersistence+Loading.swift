// Loading the append-only file: at start-up (after an AOF of Redis before 7.0
// is moved into the directory) and for DEBUG LOADAOF, file after file through
// AOFLoader, in steps between the loop's other work, with Redis's outcomes;
// then, at start-up, the base written for an empty start and the last
// incremental file opened for appending.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import RedstartEngine
import Synchronization
import RedstartRESP

extension AOFPersistence {
    // MARK: - Start-up

    /// Moves an AOF of Redis before 7.0 (a single file in `dir`) into the AOF directory
    /// as its base, when that is what the directory says (or it has no manifest).
    private func upgradeOldStyleFileIfPresent() {
        guard fileExists(prefix) else { return }
        let needed =
            !directoryExists(directoryName) || manifest.isEmpty
            || (manifest.base?.name == prefix && manifest.incremental.isEmpty && !fileExists(path(prefix)))
        guard needed else { return }
        guard createDirectoryIfMissing() else { exit(1) }
        manifest.base = AOFFileInfo(name: prefix, sequence: 1, kind: .base)
        manifest.baseSequence = 1
        guard persist(manifest) else { exit(1) }
        guard rename(prefix, path(prefix)) == 0 else {
            log.write(
                .warning,
                "Error trying to move the old AOF file \(prefix) into dir \(directoryName): \(String(cString: strerror(errno)))")
            exit(1)
        }
        log.write(
            .notice, "Successfully migrated an old-style AOF file (\(prefix)) into the AOF directory (\(directoryName)).")
    }

    /// Loads the AOF at start-up in steps (clients get -LOADING meanwhile); a file that
    /// cannot be loaded ends the process with exit code 1.
    func loadAtStartup(then done: @escaping () -> Void) {
        state = .on
        engine.persistence.aof.enabled = true
        let started = engine.clock.monotonicMicroseconds
        let outcome = prepareLoad()
        switch outcome {
        case .nothing:
            done()
        case .failed:
            exit(1)
        case .files(let files, let total):
            runLoad(files, total: total) { [self] result in
                guard result != .failed && result != .openFailed else { exit(1) }
                log.write(
                    .notice,
                    "DB loaded from append only file: \(formatWithC("%.3f", Double(engine.clock.monotonicMicroseconds - started) / 1_000_000)) seconds"
                )
                done()
            }
        }
    }

    private enum Preparation {
        case nothing
        case failed
        case files([AOFFileInfo], total: Int64)
    }

    /// What to load: nothing, or the files and their total size.
    private func prepareLoad() -> Preparation {
        upgradeOldStyleFileIfPresent()
        guard !manifest.isEmpty else { return .nothing }
        var total: Int64 = 0
        for info in manifest.filesToLoad {
            guard let size = fileSize(info.name) else { return .failed }
            total += size
        }
        return total == 0 ? .nothing : .files(manifest.filesToLoad, total: total)
    }

    /// Loads `files` in order, in steps of about 10 ms between the loop's other work, then
    /// calls `done`.
    private func runLoad(_ files: [AOFFileInfo], total: Int64, done: @escaping (AOFLoadResult) -> Void) {
        let sink = engine.propagationSink
        engine.propagationSink = nil
        engine.persistence.loading = LoadingProgress(startTime: engine.clock.wallMilliseconds / 1000, totalBytes: Int(total))
        var index = 0
        var loadedBefore = 0
        var loader: AOFLoader?
        var fileStart = engine.clock.monotonicMicroseconds
        var baseSize: Int64 = 0
        func finish(_ result: AOFLoadResult) {
            loader?.close()
            engine.persistence.loading = nil
            engine.propagationSink = sink
            if result != .failed && result != .openFailed {
                engine.persistence.aof.currentSize = total
                engine.persistence.aof.baseSize = baseSize
                engine.persistence.dirtyAtLastSave = engine.stats.dirty
            }
            done(result)
        }
        func step() {
            while index < files.count {
                let info = files[index]
                let isLast = index == files.count - 1
                if loader == nil {
                    loader = AOFLoader(
                        engine: engine, log: log, directory: directoryName, fileName: info.name,
                        oldStyle: info.name == prefix, loadTruncated: engine.config.bool("aof-load-truncated"))
                    fileStart = engine.clock.monotonicMicroseconds
                    if info.kind == .base { baseSize = Int64(loader!.size) }
                }
                let current = loader!
                let deadline = engine.clock.monotonicMicroseconds + RDBPersistence.loadStepMicros
                let finished = current.step(until: deadline)
                engine.persistence.loading?.loadedBytes = loadedBefore + current.offset
                guard finished else {
                    let delay = current.isWaitingForScript ? 1000 : max(50, engine.keyLoadDelay)
                    server.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(delay)) { step() }
                    return
                }
                var result = current.result ?? .failed
                if result == .loaded || (result == .truncated && isLast) {
                    let seconds = formatWithC("%.3f", Double(engine.clock.monotonicMicroseconds - fileStart) / 1_000_000)
                    log.write(.notice, "DB loaded from \(info.kind == .base ? "base" : "incr") file \(info.name): \(seconds) seconds")
                }
                if result == .empty { result = .loaded }
                if result == .truncated && !isLast {
                    log.write(.warning, "Fatal error: the truncated file is not the last file")
                    result = .failed
                }
                if result == .failed || result == .openFailed || result == .notFound {
                    finish(result == .notFound ? .failed : result)
                    return
                }
                loadedBefore += current.size
                current.close()
                loader = nil
                index += 1
            }
            finish(.loaded)
        }
        step()
    }

    /// After the dataset is loaded: with appendonly on, makes sure there is a base file (an
    /// empty start writes one) and opens the last incremental file for appending.
    func openIfNeededOnServerStart() {
        guard state == .on else { return }
        guard createDirectoryIfMissing() else { exit(1) }
        let hadIncrementals = !manifest.incremental.isEmpty
        if manifest.base == nil && !hadIncrementals {
            let name = manifest.addBase(prefix: prefix, rdbFormat: usePreamble)
            guard writeBaseNow(name: name) else { exit(1) }
            log.write(.notice, "Creating AOF base file \(name) on server start")
        }
        let name = manifest.lastIncremental(prefix: prefix)
        descriptor = open(path(name), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            log.write(.warning, "Can't open the append-only file \(name): \(String(cString: strerror(errno)))")
            exit(1)
        }
        guard persist(manifest) else { exit(1) }
        lastIncrementalSize = fileSize(name) ?? 0
        lastIncrementalFsyncOffset = lastIncrementalSize
        log.write(.notice, "\(hadIncrementals ? "Opening" : "Creating") AOF incr file \(name) on server start")
        server.propagation.feedsAOF = true
    }

    /// Writes a base file of the whole dataset on this thread.
    private func writeBaseNow(name: String) -> Bool {
        let file: RDBFileWriter
        do throws(RDBFileError) {
            file = try RDBFileWriter(
                directory: directoryName, fileName: name, temporaryName: "temp-rewriteaof-\(getpid()).aof",
                checksum: engine.config.bool("rdbchecksum"), footer: usePreamble)
        } catch {
            log.write(.warning, "Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): \(error.description)")
            return false
        }
        let snapshot = DatasetSnapshot(engine: engine, format: snapshotFormat(rdb: usePreamble)) { file.write($0) }
        while !snapshot.step(until: .max) {}
        snapshot.finish()
        if let failure = file.finish() {
            log.write(.warning, "Write error writing append only file on disk: \(failure)")
            return false
        }
        return true
    }

    func snapshotFormat(rdb: Bool) -> SnapshotFormat {
        rdb
            ? .rdb(compressing: engine.rdbCompression, usedMemory: ProcessResources.allocatedBytes(), aofBase: true)
            : .commands(timestamp: timestamps ? engine.clock.wallMilliseconds / 1000 : nil)
    }

    // MARK: - DEBUG LOADAOF

    /// Writes what is pending, empties the dataset and loads the AOF again, in steps while
    /// other clients get -LOADING; true when it is done at once (nothing to load). A file
    /// that does not load ends the process, as Redis.
    func reload(for session: Session) -> Bool {
        if isOn { flush(force: true) }
        engine.emptyDatasetForLoad()
        loadManifestFromDisk()
        deleteHistoryFiles()
        let finished = { [self] in
            engine.persistence.dirtyAtLastSave = engine.stats.dirty
            log.write(.warning, "Append Only File loaded by DEBUG LOADAOF")
        }
        switch prepareLoad() {
        case .nothing:
            finished()
            return true
        case .failed:
            exit(1)
        case .files(let files, let total):
            // The first step runs after DEBUG LOADAOF has returned (and its session is held);
            // clients get -LOADING from now on.
            engine.persistence.loading = LoadingProgress(startTime: nowSeconds, totalBytes: Int(total))
            server.eventLoop.assumeIsolated().execute { [self] in
                runLoad(files, total: total) { [self] outcome in
                    guard outcome != .failed, outcome != .openFailed else { exit(1) }
                    finished()
                    session.reply.ok()
                    engine.finishPausedCommand(session)
                }
            }
            return false
        }
    }

}

// A snapshot written in the background: what BGSAVE and the AOF rewrite share.
// The DatasetSnapshot runs on the event loop in steps of about 2 ms, each
// followed by the loop's other work; its bytes go through the writer thread
// (CRC-64, write(2) into a pipe) to a background writer process
// (BackgroundWriterProcess), which writes the temporary file and syncs it.
// If the child falls behind by more than 32 MB the steps wait for it. The
// server's cron reaps the child (`poll`), as Redis's checkChildrenDone: the
// job ends when the child has exited, whether it finished the file or was
// killed, and `ended` reports which on the event loop.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import RedstartEngine

/// How a background snapshot ended.
struct SnapshotJobResult {
    /// The file the child wrote, in `dir`, by its full path (complete and synced only on
    /// success).
    let temporaryFile: String
    let copiedBytes: Int
    /// Why it failed, or nil when the file is complete.
    let failure: String?
    /// The signal that ended the child, when one did.
    let signal: CInt?
}

/// One background snapshot and the process that writes it.
final class SnapshotJob {
    private unowned let server: RedstartServer
    let snapshot: DatasetSnapshot
    private let file: RDBFileWriter
    /// The background writer process and the file it writes (its full path).
    let child: pid_t
    let temporaryFile: String
    /// The child's standard error: what it reports goes to the server's log.
    private let messages: CInt
    /// `stats.dirty` when the snapshot began: the changes it holds.
    let dirty: Int
    private let writerThread: NIOThreadPool
    private let ended: (SnapshotJobResult) -> Void
    private var isOver = false
    /// The last byte went into the pipe (or could not): the child's exit decides.
    private var finishedWriting = false
    private var writeFailure: String?
    /// Milliseconds of work per step, and what the child may lag by.
    static let stepMicros: Int64 = 2000
    static let maximumBacklog = 32 << 20

    /// Starts the child and the snapshot (its first bytes are written at once); throws
    /// when the child cannot be started.
    init(
        server: RedstartServer, kind: BackgroundWriterProcess.Kind, format: SnapshotFormat, checksum: Bool,
        writerThread: NIOThreadPool, ended: @escaping (SnapshotJobResult) -> Void
    ) throws(SpawnFailure) {
        let directory = server.engine.config["dir"]
        let config = server.engine.config
        let cpuList = config[kind == .rdb ? "bgsave_cpulist" : "aof_rewrite_cpulist"]
        let settings = BackgroundWriterProcess.Settings(
            oomScore: server.oomScore.childScore(config), cpuList: cpuList,
            syncsIncrementally: config.bool(kind == .rdb ? "rdb-save-incremental-fsync" : "aof-rewrite-incremental-fsync"),
            title: server.processTitle(naming: kind.title))
        let started = try BackgroundWriterProcess.spawn(kind, directory: directory, settings: settings).get()
        // The thread that feeds the child runs where the child does.
        let setting = kind == .rdb ? "bgsave_cpulist" : "aof_rewrite_cpulist"
        writerThread.submit { _ in CPUAffinity.bind(to: cpuList, naming: setting, log: nil) }
        let input = started.input
        self.server = server
        child = started.pid
        messages = started.messages
        temporaryFile = directory + "/" + BackgroundWriterProcess.temporaryName(kind, pid: started.pid)
        let footer: Bool
        if case .commands = format { footer = false } else { footer = true }
        let file = RDBFileWriter(pipe: input, checksum: checksum, footer: footer)
        self.file = file
        self.writerThread = writerThread
        self.ended = ended
        dirty = server.engine.stats.dirty
        let pool = writerThread
        snapshot = DatasetSnapshot(engine: server.engine, format: format) { chunk in
            file.queue(chunk.count)
            pool.submit { _ in file.write(chunk) }
        }
        server.engine.runningSnapshot = snapshot
        server.engine.persistence.backgroundJobs += 1
        scheduleStep(after: 0)
    }

    private func scheduleStep(after micros: Int64) {
        // Due a little later, not at once: NIO runs due tasks before it polls the sockets.
        server.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(max(50, micros))) { [self] in step() }
    }

    private func step() {
        guard !isOver, !finishedWriting else { return }
        if file.failed.load(ordering: .relaxed) {
            stopSnapshot()
            finishWriting()
            return
        }
        if file.backlog.load(ordering: .relaxed) > Self.maximumBacklog {
            scheduleStep(after: 1000)
            return
        }
        let deadline = server.engine.clock.monotonicMicroseconds + Self.stepMicros
        guard snapshot.step(until: deadline) else {
            scheduleStep(after: 0)
            return
        }
        snapshot.finish()
        if server.engine.runningSnapshot === snapshot { server.engine.runningSnapshot = nil }
        finishWriting()
    }

    /// Sends the last bytes (the CRC) and closes the pipe on the writer thread.
    private func finishWriting() {
        let file = self.file
        let loop = server.eventLoop
        writerThread.submit { [self] _ in
            let failure = file.finish()
            loop.execute { [self] in
                finishedWriting = true
                writeFailure = failure
                poll()
            }
        }
    }

    private func stopSnapshot() {
        snapshot.abandon()
        if server.engine.runningSnapshot === snapshot { server.engine.runningSnapshot = nil }
    }

    /// Reaps the child if it exited (from the cron): the job ends then.
    func poll() {
        guard !isOver else { return }
        var status: CInt = 0
        guard waitpid(child, &status, WNOHANG) == child else { return }
        isOver = true
        for line in BackgroundWriterProcess.messages(from: messages) { server.log.write(.warning, line) }
        let signal: CInt? = status & 0x7f != 0 ? status & 0x7f : nil
        let exitCode = (status >> 8) & 0xff
        var failure: String?
        if let signal {
            failure = "terminated by signal \(signal)"
        } else if exitCode != 0 {
            failure = "exited with code \(exitCode)"
        } else if !finishedWriting {
            failure = "exited before the snapshot was complete"
        } else {
            failure = writeFailure
        }
        if !finishedWriting {
            // The child is gone mid-snapshot: stop walking, and let the pipe go.
            stopSnapshot()
            let file = self.file
            writerThread.submit { _ in file.discard() }
        }
        ended(SnapshotJobResult(temporaryFile: temporaryFile, copiedBytes: snapshot.copiedBytes, failure: failure, signal: signal))
    }

    /// Stops the snapshot and its child (SIGUSR1, as Redis); `ended` is not called. The
    /// caller removes the temporary file.
    func abort() {
        guard !isOver else { return }
        isOver = true
        stopSnapshot()
        kill(child, SIGUSR1)
        var status: CInt = 0
        while waitpid(child, &status, 0) == -1 && errno == EINTR {}
        close(messages)
        let file = self.file
        writerThread.submit { _ in file.discard() }
    }
}

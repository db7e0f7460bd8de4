// A snapshot written in the background: what BGSAVE and the AOF rewrite share
// (Redis's fork child). The DatasetSnapshot runs on the event loop in steps of
// about 2 ms, each followed by the loop's other work; its bytes go to a writer
// thread (CRC-64, write(2), fsync, rename), so the event loop never waits on
// the disk. If the disk falls behind by more than 32 MB the steps wait for it.
// When the file is complete (or failed) `ended` is called on the event loop.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import RedstartEngine

/// One background snapshot and its file.
final class SnapshotJob {
    private unowned let server: RedstartServer
    let snapshot: DatasetSnapshot
    let file: RDBFileWriter
    /// `stats.dirty` when the snapshot began: the changes it holds.
    let dirty: Int
    private let writerThread: NIOThreadPool
    private let ended: (_ failure: String?, _ copiedBytes: Int) -> Void
    private var isOver = false
    /// Milliseconds of work per step, and what the disk may lag by.
    static let stepMicros: Int64 = 2000
    static let maximumBacklog = 32 << 20

    /// Begins the snapshot (its first bytes are written at once); `ended` follows the file.
    init(
        server: RedstartServer, file: RDBFileWriter, format: SnapshotFormat, writerThread: NIOThreadPool,
        ended: @escaping (_ failure: String?, _ copiedBytes: Int) -> Void
    ) {
        self.server = server
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
        scheduleStep(after: 0)
    }

    private func scheduleStep(after micros: Int64) {
        // Due a little later, not at once: NIO runs due tasks before it polls the sockets.
        server.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(max(50, micros))) { [self] in step() }
    }

    private func step() {
        guard !isOver else { return }
        if file.failed.load(ordering: .relaxed) {
            snapshot.abandon()
            complete()
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
        complete()
    }

    /// Finishes the file on the writer thread, then reports on the event loop.
    private func complete() {
        isOver = true
        if server.engine.runningSnapshot === snapshot { server.engine.runningSnapshot = nil }
        let loop = server.eventLoop
        let copied = snapshot.copiedBytes
        let file = self.file
        writerThread.submit { [self] _ in
            let failure = file.finish()
            loop.execute { [self] in ended(failure, copied) }
        }
    }

    /// Stops the snapshot and removes its temporary file; `ended` is not called.
    func abort() {
        guard !isOver else { return }
        isOver = true
        if server.engine.runningSnapshot === snapshot { server.engine.runningSnapshot = nil }
        snapshot.abandon()
        let file = self.file
        writerThread.submit { _ in file.discard() }
    }
}

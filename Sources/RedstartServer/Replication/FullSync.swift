// Full copies of the dataset for replicas, Redis's two ways:
//
// - Diskless (repl-diskless-sync yes, the default): a DatasetSnapshot, the
//   same point-in-time walk as BGSAVE, written straight into the replicas'
//   connections as "$EOF:<40 random characters>\r\n", the RDB bytes (CRC-64
//   footer included), then the same 40 characters. Steps of ~2 ms alternate
//   with the loop's other work and wait while a replica has more than 8 MB
//   unsent, so a slow replica holds back the copy, not the server's memory.
// - From disk: a BGSAVE; its file is then sent as "$<size>\r\n" and the bytes
//   (FileSender), in pieces as the replica's connection takes them.
//
// Either way the stream written since the copy began is held per replica and
// follows the copy (Replication.copyDelivered).
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import RedstartEngine

/// A diskless copy being made and sent.
final class FullSync {
    private unowned let replication: Replication
    private var engine: Engine { replication.engine }
    private let output: Output
    private var snapshot: DatasetSnapshot?
    private let mark: [UInt8]
    private var isOver = false
    static let stepMicros: Int64 = 2000
    static let maximumUnsent = 8 << 20

    /// Where the snapshot's bytes go: every replica still receiving, and the CRC.
    private final class Output {
        var replicas: [AttachedReplica]
        var crc: UInt64 = 0
        let checksum: Bool

        init(replicas: [AttachedReplica], checksum: Bool) {
            self.replicas = replicas
            self.checksum = checksum
        }

        func emit(_ chunk: [UInt8]) {
            chunk.withUnsafeBytes { bytes in
                if checksum { crc = CRC64.checksum(bytes, continuing: crc) }
                for replica in replicas { replica.send(bytes) }
            }
        }
    }

    var replicas: [AttachedReplica] { output.replicas }

    init(replication: Replication, replicas: [AttachedReplica], filter: CopyFilter) {
        self.replication = replication
        let engine = replication.engine
        mark = (0..<40).map { _ in Array("0123456789abcdef".utf8).randomElement()! }
        output = Output(replicas: replicas, checksum: engine.config.bool("rdbchecksum"))
        for replica in replicas { replica.send(Array("$EOF:".utf8) + mark + Array("\r\n".utf8)) }
        let output = self.output
        let snapshot = DatasetSnapshot(
            engine: engine, format: .rdb(compressing: engine.rdbCompression, usedMemory: ProcessResources.allocatedBytes()),
            keys: !filter.excludesKeys, functions: !filter.excludesFunctions
        ) { output.emit($0) }
        self.snapshot = snapshot
        engine.runningSnapshot = snapshot
        engine.persistence.backgroundJobs += 1
        engine.persistence.backgroundSaveStart = engine.clock.wallMilliseconds
        scheduleStep(after: 0)
    }

    /// A replica left: its copy stops (the others go on).
    func remove(_ replica: AttachedReplica) {
        output.replicas.removeAll { $0 === replica }
    }

    private func scheduleStep(after micros: Int64) {
        replication.server.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(max(50, micros))) { [self] in step() }
    }

    private func step() {
        guard !isOver, let snapshot else { return }
        if output.replicas.isEmpty {
            replication.log.write(.warning, "Diskless rdb transfer, done reading from pipe, 0 replicas still up.")
            snapshot.abandon()
            end()
            replication.server.backgroundJobEnded()
            return
        }
        if output.replicas.contains(where: { $0.unsentBytes > Self.maximumUnsent }) {
            scheduleStep(after: 1000)
            return
        }
        guard snapshot.step(until: engine.clock.monotonicMicroseconds + Self.stepMicros) else {
            scheduleStep(after: 0)
            return
        }
        snapshot.finish()
        var footer = [UInt8](repeating: 0, count: 8)
        var crc = output.crc
        for index in 0..<8 {
            footer[index] = UInt8(truncatingIfNeeded: crc)
            crc >>= 8
        }
        for replica in output.replicas {
            replica.send(footer)
            replica.send(mark)
        }
        let delivered = output.replicas
        end()
        for replica in delivered {
            replication.log.write(
                .notice,
                "Streamed RDB transfer with replica \(replica.address):\(replica.listeningPort) succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming"
            )
            replication.copyDelivered(to: replica, diskless: true)
        }
        replication.server.backgroundJobEnded()
    }

    /// Stops the copy (FLUSHALL, a role change); the caller drops the replicas.
    func abandon() {
        guard !isOver else { return }
        snapshot?.abandon()
        end()
    }

    private func end() {
        isOver = true
        if let snapshot, engine.runningSnapshot === snapshot { engine.runningSnapshot = nil }
        snapshot = nil
        engine.persistence.backgroundSaveStart = nil
        if replication.fullSync === self { replication.fullSync = nil }
    }
}

/// Sends a BGSAVE's file to one replica: "$<size>\r\n" and the bytes, a piece whenever its
/// connection has room, then the stream held meanwhile.
final class FileSender {
    private unowned let replication: Replication
    private let replica: AttachedReplica
    private let descriptor: CInt
    private let size: Int
    private var sent = 0
    static let pieceSize = 1 << 20
    /// The read buffer, allocated once (a fresh 1 MB block per step is an mmap, page faults
    /// and a memset every millisecond while the replica's connection is full).
    private var piece: [UInt8] = []

    private init(replication: Replication, replica: AttachedReplica, descriptor: CInt, size: Int) {
        self.replication = replication
        self.replica = replica
        self.descriptor = descriptor
        self.size = size
    }

    static func send(_ path: String, to replica: AttachedReplica, replication: Replication) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        var info = stat()
        guard descriptor >= 0, fstat(descriptor, &info) == 0 else {
            replication.log.write(.warning, "SYNC failed. Can't open/stat DB after BGSAVE: \(String(cString: strerror(errno)))")
            if descriptor >= 0 { close(descriptor) }
            replica.session.transport?.close()
            return
        }
        let sender = FileSender(replication: replication, replica: replica, descriptor: descriptor, size: Int(info.st_size))
        replica.send("$\(sender.size)\r\n")
        sender.step()
    }

    private func step() {
        guard replication.replicas.contains(where: { $0 === replica }) else {
            close(descriptor)
            return
        }
        while sent < size && replica.unsentBytes < FullSync.maximumUnsent {
            if piece.isEmpty { piece = [UInt8](repeating: 0, count: Self.pieceSize) }
            let count = piece.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, min($0.count, size - sent)) }
            guard count > 0 else {
                replication.log.write(.warning, "Read error sending DB to replica: \(String(cString: strerror(errno)))")
                close(descriptor)
                replica.session.transport?.close()
                return
            }
            piece.withUnsafeBytes { replica.send(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            sent += count
        }
        guard sent == size else {
            replication.server.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(1)) { [self] in step() }
            return
        }
        close(descriptor)
        piece = []
        replication.copyDelivered(to: replica)
    }
}

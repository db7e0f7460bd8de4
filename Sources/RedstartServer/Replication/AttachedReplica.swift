// A replica attached to this server, as the primary sees it: the session it
// connected with (its output buffer carries the copy of the dataset, then the
// replication stream), where it is in its synchronisation, what it announced
// with REPLCONF and the last offset it acknowledged.
import NIOCore
import RedstartEngine
import RedstartRESP

/// One replica of this server.
final class AttachedReplica {
    enum State: Equatable {
        /// Asked for a full copy; waits for a snapshot to start (wait_bgsave).
        case waitingForSnapshot
        /// Its copy is being made and sent; the stream since its start is held (send_bulk).
        case receivingSnapshot
        /// Gets the stream as it happens (online).
        case online
    }

    let session: Session
    var state: State
    /// REPLCONF listening-port / ip-address.
    var listeningPort = 0
    var announcedAddress: String?
    /// REPLCONF capa: `eof` (a copy without a known length) and `psync2`.
    var acceptsEOFCopy = false
    var speaksPSYNC2 = false
    /// SYNC instead of PSYNC (a replica older than 2.8): no +FULLRESYNC line.
    var usedOldSync = false
    /// REPLCONF rdb-only 1: it wants the copy and nothing after it (redis-cli --rdb). It is
    /// never fed the stream and is closed once the copy is sent.
    var wantsCopyOnly = false
    /// REPLCONF rdb-filter-only: what its copy leaves out. Replicas with different filters
    /// never share a copy.
    var copyFilter = CopyFilter.none
    /// REPLCONF ACK: the offset it applied and when it said so (unix ms).
    var acknowledgedOffset: Int64 = 0
    var acknowledgedAt: Int64
    /// The first stream byte after its copy (the backlog keeps the stream from there until
    /// the copy is sent, then the replica gets it).
    var streamStart: Int64 = 0
    /// Online after a diskless copy: the stream starts with its first REPLCONF ACK (until
    /// then nothing may follow the copy's end mark, which the replica looks for at the
    /// end of what it reads).
    var streamsOnAck = false
    /// Online but behind: the first stream byte its connection has not been handed yet. It
    /// is fed from the backlog as its connection drains, so the bytes it waits for are held
    /// once (Redis 7's shared replication buffer); nil while it gets the stream as it
    /// happens.
    var feedOffset: Int64?
    /// When the stream held for it first passed the soft output limit (unix ms).
    var overSoftLimitSince: Int64?
    /// When it asked for a full copy (unix ms).
    let since: Int64

    /// The host its connection comes from.
    private let remoteHost: String

    init(session: Session, state: State, now: Int64) {
        self.session = session
        self.state = state
        acknowledgedAt = now
        since = now
        let remote = session.transport?.remoteAddress ?? ""
        var host = remote.lastIndex(of: ":").map { String(remote[..<$0]) } ?? remote
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        remoteHost = host
    }

    /// Its address for INFO and ROLE: the announced one, else the connection's.
    var address: String { announcedAddress ?? remoteHost }

    /// INFO's state name.
    var stateName: String {
        switch state {
        case .waitingForSnapshot: return "wait_bgsave"
        case .receivingSnapshot: return "send_bulk"
        case .online: return "online"
        }
    }

    /// Stream bytes waiting to go to the replica: in its reply buffer and in what the
    /// connection holds (bytes, not the memory holding them: they are stream positions).
    var unsentBytes: Int {
        session.reply.buffer.readableBytes + (session.transport?.unsentOutputBytes ?? 0)
    }

    /// Memory its connection holds for output: the reply buffer and what waits unsent.
    var outputMemory: Int {
        session.reply.buffer.capacity + (session.transport?.pendingOutputBytes ?? 0)
    }

    /// The stream bytes that wait for it in the backlog (up to `end`, the last one): since
    /// its copy began while the copy is made or until its first ACK, else what it has not
    /// been handed. Its output, as Redis counts a replica's part of the replication buffer.
    func streamBytesHeld(end: Int64) -> Int {
        if wantsCopyOnly { return 0 }
        switch state {
        case .waitingForSnapshot: return 0
        case .receivingSnapshot: return Int(end + 1 - streamStart)
        case .online: return streamsOnAck ? Int(end + 1 - streamStart) : feedOffset.map { Int(end + 1 - $0) } ?? 0
        }
    }

    /// Queues `bytes` for the replica's connection (sent at the end of the loop turn).
    func send(_ bytes: UnsafeRawBufferPointer) {
        session.reply.buffer.writeBytes(bytes)
        session.transport?.outputPending()
    }

    func send(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { send($0) }
    }

    func send(_ text: String) {
        send(Array(text.utf8))
    }

    /// The first stream byte (at or before `end + 1`, the next one) it still needs from the
    /// backlog: from where its copy began, or what it has not been sent yet; nil while it
    /// waits for a copy (the copy will contain everything so far).
    func neededOffset(end: Int64) -> Int64? {
        if wantsCopyOnly { return nil }
        switch state {
        case .online: return streamsOnAck ? streamStart : (feedOffset ?? end + 1) - Int64(unsentBytes)
        case .receivingSnapshot: return streamStart
        case .waitingForSnapshot: return nil
        }
    }
}

/// What a replica's copy of the dataset leaves out (REPLCONF rdb-filter-only).
struct CopyFilter: Equatable {
    var excludesKeys = false
    var excludesFunctions = false

    static let none = CopyFilter()

    /// A filtered copy is never written to the snapshot file: it is sent over the socket.
    var isFiltering: Bool { excludesKeys || excludesFunctions }

    /// The filter of `rdb-filter-only <include-filters>`: everything is left out but what the
    /// list names (`functions` is the one filter there is), so an empty list leaves out all.
    init(including text: [UInt8]) throws(ReplyError) {
        guard let filters = text.withUnsafeBytes({ splitInlineArguments($0) }) else {
            throw ReplyError("Missing rdb-filter-only values")
        }
        excludesKeys = true
        excludesFunctions = true
        for filter in filters.map({ String(decoding: $0, as: UTF8.self) }) {
            guard filter.lowercased() == "functions" else {
                throw ReplyError("Unsupported rdb-filter-only option: \(filter)")
            }
            excludesFunctions = false
        }
    }

    private init() {}
}

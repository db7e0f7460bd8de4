// A replica's connection to its primary, Redis's handshake and stream:
//
//   PING → +PONG; AUTH [masteruser] masterauth, REPLCONF listening-port,
//   [REPLCONF ip-address], REPLCONF capa eof capa psync2 (sent together, the
//   replies read in order); PSYNC <id> <offset+1> (or PSYNC ? -1) →
//   +CONTINUE [id]: the stream goes on from where it stopped;
//   +FULLRESYNC id offset: "$<size>\r\n" or "$EOF:<mark>\r\n" and a copy of the
//   dataset, written to a temporary file, renamed to dbfilename and loaded in
//   steps (clients get -LOADING), then the stream.
//
// The stream's commands run through the engine as the primary's client (its
// replies are dropped; REPLCONF GETACK answers with REPLCONF ACK), and each
// command's bytes, once applied, go to this server's own backlog and
// replicas unchanged, so offsets agree along a chain of replicas.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import NIOSSL
import RedstartEngine
import RedstartRESP

/// The connection to the primary, from a replica.
final class PrimaryLink: ChannelInboundHandler, SessionTransport {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Phase {
        case connecting
        /// Waiting for the replies to PING, then to the pipelined AUTH/REPLCONF commands.
        case handshake(expecting: [HandshakeReply])
        case awaitingPSyncReply
        /// After +FULLRESYNC: the copy's header line.
        case awaitingCopy
        case receivingCopy
        case loading
        case streaming
        case closed
    }

    enum HandshakeReply {
        case ping, auth, port, address, capabilities
    }

    private unowned let replication: Replication
    private var engine: Engine { replication.engine }
    private var log: ServerLog { replication.log }
    let host: String
    let port: Int
    private(set) var phase = Phase.connecting
    private var context: ChannelHandlerContext?
    private var inbound = ByteBuffer()
    /// When something last came from the primary (unix ms).
    private(set) var lastIO: Int64
    private let startedAt: Int64

    // The copy (full synchronisation).
    private var primaryID = ""
    private var initialOffset: Int64 = 0
    /// Bytes announced, or -1 for a copy ended by a mark.
    private(set) var transferSize: Int64 = 0
    private(set) var transferReceived: Int64 = 0
    private var endMark: [UInt8]?
    private var recentBytes: [UInt8] = []
    private var temporaryFile = ""
    private var descriptor: CInt = -1
    /// The copy, while it arrives, when it is loaded from memory (repl-diskless-load).
    private var inMemoryCopy: [UInt8]?

    // The stream.
    private var session: Session?
    private var parser = RequestParser()
    private var postponed: CommandArguments?

    init(replication: Replication, host: String, port: Int) {
        self.replication = replication
        self.host = host
        self.port = port
        lastIO = replication.engine.clock.wallMilliseconds
        startedAt = lastIO
    }

    /// Opens the connection (on the server's event loop).
    func connect() {
        let config = replication.engine.config
        let timeout = TimeAmount.seconds(max(1, config.integer("repl-timeout")))
        // tls-replication: the link is TLS, checked against the CA (not the host name).
        var tls: NIOSSLContext?
        if config.bool("tls-replication") {
            do throws(TLSSetupError) {
                tls = try TLSContextBuilder.clientContext(config)
            } catch {
                log.write(.warning, "Unable to configure TLS for the replication link: \(error.description)")
                replication.server.eventLoop.assumeIsolated().execute { [self] in fail() }
                return
            }
        }
        let hostName = host
        // bind-source-addr: the link leaves from that address (port chosen by the system).
        var sourceAddress: SocketAddress?
        let source = replication.engine.config["bind-source-addr"]
        if !source.isEmpty {
            guard let address = try? SocketAddress(ipAddress: source, port: 0) else {
                log.write(.warning, "Error condition on socket for SYNC: bind-source-addr \(source) is not an IP address")
                replication.server.eventLoop.assumeIsolated().execute { [self] in fail() }
                return
            }
            sourceAddress = address
        }
        EpollConnector.connect(host: host, port: port, from: sourceAddress, timeout: timeout, on: replication.server.loop) {
            [self] channel in
            try channel.syncOptions!.setOption(.socketOption(.so_keepalive), value: 1)
            if let tls {
                let handler = try NIOSSLClientHandler(context: tls, serverHostname: Self.isAddress(hostName) ? nil : hostName)
                try channel.pipeline.syncOperations.addHandler(handler)
            }
            try channel.pipeline.syncOperations.addHandler(self)
        }
        .assumeIsolated()
        .whenFailure { [self] error in
            guard case .connecting = phase else { return }
            log.write(.warning, "Error condition on socket for SYNC: \(Self.describe(error))")
            fail()
        }
    }

    /// Whether `host` is an IP address (TLS sends no SNI name for one).
    private static func isAddress(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }

    private static func describe(_ error: Error) -> String {
        let text = "\(error)"
        if text.contains("connection refused") || text.contains("Connection refused") { return "Connection refused" }
        return text
    }

    // MARK: - State for INFO and ROLE

    var isTransferring: Bool {
        if case .receivingCopy = phase { return true }
        if case .awaitingCopy = phase { return true }
        return false
    }

    var isStreaming: Bool {
        if case .streaming = phase { return true }
        return false
    }

    /// ROLE's state word.
    var roleState: String {
        switch phase {
        case .connecting: return "connecting"
        case .handshake, .awaitingPSyncReply: return "handshake"
        case .awaitingCopy, .receivingCopy, .loading: return "sync"
        case .streaming: return "connected"
        case .closed: return "connect"
        }
    }

    /// The database the primary's stream has selected.
    var streamDatabase: Int { session?.databaseIndex ?? lastStreamDatabase }
    private var lastStreamDatabase = 0

    /// The stream read so far: applied, plus what waits to be applied.
    var readOffset: Int64 { replication.offset + Int64(isStreaming ? inbound.readableBytes : 0) }

    var age: Int64 { engine.clock.wallMilliseconds - startedAt }

    // MARK: - Sending

    private func send(_ arguments: [String]) {
        var bytes: [UInt8] = []
        AOFEncoding.appendCommand(arguments.map { Array($0.utf8) }, to: &bytes)
        guard let context else { return }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    /// A bare newline while the copy loads: the primary sees the link alive (Redis's
    /// replicas do the same), since no ACK comes before the stream starts.
    func sendKeepalive() {
        guard case .loading = phase, let context else { return }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(staticString: "\n")), promise: nil)
    }

    /// REPLCONF ACK <offset applied>.
    func sendAck() {
        guard isStreaming else { return }
        send(["REPLCONF", "ACK", String(replication.offset)])
    }

    // MARK: - Channel events

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        guard case .connecting = phase else { return }
        log.write(.notice, "MASTER <-> REPLICA sync started")
        log.write(.notice, "Non blocking connect for SYNC fired the event.")
        phase = .handshake(expecting: [.ping])
        send(["PING"])
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        if case .closed = phase { return }
        if isStreaming {
            log.write(.notice, "Connection with master lost.")
        } else {
            log.write(.warning, "Error condition on socket for SYNC: Connection reset by peer")
        }
        fail()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if case .closed = phase { return }
        lastIO = engine.clock.wallMilliseconds
        inbound.writeBuffer(&bytes)
        process()
    }

    /// Drops the connection on purpose (REPLICAOF, shutdown): no reconnection from here.
    func abandon() {
        phase = .closed
        finishTransfer(keepFile: false)
        endSession()
        context?.close(promise: nil)
        context = nil
    }

    /// The link broke: the subsystem reconnects at its next cron.
    private func fail() {
        let wasStreaming = isStreaming
        phase = .closed
        finishTransfer(keepFile: false)
        endSession()
        context?.close(promise: nil)
        context = nil
        replication.linkLost(self, wasStreaming: wasStreaming)
    }

    // MARK: - Input

    private func process() {
        while true {
            switch phase {
            case .handshake(let expecting):
                guard let line = nextLine() else { return }
                if !handshakeReply(line, expected: expecting[0]) { return }
                let rest = Array(expecting.dropFirst())
                if rest.isEmpty { sendPSync() } else { phase = .handshake(expecting: rest) }
            case .awaitingPSyncReply:
                guard let line = nextLine() else { return }
                if !psyncReply(line) { return }
            case .awaitingCopy:
                guard let line = nextLine() else { return }
                if !copyHeader(line) { return }
            case .receivingCopy:
                if !receiveCopy() { return }
            case .streaming:
                applyStream()
                return
            case .connecting, .loading, .closed:
                return
            }
        }
    }

    /// The next line from the primary without its CRLF, skipping the bare newlines a
    /// primary sends while it prepares a copy.
    private func nextLine() -> String? {
        while let view = inbound.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = view - inbound.readerIndex
            let line = inbound.readString(length: length) ?? ""
            inbound.moveReaderIndex(forwardBy: 1)
            let trimmed = line.hasSuffix("\r") ? String(line.dropLast()) : line
            if trimmed.isEmpty { continue }
            return trimmed
        }
        return nil
    }

    private func handshakeReply(_ line: String, expected: HandshakeReply) -> Bool {
        switch expected {
        case .ping:
            // -NOAUTH and -NOPERM mean the primary is there; AUTH comes next.
            if line.hasPrefix("-") && !line.hasPrefix("-NOAUTH") && !line.hasPrefix("-NOPERM")
                && !line.hasPrefix("-ERR operation not permitted")
            {
                log.write(.warning, "Error reply to PING from master: '\(line.dropFirst())'")
                fail()
                return false
            }
            log.write(.notice, "Master replied to PING, replication can continue...")
            sendHandshake()
            return false
        case .auth:
            if line.hasPrefix("-") {
                log.write(.warning, "Unable to AUTH to MASTER: \(line.dropFirst())")
                fail()
                return false
            }
        case .port:
            if line.hasPrefix("-") {
                log.write(.notice, "(Non critical) Master does not understand REPLCONF listening-port: \(line.dropFirst())")
            }
        case .address:
            if line.hasPrefix("-") {
                log.write(.notice, "(Non critical) Master does not understand REPLCONF ip-address: \(line.dropFirst())")
            }
        case .capabilities:
            if line.hasPrefix("-") {
                log.write(.notice, "(Non critical) Master does not understand REPLCONF capa: \(line.dropFirst())")
            }
        }
        return true
    }

    /// AUTH, REPLCONF listening-port / ip-address / capa, sent together.
    private func sendHandshake() {
        let config = engine.config
        var expecting: [HandshakeReply] = []
        let password = config["masterauth"]
        if !password.isEmpty {
            let user = config["masteruser"]
            send(user.isEmpty ? ["AUTH", password] : ["AUTH", user, password])
            expecting.append(.auth)
        }
        let announced = config.integer("replica-announce-port")
        send(["REPLCONF", "listening-port", String(announced != 0 ? Int(announced) : replication.server.tcpPort)])
        expecting.append(.port)
        let address = config["replica-announce-ip"]
        if !address.isEmpty {
            send(["REPLCONF", "ip-address", address])
            expecting.append(.address)
        }
        send(["REPLCONF", "capa", "eof", "capa", "psync2"])
        expecting.append(.capabilities)
        phase = .handshake(expecting: expecting)
        process()
    }

    private func sendPSync() {
        if let cached = replication.cachedPrimary {
            log.write(.notice, "Trying a partial resynchronization (request \(cached.id):\(cached.offset + 1)).")
            // A primary handing over its role (FAILOVER) asks the target to promote itself.
            let handingOver = replication.failover?.state == .inProgress
            send(["PSYNC", cached.id, String(cached.offset + 1)] + (handingOver ? ["FAILOVER"] : []))
        } else {
            log.write(.notice, "Partial resynchronization not possible (no cached master)")
            send(["PSYNC", "?", "-1"])
        }
        phase = .awaitingPSyncReply
    }

    private func psyncReply(_ line: String) -> Bool {
        let words = line.split(separator: " ").map(String.init)
        if words.first == "+FULLRESYNC" && words.count >= 3, let start = Int64(words[2]) {
            primaryID = words[1]
            initialOffset = start
            log.write(.notice, "Full resync from master: \(primaryID):\(initialOffset)")
            replication.cachedPrimary = nil
            phase = .awaitingCopy
            replication.failoverPSyncAnswered(accepted: true)
            return true
        }
        if words.first == "+CONTINUE" {
            log.write(.notice, "Successful partial resynchronization with master.")
            replication.continued(newID: words.count > 1 ? words[1] : nil)
            replication.failoverPSyncAnswered(accepted: true)
            log.write(.notice, "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
            startStreaming()
            return true
        }
        if line.hasPrefix("-NOMASTERLINK") || line.hasPrefix("-LOADING") {
            log.write(.notice, "Master is currently unable to PSYNC but should be in the future: \(line.dropFirst())")
        } else {
            log.write(.warning, "Unexpected reply to PSYNC from master: \(line)")
        }
        if replication.failover != nil {
            replication.failoverPSyncAnswered(accepted: false)
            return false
        }
        fail()
        return false
    }

    // MARK: - The copy

    private func copyHeader(_ line: String) -> Bool {
        if line.hasPrefix("-") {
            log.write(.warning, "MASTER aborted replication with an error: \(line.dropFirst())")
            fail()
            return false
        }
        guard line.hasPrefix("$") else {
            log.write(.warning, "Bad protocol from MASTER, the first byte is not '$' (we received '\(line)'), are you sure the host and port are right?")
            fail()
            return false
        }
        let value = line.dropFirst()
        if value.hasPrefix("EOF:") && value.count == 44 {
            endMark = Array(value.dropFirst(4).utf8)
            transferSize = -1
        } else if let size = Int64(value), size >= 0 {
            endMark = nil
            transferSize = size
        } else {
            log.write(.warning, "Bad protocol from MASTER, the first byte is not '$' (we received '\(line)'), are you sure the host and port are right?")
            fail()
            return false
        }
        // repl-diskless-load swapdb (or on-empty-db with nothing to lose): the copy is kept in
        // memory and the dataset stays until it is whole; served meanwhile when it is the same
        // history (async_loading), behind -LOADING otherwise. Else the copy goes to a file.
        let mode = engine.config["repl-diskless-load"]
        if mode == "swapdb" || (mode == "on-empty-db" && engine.databases.allSatisfy { $0.count == 0 }) {
            inMemoryCopy = []
            if transferSize > 0 { inMemoryCopy?.reserveCapacity(Int(transferSize)) }
            log.write(.notice, "MASTER <-> REPLICA sync: Loading DB in memory")
            if primaryID == engine.replicationID {
                engine.persistence.asyncLoading = true
            } else {
                engine.persistence.loading = LoadingProgress(
                    startTime: engine.clock.wallMilliseconds / 1000, totalBytes: Int(max(0, transferSize)))
            }
        } else {
            temporaryFile = "temp-\(engine.clock.wallMilliseconds / 1000).\(getpid()).rdb"
            descriptor = open(temporaryFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                log.write(.warning, "Opening the temp file needed for MASTER <-> REPLICA synchronization: \(String(cString: strerror(errno)))")
                fail()
                return false
            }
            log.write(
                .notice,
                endMark != nil
                    ? "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
                    : "MASTER <-> REPLICA sync: receiving \(transferSize) bytes from master to disk")
        }
        transferReceived = 0
        recentBytes = []
        phase = .receivingCopy
        return true
    }

    /// Writes what arrived of the copy to the temporary file; true once the copy is whole
    /// (the load then starts, and the bytes after it wait as the stream's first).
    private func receiveCopy() -> Bool {
        var take = inbound.readableBytes
        if transferSize >= 0 { take = Int(min(Int64(take), transferSize - transferReceived)) }
        guard take > 0 || (transferSize >= 0 && transferReceived == transferSize) else { return false }
        let ok = inbound.readWithUnsafeReadableBytes { raw -> (Int, Bool) in
            let piece = UnsafeRawBufferPointer(rebasing: raw[..<take])
            var written = 0
            if inMemoryCopy != nil {
                inMemoryCopy!.append(contentsOf: piece)
                written = piece.count
            }
            while written < piece.count {
                let count = write(descriptor, piece.baseAddress! + written, piece.count - written)
                if count <= 0 {
                    if errno == EINTR { continue }
                    return (take, false)
                }
                written += count
            }
            if endMark != nil {
                recentBytes.append(contentsOf: piece.suffix(40))
                if recentBytes.count > 40 { recentBytes.removeFirst(recentBytes.count - 40) }
            }
            return (take, true)
        }
        guard ok else {
            log.write(.warning, "Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: \(String(cString: strerror(errno)))")
            fail()
            return false
        }
        transferReceived += Int64(take)
        let complete: Bool
        if let endMark {
            complete = recentBytes == endMark
            if complete {
                if inMemoryCopy != nil { inMemoryCopy!.removeLast(40) } else { _ = ftruncate(descriptor, off_t(transferReceived - 40)) }
            }
        } else {
            complete = transferReceived == transferSize
        }
        engine.persistence.loading?.loadedBytes = Int(transferReceived)
        guard complete else { return false }
        if let copy = inMemoryCopy {
            inMemoryCopy = nil
            engine.persistence.asyncLoading = false
            engine.persistence.loading = nil
            phase = .loading
            replication.loadCopy(bytes: copy, from: self) { [self] failure in copyLoadEnded(failure) }
            return false
        }
        if fsync(descriptor) != 0 {
            log.write(.warning, "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: \(String(cString: strerror(errno)))")
        }
        Glibc.close(descriptor)
        descriptor = -1
        log.write(.notice, "MASTER <-> REPLICA sync: Flushing old data")
        let fileName = engine.config["dbfilename"]
        guard rename(temporaryFile, fileName) == 0 else {
            log.write(.warning, "Failed trying to rename the temp DB into \(fileName) in MASTER <-> REPLICA synchronization: \(String(cString: strerror(errno)))")
            unlink(temporaryFile)
            fail()
            return false
        }
        temporaryFile = ""
        phase = .loading
        replication.loadCopy(fileName, from: self) { [self] failure in copyLoadEnded(failure) }
        return false
    }

    /// The copy loaded (or did not): the stream starts, or the link is dropped.
    private func copyLoadEnded(_ failure: String?) {
        guard case .loading = phase else { return }
        if let failure {
            log.write(.warning, "Failed trying to load the MASTER synchronization DB from disk, check server logs. (\(failure))")
            fail()
            return
        }
        log.write(.notice, "MASTER <-> REPLICA sync: Finished with success")
        replication.copyLoaded(primaryID: primaryID, offset: initialOffset)
        startStreaming()
        process()
    }

    private func finishTransfer(keepFile: Bool) {
        if inMemoryCopy != nil {
            // Cut short while the copy was arriving: the dataset is the one we had.
            inMemoryCopy = nil
            log.write(.warning, "Internal error in RDB reading offset 0, function at rdb.c:0 -> Unexpected EOF reading RDB file")
            log.write(.warning, "Failed trying to load the MASTER synchronization DB from socket, check server logs.")
            engine.persistence.asyncLoading = false
            engine.persistence.loading = nil
        }
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
        if !temporaryFile.isEmpty && !keepFile {
            unlink(temporaryFile)
            temporaryFile = ""
        }
    }

    // MARK: - The stream

    private func startStreaming() {
        let session = engine.openSession(transport: self)
        session.replicationKind = .master
        session.isAuthenticated = true
        session.aclUser = nil
        session.databaseIndex = replication.cachedStreamDatabase
        self.session = session
        parser = RequestParser()
        phase = .streaming
        replication.linkUp()
        // The first ACK at once: after a diskless copy the primary starts the stream on it.
        sendAck()
    }

    private func endSession() {
        guard let session else { return }
        lastStreamDatabase = session.databaseIndex
        self.session = nil
        engine.closeSession(session)
    }

    /// Runs the complete commands received; each one's bytes go to the backlog and this
    /// server's replicas once it ran.
    private func applyStream() {
        guard let session, postponed == nil, !session.isBlocked else { return }
        // A script of this server's own clients holds the dataset (-BUSY): the primary's
        // commands wait in the buffer until it ends.
        if engine.busyScript != nil {
            if !retryScheduled {
                retryScheduled = true
                replication.server.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(10)) { [self] in
                    retryScheduled = false
                    applyStream()
                }
            }
            return
        }
        parser.limits = engine.protocolLimits
        while case .streaming = phase {
            let start = inbound.readerIndex
            let command: CommandArguments?
            do {
                command = try parser.next(from: &inbound)
            } catch {
                log.write(.warning, "Protocol error from master: \(error); closing the link")
                fail()
                return
            }
            guard let command else { break }
            let end = inbound.readerIndex
            let result = engine.execute(command, for: session)
            session.reply.buffer.clear()
            if result == .postponed {
                // CLIENT PAUSE holds the primary's writes too: run it when the pause ends.
                postponed = command
                inbound.moveReaderIndex(to: start)
                postponedBytes = inbound.readBytes(length: end - start) ?? []
                return
            }
            // The command's bytes, as received, go to the backlog and this server's replicas.
            inbound.moveReaderIndex(to: start)
            inbound.withUnsafeReadableBytes { replication.feed(UnsafeRawBufferPointer(rebasing: $0[..<(end - start)])) }
            inbound.moveReaderIndex(to: end)
        }
        if inbound.readableBytes == 0 {
            inbound.clear()
        } else if inbound.readerIndex > 64 * 1024 {
            inbound.discardReadBytes()
        }
    }

    private var postponedBytes: [UInt8] = []
    private var retryScheduled = false

    // MARK: - SessionTransport (the primary's client, as CLIENT LIST shows it)

    var remoteAddress: String { "\(host):\(port)" }
    var localAddress: String {
        guard let address = context?.channel.localAddress else { return "" }
        return ConnectionHandler.format(address)
    }
    var fileDescriptor: Int { -1 }
    var queryBufferLength: Int { inbound.readableBytes }
    var parsedArgumentBytes: Int { 0 }
    var queryBufferFree: Int { max(0, inbound.capacity - inbound.readableBytes) }
    var pendingOutputBytes: Int { 0 }
    var unsentOutputBytes: Int { 0 }
    var isUnixSocket: Bool { false }

    func outputPending() {}

    /// CLIENT KILL TYPE master: the link drops and comes back with PSYNC.
    func close() {
        guard isStreaming else { return }
        log.write(.notice, "Connection with master lost.")
        fail()
    }

    func resume() {
        guard let held = postponed, let session else { return }
        replication.server.eventLoop.assumeIsolated().execute { [self] in
            guard isStreaming, postponed != nil else { return }
            let result = engine.execute(held, for: session)
            session.reply.buffer.clear()
            if result == .postponed { return }
            postponed = nil
            postponedBytes.withUnsafeBytes { replication.feed($0) }
            postponedBytes = []
            applyStream()
        }
    }

    func releaseIdleBuffers() {}
    func enforceOutputLimit() {}
}

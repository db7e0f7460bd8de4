// One client connection: bytes in -> RequestParser -> Engine.execute -> the
// session's reply buffer -> one flush per read batch. Also the transport the
// engine sees (SessionTransport): addresses, buffer sizes, close, resume.
// Output the socket cannot take yet waits (in the channel's write queue, and behind
// unsent writes in 16 KB blocks: OutputBlocks) while the client's commands keep
// running, as Redis keeps a reply list: a client that sends a big pipeline before
// reading any reply (redis-py does) is never stalled. client-output-buffer-limit
// and client eviction bound that memory.
// Everything here runs on the engine's single event loop.
#if canImport(Glibc)
import Glibc
#endif
import CRedstartShims
import NIOCore
import RedstartEngine
import RedstartRESP

final class ConnectionHandler: ChannelInboundHandler, SessionTransport {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let engine: Engine
    private let log: ServerLog
    private let flusher: ReplyFlusher
    /// Waiting in the flusher's list for the end of the loop turn.
    @exclusivity(unchecked) private var isFlushQueued = false
    @exclusivity(unchecked) private var session: Session? {
        didSet { sessionReference = session.map { .passUnretained($0) } }
    }
    @exclusivity(unchecked) private var context: ChannelHandlerContext? {
        didSet { contextReference = context.map { .passUnretained($0) } }
    }
    /// `session` and `context` unretained, for the paths every request takes: binding the
    /// properties (`guard let session`) is a retain and a release each time. Both outlive
    /// whatever borrows them, even when that closes the connection: the pipeline holds the
    /// context until a later loop task removes the handlers, and `retireSession` keeps the
    /// session until a later task too.
    @exclusivity(unchecked) private var sessionReference: Unmanaged<Session>?
    @exclusivity(unchecked) private var contextReference: Unmanaged<ChannelHandlerContext>?
    /// The channel's allocator (EpollSocketChannel's is this one too), without going
    /// through the context for it.
    private let allocator = ByteBufferAllocator()
    @exclusivity(unchecked) private var parser = RequestParser()
    /// Bytes received and not yet parsed into commands.
    @exclusivity(unchecked) private var inbound = ByteBuffer()
    /// Holds the input instead of `inbound` while a big argument arrives.
    @exclusivity(unchecked) private var bigArgument = BigArgumentBuffer()
    /// A command held by CLIENT PAUSE, to run when the pause ends.
    @exclusivity(unchecked) private var postponed: CommandArguments?
    @exclusivity(unchecked) private var isClosing = false
    /// Bytes of the command being executed (CLIENT LIST counts them in qbuf).
    @exclusivity(unchecked) private var currentCommandLength = 0
    /// When the output first went over the soft limit (unix ms), or nil.
    @exclusivity(unchecked) private var softLimitSince: Int64?

    let remoteAddress: String
    let localAddress: String
    let isUnixSocket: Bool
    var fileDescriptor: Int { Int(socketDescriptor) }

    init(
        engine: Engine, log: ServerLog, flusher: ReplyFlusher, remoteAddress: SocketAddress?, localAddress: SocketAddress?,
        isTLS: Bool = false
    ) {
        self.isTLS = isTLS
        self.engine = engine
        self.log = log
        self.flusher = flusher
        self.remoteAddress = Self.format(remoteAddress)
        self.localAddress = Self.format(localAddress)
        if case .unixDomainSocket = remoteAddress ?? localAddress {
            isUnixSocket = true
        } else {
            isUnixSocket = false
        }
    }

    /// `ip:port`, `[ipv6]:port`, or `path:0` for Unix sockets, as Redis prints addresses.
    static func format(_ address: SocketAddress?) -> String {
        guard let address else { return "" }
        switch address {
        case .v4(let v4): return "\(address.ipAddress ?? v4.host):\(address.port ?? 0)"
        case .v6: return "[\(address.ipAddress ?? "")]:\(address.port ?? 0)"
        case .unixDomainSocket: return "\(address.pathname ?? ""):0"
        }
    }

    // MARK: - SessionTransport

    var queryBufferLength: Int {
        inbound.readableBytes + bigArgument.byteCount - parser.parsedBytesOfPartialCommand + currentCommandLength
    }
    var parsedArgumentBytes: Int { parser.parsedArgumentLengths }
    /// The input buffer's room not holding unprocessed bytes (its processed front included:
    /// it is memory the connection holds all the same).
    var queryBufferFree: Int {
        bigArgument.isGathering ? bigArgument.freeBytes : max(0, inbound.capacity - inbound.readableBytes)
    }
    /// The buffers in flight by size, what the channel holds beyond their bytes (TLS records'
    /// overhead), and the waiting blocks.
    var pendingOutputBytes: Int {
        guard context != nil else { return 0 }
        return unsentCapacity + max(0, channelBufferedBytes - unsentCountedBytes) + waitingOutput.memory
    }
    var unsentOutputBytes: Int {
        guard context != nil else { return 0 }
        return channelBufferedBytes + waitingOutput.bytes
    }

    /// The bytes of writes the channel has not finished. It holds some only while a write it
    /// was handed has not completed: it is asked (a channel-option read) only then, since
    /// replication asks on every write it propagates, once per replica.
    private var channelBufferedBytes: Int {
        guard channelWritesInFlight > 0, let context else { return 0 }
        return (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

    /// Output of later turns while writes are unsent, in blocks (sent once those are done).
    /// Never holds anything while no write is in flight.
    @exclusivity(unchecked) private var waitingOutput = OutputBlocks()

    /// Buffers the channel has not finished sending: their whole size (a reply buffer of
    /// 16 KB holding a few unsent bytes pins 16 KB, as does one that grew to 128 KB for a
    /// 100 KB reply, its sent part included, until the write completes) and their bytes.
    /// The output limits, client eviction and INFO's client memory count the size, as Redis
    /// counts its reply blocks' sizes; counting only the unsent bytes left the rest of a
    /// buffer in used_memory and in no client's figure.
    @exclusivity(unchecked) private var unsentCapacity = 0
    @exclusivity(unchecked) private var unsentCountedBytes = 0

    /// The socket's descriptor while the connection is open (-1 once it closes, or when the
    /// channel does not expose one): replies are written straight to it (`writeDirectly`).
    @exclusivity(unchecked) private var socketDescriptor: CInt = -1
    /// A connection of tls-port: its bytes go through the channel's TLS handler, never
    /// straight to the socket.
    private let isTLS: Bool
    /// Writes handed to the channel and not completed yet. While there are any, replies go
    /// through the channel too, behind them.
    @exclusivity(unchecked) private var channelWritesInFlight = 0

    /// Sends the reply buffer with one write(2) on the socket when the channel holds nothing
    /// unsent, and keeps the buffer for the next replies; true when every byte left. What
    /// the socket did not take (a full socket buffer, an error) stays in the buffer for the
    /// channel, which waits for the socket to be writable or handles the error as usual.
    /// NIO's write path (pending-writes queue, flush, its bookkeeping) cost ~12% of the
    /// server's CPU at pipeline depth 1 for what is, nearly always, one small write.
    private func writeDirectly(_ session: Session) -> Bool {
        guard socketDescriptor >= 0, channelWritesInFlight == 0, !isTLS else { return false }
        let count = session.reply.buffer.readableBytes
        let written = session.reply.buffer.withUnsafeReadableBytes { bytes in
            redstart_write(socketDescriptor, bytes.baseAddress, bytes.count)
        }
        guard written == count else {
            if written > 0 { session.reply.buffer.moveReaderIndex(forwardBy: written) }
            return false
        }
        startNextReplies(session)
        return true
    }

    /// Empties the reply buffer once its bytes are handed on. A buffer that grew past the size
    /// the cron gave it (Session+ReplyBuffer) is not kept: as with Redis's static buffer and
    /// its reply list, output beyond it passes through and leaves nothing behind. Otherwise
    /// clear() reuses the storage once the socket took the bytes.
    private func startNextReplies(_ session: Session) {
        if session.reply.buffer.capacity > session.replyBufferSize {
            session.reply.buffer = allocator.buffer(capacity: session.replyBufferSize)
        } else {
            session.reply.buffer.clear()
        }
    }

    /// Hands the reply buffer to the channel (flushing it or not) and starts a new one. A big
    /// buffer's room beyond its bytes counts as output until the write completes.
    private func handOverReplies(_ session: Session, _ context: ChannelHandlerContext, flush: Bool) {
        if flush && writeDirectly(session) {
            session.outputDrained?()
            return
        }
        if channelWritesInFlight > 0 && session.reply.buffer.capacity <= Self.replyQueueThreshold {
            // Behind unsent writes: copied into the waiting blocks; the reply buffer, not
            // shared with the channel, is kept for the next replies.
            waitingOutput.append(session.reply.buffer, allocator: allocator)
            startNextReplies(session)
            if flush { context.flush() }  // writes queued earlier in the turn
            return
        }
        let buffer = session.reply.buffer
        startNextReplies(session)
        sendThroughChannel(buffer, context, flush: flush)
    }

    /// Writes `buffer` (a buffer of its own, sharing no storage that is counted elsewhere)
    /// through the channel, its whole size counting as output until the write completes
    /// (replies are not written directly meanwhile).
    private func sendThroughChannel(_ buffer: ByteBuffer, _ context: ChannelHandlerContext, flush: Bool) {
        handOverWaitingOutput(context, flush: false)
        let (capacity, bytes) = (buffer.capacity, buffer.readableBytes)
        unsentCapacity += capacity
        unsentCountedBytes += bytes
        channelWritesInFlight += 1
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { [self] _ in
            channelWritesInFlight -= 1
            unsentCapacity -= capacity
            unsentCountedBytes -= bytes
            if channelWritesInFlight == 0, let context = self.context, !isClosing {
                if waitingOutput.isEmpty {
                    session?.outputDrained?()
                } else {
                    handOverWaitingOutput(context, flush: true)
                }
            }
        }
        if flush {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: written)
        } else {
            context.write(wrapOutboundOut(buffer), promise: written)
        }
    }

    /// Hands the blocks that waited behind earlier writes to the channel, in order.
    private func handOverWaitingOutput(_ context: ChannelHandlerContext, flush: Bool) {
        guard !waitingOutput.isEmpty else { return }
        let blocks = waitingOutput.takeAll()
        for (index, block) in blocks.enumerated() {
            sendThroughChannel(block, context, flush: flush && index == blocks.count - 1)
        }
    }

    func outputPending() {
        // Sent with the replies of this loop turn, in the flusher's one task.
        guard !isFlushQueued, context != nil else { return }
        isFlushQueued = true
        flusher.schedule(self)
    }

    func close() {
        guard let context, !isClosing else { return }
        flushReplies()
        isClosing = true
        socketDescriptor = -1
        context.close(promise: nil)
        releaseBuffers()
        // A TLS connection closes only once its close_notify exchange ends: the client is
        // gone for the engine now, as Redis's freeClient (a plain socket is inactive already).
        retireSession(context)
    }

    /// The client is gone for the engine. The session object itself is let go only once the
    /// loop's current work is done: a command or a flush of this connection may be what
    /// closed it, and they borrow the session unretained (`sessionReference`) while they run.
    private func retireSession(_ context: ChannelHandlerContext) {
        guard let session else { return }
        engine.closeSession(session)
        self.session = nil
        context.eventLoop.assumeIsolated().execute { withExtendedLifetime(session) {} }
    }

    /// A closed client's buffers go at once, not when the channel reports it inactive:
    /// memory counted for maxmemory must fall as soon as a client is evicted.
    private func releaseBuffers() {
        session?.reply.buffer = ByteBuffer()
        _ = waitingOutput.takeAll()
        inbound = ByteBuffer()
        bigArgument = BigArgumentBuffer()
    }

    func releaseIdleBuffers() {
        if inbound.readableBytes == 0 && !parser.isInsideCommand && postponed == nil {
            inbound = ByteBuffer()
        }
    }

    func resume() {
        guard let context else { return }
        // Run later, never inside the command (CLIENT UNPAUSE, a push) that ended the wait.
        context.eventLoop.assumeIsolated().execute { [self] in
            guard let session, !isClosing, !session.isBlocked, !session.isProtected else { return }
            if let held = postponed {
                postponed = nil
                switch engine.execute(held, for: session) {
                case .postponed:
                    postponed = held
                    return
                case .blocked:
                    flushReplies()
                    return
                case .scriptPaused:
                    return
                case .executed:
                    break
                }
            }
            if session.closeAfterReply {
                closeAfterFlush()
                return
            }
            processInput()
            flushReplies()
        }
    }

    // MARK: - Inbound

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        if !engine.canAcceptClient {
            engine.stats.rejectedConnections += 1
            writeAndClose(context, "-ERR max number of clients reached\r\n")
            return
        }
        if engine.isProtectedMode && engine.acl.defaultUserHasNoPassword && !isLocal {
            engine.stats.rejectedConnections += 1
            writeAndClose(context, Self.protectedModeError)
            return
        }
        socketDescriptor =
            (try? context.pipeline.syncOperations.withUnsafeTransportIfAvailable(of: NIOBSDSocket.Handle.self) { $0 })
            ?? -1
        session = engine.openSession(transport: self)
        session?.reply.buffer = allocator.buffer(capacity: Session.replyBufferMinimum)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        socketDescriptor = -1
        flusher.gate.forget(self)
        retireSession(context)
        postponed = nil
        self.context = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytesRead(unwrapInboundIn(data))
    }

    /// What a read brought (from channelRead, or from the channel directly: `readDirectly`).
    func bytesRead(_ read: ByteBuffer) {
        var bytes = read
        engine.stats.netInputBytes += bytes.readableBytes
        engine.stats.totalReadsProcessed += 1
        guard !isClosing, sessionReference != nil else { return }
        if bigArgument.isGathering {
            bigArgument.append(&bytes, allocator: allocator)
            guard bigArgument.isComplete else {
                checkQueryBufferLimits()
                return
            }
            inbound = bigArgument.take(allocator: allocator)
        } else if inbound.readableBytes == 0 {
            inbound = bytes
        } else {
            inbound.writeBuffer(&bytes)
        }
        processInput()
        gatherBigArgumentIfArriving()
    }

    /// A big argument still arriving is gathered in chunks (BigArgumentBuffer), not in a
    /// query buffer that doubles as it grows.
    private func gatherBigArgumentIfArriving() {
        let bulkLength = parser.currentBulkLength
        guard bulkLength >= BigArgumentBuffer.threshold, !isClosing else { return }
        let missing = parser.parsedBytesOfPartialCommand + bulkLength + 2 - inbound.readableBytes
        guard missing > 0 else { return }
        bigArgument.start(with: &inbound, missing: missing, allocator: allocator)
        inbound = ByteBuffer()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readsComplete()
        context.fireChannelReadComplete()
    }

    /// The end of a read (channelReadComplete, or from the channel directly): the replies go
    /// out at the end of the loop turn.
    func readsComplete() {
        if !isFlushQueued {
            isFlushQueued = true
            flusher.schedule(self)
        }
    }

    /// Called by the flusher at the end of the loop turn.
    func flushScheduledReplies() {
        isFlushQueued = false
        markRepliesOfThisTurn()
        flushReplies()
    }

    // MARK: - Replies that wait for the AOF (DurabilityGate)

    /// Ends (writer indices in the reply buffer) of replies that wait for an AOF fsync, with
    /// the generation each needs, oldest first.
    @exclusivity(unchecked) private var durableMarks: [(end: Int, generation: Int)] = []

    /// Tags the replies this turn produced with the AOF generation they wait for.
    private func markRepliesOfThisTurn() {
        let gate = flusher.gate
        guard let session, !gate.isOpen else { return }
        let end = session.reply.buffer.writerIndex
        if end > (durableMarks.last?.end ?? session.reply.buffer.readerIndex) {
            durableMarks.append((end, gate.requirement))
        }
    }

    /// The fsync some replies waited for is done.
    func releaseDurableReplies() { flushReplies() }

    /// Where sending must stop: before the first reply still waiting for an fsync.
    private func sendableEnd(_ buffer: ByteBuffer) -> Int {
        let gate = flusher.gate
        if durableMarks.isEmpty && gate.isOpen { return buffer.writerIndex }
        var end = buffer.readerIndex
        while let first = durableMarks.first {
            guard first.generation <= gate.syncedGeneration else { return end }
            end = first.end
            durableMarks.removeFirst()
        }
        return gate.isOpen ? buffer.writerIndex : end
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        log.write(.verbose, "Client \(remoteAddress) error: \(error)")
        context.close(promise: nil)
    }

    // MARK: - Processing

    /// Parses and runs every complete command in the input.
    private func processInput() {
        guard let sessionReference, postponed == nil, !isClosing else { return }
        let isDone = sessionReference._withUnsafeGuaranteedRef { session in
            guard !session.isBlocked, !session.isProtected else { return true }
            parser.limits = engine.protocolLimits
            return !engine.runInputBatch({ runCommands(session) })
        }
        if isDone { return }
        if !checkQueryBufferLimits() { return }
        if inbound.readableBytes == 0 {
            // Not kept: NIO reuses its read buffer only when no one else holds it, and a
            // connection then holds one input buffer, not two.
            inbound = ByteBuffer()
        } else if inbound.readerIndex >= inbound.readableBytes {
            // The rest (a partial command: the parser's positions are relative to the
            // readerIndex) moves to the front when that copies less than it frees, so through a
            // long pipeline the buffer stays about a read and a command long instead of growing
            // by doubling to hold the whole pipeline.
            inbound.discardReadBytes()
        }
    }

    /// Runs the complete commands in the input buffer until it holds none, the session
    /// blocks or the connection closes; false when the connection is done with (closing).
    private func runCommands(_ session: Session) -> Bool {
        while !isClosing {
            parser.isAuthenticationRequired = engine.isAuthenticationRequired(session)
            let before = inbound.readerIndex
            let request: CommandArguments?
            do {
                request = try parser.next(from: &inbound)
            } catch {
                protocolError(error)
                return false
            }
            guard let request else { break }
            currentCommandLength = inbound.readerIndex - before
            // maxmemory-clients: a client whose command makes the clients too big is evicted
            // before it runs (its arguments are in the query buffer).
            if engine.maxMemoryClients != 0 && engine.evictClientsIfNeeded(current: session) { return false }
            let result = engine.execute(request, for: session)
            currentCommandLength = 0
            if result == .postponed {
                postponed = request
                break
            }
            // A blocked client (or one whose script paused) runs nothing else until the
            // engine resumes it.
            if result == .blocked || result == .scriptPaused { break }
            if session.closeAfterReply {
                closeAfterFlush()
                return false
            }
            // A long pipeline's replies move to the channel in pieces instead of one buffer
            // growing without end; all leave at the end of the turn (as Redis's reply list),
            // and the output limit applies to what has piled up.
            if session.reply.buffer.readableBytes >= Self.replyQueueThreshold {
                queueReplies()
                if isClosing { return false }
            }
        }
        return true
    }

    /// Closes a client whose unparsed input passed client-query-buffer-limit; false when this
    /// client is gone. (A partial command that takes the clients over maxmemory-clients is
    /// evicted for at the end of the turn, once the turn's replies are sent: as in Redis's
    /// beforeSleep, replies about to leave are not counted against anyone.)
    @discardableResult
    private func checkQueryBufferLimits() -> Bool {
        guard session != nil else { return false }
        if inbound.readableBytes + bigArgument.byteCount > engine.queryBufferLimit {
            log.write(.warning, "Closing client that reached max query buffer length: addr=\(remoteAddress)")
            close()
            return false
        }
        return !isClosing
    }

    /// NIO's default write-buffer high watermark: while a channel is writable it holds less.
    static let channelHighWatermark = 64 * 1024

    /// Replies buffered beyond this many bytes move to the channel before more commands run.
    static let replyQueueThreshold = 64 * 1024

    /// Hands the replies so far to the channel without sending them yet (the turn's flush
    /// sends them), or closes the client if they pass its output limit. Replies that may
    /// have to wait for the AOF stay in the buffer.
    private func queueReplies() {
        guard let session, let context, !isClosing else { return }
        let count = session.reply.buffer.readableBytes
        if exceedsOutputLimit(session, waiting: count) {
            closeForOutputLimit(session, context)
            return
        }
        guard flusher.gate.isOpen && durableMarks.isEmpty else { return }
        if count > session.replyPeak { session.replyPeak = count }
        engine.stats.netOutputBytes += count
        handOverReplies(session, context, flush: false)
        hasQueuedReplies = true
    }

    /// Replies handed to the channel by `queueReplies` and not yet flushed.
    @exclusivity(unchecked) private var hasQueuedReplies = false

    /// Sends what the engine wrote for this session.
    private func flushReplies() {
        guard let sessionReference, let contextReference, !isClosing else { return }
        sessionReference._withUnsafeGuaranteedRef { session in
            contextReference._withUnsafeGuaranteedRef { context in flushReplies(session, context) }
        }
    }

    private func flushReplies(_ session: Session, _ context: ChannelHandlerContext) {
        // A client whose script paused has part of a reply (an EXEC's, say) in its buffer.
        guard !session.isProtected else { return }
        session.outputSent()
        let count = session.reply.buffer.readableBytes
        if count > session.replyPeak { session.replyPeak = count }
        if count > 0 && exceedsOutputLimit(session, waiting: count) {
            closeForOutputLimit(session, context)
            return
        }
        // Replies that wait for the AOF (appendfsync always) stay until their fsync is done.
        let sendable = count > 0 ? sendableEnd(session.reply.buffer) - session.reply.buffer.readerIndex : 0
        if sendable < count { flusher.gate.hold(self) }
        guard sendable > 0 else {
            if hasQueuedReplies {
                hasQueuedReplies = false
                context.flush()
            }
            return
        }
        hasQueuedReplies = false
        engine.stats.netOutputBytes += sendable
        engine.stats.totalWritesProcessed += 1
        if sendable < count {
            // The rest waits for the AOF: send a copy of the part before it and keep the buffer
            // as it is. A slice would share the buffer's storage, which outlives it uncounted
            // (only its bytes are) once the buffer is replaced while the write is in flight.
            var part = allocator.buffer(capacity: sendable)
            part.writeImmutableBuffer(session.reply.buffer.readSlice(length: sendable)!)
            sendThroughChannel(part, context, flush: true)
            return
        }
        handOverReplies(session, context, flush: true)
    }

    /// A client over its output limit is closed at once, its waiting output dropped.
    private func closeForOutputLimit(_ session: Session, _ context: ChannelHandlerContext) {
        log.write(
            .warning,
            "Client \(engine.clientInfoLine(session)) scheduled to be closed ASAP for overcoming of output buffer limits."
        )
        isClosing = true
        context.close(promise: nil)
        releaseBuffers()
    }

    func enforceOutputLimit() {
        // Only a client already over its soft limit can pass a limit without new output.
        guard softLimitSince != nil, let session, let context, !isClosing else { return }
        if exceedsOutputLimit(session, waiting: session.reply.buffer.readableBytes) {
            closeForOutputLimit(session, context)
        }
    }

    /// Whether the output not yet on the socket (replies about to be written plus what NIO
    /// still holds) passes client-output-buffer-limit: over the hard limit, or over the soft
    /// limit for longer than its seconds (Redis counts the reply list the same way).
    private func exceedsOutputLimit(_ session: Session, waiting: Int) -> Bool {
        let limit = engine.outputLimit(for: session.kind)
        guard limit.hard > 0 || limit.soft > 0 else { return false }
        // With no write in flight the channel holds nothing; while the socket takes writes NIO
        // holds less than its high watermark (plus what is left of big buffers being sent).
        // Either way a batch far below the limits cannot pass them: skip asking the channel.
        let lowest = limit.hard > 0 && limit.soft > 0 ? min(limit.hard, limit.soft) : max(limit.hard, limit.soft)
        if channelWritesInFlight == 0 && waiting < lowest {
            softLimitSince = nil
            return false
        }
        if waiting + unsentCapacity + waitingOutput.memory + Self.channelHighWatermark < lowest,
            context?.channel.isWritable == true
        {
            softLimitSince = nil
            return false
        }
        return limit.isExceeded(by: waiting + pendingOutputBytes, now: engine.clock.wallMilliseconds, softSince: &softLimitSince)
    }

    /// Replies the protocol error, then closes once it is sent.
    private func protocolError(_ error: ProtocolError) {
        guard let session else { return }
        engine.replyError(session, ReplyError(error.message))
        log.write(.verbose, "Protocol error (\(error.message)) from client: \(remoteAddress)")
        closeAfterFlush()
    }

    /// Sends the pending replies, then closes the connection (QUIT, protocol errors).
    private func closeAfterFlush() {
        guard let session, let context, !isClosing else { return }
        isClosing = true
        flusher.barrier()
        handOverWaitingOutput(context, flush: false)
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(session.reply.buffer), promise: promise)
        session.reply.buffer.clear()
        promise.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    private func writeAndClose(_ context: ChannelHandlerContext, _ text: String) {
        isClosing = true
        handOverWaitingOutput(context, flush: false)
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(allocator.buffer(string: text)), promise: promise)
        promise.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// Loopback and Unix-socket clients are local (protected mode lets them in).
    private var isLocal: Bool {
        isUnixSocket || remoteAddress.hasPrefix("127.0.0.1:") || remoteAddress.hasPrefix("[::1]:")
    }

    static let protectedModeError =
        "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"
}

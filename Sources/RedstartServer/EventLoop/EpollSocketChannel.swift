// An NIO Channel of our own over a connected stream socket (or a pipe), on an
// EpollEventLoop. The handlers above it (ConnectionHandler, NIOSSL's, PrimaryLink) see
// an ordinary NIO channel: a pipeline, reads and read-completes, writes with promises,
// flush, close, autoRead and the write-buffer watermarks. Under the pipeline it is a
// descriptor the loop watches and a queue of writes, without NIO's per-read bookkeeping
// (ARCHITECTURE.md, "Execution model", has what that costs per request).
//
// Reads: one read(2) per readiness into a buffer sized to what the reads need (2 KB to
// 64 KB, doubling when a read fills it, halving after reads that use less than half), then
// channelRead and channelReadComplete, or, for a plain connection whose only handler is a
// ConnectionHandler, straight to that handler (`readDirectly`). With autoRead off the
// descriptor stops being watched for input until the pipeline asks for a read. Writes:
// queued with their promises; a flush writes what it covers with writev(2) and watches for
// writability only when the socket takes less.
import CRedstartShims
#if canImport(Glibc)
import Glibc
#endif
import DequeModule
import NIOCore
import Synchronization

public final class EpollSocketChannel: Channel, ChannelCore, NIOTransportAccessibleChannelCore, DescriptorWatcher,
    @unchecked Sendable
{
    private let loop: EpollEventLoop
    /// The descriptor while open, -1 once closed.
    private var descriptor: CInt
    public let allocator = ByteBufferAllocator()
    public let localAddress: SocketAddress?
    public let remoteAddress: SocketAddress?
    public var parent: Channel? { nil }
    public var eventLoop: EventLoop { loop }
    public var _channelCore: ChannelCore { self }
    public var pipeline: ChannelPipeline { _pipeline }
    public var closeFuture: EventLoopFuture<Void> { closePromise.futureResult }

    private var _pipeline: ChannelPipeline!
    private let closePromise: EventLoopPromise<Void>
    private let active = Atomic<Bool>(false)
    private let writable = Atomic<Bool>(true)

    // Loop-only state.
    private var interest: Readiness = []
    private var autoRead = true
    /// The pipeline asked for a read (autoRead off) that has not happened yet.
    private var readRequested = false
    private var allowRemoteHalfClosure = false
    private var isInputClosed = false
    private var isOutputClosed = false
    /// A close of the output asked for while writes were queued: it happens once they have
    /// left, and then completes this promise (also when it is nil, as the mark it is).
    private var pendingOutputClose: EventLoopPromise<Void>?? = nil
    private var readSize = 2048
    /// The buffer of the last read, kept for the next one.
    private var readBuffer = ByteBuffer()
    /// The handler that gets the reads past the pipeline (`readDirectly`); the pipeline holds
    /// it until after the close, and the channel lets go of it at the close.
    private var directReader: Unmanaged<ConnectionHandler>?
    private static let minimumReadSize = 1024
    private static let maximumReadSize = 65536
    private var waterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 32 * 1024, high: 64 * 1024)

    private struct PendingWrite {
        var buffer: ByteBuffer
        let promise: EventLoopPromise<Void>?
    }
    private var writes = Deque<PendingWrite>()
    /// How many of the queued writes a flush has covered (the first ones).
    private var flushedWrites = 0
    private var queuedBytes = 0
    private var isWriting = false

    /// Wraps the connected, non-blocking `descriptor`, which the channel now owns; `activate`
    /// (on the loop) starts it.
    public init(descriptor: CInt, on loop: EpollEventLoop, localAddress: SocketAddress?, remoteAddress: SocketAddress?) {
        self.loop = loop
        self.descriptor = descriptor
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        closePromise = loop.makePromise(of: Void.self)
        _pipeline = ChannelPipeline(channel: self)
    }

    /// Registers with the loop and goes active: channelRegistered, channelActive, then reads
    /// if autoRead is on. Call on the loop, once the pipeline holds its handlers.
    public func activate() throws(DescriptorWatchError) {
        loop.preconditionInEventLoop()
        try loop.watch(descriptor, for: [], self)
        active.store(true, ordering: .relaxed)
        pipeline.syncOperations.fireChannelRegistered()
        pipeline.syncOperations.fireChannelActive()
        if autoRead { pipeline.syncOperations.read() }
    }

    /// Hands reads to `handler`, the pipeline's only handler, directly: the bytes and the end of
    /// the read, as channelRead and channelReadComplete would, without wrapping the buffer
    /// and passing it through the pipeline's contexts (ten retains and releases per read).
    /// For plain connections only: with TLS, the bytes must go through NIOSSL's handler.
    func readDirectly(into handler: ConnectionHandler) {
        loop.preconditionInEventLoop()
        directReader = .passUnretained(handler)
    }

    public var isActive: Bool { active.load(ordering: .relaxed) }
    public var isWritable: Bool { writable.load(ordering: .relaxed) }

    // MARK: - Options

    public var syncOptions: NIOSynchronousChannelOptions? { SynchronousOptions(channel: self) }

    private struct SynchronousOptions: NIOSynchronousChannelOptions {
        let channel: EpollSocketChannel
        func setOption<Option: ChannelOption>(_ option: Option, value: Option.Value) throws {
            try channel.setOption0(option, value: value)
        }
        func getOption<Option: ChannelOption>(_ option: Option) throws -> Option.Value {
            try channel.getOption0(option)
        }
    }

    public func setOption<Option: ChannelOption>(_ option: Option, value: Option.Value) -> EventLoopFuture<Void> {
        if loop.inEventLoop {
            do {
                try setOption0(option, value: value)
                return loop.makeSucceededVoidFuture()
            } catch {
                return loop.makeFailedFuture(error)
            }
        }
        let value = UncheckedValue(value)
        return loop.submit { try self.setOption0(option, value: value.value) }
    }

    public func getOption<Option: ChannelOption>(_ option: Option) -> EventLoopFuture<Option.Value> {
        if loop.inEventLoop {
            do {
                return loop.makeSucceededFuture(try getOption0(option))
            } catch {
                return loop.makeFailedFuture(error)
            }
        }
        return loop.submit { UncheckedValue(try self.getOption0(option)) }.map(\.value)
    }

    private struct UncheckedValue<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    private func setOption0<Option: ChannelOption>(_ option: Option, value: Option.Value) throws {
        loop.preconditionInEventLoop()
        guard descriptor >= 0 else { throw ChannelError.ioOnClosedChannel }
        switch option {
        case is ChannelOptions.Types.AutoReadOption:
            autoRead = value as! Bool
            if autoRead {
                read0()
            } else {
                // As NIO's channels: reading pauses at once, a read asked for included.
                readRequested = false
                updateInterest(removing: .readable)
            }
        case is ChannelOptions.Types.AllowRemoteHalfClosureOption:
            allowRemoteHalfClosure = value as! Bool
        case is ChannelOptions.Types.WriteBufferWaterMarkOption:
            waterMark = value as! ChannelOptions.Types.WriteBufferWaterMark
            updateWritability()
        case let socketOption as ChannelOptions.Types.SocketOption:
            var number = value as! SocketOptionValue
            guard setsockopt(descriptor, CInt(truncatingIfNeeded: socketOption.level), CInt(truncatingIfNeeded: socketOption.name), &number, socklen_t(MemoryLayout<SocketOptionValue>.size)) == 0 else {
                throw IOError(errnoCode: errno, reason: "setsockopt")
            }
        case is ChannelOptions.Types.RecvAllocatorOption, is ChannelOptions.Types.MaxMessagesPerReadOption:
            break  // reads size themselves (see the top of this file), one per readiness
        default:
            throw ChannelError.operationUnsupported
        }
    }

    private func getOption0<Option: ChannelOption>(_ option: Option) throws -> Option.Value {
        loop.preconditionInEventLoop()
        guard descriptor >= 0 else { throw ChannelError.ioOnClosedChannel }
        switch option {
        case is ChannelOptions.Types.AutoReadOption: return autoRead as! Option.Value
        case is ChannelOptions.Types.AllowRemoteHalfClosureOption: return allowRemoteHalfClosure as! Option.Value
        case is ChannelOptions.Types.WriteBufferWaterMarkOption: return waterMark as! Option.Value
        case is ChannelOptions.Types.BufferedWritableBytesOption: return queuedBytes as! Option.Value
        case let socketOption as ChannelOptions.Types.SocketOption:
            var number: SocketOptionValue = 0
            var length = socklen_t(MemoryLayout<SocketOptionValue>.size)
            guard getsockopt(descriptor, CInt(truncatingIfNeeded: socketOption.level), CInt(truncatingIfNeeded: socketOption.name), &number, &length) == 0 else {
                throw IOError(errnoCode: errno, reason: "getsockopt")
            }
            return number as! Option.Value
        default:
            throw ChannelError.operationUnsupported
        }
    }

    // MARK: - ChannelCore

    public func localAddress0() throws -> SocketAddress {
        guard let localAddress else { throw ChannelError.operationUnsupported }
        return localAddress
    }

    public func remoteAddress0() throws -> SocketAddress {
        guard let remoteAddress else { throw ChannelError.operationUnsupported }
        return remoteAddress
    }

    public func register0(promise: EventLoopPromise<Void>?) { promise?.succeed() }
    public func registerAlreadyConfigured0(promise: EventLoopPromise<Void>?) { promise?.succeed() }

    public func bind0(to: SocketAddress, promise: EventLoopPromise<Void>?) {
        promise?.fail(ChannelError.operationUnsupported)
    }

    public func connect0(to: SocketAddress, promise: EventLoopPromise<Void>?) {
        promise?.fail(ChannelError.operationUnsupported)
    }

    public func write0(_ data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard descriptor >= 0 else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        guard !isOutputClosed else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        let buffer = unwrapData(data, as: ByteBuffer.self)
        queuedBytes += buffer.readableBytes
        writes.append(PendingWrite(buffer: buffer, promise: promise))
        updateWritability()
    }

    public func flush0() {
        guard descriptor >= 0 else { return }
        flushedWrites = writes.count
        writeFlushed()
    }

    public func read0() {
        guard descriptor >= 0, !isInputClosed else { return }
        readRequested = true
        updateInterest(adding: .readable)
    }

    public func close0(error: Error, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard descriptor >= 0 else {
            promise?.fail(ChannelError.alreadyClosed)
            return
        }
        switch mode {
        case .output:
            closeOutput(error: error, promise: promise)
        case .input:
            // As NIO's: twice is an error, and with the other side closed it is a full close.
            guard !isInputClosed else {
                promise?.fail(ChannelError.inputClosed)
                return
            }
            guard !isOutputClosed else { return closeAll(error: error, promise: promise) }
            shutdown(descriptor, CInt(SHUT_RD))
            closeInput()
            promise?.succeed()
        case .all:
            closeAll(error: error, promise: promise)
        }
    }

    public func triggerUserOutboundEvent0(_ event: Any, promise: EventLoopPromise<Void>?) {
        promise?.fail(ChannelError.operationUnsupported)
    }

    /// The socket, for a handler that writes to it itself (ConnectionHandler's direct writes,
    /// made only while the channel holds no unsent write).
    public func withUnsafeTransport<Result>(_ body: (NIOBSDSocket.Handle) throws -> Result) throws -> Result {
        guard descriptor >= 0 else { throw ChannelError.ioOnClosedChannel }
        return try body(descriptor)
    }

    public func channelRead0(_ data: NIOAny) {}
    public func errorCaught0(error: Error) {}

    // MARK: - Readiness

    public func descriptorReady(_ readiness: Readiness) {
        guard descriptor >= 0 else { return }
        if !readiness.isDisjoint(with: [.writable, .error]), flushedWrites > 0 {
            writeFlushed()
            guard descriptor >= 0 else { return }
        }
        if !readiness.isDisjoint(with: [.readable, .hangUp, .error]), interest.contains(.readable) {
            readOnce()
        } else if readiness.contains(.error) || readiness.rawValue & EPOLLHUP.rawValue != 0 {
            // Reported whatever the interest, and again on every turn: a socket that is not
            // being read and has nothing to write learns of its end here.
            closeAll(error: ChannelError.eof, promise: nil)
        }
    }

    private func readOnce() {
        // The last read's buffer again when no handler kept it (ConnectionHandler lets go of
        // a read it consumed whole): no allocation per read.
        var buffer = ByteBuffer()
        swap(&buffer, &readBuffer)
        if buffer.modifyIfUniquelyOwned({ $0.clear() }) == nil || buffer.capacity < readSize {
            buffer = allocator.buffer(capacity: readSize)
        }
        var result = 0
        var readError: CInt = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: readSize) { bytes in
            result = redstart_read(descriptor, bytes.baseAddress, bytes.count)
            readError = errno
            return max(0, result)
        }
        if result < 0 {
            if readError == EAGAIN || readError == EWOULDBLOCK || readError == EINTR { return }
            let error = IOError(errnoCode: readError, reason: "read")
            pipeline.syncOperations.fireErrorCaught(error)
            closeAll(error: error, promise: nil)
            return
        }
        if result == 0 {
            // The peer closed its end.
            pipeline.syncOperations.fireChannelReadComplete()
            if allowRemoteHalfClosure {
                closeInput()
            } else {
                closeAll(error: ChannelError.eof, promise: nil)
            }
            return
        }
        adjustReadSize(result)
        if !autoRead {
            readRequested = false
            updateInterest(removing: .readable)
        }
        if let reader = directReader {
            reader._withUnsafeGuaranteedRef { $0.bytesRead(buffer) }
            guard descriptor >= 0 else { return }
            readBuffer = buffer
            reader._withUnsafeGuaranteedRef { $0.readsComplete() }
            return
        }
        readBuffer = buffer
        pipeline.syncOperations.fireChannelRead(NIOAny(buffer))
        guard descriptor >= 0 else { return }
        pipeline.syncOperations.fireChannelReadComplete()
    }

    private func adjustReadSize(_ count: Int) {
        if count == readSize && readSize < Self.maximumReadSize {
            readSize *= 2
        } else if count < readSize / 2 && readSize > Self.minimumReadSize {
            readSize /= 2
        }
    }

    /// As NIO's socket channels: the write side shuts once the writes already queued have
    /// left (the peer gets them, then end of file); later writes fail with `outputClosed`,
    /// and reading goes on. With the input closed already it is a full close.
    private func closeOutput(error: Error, promise: EventLoopPromise<Void>?) {
        guard !isOutputClosed else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        guard !isInputClosed else { return closeAll(error: error, promise: promise) }
        switch pendingOutputClose {
        case .none:
            pendingOutputClose = .some(promise)
        case .some(let earlier):
            if let promise {
                if let earlier { earlier.futureResult.cascade(to: promise) } else { pendingOutputClose = .some(promise) }
            }
        }
        shutOutputIfDrained()
    }

    /// Shuts the write side if a close of it waits and nothing is queued any more.
    private func shutOutputIfDrained() {
        guard descriptor >= 0, case .some(let promise) = pendingOutputClose, writes.isEmpty else { return }
        pendingOutputClose = nil
        isOutputClosed = true
        shutdown(descriptor, CInt(SHUT_WR))
        updateInterest(removing: .writable)
        promise?.succeed()
        pipeline.syncOperations.fireUserInboundEventTriggered(ChannelEvent.outputClosed)
    }

    private func closeInput() {
        guard !isInputClosed else { return }
        isInputClosed = true
        updateInterest(removing: .readable)
        pipeline.syncOperations.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
    }

    // MARK: - Writes

    /// Writes the flushed part of the queue until the socket takes no more; watches for
    /// writability while some is left. A flush asked for while it runs (from a completed
    /// write's callback) only extends what it covers.
    private func writeFlushed() {
        guard !isWriting else { return }
        isWriting = true
        defer { isWriting = false }
        while flushedWrites > 0 {
            let written = writeVector()
            if written < 0 {
                let error = errno
                if error == EAGAIN || error == EWOULDBLOCK { break }
                if error == EINTR { continue }
                closeAll(error: IOError(errnoCode: error, reason: "write"), promise: nil)
                return
            }
            completeWrites(written)
        }
        if flushedWrites > 0 {
            updateInterest(adding: .writable)
        } else {
            updateInterest(removing: .writable)
        }
        updateWritability()
        if pendingOutputClose != nil { shutOutputIfDrained() }
    }

    /// One writev(2) of the first flushed writes (at most 64 buffers).
    private func writeVector() -> Int {
        let count = min(flushedWrites, 64)
        if count == 1 {
            return writes[0].buffer.withUnsafeReadableBytes { redstart_write(descriptor, $0.baseAddress, $0.count) }
        }
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { vectors in
            // The buffers' storage outlives the call: the queue holds them.
            for index in 0..<count {
                writes[index].buffer.withUnsafeReadableBytes { bytes in
                    vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
                }
            }
            return redstart_writev(descriptor, vectors.baseAddress, CInt(count))
        }
    }

    /// Takes `written` bytes off the front of the queue, then completes the writes they
    /// finished (their callbacks see the queue as it is after them).
    private func completeWrites(_ written: Int) {
        var left = written
        queuedBytes -= written
        var finished = 0
        while finished < flushedWrites {
            let size = writes[finished].buffer.readableBytes
            guard left >= size else {
                writes[finished].buffer.moveReaderIndex(forwardBy: left)
                break
            }
            left -= size
            finished += 1
        }
        guard finished > 0 else { return }
        flushedWrites -= finished
        if finished == 1 {
            writes.removeFirst().promise?.succeed()
            return
        }
        let done = Array(writes.prefix(finished))
        writes.removeFirst(finished)
        for write in done { write.promise?.succeed() }
    }

    private func updateWritability() {
        let wasWritable = writable.load(ordering: .relaxed)
        if wasWritable && queuedBytes > waterMark.high {
            writable.store(false, ordering: .relaxed)
            pipeline.syncOperations.fireChannelWritabilityChanged()
        } else if !wasWritable && queuedBytes < waterMark.low {
            writable.store(true, ordering: .relaxed)
            pipeline.syncOperations.fireChannelWritabilityChanged()
        }
    }

    // MARK: - Closing

    private func closeAll(error: Error, promise: EventLoopPromise<Void>?) {
        guard descriptor >= 0 else {
            promise?.fail(ChannelError.alreadyClosed)
            return
        }
        loop.unwatch(descriptor)
        Glibc.close(descriptor)
        descriptor = -1
        active.store(false, ordering: .relaxed)
        readBuffer = ByteBuffer()
        directReader = nil
        let failed = writes
        writes.removeAll()
        flushedWrites = 0
        queuedBytes = 0
        let writeError = error is ChannelError ? ChannelError.ioOnClosedChannel : error
        for write in failed { write.promise?.fail(writeError) }
        if case .some(let outputClose) = pendingOutputClose {
            pendingOutputClose = nil
            outputClose?.fail(writeError)
        }
        promise?.succeed()
        pipeline.syncOperations.fireChannelInactive()
        pipeline.syncOperations.fireChannelUnregistered()
        // Handlers go once the close is complete, as NIO's channels do it.
        loop.execute { [self] in
            removeHandlers(pipeline: _pipeline)
            closePromise.succeed()
        }
    }

    // MARK: - Interest

    private func updateInterest(adding added: Readiness = [], removing removed: Readiness = []) {
        guard descriptor >= 0 else { return }
        let wanted = interest.union(added).subtracting(removed)
        guard wanted != interest else { return }
        interest = wanted
        try? loop.changeInterest(descriptor, to: wanted)
    }
}

// Opens an outgoing connection for an EpollSocketChannel (what a client bootstrap does
// for NIO's channels): the host resolved with getaddrinfo, each of its addresses tried
// in turn with a non-blocking connect(2) that the loop watches, the whole bounded by a
// timeout; `initialize` adds the channel's handlers before it goes active.
import CRedstartShims
#if canImport(Glibc)
import Glibc
#endif
import NIOCore

public final class EpollConnector: DescriptorWatcher {
    private let loop: EpollEventLoop
    private let source: SocketAddress?
    private let initialize: (EpollSocketChannel) throws -> Void
    private let promise: EventLoopPromise<EpollSocketChannel>
    private var addresses: [SocketAddress]
    private var descriptor: CInt = -1
    private var timeoutTask: Scheduled<Void>?
    /// Why the last address tried failed.
    private var lastError: Error = ChannelError.ioOnClosedChannel

    /// Connects to `host`:`port` (from `source` when given: its port 0 lets the system pick
    /// one) within `timeout`. Call on the loop.
    public static func connect(
        host: String, port: Int, from source: SocketAddress? = nil, timeout: TimeAmount, on loop: EpollEventLoop,
        initialize: @escaping (EpollSocketChannel) throws -> Void
    ) -> EventLoopFuture<EpollSocketChannel> {
        loop.preconditionInEventLoop()
        let promise = loop.makePromise(of: EpollSocketChannel.self)
        let addresses: [SocketAddress]
        do {
            addresses = try resolve(host: host, port: port)
        } catch {
            promise.fail(error)
            return promise.futureResult
        }
        guard !addresses.isEmpty else {
            promise.fail(SocketAddressError.unknown(host: host, port: port))
            return promise.futureResult
        }
        let connector = EpollConnector(loop: loop, addresses: addresses, source: source, initialize: initialize, promise: promise)
        connector.timeoutTask = loop.assumeIsolated().scheduleTask(in: timeout) {
            connector.finish(.failure(ChannelError.connectTimeout(timeout)))
        }
        connector.tryNext()
        return promise.futureResult
    }

    private init(
        loop: EpollEventLoop, addresses: [SocketAddress], source: SocketAddress?,
        initialize: @escaping (EpollSocketChannel) throws -> Void, promise: EventLoopPromise<EpollSocketChannel>
    ) {
        self.loop = loop
        self.addresses = addresses
        self.source = source
        self.initialize = initialize
        self.promise = promise
    }

    /// The host's addresses, as getaddrinfo gives them (a literal address needs no lookup).
    private static func resolve(host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = CInt(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &results)
        guard status == 0, let first = results else {
            throw SocketAddressError.unknown(host: host, port: port)
        }
        defer { freeaddrinfo(results) }
        var addresses: [SocketAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: current.pointee.ai_addr, count: Int(current.pointee.ai_addrlen)))
            }
            if let address = SocketAddresses.make(storage) { addresses.append(address) }
            entry = current.pointee.ai_next
        }
        return addresses
    }

    /// Starts connecting to the next address, or fails with the last error once none is left.
    private func tryNext() {
        guard !addresses.isEmpty else {
            finish(.failure(lastError))
            return
        }
        let address = addresses.removeFirst()
        let family = address.protocol.rawValue
        descriptor = socket(family, CInt(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else {
            lastError = IOError(errnoCode: errno, reason: "socket")
            return tryNext()
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        if let source, !bind(descriptor, to: source) {
            return failAttempt(IOError(errnoCode: errno, reason: "bind"))
        }
        let status = address.withSockAddr { pointer, length in Glibc.connect(descriptor, pointer, socklen_t(length)) }
        if status == 0 { return connected() }
        guard errno == EINPROGRESS else { return failAttempt(IOError(errnoCode: errno, reason: "connect")) }
        do {
            try loop.watch(descriptor, for: .writable, self)
        } catch {
            failAttempt(error)
        }
    }

    private func bind(_ descriptor: CInt, to address: SocketAddress) -> Bool {
        address.withSockAddr { pointer, length in Glibc.bind(descriptor, pointer, socklen_t(length)) } == 0
    }

    public func descriptorReady(_ readiness: Readiness) {
        guard descriptor >= 0 else { return }
        var error: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
        loop.unwatch(descriptor)
        if error == 0 {
            connected()
        } else {
            failAttempt(IOError(errnoCode: error, reason: "connect"))
        }
    }

    private func failAttempt(_ error: Error) {
        lastError = error
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
        tryNext()
    }

    private func connected() {
        let channel = EpollSocketChannel(
            descriptor: descriptor, on: loop, localAddress: SocketAddresses.local(of: descriptor),
            remoteAddress: SocketAddresses.remote(of: descriptor))
        descriptor = -1
        do {
            try initialize(channel)
            try channel.activate()
        } catch {
            channel.close(promise: nil)
            return finish(.failure(error))
        }
        finish(.success(channel))
    }

    /// Completes the connection attempt once (the timeout and the connect race).
    private func finish(_ result: Result<EpollSocketChannel, Error>) {
        guard let timeoutTask else { return }
        self.timeoutTask = nil
        timeoutTask.cancel()
        if descriptor >= 0 {
            loop.unwatch(descriptor)
            Glibc.close(descriptor)
            descriptor = -1
        }
        promise.completeWith(result)
    }
}

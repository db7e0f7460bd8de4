// Accepts connections on a listening socket (TCP or Unix) that an EpollEventLoop
// watches, and starts an EpollSocketChannel for each: `initialize` adds its handlers
// (and sets its options) before it goes active, as a server bootstrap's child-channel
// initializer does. Up to 1,000 connections per readiness, as Redis accepts them.
import CRedstartShims
#if canImport(Glibc)
import Glibc
#endif
import NIOCore

public final class EpollAcceptor: DescriptorWatcher {
    private let loop: EpollEventLoop
    /// The listening socket while open, -1 once closed.
    private var descriptor: CInt
    private let initialize: (EpollSocketChannel) throws -> Void
    /// The address the socket listens on.
    public let localAddress: SocketAddress?
    private static let acceptsPerReadiness = 1000

    /// Takes over the listening, non-blocking `descriptor`; `start` (on the loop) watches it.
    public init(descriptor: CInt, on loop: EpollEventLoop, initialize: @escaping (EpollSocketChannel) throws -> Void) {
        self.loop = loop
        self.descriptor = descriptor
        self.initialize = initialize
        localAddress = SocketAddresses.local(of: descriptor)
    }

    public var isOpen: Bool { descriptor >= 0 }

    public func start() throws(DescriptorWatchError) {
        try loop.watch(descriptor, for: .readable, self)
    }

    /// Stops accepting and closes the listening socket (on the loop).
    public func close() {
        guard descriptor >= 0 else { return }
        loop.unwatch(descriptor)
        Glibc.close(descriptor)
        descriptor = -1
    }

    public func descriptorReady(_ readiness: Readiness) {
        for _ in 0..<Self.acceptsPerReadiness {
            guard descriptor >= 0 else { return }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(descriptor, $0, &length) }
            }
            // EAGAIN: none left. Other errors (a connection reset before it was accepted, out
            // of descriptors): this readiness ends, the next one tries again.
            guard client >= 0 else { return }
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let channel = EpollSocketChannel(
                descriptor: client, on: loop, localAddress: SocketAddresses.local(of: client),
                remoteAddress: SocketAddresses.make(storage) ?? SocketAddresses.remote(of: client))
            do {
                try initialize(channel)
                try channel.activate()
            } catch {
                channel.close(promise: nil)
            }
        }
    }
}

/// NIO's SocketAddress of a socket's ends.
enum SocketAddresses {
    static func local(of descriptor: CInt) -> SocketAddress? {
        address(of: descriptor, getsockname)
    }

    static func remote(of descriptor: CInt) -> SocketAddress? {
        address(of: descriptor, getpeername)
    }

    private static func address(
        of descriptor: CInt, _ query: (CInt, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> CInt
    ) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { query(descriptor, $0, &length) }
        }
        return status == 0 ? make(storage) : nil
    }

    /// The address in `storage` (IPv4, IPv6 or Unix), or nil for another family.
    static func make(_ storage: sockaddr_storage) -> SocketAddress? {
        var storage = storage
        let family = CInt(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer in
            switch family {
            case AF_INET: return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee) }
            case AF_INET6: return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee) }
            case AF_UNIX: return pointer.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { SocketAddress($0.pointee) }
            default: return nil
            }
        }
    }
}

// EpollConnector: an outgoing connection becomes an active EpollSocketChannel with its
// handlers; a refused one fails the future with the system's error.
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import RedstartServer

#if canImport(Glibc)
import Glibc
#endif

@Suite(.timeLimit(.minutes(1)))
struct EpollConnectorTests {
    @Test func aConnectionReachesTheListenerAndCarriesBytesBothWays() throws {
        let loop = try EpollEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        let acceptor = EpollAcceptor(descriptor: try ListeningSocket.tcp(address: "127.0.0.1", port: 0, backlog: 16), on: loop) {
            try $0.pipeline.syncOperations.addHandler(Reflector())
        }
        try loop.submit { try acceptor.start() }.wait()
        let port = try #require(acceptor.localAddress?.port)
        let collector = Collector(expecting: 5)
        let channel = try loop.flatSubmit {
            EpollConnector.connect(host: "localhost", port: port, timeout: .seconds(5), on: loop) {
                try $0.pipeline.syncOperations.addHandler(collector)
            }
        }.wait()
        #expect(channel.isActive)
        #expect(channel.remoteAddress?.port == port)
        try channel.writeAndFlush(channel.allocator.buffer(string: "hello")).wait()
        #expect(try collector.received.futureResult.wait() == "hello")
        try channel.close().wait()
        try loop.submit { acceptor.close() }.wait()
    }

    @Test func aRefusedConnectionFailsWithTheSystemsError() throws {
        let loop = try EpollEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        // A port bound and not listening: connecting to it is refused.
        let bound = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
        defer { close(bound) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(bound, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let port = try #require(SocketAddresses.local(of: bound)?.port)
        let result = try loop.flatSubmit {
            EpollConnector.connect(host: "127.0.0.1", port: port, timeout: .seconds(5), on: loop) { _ in }
        }.map { _ in "connected" }.recover { "\($0)" }.wait()
        #expect(result.contains("Connection refused"), "\(result)")
    }
}

/// Writes back what it reads.
private final class Reflector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.writeAndFlush(data, promise: nil) }
}

/// Gathers what arrives until it has `expecting` bytes.
private final class Collector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let expecting: Int
    var text = ""
    var received: EventLoopPromise<String>!

    init(expecting: Int) { self.expecting = expecting }

    func handlerAdded(context: ChannelHandlerContext) {
        received = context.eventLoop.makePromise(of: String.self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        text += String(buffer: unwrapInboundIn(data))
        if text.utf8.count >= expecting { received.succeed(text) }
    }
}

// EpollAcceptor: connections on TCP and Unix listening sockets become active
// EpollSocketChannels with the handlers `initialize` gave them and both addresses.
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import RedstartServer

#if canImport(Glibc)
import Glibc
#endif

@Suite(.timeLimit(.minutes(1)))
struct EpollAcceptorTests {
    @Test func tcpConnectionsAreAcceptedWithTheirAddresses() throws {
        let loop = try EpollEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        let listening = try ListeningSocket.tcp(address: "127.0.0.1", port: 0, backlog: 16)
        let accepted = NIOLockedValueBox<[EpollSocketChannel]>([])
        let acceptor = EpollAcceptor(descriptor: listening, on: loop) { channel in
            try channel.pipeline.syncOperations.addHandler(EchoHandler())
            accepted.withLockedValue { $0.append(channel) }
        }
        try loop.submit { try acceptor.start() }.wait()
        let port = try #require(acceptor.localAddress?.port)
        var clients: [CInt] = []
        for _ in 0..<3 {
            let client = try connectTCP(port: port)
            clients.append(client)
            #expect(exchange(client, "ping") == "ping")
        }
        let channels = accepted.withLockedValue { $0 }
        #expect(channels.count == 3)
        for (channel, client) in zip(channels, clients) {
            #expect(channel.remoteAddress?.port == SocketAddresses.local(of: client)?.port)
            #expect(channel.localAddress?.port == port)
            #expect(channel.isActive)
        }
        clients.forEach { _ = close($0) }
        try loop.submit { acceptor.close() }.wait()
        #expect((try? connectTCP(port: port)) == nil)
    }

    @Test func unixConnectionsAreAccepted() throws {
        let loop = try EpollEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        let path = "/tmp/redstart-acceptor-\(getpid()).sock"
        defer { unlink(path) }
        let listening = try ListeningSocket.unix(path: path, permissions: 0, backlog: 16)
        let acceptor = EpollAcceptor(descriptor: listening, on: loop) { channel in
            try channel.pipeline.syncOperations.addHandler(EchoHandler())
        }
        try loop.submit { try acceptor.start() }.wait()
        #expect(acceptor.localAddress?.pathname == path)
        let client = socket(AF_UNIX, CInt(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(connected == 0)
        #expect(exchange(client, "over unix") == "over unix")
        close(client)
        try loop.submit { acceptor.close() }.wait()
    }
}

/// A blocking TCP connection to 127.0.0.1:`port`.
private func connectTCP(port: Int) throws -> CInt {
    let client = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let status = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard status == 0 else {
        close(client)
        throw IOError(errnoCode: errno, reason: "connect")
    }
    return client
}

/// Sends `text` and reads back as many bytes.
private func exchange(_ client: CInt, _ text: String) -> String {
    _ = text.withCString { write(client, $0, strlen($0)) }
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 256)
    while received.count < text.utf8.count {
        let count = read(client, &chunk, chunk.count)
        if count <= 0 { break }
        received += chunk[..<count]
    }
    return String(decoding: received, as: UTF8.self)
}

/// Writes back what it reads.
private final class EchoHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.writeAndFlush(data, promise: nil) }
}

// A connection to a Redis-compatible server (Redstart or Redis). Commands are
// sent as RESP multibulk; replies come back as RESPValue (error replies are
// values, `.error`, not thrown). Several commands in flight are pipelined.
import NIOCore
import NIOPosix
import RedstartRESP

/// One client connection.
public final class RedstartConnection: Sendable {
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Connects to `host:port`. Pushes (RESP3 `>`) and unrequested messages go to `onPush`.
    public static func connect(
        host: String = "127.0.0.1", port: Int, group: (any EventLoopGroup)? = nil,
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws -> RedstartConnection {
        let channel = try await ClientBootstrap(group: group ?? MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ReplyDecoderHandler(onPush: onPush))
                }
            }
            .connect(host: host, port: port)
            .get()
        return RedstartConnection(channel: channel)
    }

    /// Sends one command and returns its reply.
    public func send(_ arguments: [[UInt8]]) async throws -> RESPValue {
        try await pipeline([arguments])[0]
    }

    /// Sends one command given as text arguments.
    @discardableResult
    public func send(_ arguments: String...) async throws -> RESPValue {
        try await send(arguments.map { Array($0.utf8) })
    }

    /// Sends one command given as text arguments.
    @discardableResult
    public func send(strings arguments: [String]) async throws -> RESPValue {
        try await send(arguments.map { Array($0.utf8) })
    }

    /// Sends several commands in one write and returns their replies in order.
    public func pipeline(_ commands: [[[UInt8]]]) async throws -> [RESPValue] {
        let promises = commands.map { _ in channel.eventLoop.makePromise(of: RESPValue.self) }
        let request = ClientRequest(commands: commands, replies: promises)
        do {
            try await channel.writeAndFlush(request)
        } catch {
            // The write never reached the handler, so nobody else will complete these.
            for promise in promises { promise.fail(error) }
            throw error
        }
        var replies: [RESPValue] = []
        replies.reserveCapacity(promises.count)
        for promise in promises { replies.append(try await promise.futureResult.get()) }
        return replies
    }

    /// Sends raw bytes as they are and waits for `replies` replies (tests of the server's parser).
    public func sendRaw(_ bytes: [UInt8], replies count: Int) async throws -> [RESPValue] {
        let promises = (0..<count).map { _ in channel.eventLoop.makePromise(of: RESPValue.self) }
        do {
            try await channel.writeAndFlush(ClientRequest(raw: bytes, replies: promises))
        } catch {
            for promise in promises { promise.fail(error) }
            throw error
        }
        var replies: [RESPValue] = []
        for promise in promises { replies.append(try await promise.futureResult.get()) }
        return replies
    }

    /// Closes the connection.
    public func close() async throws {
        try await channel.close()
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }
}

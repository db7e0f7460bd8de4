// One connection to a Redis-compatible server (Redstart or Redis). Requests from
// any number of tasks are queued in an OutboundBatcher and written together once
// per event-loop turn, so concurrent requests pipeline on their own; replies come
// back in order through ReplyDecoderHandler. `connect(configuration:)` performs the
// handshake: HELLO 3 with AUTH and SETNAME (falling back to AUTH, CLIENT SETNAME
// and RESP2 on servers without HELLO), then SELECT.
//
// Two families of calls: `execute` (the RedisCommandExecutor protocol, which the
// typed methods use) throws error replies as RedisServerError; the raw `send`,
// `reply(to:)` and `pipeline` return them as `.error` values, for tools that show
// replies as they are (redstart-cli, tests).
import NIOCore
import NIOPosix
import NIOSSL
import RedstartRESP

/// One client connection.
public final class RedstartConnection: RedisCommandExecutor, Sendable {
    let channel: any Channel
    private let outbound: OutboundBatcher
    /// The RESP version the handshake settled on (2 or 3).
    public let protocolVersion: Int
    private let commandTimeout: TimeAmount?
    /// The RESP3 pushes (and, in RESP2, the messages nobody asked for) this connection
    /// receives, in order: tracking invalidations, pub/sub messages after a SUBSCRIBE
    /// sent through `sendExpectingPushes`, MONITOR lines. Only for a connection opened
    /// without an `onPush` callback (with one, the callback gets them and this stream
    /// ends at once). The newest 1,024 are kept while nobody iterates; the stream ends
    /// when the connection closes.
    public let pushes: AsyncStream<RESPValue>

    private init(channel: any Channel, protocolVersion: Int, commandTimeout: TimeAmount?, pushes: AsyncStream<RESPValue>) {
        self.channel = channel
        self.outbound = OutboundBatcher(channel: channel)
        self.protocolVersion = protocolVersion
        self.commandTimeout = commandTimeout
        self.pushes = pushes
    }

    /// Connects to `host:port` without a handshake (RESP2 until told otherwise).
    /// Pushes (RESP3 `>`) and unrequested messages go to `onPush`.
    public static func connect(
        host: String = "127.0.0.1", port: Int, group: (any EventLoopGroup)? = nil,
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws -> RedstartConnection {
        var configuration = Configuration(host: host, port: port)
        configuration.protocolVersion = 2
        return try await connect(configuration: configuration, group: group, performHandshake: false, onPush: onPush)
    }

    /// Connects as `configuration` says and performs the handshake (HELLO/AUTH, SETNAME, SELECT).
    public static func connect(
        configuration: Configuration, group: (any EventLoopGroup)? = nil,
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws -> RedstartConnection {
        try await connect(configuration: configuration, group: group, performHandshake: true, onPush: onPush)
    }

    static func connect(
        configuration: Configuration, group: (any EventLoopGroup)?, performHandshake: Bool,
        sslContext: NIOSSLContext? = nil, onPush: (@Sendable (RESPValue) -> Void)?
    ) async throws -> RedstartConnection {
        let context: NIOSSLContext?
        if let sslContext {
            context = sslContext
        } else if let tls = configuration.tls {
            context = try NIOSSLContext(configuration: tls)
        } else {
            context = nil
        }
        let serverHostname = configuration.serverHostname
        let (pushes, pushSink) = AsyncStream<RESPValue>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let deliverPush: @Sendable (RESPValue) -> Void
        if let onPush {
            deliverPush = onPush
            pushSink.finish()
        } else {
            deliverPush = { pushSink.yield($0) }
        }
        let bootstrap = ClientBootstrap(group: group ?? MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(configuration.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        let tls = try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
                        try channel.pipeline.syncOperations.addHandler(tls)
                    }
                    try channel.pipeline.syncOperations.addHandler(ReplyDecoderHandler(onPush: deliverPush))
                }
            }
        let channel: any Channel
        switch configuration.address {
        case .tcp(let host, let port):
            channel = try await bootstrap.channelOption(.tcpOption(.tcp_nodelay), value: 1).connect(host: host, port: port).get()
        case .unixSocket(let path):
            channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
        }
        channel.closeFuture.whenComplete { _ in pushSink.finish() }
        guard performHandshake else {
            return RedstartConnection(
                channel: channel, protocolVersion: 2, commandTimeout: configuration.commandTimeout, pushes: pushes)
        }
        do {
            let version = try await handshake(on: channel, configuration: configuration)
            return RedstartConnection(
                channel: channel, protocolVersion: version, commandTimeout: configuration.commandTimeout, pushes: pushes)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// HELLO (or AUTH and CLIENT SETNAME), then SELECT; returns the RESP version in use.
    private static func handshake(on channel: any Channel, configuration: Configuration) async throws -> Int {
        let setup = RedstartConnection(
            channel: channel, protocolVersion: 2, commandTimeout: configuration.connectTimeout, pushes: AsyncStream { $0.finish() })
        var version = 2
        var needsLegacySetup = true
        if configuration.protocolVersion == 3 {
            var hello = RedisCommand("HELLO")
            hello.append("3")
            if let password = configuration.password {
                hello.append("AUTH")
                hello.append(configuration.username ?? "default")
                hello.append(password)
            }
            if let name = configuration.clientName {
                hello.append("SETNAME")
                hello.append(name)
            }
            let reply = try await setup.reply(to: hello)
            if case .error(let message) = reply {
                // Servers before 6.0 do not know HELLO; some proxies refuse RESP3 (NOPROTO).
                guard message.hasPrefix("NOPROTO") || message.hasPrefix("ERR unknown command") else {
                    throw RedisServerError(message)
                }
            } else {
                version = 3
                needsLegacySetup = false
            }
        }
        if needsLegacySetup {
            if let password = configuration.password {
                var auth = RedisCommand("AUTH")
                if let username = configuration.username { auth.append(username) }
                auth.append(password)
                _ = try await setup.execute(auth)
            }
            if let name = configuration.clientName {
                var setName = RedisCommand("CLIENT")
                setName.append("SETNAME")
                setName.append(name)
                _ = try await setup.execute(setName)
            }
        }
        if configuration.database != 0 {
            var select = RedisCommand("SELECT")
            select.append(configuration.database)
            _ = try await setup.execute(select)
        }
        return version
    }

    // MARK: Commands

    /// Sends `command`; an error reply is thrown as RedisServerError.
    public func execute(_ command: RedisCommand) async throws -> RESPValue {
        try await reply(to: command).throwingError()
    }

    /// Sends `command` and returns its reply as it is (an error reply is a `.error` value).
    public func reply(to command: RedisCommand) async throws -> RESPValue {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        var bytes = channel.allocator.buffer(capacity: command.encodedArguments.readableBytes + 16)
        command.write(into: &bytes)
        outbound.enqueue(bytes, replies: CollectionOfOne(promise), timeout: timeout(for: command))
        return try await promise.futureResult.get()
    }

    /// Sends several commands in one write and returns their replies in order (errors as values).
    public func replies(to commands: [RedisCommand]) async throws -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        var bytes = channel.allocator.buffer(capacity: commands.reduce(0) { $0 + $1.encodedArguments.readableBytes + 16 })
        var promises: [EventLoopPromise<RESPValue>] = []
        promises.reserveCapacity(commands.count)
        var timeout: TimeAmount? = nil
        for command in commands {
            command.write(into: &bytes)
            promises.append(channel.eventLoop.makePromise(of: RESPValue.self))
            if let limit = self.timeout(for: command) { timeout = max(timeout ?? limit, limit) }
        }
        outbound.enqueue(bytes, replies: promises, timeout: timeout)
        var replies: [RESPValue] = []
        replies.reserveCapacity(promises.count)
        for promise in promises { replies.append(try await promise.futureResult.get()) }
        return replies
    }

    /// Writes `command` and expects no reply of its own (its answers arrive as pushes:
    /// SUBSCRIBE and its kin, MONITOR's lines).
    public func sendExpectingPushes(_ command: RedisCommand) {
        var bytes = channel.allocator.buffer(capacity: command.encodedArguments.readableBytes + 16)
        command.write(into: &bytes)
        outbound.enqueue(bytes, replies: [], timeout: nil)
    }

    /// Blocking commands wait as long as their own timeout says, not the connection's.
    private func timeout(for command: RedisCommand) -> TimeAmount? {
        guard let commandTimeout else { return nil }
        return BlockingCommands.isBlocking(command, name: command.name) ? nil : commandTimeout
    }

    // MARK: Raw access (replies as they are)

    /// Sends one command given as byte strings and returns its reply (errors as values).
    public func send(_ arguments: [[UInt8]]) async throws -> RESPValue {
        try await pipeline([arguments])[0]
    }

    /// Sends one command given as text arguments (errors as values).
    @discardableResult
    public func send(_ arguments: String...) async throws -> RESPValue {
        try await reply(to: RedisCommand(arguments: arguments))
    }

    /// Sends one command given as text arguments (errors as values).
    @discardableResult
    public func send(strings arguments: [String]) async throws -> RESPValue {
        try await reply(to: RedisCommand(arguments: arguments))
    }

    /// Sends several commands in one write and returns their replies in order (errors as values).
    public func pipeline(_ commands: [[[UInt8]]]) async throws -> [RESPValue] {
        try await replies(to: commands.map { words in
            var command = RedisCommand(arguments: [String]())
            for word in words { command.appendBulk(word) }
            return command
        })
    }

    /// Sends raw bytes as they are and waits for `replies` replies (tests of a server's parser).
    public func sendRaw(_ bytes: [UInt8], replies count: Int) async throws -> [RESPValue] {
        let promises = (0..<count).map { _ in channel.eventLoop.makePromise(of: RESPValue.self) }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        outbound.enqueue(buffer, replies: promises, timeout: nil)
        var replies: [RESPValue] = []
        for promise in promises { replies.append(try await promise.futureResult.get()) }
        return replies
    }

    // MARK: Life

    /// Closes the connection; replies still awaited fail with `connectionClosed`.
    public func close() async throws {
        try await channel.close()
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    /// Completes when the connection has closed.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }
}

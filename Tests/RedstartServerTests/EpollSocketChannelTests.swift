// EpollSocketChannel under ordinary NIO handlers: reads, writes with promises and
// back-pressure, autoRead, and both ways of closing. The channel holds one end of a
// socketpair; the test reads and writes the other end with plain system calls.
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import RedstartServer

#if canImport(Glibc)
import Glibc
#endif

@Suite(.timeLimit(.minutes(1)))
struct EpollSocketChannelTests {
    /// A loop, a channel on one end of a socketpair with `handlers`, and the other end.
    private final class Harness: @unchecked Sendable {
        let loop: EpollEventLoop
        let channel: EpollSocketChannel
        let peer: CInt

        init(autoRead: Bool = true, _ handlers: [ChannelHandler & Sendable]) throws {
            loop = try EpollEventLoop()
            var ends: [CInt] = [0, 0]
            guard socketpair(AF_UNIX, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue), 0, &ends) == 0 else {
                throw IOError(errnoCode: errno, reason: "socketpair")
            }
            peer = ends[1]
            let flags = fcntl(peer, F_GETFL)
            _ = fcntl(peer, F_SETFL, flags & ~O_NONBLOCK)
            let channel = EpollSocketChannel(descriptor: ends[0], on: loop, localAddress: nil, remoteAddress: nil)
            self.channel = channel
            try loop.submit {
                if !autoRead { try channel.syncOptions!.setOption(.autoRead, value: false) }
                for handler in handlers { try channel.pipeline.syncOperations.addHandler(handler) }
                try channel.activate()
            }.wait()
        }

        func send(_ text: String) {
            _ = text.withCString { write(peer, $0, strlen($0)) }
        }

        /// Reads exactly `count` bytes from the peer's end.
        func receive(_ count: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while bytes.count < count {
                let got = read(peer, &chunk, min(chunk.count, count - bytes.count))
                if got <= 0 { break }
                bytes += chunk[..<got]
            }
            return bytes
        }

        func stop() {
            close(peer)
            try? loop.syncShutdownGracefully()
        }
    }

    @Test func readsReachTheHandlerAndItsWritesTheSocket() throws {
        let harness = try Harness([Echo()])
        defer { harness.stop() }
        harness.send("hello")
        #expect(String(decoding: harness.receive(5), as: UTF8.self) == "hello")
        harness.send("again and again")
        #expect(String(decoding: harness.receive(15), as: UTF8.self) == "again and again")
    }

    @Test func aWriteTheSocketCannotTakeWaitsAndTheChannelStopsBeingWritable() throws {
        let events = Events()
        let harness = try Harness([events])
        defer { harness.stop() }
        // Several times what a Unix socket's buffers hold (about 200 KB each way).
        let size = 2 << 20
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let payload = harness.channel.allocator.buffer(bytes: bytes)
        let written = try harness.loop.submit {
            harness.channel.writeAndFlush(payload)
        }.wait()
        // Far more than a socket buffer: not written yet, and the channel says so.
        #expect(try harness.loop.submit { harness.channel.isWritable }.wait() == false)
        let received = harness.receive(size)
        try written.wait()
        #expect(received == bytes)
        #expect(try harness.loop.submit { harness.channel.isWritable }.wait() == true)
        #expect(events.list.filter { $0 == "writability" }.count == 2)
    }

    @Test func writesQueuedByAWriteCallbackFollowInOrderOnce() throws {
        let harness = try Harness([Echo()])
        defer { harness.stop() }
        // Writes go in pairs, flushed together (one writev); the first of a pair, done while
        // the second is still to be accounted for, queues and flushes the next pair from its
        // callback.
        let chunks = (0..<200).map { "chunk \($0);" }
        try harness.loop.submit {
            let channel = harness.channel
            func send(_ index: Int) {
                guard index < chunks.count else { return }
                let first = channel.loop_makeWritePromise()
                first.futureResult.whenSuccess { send(index + 2) }
                channel.write(channel.allocator.buffer(string: chunks[index]), promise: first)
                channel.writeAndFlush(channel.allocator.buffer(string: chunks[index + 1]), promise: nil)
            }
            send(0)
        }.wait()
        let expected = chunks.joined()
        #expect(String(decoding: harness.receive(expected.utf8.count), as: UTF8.self) == expected)
    }

    @Test func thePeerClosingMakesTheChannelInactive() throws {
        let events = Events()
        let harness = try Harness([events])
        defer { try? harness.loop.syncShutdownGracefully() }
        harness.send("bye")
        close(harness.peer)
        try harness.channel.closeFuture.wait()
        #expect(events.list == ["active", "read bye", "readComplete", "readComplete", "inactive"])
        #expect(!harness.channel.isActive)
    }

    @Test func aChannelNotReadingLearnsThatThePeerIsGone() throws {
        let events = Events()
        let harness = try Harness(autoRead: false, [events])
        defer { try? harness.loop.syncShutdownGracefully() }
        close(harness.peer)
        // Not reading, nothing to write: the hang-up alone closes it (and does not keep the
        // loop busy reporting it).
        try harness.channel.closeFuture.wait()
        #expect(events.list == ["active", "inactive"])
    }

    @Test func closingSendsEndOfFileAndFailsLaterWrites() throws {
        let harness = try Harness([Echo()])
        defer { harness.stop() }
        try harness.channel.close().wait()
        var byte: UInt8 = 0
        #expect(read(harness.peer, &byte, 1) == 0)
        #expect(throws: ChannelError.ioOnClosedChannel) {
            try harness.channel.writeAndFlush(harness.channel.allocator.buffer(string: "late")).wait()
        }
        #expect(throws: ChannelError.alreadyClosed) { try harness.channel.close().wait() }
    }

    @Test func closingTheOutputSendsWhatIsQueuedFirstAndKeepsReading() throws {
        let events = Events()
        let harness = try Harness([events])
        defer { harness.stop() }
        // More than the socket takes: most of it is still queued when the close is asked for.
        let size = 2 << 20
        let payload = harness.channel.allocator.buffer(repeating: 7, count: size)
        let (written, closed) = try harness.loop.submit {
            let written = harness.channel.writeAndFlush(payload)
            let closed = harness.loop.makePromise(of: Void.self)
            harness.channel.close(mode: .output, promise: closed)
            return (written, closed.futureResult)
        }.wait()
        let closedEarly = NIOLockedValueBox(false)
        closed.whenComplete { _ in closedEarly.withLockedValue { $0 = true } }
        try harness.loop.submit {}.wait()
        #expect(!closedEarly.withLockedValue { $0 }, "the write side waits for the queue")
        // The peer reads all of it, then end of file.
        #expect(harness.receive(size).count == size)
        var byte: UInt8 = 0
        #expect(read(harness.peer, &byte, 1) == 0)
        try written.wait()
        try closed.wait()
        #expect(throws: ChannelError.outputClosed) {
            try harness.channel.writeAndFlush(harness.channel.allocator.buffer(string: "late")).wait()
        }
        #expect(throws: ChannelError.outputClosed) { try harness.channel.close(mode: .output).wait() }
        // Input is still open; closing it too closes the channel.
        harness.send("still here")
        try events.waitFor("read still here")
        #expect(harness.channel.isActive)
        try harness.channel.close(mode: .input).wait()
        try harness.channel.closeFuture.wait()
        #expect(!harness.channel.isActive)
    }

    @Test func withoutAutoReadNothingIsReadUntilAsked() throws {
        let events = Events()
        let harness = try Harness(autoRead: false, [events])
        defer { harness.stop() }
        harness.send("waiting")
        // Two turns later, still nothing read.
        try harness.loop.submit {}.wait()
        try harness.loop.submit {}.wait()
        #expect(!events.list.contains("read waiting"))
        harness.channel.read()
        try events.waitFor("read waiting")
        // One read per request: more input waits for the next.
        harness.send("more")
        try harness.loop.submit {}.wait()
        try harness.loop.submit {}.wait()
        #expect(!events.list.contains("read more"))
        harness.channel.read()
        try events.waitFor("read more")
    }
}

extension EpollSocketChannel {
    fileprivate func loop_makeWritePromise() -> EventLoopPromise<Void> { eventLoop.makePromise(of: Void.self) }
}

/// Writes back what it reads.
private final class Echo: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}

/// Records the inbound events it sees.
private final class Events: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let recorded = NIOLockedValueBox<[String]>([])
    var list: [String] { recorded.withLockedValue { $0 } }

    func channelActive(context: ChannelHandlerContext) { note("active") }
    func channelInactive(context: ChannelHandlerContext) { note("inactive") }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        note("read " + String(buffer: unwrapInboundIn(data)))
    }
    func channelReadComplete(context: ChannelHandlerContext) { note("readComplete") }
    func channelWritabilityChanged(context: ChannelHandlerContext) { note("writability") }

    private func note(_ event: String) { recorded.withLockedValue { $0.append(event) } }

    /// Waits (a few seconds at most) until `event` has been seen.
    func waitFor(_ event: String) throws {
        for _ in 0..<500 {
            if list.contains(event) { return }
            usleep(10_000)
        }
        throw ChannelError.operationUnsupported
    }
}

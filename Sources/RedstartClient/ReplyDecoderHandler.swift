// The client's pipeline handler: encodes commands as RESP multibulk, parses
// replies, and completes the waiting requests in order (pipelining is just
// several requests in flight). RESP3 pushes go to the push callback instead.
import NIOCore
import RedstartRESP

final class ReplyDecoderHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ClientRequest
    typealias OutboundOut = ByteBuffer

    private var buffer = ByteBuffer()
    private let parser = RESPValueParser()
    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private let onPush: (@Sendable (RESPValue) -> Void)?

    init(onPush: (@Sendable (RESPValue) -> Void)?) {
        self.onPush = onPush
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        var out = context.channel.allocator.buffer(capacity: 64)
        out.writeBytes(request.raw)
        for command in request.commands {
            out.writeString("*\(command.count)\r\n")
            for argument in command {
                out.writeString("$\(argument.count)\r\n")
                out.writeBytes(argument)
                out.writeStaticString("\r\n")
            }
        }
        waiting.append(contentsOf: request.replies)
        context.write(wrapOutboundOut(out), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        buffer.writeBuffer(&bytes)
        do {
            while let value = try parser.next(from: &buffer) {
                if case .push = value, let onPush {
                    onPush(value)
                } else if let promise = waiting.popFirst() {
                    promise.succeed(value)
                } else if let onPush {
                    onPush(value)  // RESP2 pub/sub messages and MONITOR lines arrive unasked
                }
            }
            buffer.discardReadBytes()
        } catch {
            failAll(RedstartClientError.protocolViolation("\(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedstartClientError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}

/// Commands written together (or raw bytes), and the promises of their replies.
struct ClientRequest {
    var raw: [UInt8] = []
    var commands: [[[UInt8]]] = []
    let replies: [EventLoopPromise<RESPValue>]
}

// The client's pipeline handler: writes request bytes, parses replies, and
// completes the waiting requests in order (pipelining is just several requests in
// flight). RESP3 pushes, and in RESP2 anything that arrives unasked (pub/sub
// messages, MONITOR lines), go to the push callback. Once the channel is closed
// (or an error or timeout closed it), every waiting and later request fails.
import NIOCore
import RedstartRESP

final class ReplyDecoderHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ClientRequest
    typealias OutboundOut = ByteBuffer

    private var buffer = ByteBuffer()
    private let parser = RESPValueParser()
    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private let onPush: @Sendable (RESPValue) -> Void
    private var closedError: (any Error)?

    init(onPush: @escaping @Sendable (RESPValue) -> Void) {
        self.onPush = onPush
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let closedError {
            for reply in request.replies { reply.fail(closedError) }
            promise?.fail(closedError)
            return
        }
        waiting.append(contentsOf: request.replies)
        context.write(wrapOutboundOut(request.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if buffer.readableBytes == 0 {
            buffer = bytes
        } else {
            buffer.writeBuffer(&bytes)
        }
        do {
            while let value = try parser.next(from: &buffer) {
                if case .push = value {
                    onPush(value)
                } else if let promise = waiting.popFirst() {
                    promise.succeed(value)
                } else {
                    onPush(value)  // RESP2 pub/sub messages and MONITOR lines arrive unasked
                }
            }
            if buffer.readableBytes == 0 {
                buffer.clear()
            } else if buffer.readerIndex > 65536 {
                buffer.discardReadBytes()
            }
        } catch {
            fail(RedstartClientError.protocolViolation("\(error)"), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if closedError == nil { closedError = RedstartClientError.connectionClosed }
        failAll(closedError!)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, context: context)
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        if closedError == nil { closedError = error }
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}

/// Request bytes written together and the promises of their replies, in order.
struct ClientRequest {
    var bytes: ByteBuffer
    let replies: [EventLoopPromise<RESPValue>]
}

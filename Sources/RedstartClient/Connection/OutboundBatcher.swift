// Requests waiting to be written. Any task may enqueue; the first one after a
// write schedules a drain on the channel's event loop, and the drain writes every
// request queued by then as one buffer with one flush: concurrent requests on a
// connection become one pipelined write (automatic pipelining) and the loop is
// woken once per batch, not once per request. Bytes and reply promises are taken
// together under the lock, so replies stay matched to requests in order.
import NIOConcurrencyHelpers
import NIOCore
import RedstartRESP

final class OutboundBatcher: Sendable {
    private struct Pending {
        var bytes: ByteBuffer?
        var replies: [EventLoopPromise<RESPValue>] = []
        var timeout: TimeAmount?
        var drainScheduled = false
    }

    private let channel: any Channel
    private let state = NIOLockedValueBox(Pending())

    init(channel: any Channel) {
        self.channel = channel
    }

    /// Queues `bytes` and the promises of the replies they will get.
    func enqueue(
        _ bytes: ByteBuffer, replies: some Collection<EventLoopPromise<RESPValue>>, timeout: TimeAmount?
    ) {
        let mustSchedule = state.withLockedValue { pending in
            if pending.bytes == nil {
                pending.bytes = bytes
            } else {
                var more = bytes
                pending.bytes!.writeBuffer(&more)
            }
            pending.replies.append(contentsOf: replies)
            if let timeout { pending.timeout = max(pending.timeout ?? timeout, timeout) }
            if pending.drainScheduled { return false }
            pending.drainScheduled = true
            return true
        }
        if mustSchedule {
            channel.eventLoop.execute { self.drain() }
        }
    }

    private func drain() {
        let batch = state.withLockedValue { pending in
            let batch = pending
            pending = Pending()
            return batch
        }
        guard let bytes = batch.bytes else { return }
        let request = ClientRequest(bytes: bytes, replies: batch.replies)
        // A channel closed before this write (the server closed it, CLIENT KILL) fails the
        // write before it reaches the reply handler: the replies must fail with it.
        // (A promise completed twice keeps its first result.)
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            let failure = error as? ChannelError == .ioOnClosedChannel ? RedstartClientError.connectionClosed : error
            for reply in batch.replies { reply.fail(failure) }
        }
        channel.writeAndFlush(request, promise: written)
        if let timeout = batch.timeout, let last = batch.replies.last {
            // A reply that does not come in time leaves the connection's state unknown: close it
            // (every awaited reply then fails), as redis-py and valkey-swift do.
            let channel = self.channel
            let timer = channel.eventLoop.scheduleTask(in: timeout) {
                channel.pipeline.fireErrorCaught(RedstartClientError.timeout("no reply within \(timeout)"))
            }
            last.futureResult.whenComplete { _ in timer.cancel() }
        }
    }
}

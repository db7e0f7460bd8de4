// Wakes the event loop when a shutdown signal arrives. The C signal handler may only do
// async-signal-safe things: it records the signal (RedstartServer's `pendingSignal`) and
// writes one byte to a pipe; the loop watches the pipe's other end and handles the signal
// at once, instead of at its next cron tick (up to 1/hz later: 100 ms by default).
import Glibc
import NIOCore
import NIOPosix
import Synchronization

/// The pipe's writing end, for the signal handler (-1 until `SignalWakeup.install`).
let signalWakeupDescriptor = Atomic<Int32>(-1)

/// Called by the signal handler: one byte, never blocking (a full pipe already wakes the loop).
func wakeForSignal() {
    let descriptor = signalWakeupDescriptor.load(ordering: .relaxed)
    guard descriptor >= 0 else { return }
    var byte: UInt8 = 1
    _ = write(descriptor, &byte, 1)
}

enum SignalWakeup {
    /// Watches a new pipe on `loop` (call on the loop); `handle` runs on the loop whenever
    /// signal bytes arrive.
    /// Without a pipe (no descriptors left) signals are still handled by the cron.
    static func install(on loop: EpollEventLoop, _ handle: @escaping () -> Void) {
        loop.preconditionInEventLoop()
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { return }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        let channel = EpollSocketChannel(descriptor: descriptors[0], on: loop, localAddress: nil, remoteAddress: nil)
        do {
            try channel.pipeline.syncOperations.addHandler(Reader(handle))
            try channel.activate()
            signalWakeupDescriptor.store(descriptors[1], ordering: .relaxed)
        } catch {
            channel.close(promise: nil)
            close(descriptors[1])
        }
    }

    private final class Reader: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let handle: () -> Void

        init(_ handle: @escaping () -> Void) {
            self.handle = handle
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            handle()
        }
    }
}

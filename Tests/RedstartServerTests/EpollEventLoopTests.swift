// EpollEventLoop as an NIO EventLoop (tasks, timers, promises, shutdown) and as a watcher of
// descriptors that are not NIO channels.
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import RedstartServer

#if canImport(Glibc)
import Glibc
#endif

@Suite(.timeLimit(.minutes(1)))
struct EpollEventLoopTests {
    @Test func tasksFromOtherThreadsRunOnTheLoopInOrder() throws {
        let loop = try EpollEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        #expect(!loop.inEventLoop)
        let seen = NIOLockedValueBox<[Int]>([])
        let done = DispatchSemaphore(value: 0)
        for value in 0..<1000 {
            loop.execute {
                precondition(loop.inEventLoop)
                seen.withLockedValue { $0.append(value) }
                if value == 999 { done.signal() }
            }
        }
        done.wait()
        #expect(seen.withLockedValue { $0 } == Array(0..<1000))
    }

    /// Round trips from several threads at once, each waiting for its task before queuing
    /// the next: a lost wake-up (a task queued as the loop goes to sleep) hangs one of them.
    /// Timers scheduled from those threads, some cancelled at once, all end one way or the other.
    @Test func roundTripsAndTimersFromManyThreadsAllComplete() throws {
        let loop = try EpollEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        let group = DispatchGroup()
        let ran = NIOLockedValueBox(0)
        for thread in 0..<4 {
            group.enter()
            DispatchQueue(label: "round trips \(thread)").async {
                defer { group.leave() }
                for index in 0..<3000 {
                    try? loop.submit { ran.withLockedValue { $0 += 1 } }.wait()
                    guard index % 10 == thread else { continue }
                    let timer = loop.scheduleTask(in: .microseconds(Int64(index % 200))) { 1 }
                    if index % 20 == thread { timer.cancel() }
                    _ = try? timer.futureResult.wait()
                }
            }
        }
        #expect(group.wait(timeout: .now() + 50) == .success)
        #expect(ran.withLockedValue { $0 } == 4 * 3000)
    }

    @Test func submitAndFuturesWork() throws {
        let loop = try EpollEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        let value = try loop.submit { 20 }.flatMap { value in
            loop.submit { value * 2 + 2 }
        }.wait()
        #expect(value == 42)
        // Isolated work queued from the loop runs after the task that queued it.
        let nested = try loop.flatSubmit { () -> EventLoopFuture<[Int]> in
            let promise = loop.makePromise(of: [Int].self)
            var values: [Int] = []
            loop.assumeIsolated().execute {
                values.append(2)
                promise.assumeIsolated().succeed(values)
            }
            values.append(1)
            return promise.futureResult
        }.wait()
        #expect(nested == [1, 2])
    }

    @Test func timersFireInDeadlineOrderAndNotEarly() throws {
        let loop = try EpollEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        let fired = NIOLockedValueBox<[(Int, NIODeadline)]>([])
        let start = NIODeadline.now()
        var futures: [EventLoopFuture<Void>] = []
        for (index, milliseconds) in [30, 10, 20, 10, 0].enumerated() {
            futures.append(
                loop.scheduleTask(deadline: start + .milliseconds(Int64(milliseconds))) {
                    fired.withLockedValue { $0.append((index, .now())) }
                }.futureResult)
        }
        try EventLoopFuture.andAllSucceed(futures, on: loop).wait()
        let order = fired.withLockedValue { $0 }
        // Same deadline: the order they were scheduled in.
        #expect(order.map(\.0) == [4, 1, 3, 2, 0])
        let deadlines = [30, 10, 20, 10, 0].map { start + .milliseconds(Int64($0)) }
        for (index, at) in order { #expect(at >= deadlines[index]) }
    }

    @Test func aCancelledTimerFailsItsPromiseAndNeverRuns() throws {
        let loop = try EpollEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        let ran = NIOLockedValueBox(false)
        let scheduled = loop.scheduleTask(in: .milliseconds(50)) { ran.withLockedValue { $0 = true } }
        scheduled.cancel()
        #expect(throws: EventLoopError.cancelled) { try scheduled.futureResult.wait() }
        // A later timer fires, so the cancelled one's deadline has passed by then.
        try loop.scheduleTask(in: .milliseconds(80)) {}.futureResult.wait()
        #expect(!ran.withLockedValue { $0 })
    }

    @Test func manyCancelledTimersDoNotStayInTheHeap() throws {
        let loop = try EpollEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        let remaining = try loop.submit { () -> Int in
            for _ in 0..<10_000 {
                loop.scheduleTask(in: .hours(1)) {}.cancel()
            }
            return loop.timerCount
        }.wait()
        #expect(remaining <= 128)
    }

    @Test func aTimerScheduledByATimerRuns() throws {
        let loop = try EpollEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        let inner = loop.makePromise(of: Void.self)
        loop.scheduleTask(in: .milliseconds(1)) {
            loop.scheduleTask(in: .milliseconds(0)) { inner.succeed() }
        }
        try inner.futureResult.wait()
    }

    @Test func aWatchedDescriptorIsReportedReadableOnTheLoop() throws {
        let loop = try EpollEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        var ends: [CInt] = [0, 0]
        #expect(socketpair(AF_UNIX, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue), 0, &ends) == 0)
        defer { ends.forEach { _ = close($0) } }
        let watcher = RecordingWatcher(descriptor: ends[0], loop: loop)
        try loop.submit { try loop.watch(ends[0], for: .readable, watcher) }.wait()
        _ = "hello".withCString { write(ends[1], $0, 5) }
        #expect(watcher.next() == "hello")
        _ = "again".withCString { write(ends[1], $0, 5) }
        #expect(watcher.next() == "again")
        // The peer closing is reported too.
        _ = close(ends[1])
        ends[1] = -1
        #expect(watcher.next() == "<closed>")
        try loop.submit { loop.unwatch(ends[0]) }.wait()
    }

    @Test func writableInterestIsReportedUntilChanged() throws {
        let loop = try EpollEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        var ends: [CInt] = [0, 0]
        #expect(socketpair(AF_UNIX, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue), 0, &ends) == 0)
        defer { ends.forEach { _ = close($0) } }
        let counter = CountingWatcher()
        try loop.submit { try loop.watch(ends[0], for: .writable, counter) }.wait()
        counter.reachedThree.wait()
        try loop.submit {
            try loop.changeInterest(ends[0], to: .readable)
            counter.count = 0
        }.wait()
        // Two turns of the loop later, still nothing: no data, no writable interest.
        try loop.submit {}.wait()
        try loop.submit {}.wait()
        #expect(try loop.submit { counter.count }.wait() == 0)
        try loop.submit { loop.unwatch(ends[0]) }.wait()
    }

    @Test func shutdownCancelsTimersAndDropsLaterTasks() throws {
        let loop = try EpollEventLoop()
        let pending = loop.scheduleTask(in: .hours(1)) {}
        let queued = loop.submit { 7 }
        // Callbacks added before the shutdown (once the loop has ended, nothing runs on it,
        // the hop that adds a callback from another thread included).
        let outcomes = NIOLockedValueBox<[String]>([])
        queued.whenSuccess { value in outcomes.withLockedValue { $0.append("queued \(value)") } }
        pending.futureResult.whenFailure { error in outcomes.withLockedValue { $0.append("timer \(error)") } }
        try loop.syncShutdownGracefully()
        #expect(outcomes.withLockedValue { $0 } == ["queued 7", "timer \(EventLoopError.cancelled)"])
        let late = NIOLockedValueBox(false)
        loop.execute { late.withLockedValue { $0 = true } }
        #expect(!late.withLockedValue { $0 })
        // Shutting down again calls back at once.
        try loop.syncShutdownGracefully()
    }
}

/// Reads what arrives on a descriptor, one readiness at a time, and hands it to the test.
private final class RecordingWatcher: DescriptorWatcher, @unchecked Sendable {
    let descriptor: CInt
    let loop: EpollEventLoop
    private let received = NIOLockedValueBox<[String]>([])
    private let arrived = DispatchSemaphore(value: 0)

    init(descriptor: CInt, loop: EpollEventLoop) {
        self.descriptor = descriptor
        self.loop = loop
    }

    func descriptorReady(_ readiness: Readiness) {
        precondition(loop.inEventLoop)
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(descriptor, &buffer, buffer.count)
        if count > 0 {
            received.withLockedValue { $0.append(String(decoding: buffer[..<count], as: UTF8.self)) }
        } else if count == 0 {
            received.withLockedValue { $0.append("<closed>") }
            loop.unwatch(descriptor)
        } else {
            return  // EAGAIN: a stale readiness
        }
        arrived.signal()
    }

    func next() -> String? {
        arrived.wait()
        return received.withLockedValue { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

/// Counts readiness reports; the test waits for the third.
private final class CountingWatcher: DescriptorWatcher, @unchecked Sendable {
    var count = 0
    let reachedThree = DispatchSemaphore(value: 0)

    func descriptorReady(_ readiness: Readiness) {
        count += 1
        if count == 3 { reachedThree.signal() }
    }
}

// An event loop of our own: one thread that waits in epoll_wait on the descriptors it is
// told to watch, runs its tasks (execute, submit) and its timers (scheduleTask), as NIO's
// SelectableEventLoop does, so that promises, futures and whatever is written against
// NIO's `EventLoop` run on it unchanged. What NIO's loop cannot do, this one does: watch a
// descriptor that is not an NIO channel and call its owner straight from the turn, with no
// channel pipeline between the socket and the code that reads it (ARCHITECTURE.md, "The
// event loop", says what that pipeline costs per request at depth 1).
//
// One turn: wait (not at all when tasks are queued; else until the next timer, to the
// nanosecond with epoll_pwait2, or for ever), call the watchers of the ready descriptors, fire the timers that are due, then
// run the queued tasks (those the watchers queued included: a reply flush queued while
// reading runs in the same turn, after all its reads, as NIO's loop does).
import CRedstartShims
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import DequeModule
import NIOConcurrencyHelpers
import NIOCore

public final class EpollEventLoop: EventLoop, @unchecked Sendable {
    private let epollDescriptor: CInt
    /// An eventfd the loop also waits on: other threads write to it when they queue a task.
    private let wakeDescriptor: CInt
    private var thread: pthread_t = 0

    /// Tasks queued from other threads, and whether the loop was woken for them already.
    private let incoming = NIOLockedValueBox(Incoming())
    private struct Incoming {
        var tasks: [@Sendable () -> Void] = []
        var isWakePending = false
        var isShuttingDown = false
        /// The loop has ended: nothing queued runs any more.
        var isClosed = false
        var shutdownCallbacks: [(DispatchQueue, @Sendable (Error?) -> Void)] = []
    }

    // The loop's own state, touched only on its thread.
    private var tasks = Deque<() -> Void>()
    /// The incoming queue's other buffer: the two take turns, so taking the tasks other
    /// threads queued allocates nothing.
    private var spareIncoming: [@Sendable () -> Void] = []
    private var timers = LoopTimers()
    /// Watchers by descriptor.
    private var watchers: [DescriptorWatcher?] = []
    /// At most this many tasks run in one turn before descriptors are looked at again.
    private static let tasksPerTurn = 4096
    private static let eventsPerWait: CInt = 256

    /// Starts the loop on a thread of its own, named `name` (15 bytes show in top and /proc).
    public init(name: String = "redstart-loop") throws(DescriptorWatchError) {
        epollDescriptor = epoll_create1(CInt(EPOLL_CLOEXEC))
        guard epollDescriptor >= 0 else { throw DescriptorWatchError(errorNumber: errno) }
        wakeDescriptor = eventfd(0, CInt(EFD_CLOEXEC) | CInt(EFD_NONBLOCK))
        guard wakeDescriptor >= 0 else {
            let error = errno
            Glibc.close(epollDescriptor)
            throw DescriptorWatchError(errorNumber: error)
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeDescriptor
        epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, wakeDescriptor, &event)
        startThread(name: name)
    }

    private func startThread(name: String) {
        let started = DispatchSemaphore(value: 0)
        let body = Unmanaged.passRetained(ThreadBody { [self] in
            thread = pthread_self()
            _ = redstart_name_current_thread(name)
            started.signal()
            run()
        })
        var handle: pthread_t = 0
        let status = pthread_create(&handle, nil, { raw in
            let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, body.toOpaque())
        precondition(status == 0, "pthread_create: \(String(cString: strerror(status)))")
        pthread_detach(handle)
        started.wait()
    }

    private final class ThreadBody {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    // MARK: - EventLoop

    public var inEventLoop: Bool { pthread_equal(pthread_self(), thread) != 0 }

    public func execute(_ task: @escaping @Sendable () -> Void) {
        if inEventLoop {
            tasks.append(task)
            return
        }
        let wake = incoming.withLockedValue { state -> Bool in
            // A task queued once the loop has ended is dropped, as NIO's loops drop it.
            guard !state.isClosed else { return false }
            state.tasks.append(task)
            defer { state.isWakePending = true }
            return !state.isWakePending
        }
        if wake { wakeUp() }
    }

    /// Queues `task` from the loop's own thread, where it needs no Sendable wrapper (the
    /// isolated execute of `assumeIsolated()` lands here).
    public func _executeIsolatedUnsafeUnchecked(_ task: @escaping () -> Void) {
        assertInEventLoop()
        tasks.append(task)
    }

    public func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        let promise = makePromise(of: T.self)
        let timer = LoopTimer(
            deadline: deadline.uptimeNanoseconds,
            work: {
                // On the loop: the value needs no Sendable check to complete the promise.
                do { promise.assumeIsolatedUnsafeUnchecked().succeed(try task()) } catch { promise.fail(error) }
            },
            cancellation: { promise.fail(EventLoopError.cancelled) })
        let box = UncheckedTimer(timer)
        if inEventLoop {
            timers.insert(timer)
        } else {
            execute { [self] in timers.insert(box.timer) }
        }
        return Scheduled(promise: promise) { [self] in
            if inEventLoop {
                cancel(box.timer)
            } else {
                execute { [self] in cancel(box.timer) }
            }
        }
    }

    public func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        scheduleTask(deadline: .now() + delay, task)
    }

    private struct UncheckedTimer: @unchecked Sendable {
        let timer: LoopTimer
        init(_ timer: LoopTimer) { self.timer = timer }
    }

    /// Timers in the heap, cancelled ones not yet dropped included (tests).
    var timerCount: Int { timers.count }

    private func cancel(_ timer: LoopTimer) {
        if timer.cancel() { timers.noteCancelled() }
    }

    public func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable (Error?) -> Void) {
        let isClosed = incoming.withLockedValue { state -> Bool in
            state.isShuttingDown = true
            if !state.isClosed { state.shutdownCallbacks.append((queue, callback)) }
            return state.isClosed
        }
        if isClosed {
            queue.async { callback(nil) }
        } else {
            wakeUp()
        }
    }

    // MARK: - Descriptors

    /// Starts watching `descriptor` for `interest` (on the loop's thread); `watcher` is held
    /// until `unwatch`.
    public func watch(_ descriptor: CInt, for interest: Readiness, _ watcher: DescriptorWatcher) throws(DescriptorWatchError) {
        preconditionInEventLoop()
        try control(EPOLL_CTL_ADD, descriptor, interest)
        let index = Int(descriptor)
        if index >= watchers.count { watchers.append(contentsOf: repeatElement(nil, count: index + 1 - watchers.count)) }
        watchers[index] = watcher
    }

    /// Changes what `descriptor`'s watcher is told about.
    public func changeInterest(_ descriptor: CInt, to interest: Readiness) throws(DescriptorWatchError) {
        preconditionInEventLoop()
        try control(EPOLL_CTL_MOD, descriptor, interest)
    }

    /// Stops watching `descriptor` (before it is closed) and lets go of its watcher.
    public func unwatch(_ descriptor: CInt) {
        preconditionInEventLoop()
        var event = epoll_event()
        epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, descriptor, &event)
        if Int(descriptor) < watchers.count { watchers[Int(descriptor)] = nil }
    }

    private func control(_ operation: CInt, _ descriptor: CInt, _ interest: Readiness) throws(DescriptorWatchError) {
        var event = epoll_event()
        // The peer's half-close is asked for only with input: level-triggered, it would be
        // reported on every turn to a watcher that is not reading.
        event.events = interest.contains(.readable) ? interest.rawValue | EPOLLRDHUP.rawValue : interest.rawValue
        event.data.fd = descriptor
        guard epoll_ctl(epollDescriptor, operation, descriptor, &event) == 0 else {
            throw DescriptorWatchError(errorNumber: errno)
        }
    }

    // MARK: - The loop

    private func wakeUp() {
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, 8)
    }

    private func run() {
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(Self.eventsPerWait))
        defer { events.deallocate() }
        while true {
            let isShuttingDown = takeIncoming()
            if isShuttingDown && tasks.isEmpty { break }
            let count = wait(events, nanoseconds: waitTimeout())
            for index in 0..<max(0, Int(count)) {
                let event = events[index]
                let descriptor = Int(event.data.fd)
                if descriptor == Int(wakeDescriptor) {
                    var value: UInt64 = 0
                    _ = read(wakeDescriptor, &value, 8)
                } else if descriptor < watchers.count, let watcher = watchers[descriptor] {
                    watcher.descriptorReady(Readiness(rawValue: event.events))
                }
            }
            let now = NIODeadline.now().uptimeNanoseconds
            while let timer = timers.popDue(now: now) { timer.fire() }
            runTasks()
        }
        finishShutdown()
    }

    /// Moves the tasks other threads queued to the loop's queue; true once shutting down.
    private func takeIncoming() -> Bool {
        let isShuttingDown = incoming.withLockedValue { state -> Bool in
            swap(&spareIncoming, &state.tasks)
            state.isWakePending = false
            return state.isShuttingDown
        }
        for task in spareIncoming { tasks.append(task) }
        spareIncoming.removeAll(keepingCapacity: true)
        return isShuttingDown
    }

    /// How long to wait, in nanoseconds: 0 with tasks queued, else until the next timer,
    /// else nil (for ever).
    private func waitTimeout() -> UInt64? {
        guard tasks.isEmpty else { return 0 }
        guard let deadline = timers.nextDeadline() else { return nil }
        let now = NIODeadline.now().uptimeNanoseconds
        return deadline > now ? deadline - now : 0
    }

    /// False once epoll_pwait2 turned out missing (a kernel before 5.11): waits are then in
    /// whole milliseconds, rounded up so that no timer fires early.
    private var hasNanosecondWait = true

    /// Waits for events, at most `nanoseconds` (nil: for ever); the number of events.
    private func wait(_ events: UnsafeMutablePointer<epoll_event>, nanoseconds: UInt64?) -> CInt {
        if hasNanosecondWait {
            let count: CInt
            if let nanoseconds {
                var limit = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
                count = epoll_pwait2(epollDescriptor, events, Self.eventsPerWait, &limit, nil)
            } else {
                count = epoll_pwait2(epollDescriptor, events, Self.eventsPerWait, nil, nil)
            }
            if count >= 0 || errno != ENOSYS { return count }
            hasNanosecondWait = false
        }
        let milliseconds = nanoseconds.map { CInt(clamping: ($0 + 999_999) / 1_000_000) } ?? -1
        return epoll_wait(epollDescriptor, events, Self.eventsPerWait, milliseconds)
    }

    private func runTasks() {
        var budget = Self.tasksPerTurn
        while budget > 0, let task = tasks.popFirst() {
            task()
            budget -= 1
        }
    }

    /// Runs what was queued before the shutdown, cancels the timers (their promises fail
    /// with `EventLoopError.cancelled`), closes the loop's descriptors and calls back.
    private func finishShutdown() {
        while !tasks.isEmpty || !incoming.withLockedValue({ $0.tasks.isEmpty }) {
            _ = takeIncoming()
            runTasks()
        }
        while let timer = timers.popAny() { timer.cancel() }
        watchers = []
        let callbacks = incoming.withLockedValue { state in
            state.isClosed = true
            // Tasks queued between the last run and now: dropped.
            state.tasks = []
            defer { state.shutdownCallbacks = [] }
            return state.shutdownCallbacks
        }
        for (queue, callback) in callbacks { queue.async { callback(nil) } }
    }

    /// The descriptors close with the loop object, not when the loop ends: a thread that
    /// queued a task as the loop ended may still write to the eventfd.
    deinit {
        Glibc.close(epollDescriptor)
        Glibc.close(wakeDescriptor)
    }
}

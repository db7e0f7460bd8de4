// The timers of an EpollEventLoop: a binary heap ordered by deadline (then by the order
// they were scheduled in, so timers of the same deadline run first come, first served).
// A cancelled timer stays in the heap, marked, until its deadline or a compaction: a heap
// has no cheap removal from the middle, and most timers (a blocked client's timeout) are
// cancelled long before they are due.
import HeapModule

/// One scheduled task: what to run when due, and what to do when cancelled instead.
final class LoopTimer {
    let deadline: UInt64
    fileprivate(set) var isDone = false
    private var work: (() -> Void)?
    private var cancellation: (() -> Void)?

    init(deadline: UInt64, work: @escaping () -> Void, cancellation: @escaping () -> Void) {
        self.deadline = deadline
        self.work = work
        self.cancellation = cancellation
    }

    /// Runs the work, once.
    func fire() {
        guard !isDone, let work else { return }
        finish()
        work()
    }

    /// Runs the cancellation instead of the work, once; false when it had run already.
    @discardableResult
    func cancel() -> Bool {
        guard !isDone, let cancellation else { return false }
        finish()
        cancellation()
        return true
    }

    private func finish() {
        isDone = true
        work = nil
        cancellation = nil
    }
}

/// The loop's timers, due first on top.
struct LoopTimers {
    private struct Entry: Comparable {
        let deadline: UInt64
        let sequence: UInt64
        let timer: LoopTimer

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence)
        }

        static func == (lhs: Entry, rhs: Entry) -> Bool { lhs.sequence == rhs.sequence }
    }

    private var heap = Heap<Entry>()
    private var nextSequence: UInt64 = 0
    /// Timers in the heap that were cancelled (they leave it when due or at a compaction).
    private var cancelledInHeap = 0

    /// Timers in the heap, cancelled ones included.
    var count: Int { heap.count }

    mutating func insert(_ timer: LoopTimer) {
        heap.insert(Entry(deadline: timer.deadline, sequence: nextSequence, timer: timer))
        nextSequence += 1
    }

    /// Counts a timer of the heap that was just cancelled; compacts the heap once most of it
    /// is cancelled. (The loop cancels the timer itself: its cancellation runs callbacks that
    /// may schedule timers, which must not happen inside a mutation of this heap.)
    mutating func noteCancelled() {
        cancelledInHeap += 1
        if cancelledInHeap > 64 && cancelledInHeap * 2 > heap.count {
            heap = Heap(heap.unordered.filter { !$0.timer.isDone })
            cancelledInHeap = 0
        }
    }

    /// The earliest deadline of a timer not cancelled, dropping cancelled ones on top.
    mutating func nextDeadline() -> UInt64? {
        while let top = heap.min {
            guard top.timer.isDone else { return top.deadline }
            _ = heap.removeMin()
            cancelledInHeap -= 1
        }
        return nil
    }

    /// The earliest timer due at `now` and not cancelled, taken out of the heap (the loop
    /// fires it, outside this mutation).
    mutating func popDue(now: UInt64) -> LoopTimer? {
        while let top = heap.min, top.deadline <= now {
            _ = heap.removeMin()
            guard top.timer.isDone else { return top.timer }
            cancelledInHeap -= 1
        }
        return nil
    }

    /// Any timer, taken out of the heap (the loop is shutting down and cancels them all).
    mutating func popAny() -> LoopTimer? {
        guard let top = heap.popMin() else { return nil }
        if top.timer.isDone { cancelledInHeap -= 1 }
        return top.timer
    }
}

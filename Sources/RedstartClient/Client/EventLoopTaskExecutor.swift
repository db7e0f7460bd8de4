// A Swift task executor that runs jobs on one of the client's event loops. A task
// that prefers it (`withTaskExecutorPreference(client.taskExecutor) { … }`) runs on
// the thread that also writes its requests and reads their replies, so a request
// costs no thread hand-off at all: the write is made in place and the reply resumes
// the task in the same loop turn. Without it every request crosses threads twice
// (task → loop to write, loop → task pool to resume), which at one task in flight
// costs more than the request itself (measured in Benchmarks/client_bench.py).
import NIOCore

/// Runs Swift concurrency jobs on one event loop.
public final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    /// The loop the jobs run on.
    public let eventLoop: any EventLoop

    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

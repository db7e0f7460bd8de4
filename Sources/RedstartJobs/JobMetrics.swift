// swift-metrics for jobs, per queue: redstart_jobs_started_total,
// redstart_jobs_completed_total, redstart_jobs_failed_total (dimension `retried`),
// redstart_jobs_duration (handler time) and redstart_jobs_wait (enqueue to start).
// Created once per queue; free when no metrics backend is bootstrapped.
import CoreMetrics
import Metrics
import NIOConcurrencyHelpers

final class JobMetrics: Sendable {
    private struct QueueMetrics {
        let started: Counter
        let completed: Counter
        let failed: Counter
        let retried: Counter
        let duration: Timer
        let wait: Timer

        init(queue: String) {
            let dimensions = [("queue", queue)]
            started = Counter(label: "redstart_jobs_started_total", dimensions: dimensions)
            completed = Counter(label: "redstart_jobs_completed_total", dimensions: dimensions)
            failed = Counter(label: "redstart_jobs_failed_total", dimensions: dimensions + [("retried", "false")])
            retried = Counter(label: "redstart_jobs_failed_total", dimensions: dimensions + [("retried", "true")])
            duration = Timer(label: "redstart_jobs_duration", dimensions: dimensions)
            wait = Timer(label: "redstart_jobs_wait", dimensions: dimensions)
        }
    }

    private let queues = NIOLockedValueBox([String: QueueMetrics]())

    private func metrics(_ queue: String) -> QueueMetrics {
        queues.withLockedValue { queues in
            if let known = queues[queue] { return known }
            let made = QueueMetrics(queue: queue)
            queues[queue] = made
            return made
        }
    }

    func started(queue: String, waitedMilliseconds: Int64) {
        let metrics = metrics(queue)
        metrics.started.increment()
        metrics.wait.recordMilliseconds(max(0, waitedMilliseconds))
    }

    func completed(queue: String, elapsed: Duration) {
        let metrics = metrics(queue)
        metrics.completed.increment()
        metrics.duration.recordNanoseconds(Int64(elapsed.seconds * 1e9))
    }

    func failed(queue: String, retried: Bool) {
        (retried ? metrics(queue).retried : metrics(queue).failed).increment()
    }
}

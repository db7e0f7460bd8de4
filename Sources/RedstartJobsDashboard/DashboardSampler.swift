// The dashboard's clock: once per interval it reads the queues, the workers and the
// server, turns the totals into rates (jobs enqueued, completed and failed per second,
// commands per second) and the completion events into latency percentiles, keeps the
// samples for the charts, and hands the reading to every live page at once. However
// many pages are open, the server is read once per interval.
import Foundation
import Logging
import NIOConcurrencyHelpers
import RedstartJobs

final class DashboardSampler: Sendable {
    private struct State {
        var version = 0
        /// Readings are numbered when they start; one that ends after a newer one was
        /// published (the interval's reading overtaken by the refresh after an action)
        /// adds its chart sample but does not replace the newer counts.
        var readingsStarted = 0
        var newestPublished = 0
        var overview: DashboardOverview?
        var history: [HistorySample] = []
        var previous: (time: Int64, enqueued: Int, completed: Int, failed: Int, commands: Int, perQueue: [String: Int])?
        var waiters: [CheckedContinuation<(Int, DashboardOverview)?, Never>] = []
        var stopped = false
    }

    let reader: DashboardReader
    let interval: Duration
    let historyLength: Int
    let logger: Logger
    let latencies = LatencyWindow()
    private let state = NIOLockedValueBox(State())

    init(reader: DashboardReader, interval: Duration, historyLength: Int, logger: Logger) {
        self.reader = reader
        self.interval = interval
        self.historyLength = historyLength
        self.logger = logger
    }

    /// Samples until `stop()`, and listens to the completion events meanwhile.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.listenForCompletions() }
            while !isStopped {
                do {
                    try await sample()
                } catch {
                    logger.warning("reading the server failed: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
            group.cancelAll()
        }
    }

    var isStopped: Bool { state.withLockedValue { $0.stopped } }

    /// Ends sampling and every live page's stream.
    func stop() {
        let waiters = state.withLockedValue { state in
            state.stopped = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    /// The newest reading with every sample kept; nil before the first.
    func overviewWithHistory() -> DashboardOverview? {
        state.withLockedValue { state in
            guard var overview = state.overview else { return nil }
            overview.history = state.history
            return overview
        }
    }

    /// The first reading newer than `version` (waits for it); nil once stopped.
    func next(after version: Int) async -> (Int, DashboardOverview)? {
        await withCheckedContinuation { continuation in
            let ready = state.withLockedValue { state -> (Int, DashboardOverview)?? in
                if state.stopped { return .some(nil) }
                if state.version > version, let overview = state.overview { return (state.version, overview) }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// One reading: the server, queues and workers, turned into a sample of the charts
    /// when `intoHistory` (the interval's clock); otherwise (a refresh after an action)
    /// only the counts are new.
    func sample(intoHistory: Bool = true) async throws {
        let reading = state.withLockedValue { state in
            state.readingsStarted += 1
            return state.readingsStarted
        }
        let server = try await reader.server()
        let queues = try await reader.queueCounts()
        let workers = try await reader.workers()
        let latency = intoHistory ? latencies.drain() : LatencyPercentiles()
        let totals = { (name: String) in queues.reduce(0) { $0 + $1.counts.totals[name, default: 0] } }
        let enqueued = totals("enqueued"), completed = totals("completed"), failed = totals("failed")
        let perQueue = Dictionary(queues.map { ($0.name, $0.counts.totals["completed", default: 0]) }) { a, _ in a }
        let (waiters, published) = state.withLockedValue { state -> ([CheckedContinuation<(Int, DashboardOverview)?, Never>], (Int, DashboardOverview)?) in
            var sample: HistorySample?
            var queueRates = Dictionary((state.overview?.queues ?? []).map { ($0.name, $0.completedPerSecond) }) { a, _ in a }
            if intoHistory, let previous = state.previous, server.time > previous.time {
                let seconds = Double(server.time - previous.time) / 1000
                let rate = { (now: Int, before: Int) in Double(max(0, now - before)) / seconds }
                sample = HistorySample(
                    time: server.time, enqueuedPerSecond: rate(enqueued, previous.enqueued),
                    completedPerSecond: rate(completed, previous.completed), failedPerSecond: rate(failed, previous.failed),
                    waitP50: latency.waitP50, waitP99: latency.waitP99, runP50: latency.runP50, runP99: latency.runP99,
                    opsPerSecond: rate(server.summary.totalCommands, previous.commands),
                    usedMemory: server.summary.usedMemory)
                for (name, done) in perQueue { queueRates[name] = rate(done, previous.perQueue[name] ?? done) }
            }
            if intoHistory {
                state.previous = (server.time, enqueued, completed, failed, server.summary.totalCommands, perQueue)
            }
            if let sample {
                state.history.append(sample)
                if state.history.count > historyLength { state.history.removeFirst(state.history.count - historyLength) }
            }
            let overview = DashboardOverview(
                time: server.time, namespace: reader.jobs.keys.namespace,
                queues: queues.map { name, counts in
                    QueueSummary(
                        name: name, waiting: counts.waiting, delayed: counts.delayed, active: counts.active,
                        completed: counts.completed, failed: counts.failed, paused: counts.isPaused, totals: counts.totals,
                        completedPerSecond: queueRates[name] ?? 0)
                },
                workers: workers, server: server.summary, slowlog: server.slowlog, sample: sample ?? state.history.last,
                history: nil)
            guard reading > state.newestPublished else { return ([], nil) }
            state.newestPublished = reading
            state.overview = overview
            state.version += 1
            defer { state.waiters.removeAll() }
            return (state.waiters, (state.version, overview))
        }
        for waiter in waiters { waiter.resume(returning: published) }
    }

    /// Feeds the latency window from completion events until cancelled.
    private func listenForCompletions() async {
        while !isStopped && !Task.isCancelled {
            do {
                for await event in try await reader.jobs.events() {
                    if event.event == .completed, let waited = event.waitedMilliseconds, let ran = event.ranMilliseconds {
                        latencies.record(waitedMilliseconds: waited, ranMilliseconds: ran)
                    }
                    if Task.isCancelled { return }
                }
            } catch {
                logger.warning("listening to job events failed: \(error)")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

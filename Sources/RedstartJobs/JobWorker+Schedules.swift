// Cron schedules: every worker that knows a schedule wakes at its ticks, and each tick is
// enqueued once across all of them. The enqueue of a tick carries the uniqueness key
// `cron:<name>:<tick in seconds>`, so the first worker's enqueue wins and the others get
// its ID back (one script: no tick is lost between claiming it and enqueuing it).
import Foundation
import RedstartClient

/// A job enqueued at every tick of a schedule.
struct ScheduledJob: Sendable {
    let name: String
    let schedule: CronSchedule
    let enqueue: @Sendable (JobQueue, EnqueueOptions) async throws -> String
}

extension JobWorker {
    /// Enqueues `job` at every tick of `cron` (see CronSchedule), once per tick across all
    /// workers that schedule it under the same `name`.
    public func schedule<J: Job>(
        _ job: J, cron: String, name: String? = nil, timeZone: TimeZone = TimeZone(identifier: "UTC")!,
        options: EnqueueOptions = EnqueueOptions()
    ) throws {
        let schedule = try CronSchedule(cron, timeZone: timeZone)
        let scheduled = ScheduledJob(name: name ?? J.name, schedule: schedule) { queue, tickOptions in
            var merged = options
            merged.uniqueKey = tickOptions.uniqueKey
            merged.uniqueFor = tickOptions.uniqueFor
            return try await queue.enqueue(job, options: merged)
        }
        schedules.withLockedValue { $0.append(scheduled) }
    }

    func scheduleLoop() async {
        let scheduled = schedules.withLockedValue { $0 }
        guard !scheduled.isEmpty else { return }
        var nextTicks = scheduled.map { $0.schedule.nextFire(after: Date()) }
        while isRunning && !Task.isCancelled {
            let now = Date()
            for (index, job) in scheduled.enumerated() {
                guard let tick = nextTicks[index], tick <= now else { continue }
                let options = EnqueueOptions(
                    uniqueKey: "cron:\(job.name):\(Int64(tick.timeIntervalSince1970))", uniqueFor: .seconds(3600))
                do {
                    _ = try await job.enqueue(jobs, options)
                } catch {
                    configuration.logger.warning("schedule \(job.name): enqueue failed: \(error)")
                }
                nextTicks[index] = job.schedule.nextFire(after: tick)
            }
            let soonest = nextTicks.compactMap { $0 }.min() ?? now.addingTimeInterval(60)
            let wait = min(max(soonest.timeIntervalSinceNow, 0), configuration.idleWait.seconds)
            if wait > 0 { try? await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
        }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

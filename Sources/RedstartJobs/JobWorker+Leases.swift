// Keeping leases honest. Every third of the lease the worker sends one heartbeat that
// also renews the lease of each job it runs; a job whose lease was taken away (the reaper
// gave it to another worker) or whose cancellation was asked is cancelled here. A job
// whose lease could not be renewed in time is cancelled too (the worker fences itself:
// another worker may be about to run it). The reaper gives back jobs of dead workers.
// Cancellation requests also arrive at once over Pub/Sub (`<ns>:cancel`).
import Foundation
import RedstartClient

extension JobWorker {
    func leaseLoop() async {
        let interval = configuration.lease / 3
        while !isStopped && !Task.isCancelled {
            await renewLeases()
            try? await Task.sleep(for: interval)
        }
    }

    func renewLeases() async {
        let keys = jobs.keys
        let current = running.withLockedValue { Array($0.values) }
        var scriptKeys = [keys.workers, keys.worker(configuration.workerID)]
        scriptKeys += configuration.queues.map { keys.active($0.name) }
        let description = WorkerDescription(
            id: configuration.workerID, queues: configuration.queues.map(\.name), concurrency: configuration.concurrency,
            running: current.map(\.job.id), pid: Int(ProcessInfo.processInfo.processIdentifier))
        var arguments: [any RESPArgumentEncodable] = [
            configuration.workerID, (try? JSONCoding.text(description)) ?? "{}",
            (configuration.lease * 3).milliseconds, configuration.lease.milliseconds, keys.jobPrefix,
        ]
        for runningJob in current {
            arguments += [runningJob.job.queueIndex, runningJob.job.id, runningJob.job.token]
        }
        let sent = ContinuousClock.now
        do {
            let reply = try await jobs.client.run(JobScripts.renew, keys: scriptKeys, arguments: arguments)
            let parts = reply.elements ?? []
            let lost = Set((parts.first?.elements ?? []).compactMap(\.string))
            let cancelled = Set((parts.count > 1 ? parts[1].elements ?? [] : []).compactMap(\.string))
            for runningJob in current {
                if lost.contains(runningJob.job.id) {
                    runningJob.cancel(because: .leaseLost)
                } else {
                    runningJob.renewed(at: sent)
                    if cancelled.contains(runningJob.job.id) { runningJob.cancel(because: .requested) }
                }
            }
        } catch {
            configuration.logger.warning("heartbeat failed: \(error)")
            // Fence: a job whose lease may have ended stops here before another worker starts it.
            let margin = configuration.lease / 10
            for runningJob in current where ContinuousClock.now > runningJob.leaseRenewed + configuration.lease - margin {
                runningJob.cancel(because: .leaseLost)
            }
        }
    }

    func reapLoop() async {
        while !isStopped && !Task.isCancelled {
            for queue in configuration.queues.map(\.name) {
                await reap(queue)
            }
            try? await Task.sleep(for: configuration.reapInterval)
        }
    }

    func reap(_ queue: String) async {
        let keys = jobs.keys
        do {
            let reply = try await jobs.client.run(
                JobScripts.reap,
                keys: [
                    keys.active(queue), keys.waiting(queue), keys.signal(queue), keys.completed(queue), keys.failed(queue),
                    keys.stats(queue), keys.workers,
                ],
                arguments: [
                    keys.jobPrefix, configuration.keepFailed?.milliseconds ?? -1, (configuration.lease * 3).milliseconds,
                    keys.events, queue,
                ])
            if let counts = reply.elements, counts.count == 2, (counts[0].int ?? 0) + (counts[1].int ?? 0) > 0 {
                configuration.logger.warning(
                    "jobs of dead workers: \(counts[0].int ?? 0) given back, \(counts[1].int ?? 0) dead-lettered",
                    metadata: ["queue": "\(queue)"])
            }
        } catch {
            configuration.logger.warning("reaping \(queue) failed: \(error)")
        }
    }

    func listenForCancellations() async {
        while !isStopped && !Task.isCancelled {
            do {
                let requests = try await jobs.client.subscribe(to: [jobs.keys.cancellations])
                for await message in requests {
                    let id = message.payload.string
                    running.withLockedValue { $0[id] }?.cancel(because: .requested)
                }
            } catch {
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}

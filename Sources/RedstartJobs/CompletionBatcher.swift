// Completed jobs are recorded in batches: the first completion is sent at once, and those
// that finish while it is on its way go together in the next call (one script, one round
// trip, however many jobs). No completion waits longer than one round trip behind another,
// and an idle worker adds no delay at all. Under load this halves the client's and the
// server's work per job.
import NIOConcurrencyHelpers
import RedstartClient

final class CompletionBatcher: Sendable {
    struct Completion: Sendable {
        let job: FetchedJob
        let result: String
        let keepMilliseconds: Int64
        let event: String
    }

    private struct State {
        var pending: [(Completion, CheckedContinuation<Bool, any Error>)] = []
        var isFlushing = false
    }

    private let state = NIOLockedValueBox(State())
    private let jobs: JobQueue

    init(jobs: JobQueue) {
        self.jobs = jobs
    }

    /// Records `completion`; true when it was recorded, false when the job's lease was lost.
    func record(_ completion: Completion) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            let mustFlush = state.withLockedValue { state -> Bool in
                state.pending.append((completion, continuation))
                guard !state.isFlushing else { return false }
                state.isFlushing = true
                return true
            }
            if mustFlush { Task { await self.flush() } }
        }
    }

    private func flush() async {
        while true {
            let batch = state.withLockedValue { state in
                let batch = state.pending
                state.pending.removeAll()
                if batch.isEmpty { state.isFlushing = false }
                return batch
            }
            if batch.isEmpty { return }
            let keys = jobs.keys
            var arguments: [any RESPArgumentEncodable] = [keys.jobPrefix, keys.events]
            arguments.reserveCapacity(2 + 8 * batch.count)
            for (completion, _) in batch {
                let job = completion.job
                arguments += [
                    job.id, job.token, completion.result, completion.keepMilliseconds, completion.event,
                    keys.active(job.queue), keys.completed(job.queue), keys.stats(job.queue),
                ]
            }
            do {
                let reply = try await jobs.client.run(JobScripts.complete, arguments: arguments)
                let recorded = reply.elements ?? []
                for (index, (_, continuation)) in batch.enumerated() {
                    continuation.resume(returning: index < recorded.count && recorded[index].int == 1)
                }
            } catch {
                for (_, continuation) in batch { continuation.resume(throwing: error) }
            }
        }
    }
}

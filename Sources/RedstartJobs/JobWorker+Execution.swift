// One job, from lease to record: decode and run the handler in a task of its own (so a
// timeout, a cancellation request, a lost lease or a shutdown can cancel it), wait for it
// to end (cancellation is cooperative: a job is never run twice at once while this worker
// lives), then record the outcome with one script: completed, retried after a backoff,
// dead-lettered, cancelled, or given back.
import Foundation
import Logging
import RedstartClient

extension JobWorker {
    func execute(_ job: FetchedJob, _ runningJob: RunningJob) async {
        var logger = configuration.logger
        logger[metadataKey: "job"] = "\(job.id)"
        logger[metadataKey: "job-name"] = "\(job.name)"
        let context = JobContext(
            id: job.id, name: job.name, queue: job.queue, attempt: job.attempt, maxAttempts: job.maxAttempts,
            enqueuedAt: job.enqueuedAt, logger: logger, jobs: jobs)
        metrics.started(queue: job.queue, waitedMilliseconds: job.leasedAt - job.dueAt)
        let started = ContinuousClock.now
        let handler = handlers.withLockedValue { $0[job.name] }
        let outcome: Result<String, any Error>
        if let handler {
            let work = Task { try await handler.invoke(job.payloadJSON, context) }
            runningJob.onCancel { work.cancel() }
            let timeout = job.timeoutMilliseconds > 0 ? Duration.milliseconds(job.timeoutMilliseconds) : handler.timeout
            let timer = timeout.map { timeout in
                Task {
                    try? await Task.sleep(for: timeout)
                    if !Task.isCancelled { runningJob.cancel(because: .timeout) }
                }
            }
            outcome = await work.result
            timer?.cancel()
        } else {
            outcome = .failure(JobsError.noHandler(job.name))
        }
        let elapsed = ContinuousClock.now - started
        do {
            try await record(outcome, of: job, reason: runningJob.reason, handler: handler, elapsed: elapsed, logger: logger)
        } catch {
            // The record stays active; its lease ends and the reaper gives the job back.
            logger.error("could not record the job's outcome: \(error)")
        }
    }

    private func record(
        _ outcome: Result<String, any Error>, of job: FetchedJob, reason: CancelReason?, handler: RegisteredHandler?,
        elapsed: Duration, logger: Logger
    ) async throws {
        let keys = jobs.keys
        switch (outcome, reason) {
        case (_, .leaseLost):
            logger.warning("the job's lease was lost; its outcome is not recorded")
        case (.failure, .shutdown):
            await giveBack(job)
        case (.success(let result), _):
            let keep = job.keepResultMilliseconds >= 0 ? job.keepResultMilliseconds : configuration.keepResult.milliseconds
            let event = JobEvent(
                event: .completed, id: job.id, queue: job.queue, attempt: job.attempt,
                waitedMilliseconds: max(0, job.leasedAt - job.dueAt), ranMilliseconds: elapsed.milliseconds)
            let recorded = try await completions.record(
                CompletionBatcher.Completion(job: job, result: result, keepMilliseconds: keep, event: event.json))
            if recorded { metrics.completed(queue: job.queue, elapsed: elapsed) }
        case (.failure(let error), _):
            let cancelled = reason == .requested
            let message = reason == .timeout ? "timed out after \(elapsed)" : Self.describe(error)
            let policy = handler?.retryPolicy ?? RetryPolicy()
            let retryDelay = cancelled || job.attempt >= job.maxAttempts ? -1 : policy.delayMilliseconds(after: job.attempt)
            let failure = JobAttemptError(
                attempt: job.attempt, at: Int64(Date().timeIntervalSince1970 * 1000), error: message,
                detail: Self.detail(of: error), worker: configuration.workerID)
            let kind: JobEvent.Kind = cancelled ? .cancelled : retryDelay >= 0 ? .retrying : .failed
            let event = JobEvent(event: kind, id: job.id, queue: job.queue, attempt: job.attempt, error: message)
            let recorded = try await jobs.client.run(
                JobScripts.fail,
                keys: [
                    keys.job(job.id), keys.active(job.queue), keys.delayed(job.queue), keys.failed(job.queue),
                    keys.stats(job.queue), keys.errors(job.id), keys.signal(job.queue),
                ],
                arguments: [
                    job.id, job.token, try JSONCoding.text(failure), retryDelay, configuration.keepFailed?.milliseconds ?? -1,
                    cancelled ? "cancelled" : "failed", event.json, keys.events, keys.jobEvents(job.id),
                ])
            if recorded.int == 1 { metrics.failed(queue: job.queue, retried: retryDelay >= 0) }
            logger.info("attempt \(job.attempt) of \(job.maxAttempts) failed: \(message)")
        }
    }

    static func describe(_ error: any Error) -> String {
        if error is CancellationError { return "cancelled" }
        return String(describing: error)
    }

    /// What is kept besides the message: the throw site and call stack of a JobFailure,
    /// else the error's full reflection (its type and fields) when it says more than its
    /// description.
    static func detail(of error: any Error) -> String? {
        if let failure = error as? JobFailure {
            return (["\(failure.function) at \(failure.file):\(failure.line)"] + failure.stack).joined(separator: "\n")
        }
        let reflected = String(reflecting: error)
        return reflected == String(describing: error) ? nil : reflected
    }
}

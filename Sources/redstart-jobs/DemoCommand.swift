// `redstart-jobs demo`: a worker and a producer in one process, showing what the library
// does: a job with a result, one with progress reports, one that fails twice and then
// succeeds, one delayed by two seconds, one that is dead-lettered, and a cron schedule.
// Prints every event as it happens and exits when all have finished.
import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import RedstartClient
import RedstartJobs

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Enqueue and run example jobs.")

    @Option(help: "The server (redis:// or rediss:// URL).")
    var url = "redis://127.0.0.1:6379"

    @Option(help: "The namespace of the demo's keys.")
    var namespace = "rj-demo"

    func run() async throws {
        let client = try RedstartClient(url: url)
        var configuration = JobWorker.Configuration(queues: [.init("demo")], concurrency: 4)
        configuration.namespace = namespace
        configuration.logger.logLevel = .warning
        let worker = JobWorker(client: client, configuration: configuration)
        worker.register(Resize.self)
        worker.register(Flaky.self)
        worker.register(Doomed.self)
        try worker.schedule(Resize(image: "cron.png", width: 64), cron: "*/2 * * * * *", name: "thumbnail-every-2s")
        let queue = worker.jobs
        let events = try await queue.events()
        let printer = Task {
            for await event in events {
                var line = "\(event.event.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(event.id.prefix(8))"
                if let progress = event.progress { line += " progress \(progress)" }
                if let error = event.error { line += " error: \(error)" }
                print(line)
            }
        }
        let running = Task { try await worker.run() }
        let ids = [
            try await queue.enqueue(Resize(image: "photo.jpg", width: 320)),
            try await queue.enqueue(Resize(image: "later.jpg", width: 100), options: EnqueueOptions(delay: .seconds(2))),
            try await queue.enqueue(Flaky(failures: 2)),
            try await queue.enqueue(Doomed()),
        ]
        print("enqueued \(ids.count) jobs into namespace \(namespace); the cron schedule adds one every 2 s")
        for id in ids {
            let info = try await queue.waitUntilFinished(id, timeout: .seconds(60))
            print("finished  \(id.prefix(8)) \(info.name): \(info.state.rawValue) after \(info.attempts) attempt(s)"
                + (info.resultJSON.map { ", result \($0)" } ?? ""))
        }
        worker.stop()
        try await running.value
        printer.cancel()
        let counts = try await queue.counts("demo")
        print("queue demo: completed \(counts.completed), failed \(counts.failed), totals \(counts.totals.sorted { $0.key < $1.key })")
        await client.shutdown()
    }
}

/// Makes a thumbnail (pretends to), reporting progress.
struct Resize: Job {
    var image: String
    var width: Int
    static var queue: String { "demo" }

    func run(context: JobContext) async throws -> String {
        for step in 1...3 {
            try await Task.sleep(for: .milliseconds(100))
            try await context.reportProgress(["step": step, "of": 3])
        }
        return "\(image)@\(width)w"
    }
}

/// Fails `failures` times, then succeeds: retried with backoff.
struct Flaky: Job {
    var failures: Int
    static var queue: String { "demo" }
    static var retryPolicy: RetryPolicy { RetryPolicy(maxAttempts: 5, initialDelay: .milliseconds(200)) }

    func run(context: JobContext) async throws -> Int {
        if context.attempt <= failures { throw JobFailure("the service is down (attempt \(context.attempt))") }
        return context.attempt
    }
}

/// Always fails: ends in the dead-letter set.
struct Doomed: Job {
    static var queue: String { "demo" }
    static var retryPolicy: RetryPolicy { RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(100)) }

    func run(context: JobContext) async throws -> JobNoOutput {
        throw JobFailure("this job cannot succeed")
    }
}

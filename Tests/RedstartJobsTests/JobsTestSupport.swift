// Shared by the jobs tests: a server of each kind with a client and a queue, workers that
// run until the test ends, and job types whose handlers report to the test.
import Foundation
import NIOConcurrencyHelpers
import RedstartClient
@testable import RedstartJobs
import RedstartTestSupport

/// A server, a client of it and a job queue (namespace unique to the test).
struct JobsFixture: Sendable {
    let server: ServerProcess
    let client: RedstartClient
    let queue: JobQueue

    static func start(_ kind: TestServer) async throws -> JobsFixture {
        let server = try await kind.start()
        let client = try server.client()
        return JobsFixture(server: server, client: client, queue: JobQueue(client: client))
    }

    /// A worker on this server with quick timings, adjusted by `adjust`.
    func worker(
        queues: [String] = ["default"], concurrency: Int = 4, _ adjust: (inout JobWorker.Configuration) -> Void = { _ in }
    ) -> JobWorker {
        var configuration = JobWorker.Configuration(queues: queues.map { JobWorker.QueueSelection($0) }, concurrency: concurrency)
        configuration.idleWait = .milliseconds(200)
        configuration.reapInterval = .milliseconds(200)
        configuration.shutdownGracePeriod = .seconds(5)
        configuration.logger.logLevel = .error
        adjust(&configuration)
        return JobWorker(client: client, configuration: configuration)
    }

    func stop() async {
        await client.shutdown()
        _ = await server.stopAndWait()
    }
}

/// Runs `workers` while `body` runs, then stops them and waits for them to end.
func withWorkers<T>(_ workers: [JobWorker], _ body: () async throws -> T) async throws -> T {
    let tasks = workers.map { worker in Task { try await worker.run() } }
    do {
        let result = try await body()
        for worker in workers { worker.stop() }
        for task in tasks { try await task.value }
        return result
    } catch {
        for worker in workers { worker.stop() }
        for task in tasks { _ = try? await task.value }
        throw error
    }
}

/// Something handlers tell the test: calls counted per key, each with its time.
final class Recorder: Sendable {
    private let calls = NIOLockedValueBox([String: [Date]]())

    func record(_ key: String) {
        calls.withLockedValue { $0[key, default: []].append(Date()) }
    }

    func count(_ key: String) -> Int { calls.withLockedValue { $0[key]?.count ?? 0 } }
    func times(_ key: String) -> [Date] { calls.withLockedValue { $0[key] ?? [] } }
    var total: Int { calls.withLockedValue { $0.values.reduce(0) { $0 + $1.count } } }
}

/// Adds two numbers: the result is kept.
struct AddJob: Job {
    typealias Output = Int
    var a: Int
    var b: Int
    static let recorder = Recorder()

    func run(context: JobContext) async throws -> Int {
        Self.recorder.record(context.id)
        return a + b
    }
}

// redstart-jobs-test-worker: a worker process for the tests that need real processes
// (a worker SIGKILLed mid-job, SIGTERM's graceful shutdown, jobs a Python producer
// enqueued). It runs one JobWorker in a ServiceGroup that stops gracefully on SIGTERM,
// with one handler, "mark": payload {"n": Int, "sleep_ms": Int?}; it sleeps, then adds n
// to the set `<mark-key>` and counts the run in the hash `<mark-key>:runs` (field n), so a
// test can tell each job's effect and how often it ran. A payload with "fail": true fails
// while the key `<mark-key>:broken` exists (a dependency down, fixed by deleting it).
//
// With --hang-after N, the runs after the first N hang before their effect (a worker that
// is about to be SIGKILLed mid-job), and add their job IDs to `<mark-key>:hanging`.
//
//   redstart-jobs-test-worker --port P [--concurrency 2] [--lease-ms 2000] [--queue default]
//                             [--mark-key rj-test:done] [--grace-ms 5000] [--hang-after N]
//                             [--prefetch 0] [--cron EXPR]
// With --cron, a job is also scheduled at every tick of EXPR (schedule "test-cron"); each
// adds its ID to `<mark-key>:ticks`.
import Foundation
import Logging
import RedstartClient
import RedstartJobs
import ServiceLifecycle

struct Mark: Codable, Sendable {
    var n: Int
    var sleep_ms: Int?
    var fail: Bool?
}

struct BrokenDependency: Error, CustomStringConvertible {
    var description: String
}

var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()
while let name = arguments.popFirst() {
    guard name.hasPrefix("--"), let value = arguments.popFirst() else {
        FileHandle.standardError.write(Data("usage: redstart-jobs-test-worker --port P [--option value …]\n".utf8))
        exit(2)
    }
    options[String(name.dropFirst(2))] = value
}

let port = Int(options["port"] ?? "6379") ?? 6379
let markKey = options["mark-key"] ?? "rj-test:done"
let client = try RedstartClient(configuration: RedstartClient.Configuration(port: port))
var configuration = JobWorker.Configuration(
    queues: (options["queue"] ?? "default").split(separator: ",").map { JobWorker.QueueSelection(String($0)) },
    concurrency: Int(options["concurrency"] ?? "2") ?? 2)
configuration.lease = .milliseconds(Int(options["lease-ms"] ?? "2000") ?? 2000)
configuration.reapInterval = configuration.lease / 2
configuration.prefetch = Int(options["prefetch"] ?? "0") ?? 0
configuration.shutdownGracePeriod = .milliseconds(Int(options["grace-ms"] ?? "5000") ?? 5000)
configuration.logger.logLevel = .warning
let worker = JobWorker(client: client, configuration: configuration)
let hangAfter = options["hang-after"].flatMap { Int($0) }
let runs = ManagedAtomicCounter()
worker.register(name: "mark", payload: Mark.self, retryPolicy: RetryPolicy(maxAttempts: 5, initialDelay: .milliseconds(10))) {
    mark, context in
    if let hangAfter, runs.increment() > hangAfter {
        try await client.execute("SADD", "\(markKey):hanging", context.id)
        try await Task.sleep(for: .seconds(86400))
    }
    if let sleep = mark.sleep_ms, sleep > 0 { try await Task.sleep(for: .milliseconds(sleep)) }
    if mark.fail == true, try await client.execute("EXISTS", "\(markKey):broken").int == 1 {
        throw BrokenDependency(description: "broken: \(markKey):broken is set")
    }
    _ = try await client.pipeline([
        RedisCommand(arguments: ["SADD", markKey, String(mark.n)]),
        RedisCommand(arguments: ["HINCRBY", "\(markKey):runs", String(mark.n), "1"]),
    ])
    return mark.n
}

/// What `--cron EXPR` schedules: each tick adds its job's ID to `<mark-key>:ticks`.
struct CronMark: Job {
    /// Set once, before the worker runs.
    nonisolated(unsafe) static var client: RedstartClient?
    nonisolated(unsafe) static var markKey = ""

    func run(context: JobContext) async throws -> JobNoOutput {
        try await Self.client?.execute("SADD", "\(Self.markKey):ticks", context.id)
        return JobNoOutput()
    }
}

if let cron = options["cron"] {
    CronMark.client = client
    CronMark.markKey = markKey
    worker.register(CronMark.self)
    try worker.schedule(CronMark(), cron: cron, name: "test-cron")
}

let group = ServiceGroup(
    configuration: ServiceGroupConfiguration(
        services: [.init(service: worker)], gracefulShutdownSignals: [.sigterm, .sigint],
        logger: Logger(label: "redstart.jobs.test-worker")))
FileHandle.standardOutput.write(Data("ready \(worker.configuration.workerID)\n".utf8))
try await group.run()
await client.shutdown()
print("stopped")

/// Counts the handler's runs across its concurrent calls.
final class ManagedAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

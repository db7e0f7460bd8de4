// `redstart-jobs bench`: jobs per second end to end (enqueue + run a no-op handler +
// acknowledge) with one worker process, and enqueue-to-start latency, for RedstartJobs
// (this process) and for rq and BullMQ (Benchmarks/JobsBench/python_workers.py, one worker
// process each), on the same server, one after the other. It empties the database it
// uses, so it refuses a database that holds keys unless told `--flush`.
import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import RedstartClient
import RedstartJobs

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "RedstartJobs against rq and BullMQ, one worker process each.")

    @Option(help: "The server (redis:// URL); its database is emptied.")
    var url = "redis://127.0.0.1:6379"

    @Option(help: "Jobs in the throughput run.")
    var jobs = 20000

    @Option(help: "Jobs run at once by each worker process (rq's SimpleWorker runs one).")
    var concurrency = 10

    @Option(help: "Jobs leased ahead by the RedstartJobs worker.")
    var prefetch = 10

    @Option(help: "Jobs in the latency run (enqueued one at a time, about 200 per second).")
    var latencyJobs = 300

    @Option(help: "The rq/BullMQ half of the benchmark.")
    var pythonWorkers = "Benchmarks/JobsBench/python_workers.py"

    @Option(help: "The Python interpreter with rq and bullmq installed.")
    var python = "python3"

    @Flag(help: "Run even when the database holds keys (they are deleted).")
    var flush = false

    @Flag(help: "Measure RedstartJobs only.")
    var skipPython = false

    func run() async throws {
        let client = try RedstartClient(url: url)
        if !flush, let size = try await client.execute("DBSIZE").int, size > 0 {
            throw ValidationError("the database holds \(size) keys and the benchmark empties it: pass --flush")
        }
        let throughput = try await measureThroughput(client)
        let latencies = try await measureLatency(client)
        try await client.execute("FLUSHDB")
        await client.shutdown()
        print(String(format: "RedstartJobs jobs_per_second=%.0f p50_ms=%.2f p99_ms=%.2f", throughput,
                     percentile(latencies, 0.5), percentile(latencies, 0.99)))
        guard !skipPython else { return }
        var rates: [String: Double] = [:]
        for library in ["rq", "bullmq"] {
            let line = try runPython(library)
            print(line)
            if let rate = line.split(separator: " ").first(where: { $0.hasPrefix("jobs_per_second=") })?
                .split(separator: "=").last.flatMap({ Double($0) })
            {
                rates[library] = rate
            }
        }
        let best = max(rates["rq"] ?? 0, rates["bullmq"] ?? 0)
        print(String(format: "RedstartJobs / faster of rq and BullMQ: %.1fx", best > 0 ? throughput / best : 0))
        print(String(format: "jobs/s per worker process: RedstartJobs %.0f, rq %.0f, BullMQ %.0f", throughput,
                     rates["rq"] ?? 0, rates["bullmq"] ?? 0))
    }

    private func worker(_ client: RedstartClient, prefetch: Int) -> JobWorker {
        var configuration = JobWorker.Configuration(queues: [.init("bench")], concurrency: concurrency)
        configuration.prefetch = prefetch
        configuration.keepResult = .seconds(600)
        configuration.logger.logLevel = .warning
        return JobWorker(client: client, configuration: configuration)
    }

    /// Jobs per second: enqueue `jobs` in pipelined batches of 1,000 while the worker runs.
    private func measureThroughput(_ client: RedstartClient) async throws -> Double {
        try await client.execute("FLUSHDB")
        let worker = worker(client, prefetch: prefetch)
        worker.register(name: "noop", payload: Int.self) { n, _ in n }
        let queue = worker.jobs
        let running = Task { try await worker.run() }
        let started = ContinuousClock.now
        for first in stride(from: 0, to: jobs, by: 1000) {
            try await queue.enqueue(name: "noop", payloads: Array(first..<min(jobs, first + 1000)), queue: "bench")
        }
        while try await queue.counts("bench").totals["completed", default: 0] < jobs {
            try await Task.sleep(for: .milliseconds(5))
        }
        let elapsed = ContinuousClock.now - started
        worker.stop()
        try await running.value
        return Double(jobs) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// Enqueue-to-start in milliseconds, each job enqueued alone with the worker idle.
    private func measureLatency(_ client: RedstartClient) async throws -> [Double] {
        try await client.execute("FLUSHDB")
        let worker = worker(client, prefetch: 0)
        let starts = NIOLockedValueBox([String: ContinuousClock.Instant]())
        worker.register(name: "noop", payload: Int.self) { n, context in
            starts.withLockedValue { $0[context.id] = ContinuousClock.now }
            return n
        }
        let queue = worker.jobs
        let running = Task { try await worker.run() }
        try await Task.sleep(for: .seconds(1))  // the worker is up and idle
        var enqueued: [String: ContinuousClock.Instant] = [:]
        for n in 0..<latencyJobs {
            let before = ContinuousClock.now
            enqueued[try await queue.enqueue(name: "noop", payload: n, queue: "bench")] = before
            try await Task.sleep(for: .milliseconds(5))
        }
        while starts.withLockedValue({ $0.count }) < latencyJobs { try await Task.sleep(for: .milliseconds(5)) }
        worker.stop()
        try await running.value
        return starts.withLockedValue { starts in
            starts.compactMap { id, start in
                enqueued[id].map { Double((start - $0).components.attoseconds) / 1e15 + Double((start - $0).components.seconds) * 1000 }
            }
        }
    }

    private func runPython(_ library: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            python, pythonWorkers, library, "--url", url, "--jobs", String(jobs), "--concurrency", String(concurrency),
            "--latency-jobs", String(latencyJobs),
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(pythonWorkers) \(library) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

private func percentile(_ values: [Double], _ share: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(share * Double(sorted.count)))]
}

// The dashboard's parts and its HTTP API against both servers: percentiles, INFO and
// SLOWLOG parsing, the overview's counts and rates, job lists and records, the actions
// (and their refusal without the dashboard's header), the live stream's first event.
// The pages themselves are driven in a real browser by Tests/Python/test_dashboard.py.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOConcurrencyHelpers
import RedstartClient
@testable import RedstartJobs
@testable import RedstartJobsDashboard
import RedstartTestSupport
import ServiceLifecycle
import Testing

@Suite struct DashboardTests {
    @Test func percentilesAreNearestRank() {
        let values = (1...100).map(Double.init)
        #expect(LatencyWindow.percentile(50, of: values) == 50)
        #expect(LatencyWindow.percentile(99, of: values) == 99)
        #expect(LatencyWindow.percentile(99, of: [7]) == 7)
        #expect(LatencyWindow.percentile(50, of: []) == nil)
        let window = LatencyWindow()
        for value in 1...1000 { window.record(waitedMilliseconds: Int64(value), ranMilliseconds: 2) }
        let drained = window.drain()
        #expect(drained.waitP50 == 500 && drained.waitP99 == 990 && drained.runP99 == 2)
        #expect(window.drain().waitP50 == nil, "a drained window starts empty")
    }

    @Test func infoAndSlowlogAreParsed() {
        let info = ServerSummary.fields(
            ofInfo: "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:42\r\n\r\n# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\ndb5:keys=4,expires=0,avg_ttl=0\r\n")
        let summary = ServerSummary(info: info)
        #expect(summary.version == "7.0.15" && summary.uptimeSeconds == 42 && summary.keys == 7)
        #expect(summary.redstartVersion == nil)
        let reply = RESPValue.array([
            .array([.integer(9), .integer(1_700_000_000), .integer(12_345), .array([.bulk("DEBUG"), .bulk("SLEEP")]),
                .bulk("127.0.0.1:5000"), .bulk("")]),
        ])
        #expect(SlowlogEntry.entries(of: reply) == [
            SlowlogEntry(id: 9, at: 1_700_000_000, microseconds: 12_345, command: ["DEBUG", "SLEEP"], client: "127.0.0.1:5000"),
        ])
    }

    @Test(arguments: TestServer.allCases)
    func theAPIShowsQueuesJobsAndTheServerAndActs(server kind: TestServer) async throws {
        let fixture = try await JobsFixture.start(kind)
        defer { withExtendedLifetime(fixture) {} }
        let slow = try await fixture.queue.enqueue(AddJob(a: 1, b: 2), options: EnqueueOptions(queue: "api"))
        let doomed = try await fixture.queue.enqueue(AddJob(a: 3, b: 4), options: EnqueueOptions(queue: "api"))
        try await withDashboard(fixture) { http in
            let overview = try await http.json("/api/overview")
            let queues = overview["queues"] as? [[String: Any]] ?? []
            let api = try #require(queues.first { $0["name"] as? String == "api" })
            #expect(api["waiting"] as? Int == 2 && api["paused"] as? Bool == false)
            let server = try #require(overview["server"] as? [String: Any])
            #expect(server["version"] as? String == "7.0.15")
            #expect((server["usedMemory"] as? Int ?? 0) > 0 && (server["connectedClients"] as? Int ?? 0) >= 1)
            #expect((server["redstartVersion"] != nil) == (kind == .redstart))
            #expect(overview["slowlog"] is [Any] && overview["history"] is [Any])

            let list = try await http.json("/api/queues/api/jobs?state=waiting")
            #expect((list["jobs"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [slow, doomed])
            let record = try await http.json("/api/jobs/\(slow)")
            let payload = try JSONSerialization.jsonObject(with: Data((record["payload"] as? String ?? "").utf8))
            #expect(payload as? [String: Int] == ["a": 1, "b": 2] && record["state"] as? String == "waiting")
            #expect(try await http.status("/api/jobs/no-such-job") == 404)
            #expect(try await http.status("/api/queues/api/jobs?state=sleeping") == 400)

            // Actions need the dashboard's header.
            #expect(try await http.status("/api/queues/api/pause", method: "POST", header: false) == 403)
            #expect(try await http.status("/api/queues/api/pause", method: "POST") == 200)
            #expect(try await fixture.queue.counts("api").isPaused)
            #expect(try await http.status("/api/queues/api/resume", method: "POST") == 200)
            #expect(try await !fixture.queue.counts("api").isPaused)
            #expect(try await http.status("/api/jobs/\(doomed)/cancel", method: "POST") == 200)
            #expect(try await fixture.queue.info(doomed)?.state == .cancelled)
            #expect(try await http.status("/api/jobs/\(slow)/retry", method: "POST") == 409, "only failed jobs are retried")
            #expect(try await http.status("/api/jobs/\(doomed)/retry", method: "POST") == 200)
            #expect(try await fixture.queue.info(doomed)?.state == .waiting)
            #expect(try await http.status("/api/jobs/\(doomed)/delete", method: "POST") == 200)
            #expect(try await fixture.queue.info(doomed) == nil)
            #expect(try await http.status("/api/jobs/\(slow)/explode", method: "POST") == 404)

            // The counts follow, and the live stream's first event is a whole overview.
            let live = try await http.firstEvent("/api/live")
            let liveQueues = live["queues"] as? [[String: Any]] ?? []
            #expect(liveQueues.first { $0["name"] as? String == "api" }?["waiting"] as? Int == 1)
        }
        await fixture.stop()
    }

    @Test(arguments: TestServer.allCases)
    func ratesLatenciesAndWorkersFollowTheJobs(server kind: TestServer) async throws {
        let fixture = try await JobsFixture.start(kind)
        defer { withExtendedLifetime(fixture) {} }
        let worker = fixture.worker(queues: ["rates"])
        worker.register(AddJob.self)
        try await withDashboard(fixture) { http in
            try await withWorkers([worker]) {
                let ids = try await fixture.queue.enqueue(
                    name: AddJob.name, payloads: (0..<50).map { AddJob(a: $0, b: 1) }, queue: "rates")
                for id in ids { _ = try await fixture.queue.waitUntilFinished(id, timeout: .seconds(20)) }
                // A sample after the completions shows them: rates over the interval, latencies from the events.
                try await waitUntil(20) {
                    let history = try await http.json("/api/overview")["history"] as? [[String: Any]] ?? []
                    let completed = history.reduce(0.0) { $0 + ($1["completedPerSecond"] as? Double ?? 0) }
                    return completed > 0 && history.contains { $0["runP99"] is Double && $0["waitP50"] is Double }
                }
                try await waitUntil(20) {
                    let workers = try await http.json("/api/overview")["workers"] as? [[String: Any]] ?? []
                    return workers.contains { $0["id"] as? String == worker.configuration.workerID }
                }
            }
        }
        await fixture.stop()
    }

    /// Runs a dashboard (port 0, samples every 100 ms) while `body` runs.
    private func withDashboard(_ fixture: JobsFixture, _ body: (DashboardHTTP) async throws -> Void) async throws {
        let port = NIOLockedValueBox(0)
        var configuration = JobDashboard.Configuration(port: 0)
        configuration.interval = .milliseconds(100)
        configuration.liveStreamLifetime = .seconds(1)
        configuration.logger.logLevel = .error
        configuration.onListening = { bound in port.withLockedValue { $0 = bound } }
        let dashboard = JobDashboard(jobs: fixture.queue, configuration: configuration)
        let group = ServiceGroup(services: [dashboard], logger: configuration.logger)
        let running = Task { try await group.run() }
        do {
            try await waitUntil(20) { port.withLockedValue { $0 } != 0 }
            try await body(DashboardHTTP(port: port.withLockedValue { $0 }))
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }
}

/// A small HTTP client of a dashboard (URLSession).
struct DashboardHTTP: Sendable {
    let port: Int

    private func request(_ path: String, method: String = "GET", header: Bool = true) -> URLRequest {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if header && method == "POST" { request.setValue("1", forHTTPHeaderField: "X-Redstart-Dashboard") }
        return request
    }

    func json(_ path: String) async throws -> [String: Any] {
        let (data, response) = try await URLSession.shared.data(for: request(path))
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "GET \(path)")
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    func status(_ path: String, method: String = "GET", header: Bool = true) async throws -> Int {
        let (_, response) = try await URLSession.shared.data(for: request(path, method: method, header: header))
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// The first `data:` event of a Server-Sent Events stream (the dashboard under test
    /// ends its streams after a second).
    func firstEvent(_ path: String) async throws -> [String: Any] {
        let (data, _) = try await URLSession.shared.data(for: request(path))
        let text = String(decoding: data, as: UTF8.self)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("data: ") })
        return try JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any] ?? [:]
    }
}

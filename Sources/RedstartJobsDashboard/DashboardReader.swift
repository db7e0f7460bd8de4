// Reads what the dashboard shows from the server: the queues' counts, the workers and
// the jobs they run, the server's INFO and SLOWLOG, job lists and single jobs. Every read
// is a few pipelined commands; nothing here writes.
import Foundation
import RedstartClient
import RedstartJobs

struct DashboardReader: Sendable {
    let jobs: JobQueue
    /// How many SLOWLOG entries the server panel shows.
    var slowlogLength = 10

    var client: RedstartClient { jobs.client }

    /// Every queue's counts, by name.
    func queueCounts() async throws -> [(name: String, counts: QueueCounts)] {
        var result: [(String, QueueCounts)] = []
        for name in try await jobs.queues() {
            result.append((name, try await jobs.counts(name)))
        }
        return result
    }

    /// The live workers, each with the jobs it runs (name, queue, start).
    func workers() async throws -> [WorkerSummary] {
        let workers = try await jobs.workers()
        let runningIDs = workers.flatMap(\.description.running)
        let records = runningIDs.isEmpty ? [] : try await client.pipeline(runningIDs.map {
            RedisCommand(arguments: ["HMGET", jobs.keys.job($0), JobRecordField.name, JobRecordField.queue,
                JobRecordField.startedAt])
        })
        var headlines: [String: RunningJobSummary] = [:]
        for (id, record) in zip(runningIDs, records) {
            let fields = record.elements ?? []
            guard fields.count == 3 else { continue }
            headlines[id] = RunningJobSummary(
                id: id, name: fields[0].string ?? "?", queue: fields[1].string ?? "?", startedAt: fields[2].int)
        }
        return workers.map { worker in
            let description = worker.description
            return WorkerSummary(
                id: description.id, pid: description.pid, queues: description.queues,
                concurrency: description.concurrency, lastSeen: worker.lastSeen,
                running: description.running.compactMap { headlines[$0] })
        }
        .sorted { $0.id < $1.id }
    }

    /// The server panel: INFO's numbers, the server's time (ms) and its slowest commands.
    func server() async throws -> (summary: ServerSummary, time: Int64, slowlog: [SlowlogEntry]) {
        let replies = try await client.pipeline([
            RedisCommand(arguments: ["INFO"]),
            RedisCommand(arguments: ["SLOWLOG", "GET", String(slowlogLength)]),
        ])
        let info = ServerSummary.fields(ofInfo: replies[0].string ?? "")
        let time = info["server_time_usec"].flatMap { Int64($0) }.map { $0 / 1000 }
            ?? Int64(Date().timeIntervalSince1970 * 1000)
        return (ServerSummary(info: info), time, SlowlogEntry.entries(of: replies[1]))
    }

    /// Up to `limit` jobs of `queue` in `state`, with the fields a list shows and the last
    /// attempt's error.
    func jobList(queue: String, state: JobState, limit: Int) async throws -> JobList {
        let ids = try await jobs.jobIDs(in: queue, state: state, limit: limit)
        let fieldNames = [
            JobRecordField.name, JobRecordField.state, JobRecordField.attempts, JobRecordField.maxAttempts,
            JobRecordField.enqueuedAt, JobRecordField.runAt, JobRecordField.finishedAt,
        ]
        let replies = ids.isEmpty ? [] : try await client.pipeline(ids.flatMap { id in
            [
                RedisCommand(arguments: ["HMGET", jobs.keys.job(id)] + fieldNames),
                RedisCommand(arguments: ["LINDEX", jobs.keys.errors(id), "-1"]),
            ]
        })
        let summaries = ids.enumerated().compactMap { index, id -> JobSummary? in
            let fields = replies[2 * index].elements ?? []
            guard fields.count == fieldNames.count, let name = fields[0].string, let state = fields[1].string else {
                return nil  // forgotten between the two reads
            }
            let lastError = replies[2 * index + 1].string.flatMap {
                try? JSONDecoder().decode(JobAttemptError.self, from: Data($0.utf8))
            }
            return JobSummary(
                id: id, name: name, state: state, attempts: Int(fields[2].int ?? 0), maxAttempts: Int(fields[3].int ?? 1),
                enqueuedAt: fields[4].int ?? 0, runAt: fields[5].int, finishedAt: fields[6].int, error: lastError?.error)
        }
        return JobList(queue: queue, state: state.rawValue, jobs: summaries)
    }

    /// A job's whole record, or nil when there is none.
    func job(_ id: String) async throws -> JobDetail? {
        try await jobs.info(id).map(JobDetail.init)
    }
}

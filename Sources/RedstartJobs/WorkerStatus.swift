// What workers say of themselves: each heartbeat writes the worker's description to
// `<ns>:worker:<id>` (expiring after three leases without one) and its time to the
// `<ns>:workers` set. Read by the dashboard's workers panel and by `JobQueue.workers()`.
import Foundation
import RedstartClient

/// A worker's description of itself, as its heartbeat writes it (JSON, field `info`).
public struct WorkerDescription: Codable, Sendable, Hashable {
    public var id: String
    /// The queues it takes jobs from, in its order of preference.
    public var queues: [String]
    public var concurrency: Int
    /// The IDs of the jobs it runs.
    public var running: [String]
    /// Its process ID.
    public var pid: Int
}

/// A live worker: its description and when it was last heard from.
public struct WorkerStatus: Sendable, Hashable {
    public var description: WorkerDescription
    /// Server time of its last heartbeat, milliseconds since 1970.
    public var lastSeen: Int64
}

extension JobQueue {
    /// The workers whose heartbeat is recent (their description has not expired), by ID.
    public func workers() async throws -> [WorkerStatus] {
        let reply = try await client.execute("ZRANGE", keys.workers, 0, -1, "WITHSCORES").elements ?? []
        // RESP3 nests each member with its score; RESP2 interleaves them.
        let seen = reply.flatMap { $0.elements ?? [$0] }
        var ids: [(id: String, lastSeen: Int64)] = []
        for pair in seen.pairs {
            // Scores are integers in milliseconds; RESP3 sends them as doubles.
            guard let id = pair.0.string else { continue }
            let score: Int64
            if case .double(let value) = pair.1 { score = Int64(value) } else { score = Int64(pair.1.string ?? "") ?? 0 }
            ids.append((id, score))
        }
        guard !ids.isEmpty else { return [] }
        let replies = try await client.pipeline(ids.map { RedisCommand(arguments: ["HGET", keys.worker($0.id), "info"]) })
        return zip(ids, replies).compactMap { worker, reply in
            guard let text = reply.string,
                let description = try? JSONCoding.decoder.decode(WorkerDescription.self, from: Data(text.utf8))
            else { return nil }
            return WorkerStatus(description: description, lastSeen: worker.lastSeen)
        }
    }
}

extension Array where Element == RESPValue {
    /// Consecutive elements as pairs (a WITHSCORES reply, a flat map such as HGETALL's).
    var pairs: [(RESPValue, RESPValue)] {
        stride(from: 0, to: count - 1, by: 2).map { (self[$0], self[$0 + 1]) }
    }
}

// Transactions. `transaction(_:)` sends MULTI, the commands and EXEC in one write
// on a shared connection (the batcher writes them contiguously, so no other task's
// command can fall inside). `watching(_:retries:body:)` is the optimistic-locking
// loop: WATCH the keys on a connection of its own, let `body` read and decide,
// send its commands inside MULTI/EXEC, and start again when EXEC answers null
// because a watched key changed.
import RedstartRESP

extension RedstartClient {
    /// Runs `commands` in MULTI … EXEC and returns EXEC's replies (errors as `.error` values);
    /// throws RedisServerError when the transaction was refused as a whole (EXECABORT).
    public func transaction(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        var batch = [RedisCommand("MULTI")]
        batch.append(contentsOf: commands)
        batch.append(RedisCommand("EXEC"))
        let replies = try await lane().connection().replies(to: batch)
        return try Self.execReplies(replies.last!)
    }

    /// WATCHes `keys`, runs `body` (which reads through the connection and returns the
    /// commands to run atomically), then MULTI/EXEC; when a watched key changed first,
    /// starts again, up to `retries` more times, then throws `transactionAborted`.
    public func watching(
        _ keys: [String], retries: Int = 10,
        body: (RedstartConnection) async throws -> [RedisCommand]
    ) async throws -> [RESPValue] {
        try await withConnection { connection in
            for _ in 0...max(0, retries) {
                var watch = RedisCommand("WATCH")
                watch.appendKeys(contentsOf: keys)
                _ = try await connection.execute(watch)
                let commands: [RedisCommand]
                do {
                    commands = try await body(connection)
                } catch {
                    _ = try? await connection.execute(RedisCommand("UNWATCH"))
                    throw error
                }
                var batch = [RedisCommand("MULTI")]
                batch.append(contentsOf: commands)
                batch.append(RedisCommand("EXEC"))
                let replies = try await connection.replies(to: batch)
                let exec = replies.last!
                if exec.isNull { continue }  // a watched key changed: read again
                return try Self.execReplies(exec)
            }
            throw RedstartClientError.transactionAborted
        }
    }

    static func execReplies(_ exec: RESPValue) throws -> [RESPValue] {
        if case .error(let message) = exec { throw RedisServerError(message) }
        if exec.isNull { throw RedstartClientError.transactionAborted }
        guard let replies = exec.elements else { throw RedstartClientError.unexpectedReply(exec, expected: "EXEC's array") }
        return replies
    }
}

// Lua scripts the way every Redis client runs them: by SHA-1 with EVALSHA, and
// with EVAL when the server answers NOSCRIPT (after a restart, SCRIPT FLUSH or a
// failover), which also puts the script back in the server's cache. The SHA-1 is
// computed here, so the first call is one round trip too.
import RedstartRESP

/// A Lua script and its SHA-1.
public struct RedisScript: Sendable, Hashable {
    public let source: String
    /// The lowercase hex SHA-1 of the source: the name EVALSHA uses.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        sha1 = SHA1.hexDigest(source.utf8)
    }
}

extension RedisCommandExecutor {
    /// Runs `script` with EVALSHA, falling back to EVAL when the server does not have it
    /// (`readOnly`: EVALSHA_RO / EVAL_RO, which replicas accept).
    public func run(
        _ script: RedisScript, keys: [String] = [], arguments: [any RESPArgumentEncodable] = [], readOnly: Bool = false
    ) async throws -> RESPValue {
        do {
            return try await execute(scriptCommand(readOnly ? "EVALSHA_RO" : "EVALSHA", script.sha1, keys, arguments))
        } catch let error as RedisServerError where error.code == "NOSCRIPT" {
            return try await execute(scriptCommand(readOnly ? "EVAL_RO" : "EVAL", script.source, keys, arguments))
        }
    }

    private func scriptCommand(
        _ name: String, _ body: String, _ keys: [String], _ arguments: [any RESPArgumentEncodable]
    ) -> RedisCommand {
        var command = RedisCommand(name)
        command.append(body)
        command.append(keys.count)
        command.appendKeys(contentsOf: keys)
        for argument in arguments { argument.encodeArgument(into: &command) }
        return command
    }
}

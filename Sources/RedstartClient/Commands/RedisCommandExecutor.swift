// Anything that runs commands: a connection, the pooled client, a transaction's
// connection. The generated typed methods are extensions of this protocol, so
// they exist on each of them; an implementation only provides `execute`.
import RedstartRESP

/// Runs commands and returns their replies; error replies are thrown as RedisServerError.
public protocol RedisCommandExecutor: Sendable {
    /// Sends `command` and returns its reply (an error reply is thrown).
    func execute(_ command: RedisCommand) async throws -> RESPValue
}

extension RedisCommandExecutor {
    /// Sends a command given as words (`execute("SET", "k", 1)`) and returns its reply.
    @discardableResult
    public func execute(_ words: any RESPArgumentEncodable...) async throws -> RESPValue {
        var command = RedisCommand(arguments: [String]())
        for word in words { word.encodeArgument(into: &command) }
        return try await execute(command)
    }

    /// Sends `command` and decodes its reply as `type`.
    public func execute<T: RESPDecodable>(_ command: RedisCommand, as type: T.Type) async throws -> T {
        try await execute(command).decoded(as: type)
    }
}

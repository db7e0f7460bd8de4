// Opens the client's connections: one TLS context for all of them, the address
// asked of Sentinel before each connect when a SentinelConfiguration is given (a
// failover is followed on the next reconnect), and retries with backoff until the
// reconnect timeout. Every connect and failure is logged.
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import RedstartRESP

final class ConnectionFactory: Sendable {
    let configuration: RedstartClient.Configuration
    let group: any EventLoopGroup
    private let sslContext: NIOSSLContext?

    init(configuration: RedstartClient.Configuration, group: any EventLoopGroup) throws {
        self.configuration = configuration
        self.group = group
        sslContext = try configuration.connection.tls.map { try NIOSSLContext(configuration: $0) }
    }

    /// One connection (on `eventLoop` when given, else on any loop of the group), retried
    /// with backoff until the reconnect timeout passes.
    func connect(
        on eventLoop: (any EventLoop)? = nil, onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws -> RedstartConnection {
        let deadline = NIODeadline.now() + configuration.reconnectTimeout
        var attempt = 0
        while true {
            do {
                let connection = try await connectOnce(on: eventLoop ?? group.next(), onPush: onPush)
                if attempt > 0 {
                    configuration.logger.info("reconnected", metadata: ["attempts": "\(attempt + 1)"])
                }
                return connection
            } catch let error as RedisServerError {
                throw error  // wrong password, unknown database: retrying will not help
            } catch {
                let delay = configuration.backoff.delay(attempt: attempt)
                configuration.logger.debug("connect failed", metadata: ["error": "\(error)", "attempt": "\(attempt + 1)"])
                guard NIODeadline.now() + delay < deadline else { throw error }
                try await Task.sleep(nanoseconds: UInt64(delay.nanoseconds))
                attempt += 1
            }
        }
    }

    private func connectOnce(
        on eventLoop: any EventLoop, onPush: (@Sendable (RESPValue) -> Void)?
    ) async throws -> RedstartConnection {
        var settings = configuration.connection
        if let sentinel = configuration.sentinel {
            settings.address = try await SentinelResolver(configuration: sentinel, connection: settings, group: group).primaryAddress()
        }
        let connection = try await RedstartConnection.connect(
            configuration: settings, group: eventLoop, performHandshake: true, sslContext: sslContext, onPush: onPush)
        if configuration.sentinel != nil {
            // A Sentinel may name a primary that has just been demoted: check its role.
            let role = try await connection.execute(RedisCommand(arguments: ["ROLE"]))
            guard role.elements?.first?.string == "master" else {
                try? await connection.close()
                throw RedstartClientError.noPrimary("the address Sentinel gave is a \(role.elements?.first?.string ?? "?")")
            }
        }
        configuration.logger.debug("connected", metadata: ["protocol": "\(connection.protocolVersion)"])
        return connection
    }
}

// Asks Sentinels, in order, where the primary of a monitored set is
// (SENTINEL GET-MASTER-ADDR-BY-NAME), as Redis's Sentinel client guidelines say:
// the first Sentinel that answers with an address wins and moves to the front of
// the list the next time (here: the order is simply retried from the start).
import NIOCore

struct SentinelResolver {
    let configuration: RedstartClient.SentinelConfiguration
    let connection: RedstartConnection.Configuration
    let group: any EventLoopGroup

    /// The primary's address, or noPrimary when no Sentinel names one.
    func primaryAddress() async throws -> RedstartConnection.Configuration.Address {
        var failures: [String] = []
        for sentinel in configuration.sentinels {
            var settings = RedstartConnection.Configuration(host: sentinel.host, port: sentinel.port)
            settings.username = configuration.username
            settings.password = configuration.password
            settings.protocolVersion = 2
            settings.tls = connection.tls
            settings.connectTimeout = connection.connectTimeout
            do {
                let link = try await RedstartConnection.connect(configuration: settings, group: group)
                defer { Task { try? await link.close() } }
                var ask = RedisCommand("SENTINEL")
                ask.append("GET-MASTER-ADDR-BY-NAME")
                ask.append(configuration.primaryName)
                let reply = try await link.execute(ask)
                guard let parts = reply.elements, parts.count == 2, let host = parts[0].string,
                    let port = parts[1].string.flatMap(Int.init)
                else {
                    failures.append("\(sentinel.host):\(sentinel.port) does not know \(configuration.primaryName)")
                    continue
                }
                return .tcp(host: host, port: port)
            } catch {
                failures.append("\(sentinel.host):\(sentinel.port): \(error)")
            }
        }
        throw RedstartClientError.noPrimary(failures.joined(separator: "; "))
    }
}

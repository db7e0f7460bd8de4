// Sentinel discovery: a primary and its replica (both Redstart, or both Redis) watched
// by Debian's redis-sentinel. The client asks Sentinel for the primary, and after a
// failover (SENTINEL FAILOVER) its next commands reach the promoted replica: the old
// primary's connections are closed by Sentinel, the reconnect asks Sentinel again and
// checks the ROLE of the address it gets.
import Foundation
import RedstartClient
import RedstartRESP
import RedstartTestSupport
import Testing

@Suite struct SentinelTests {
    @Test(arguments: TestServer.allCases)
    func clientFollowsAFailover(server kind: TestServer) async throws {
        guard let sentinelPath = findProgram("redis-sentinel") else {
            throw TestFailure("redis-sentinel is missing (Scripts/test.sh installs it)")
        }
        let primary = try await kind.start()
        let replica = try await kind.start(["--replicaof", "127.0.0.1", String(primary.port)])
        let replicaConnection = try await replica.connect()
        try await waitUntil(30) {
            (try await replicaConnection.send("INFO", "replication").string ?? "").contains("master_link_status:up")
        }
        let directory = NSTemporaryDirectory() + "redstart-sentinel-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configuration = directory + "/sentinel.conf"
        try """
        dir \(directory)
        sentinel monitor mymaster 127.0.0.1 \(primary.port) 1
        sentinel down-after-milliseconds mymaster 1000
        sentinel failover-timeout mymaster 10000

        """.write(toFile: configuration, atomically: true, encoding: .utf8)
        let sentinel = try await ServerProcess.start(configFile: configuration, executable: sentinelPath)
        let sentinelConnection = try await sentinel.connect()

        var settings = RedstartClient.Configuration(port: 1)  // the address comes from Sentinel
        settings.sentinel = .init(primaryName: "mymaster", sentinels: [("127.0.0.1", sentinel.port)])
        settings.reconnectTimeout = .seconds(30)
        settings.connection.commandTimeout = .seconds(5)  // a wait never outlives waitUntil
        let client = try RedstartClient(configuration: settings)
        try await client.execute("SET", "written", "before")
        let port = try await client.execute("CONFIG", "GET", "port").decoded(as: [String: Int].self)["port"]
        #expect(port == primary.port)

        // Sentinel must know the replica before it can promote it.
        try await waitUntil(30) {
            let replicas = try await sentinelConnection.send("SENTINEL", "REPLICAS", "mymaster")
            return replicas.elements?.isEmpty == false
        }
        try await waitUntil(30) {
            try await sentinelConnection.send("SENTINEL", "FAILOVER", "mymaster") == .simpleString("OK")
        }
        try await waitUntil(60) {
            let address = try await sentinelConnection.send("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
            return address.elements?.last?.string == String(replica.port)
        }
        // Once Sentinel has turned the old primary into a replica (closing its clients), the
        // client's commands reach the promoted replica. (Writes the old primary accepted
        // before that are lost, as with any Redis failover.)
        try await waitUntil(60) {
            let reply = try? await client.execute("CONFIG", "GET", "port")
            let port = try? reply?.decoded(as: [String: Int].self)["port"]
            return port == replica.port
        }
        #expect(try await client.execute("SET", "written", "after") == .simpleString("OK"))
        // Sentinel closed the promoted replica's normal clients too: ask on a new connection.
        let promoted = try await replica.connect()
        #expect(try await promoted.send("GET", "written") == .bulk("after"))
        try await promoted.close()
        await client.shutdown()
        try await sentinelConnection.close()
        try? await replicaConnection.close()
        await sentinel.stopAndWait()
        await replica.stopAndWait()
        await primary.stopAndWait()
    }
}

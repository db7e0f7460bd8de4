// The client over TLS against both servers, with the certificates of
// Scripts/gen-test-certs.sh: server verification against the test CA (and its
// failure against another CA), mutual TLS with a client certificate, `rediss://`
// URLs, and subscriptions and blocking commands on TLS connections of their own.
import Foundation
import NIOSSL
import RedstartClient
import RedstartRESP
import RedstartTestSupport
import Testing

/// The test certificates, made once per test run in a temporary directory.
struct TestCertificates: Sendable {
    let directory: String
    var ca: String { directory + "/ca.crt" }
    var serverCertificate: String { directory + "/server.crt" }
    var serverKey: String { directory + "/server.key" }
    var clientCertificate: String { directory + "/client.crt" }
    var clientKey: String { directory + "/client.key" }

    static func make() throws -> TestCertificates {
        let directory = NSTemporaryDirectory() + "redstart-client-tls-\(UUID().uuidString)"
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let (status, output) = try runProgram(root.path + "/Scripts/gen-test-certs.sh", [directory])
        guard status == 0 else { throw TestFailure("gen-test-certs.sh failed: \(output)") }
        return TestCertificates(directory: directory)
    }

    /// Arguments that give a server a TLS port with these certificates.
    func serverArguments(tlsPort: Int, clientsMustAuthenticate: Bool) -> [String] {
        [
            "--tls-port", String(tlsPort), "--tls-cert-file", serverCertificate, "--tls-key-file", serverKey,
            "--tls-ca-cert-file", ca, "--tls-auth-clients", clientsMustAuthenticate ? "yes" : "no",
        ]
    }

    /// A client configuration for `port` trusting the test CA (and presenting the client
    /// certificate when `withClientCertificate`).
    func clientConfiguration(port: Int, withClientCertificate: Bool = false) throws -> RedstartClient.Configuration {
        var configuration = RedstartClient.Configuration(port: port)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(ca)
        if withClientCertificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCertificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientKey, format: .pem))
        }
        configuration.connection.tls = tls
        configuration.connection.tlsServerName = "localhost"
        configuration.reconnectTimeout = .seconds(1)
        return configuration
    }
}

@Suite struct TLSTests {
    @Test(arguments: TestServer.allCases)
    func commandsPipelinesAndSubscriptionsOverTLS(server kind: TestServer) async throws {
        let certificates = try TestCertificates.make()
        let tlsPort = freeTCPPort()
        let server = try await kind.start(certificates.serverArguments(tlsPort: tlsPort, clientsMustAuthenticate: false))
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try RedstartClient(configuration: certificates.clientConfiguration(port: tlsPort))
        try await client.execute("SET", "secret", "kept")
        #expect(try await client.execute("GET", "secret") == .bulk("kept"))
        let replies = try await client.pipeline((0..<100).map { RedisCommand(arguments: ["INCR", "n\($0 % 3)"]) })
        #expect(replies.count == 100 && replies.last == .integer(34))
        // The connection really is TLS: the server lists it on its TLS port.
        let list = try await client.execute("CLIENT", "INFO").string ?? ""
        #expect(list.contains("laddr=127.0.0.1:\(tlsPort)"))
        // Subscriptions and blocking commands get TLS connections of their own.
        let messages = try await client.subscribe(to: ["news"])
        try await client.execute("PUBLISH", "news", "over tls")
        var iterator = messages.makeAsyncIterator()
        #expect(await iterator.next()?.payload.string == "over tls")
        try await client.execute("RPUSH", "queue", "job")
        #expect(try await client.execute("BLPOP", "queue", 1) == .array([.bulk("queue"), .bulk("job")]))
        // A rediss:// URL with ?insecure skips verification (the test CA is unknown to it).
        let viaURL = try RedstartClient(url: "rediss://127.0.0.1:\(tlsPort)/0?insecure")
        #expect(try await viaURL.execute("GET", "secret") == .bulk("kept"))
        await viaURL.shutdown()
        await client.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func verificationAndClientCertificates(server kind: TestServer) async throws {
        let certificates = try TestCertificates.make()
        let tlsPort = freeTCPPort()
        let server = try await kind.start(certificates.serverArguments(tlsPort: tlsPort, clientsMustAuthenticate: true))
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        // Mutual TLS: with the client certificate, commands work.
        let trusted = try RedstartClient(
            configuration: certificates.clientConfiguration(port: tlsPort, withClientCertificate: true))
        #expect(try await trusted.execute("PING") == .simpleString("PONG"))
        await trusted.shutdown()
        // Without it, the server refuses the handshake.
        let anonymous = try RedstartClient(configuration: certificates.clientConfiguration(port: tlsPort))
        await #expect(throws: (any Error).self) { try await anonymous.execute("PING") }
        await anonymous.shutdown()
        // A server whose certificate another CA signed is refused by the client.
        let other = try TestCertificates.make()
        var wrongCA = try other.clientConfiguration(port: tlsPort, withClientCertificate: true)
        wrongCA.connection.tls?.certificateChain = try NIOSSLCertificate.fromPEMFile(certificates.clientCertificate)
            .map { .certificate($0) }
        wrongCA.connection.tls?.privateKey = .privateKey(try NIOSSLPrivateKey(file: certificates.clientKey, format: .pem))
        let untrusting = try RedstartClient(configuration: wrongCA)
        // (The handshake error, or the connection closed by it, depending on which the
        // connect sees first.)
        let error = await #expect(throws: (any Error).self) { try await untrusting.execute("PING") }
        #expect(error is NIOSSLError || error as? RedstartClientError == .connectionClosed)
        await untrusting.shutdown()
    }
}

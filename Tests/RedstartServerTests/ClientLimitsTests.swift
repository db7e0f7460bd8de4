// Server-side client handling over real sockets: idle timeout, maxclients,
// protected mode, CLIENT KILL, MONITOR, and the throttling of a client that
// does not read its replies.
import Foundation
import RedstartClient
import RedstartRESP
import RedstartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.timeLimit(.minutes(3)))
struct ClientLimitsTests {
    @Test func idleClientsAreClosedAfterTimeout() async throws {
        let server = try await ServerProcess.start(["--timeout", "1"])
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        try socket.send(Array("PING\r\n".utf8))
        _ = try socket.receive(until: "+PONG\r\n")
        #expect(socket.isClosedByPeer(within: 5))
    }

    @Test func maxclientsRefusesTheExtraClient() async throws {
        let server = try await ServerProcess.start(["--maxclients", "2"])
        defer { server.stop() }
        let first = try RawSocket(port: server.port)
        let second = try RawSocket(port: server.port)
        try first.send(Array("PING\r\n".utf8))
        try second.send(Array("PING\r\n".utf8))
        _ = try first.receive(until: "\r\n")
        _ = try second.receive(until: "\r\n")
        let third = try RawSocket(port: server.port)
        #expect(try third.receiveUntilClosed() == "-ERR max number of clients reached\r\n")
        try first.send(Array("INFO stats\r\n".utf8))
        let info = try first.receive(until: "\r\n\r\n")
        #expect(info.contains("rejected_connections:1\r\n"))
    }

    @Test func protectedModeRefusesNonLoopbackClients() async throws {
        guard let address = nonLoopbackAddress() else {
            Issue.record("this machine has no non-loopback IPv4 address to test protected mode with")
            return
        }
        let server = try await ServerProcess.start(["--bind", "0.0.0.0"])
        defer { server.stop() }
        let outside = try RawSocket(host: address, port: server.port)
        let text = try outside.receiveUntilClosed()
        #expect(text.hasPrefix("-DENIED Redis is running in protected mode because protected mode is enabled"))
        // With a password set, or protected mode off, the same client gets in.
        let open = try await ServerProcess.start(["--bind", "0.0.0.0", "--protected-mode", "no"])
        defer { open.stop() }
        let allowed = try RawSocket(host: address, port: open.port)
        try allowed.send(Array("PING\r\n".utf8))
        #expect(try allowed.receive(until: "\r\n") == "+PONG\r\n")
    }

    @Test func clientKillClosesTheOtherConnection() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let victim = try RawSocket(port: server.port)
        try victim.send(Array("CLIENT ID\r\n".utf8))
        let idLine = try victim.receive(until: "\r\n")
        let id = String(decoding: Array(idLine.utf8).dropFirst().dropLast(2), as: UTF8.self)
        let killer = try await server.connect()
        #expect(try await killer.send("CLIENT", "KILL", "ID", id) == .integer(1))
        #expect(victim.isClosedByPeer(within: 5))
        try await killer.close()
    }

    @Test func monitorStreamsOtherClientsCommands() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let monitor = try RawSocket(port: server.port)
        try monitor.send(Array("MONITOR\r\n".utf8))
        #expect(try monitor.receive(until: "\r\n") == "+OK\r\n")
        let client = try await server.connect()
        try await client.send("SET", "watched", "v a l")
        let line = try monitor.receive(until: "\r\n")
        #expect(line.hasPrefix("+"))
        #expect(line.hasSuffix("\"SET\" \"watched\" \"v a l\"\r\n"))
        #expect(line.contains(" [0 127.0.0.1:"))
        try await client.close()
    }

    @Test func aClientThatDoesNotReadIsEvictedBeforeItsRepliesExhaustMemory() async throws {
        // Replies a client has not read wait on the server (as in Redis); maxmemory-clients is
        // what stops a client that never reads from taking all the memory.
        let server = try await ServerProcess.start(["--maxmemory-clients", "64mb"])
        defer { server.stop() }
        let setup = try await server.connect()
        let value = String(repeating: "x", count: 100_000)
        try await setup.send("SET", "big", value)
        // 20,000 GETs of a 100 KB value would be 2 GB of replies; the client never reads them.
        let reader = try RawSocket(port: server.port)
        let request = Array("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".utf8)
        let batch = Array([[UInt8]](repeating: request, count: 1000).joined())
        let writer = Task.detached {
            for _ in 0..<20 { try? reader.send(batch) }
        }
        // Waits (without reading the replies) until the server evicts the client.
        var evicted = 0
        for _ in 0..<600 where evicted == 0 {
            evicted = try await infoInt(setup, "stats", "evicted_clients")
            if evicted == 0 { try await Task.sleep(nanoseconds: 50_000_000) }
        }
        #expect(evicted == 1)
        let rss = try await infoInt(setup, "memory", "used_memory_rss")
        #expect(rss < 400_000_000, "server RSS grew to \(rss) bytes")
        #expect(try await setup.send("PING") == .simpleString("PONG"))
        reader.close()
        writer.cancel()
        try await setup.close()
    }

    @Test func outputBufferLimitClosesAClientThatFallsBehind() async throws {
        let server = try await ServerProcess.start(["--client-output-buffer-limit", "normal 100kb 0 0"])
        defer { server.stop() }
        let setup = try await server.connect()
        try await setup.send("SET", "big", String(repeating: "y", count: 500_000))
        let reader = try RawSocket(port: server.port)
        let request = Array("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".utf8)
        try reader.send(Array([[UInt8]](repeating: request, count: 200).joined()))
        #expect(reader.isClosedByPeer(within: 10))
        #expect(try await setup.send("PING") == .simpleString("PONG"))
        try await setup.close()
    }

    private func infoInt(_ connection: RedstartConnection, _ section: String, _ field: String) async throws -> Int {
        let text = try await connection.send("INFO", section).string ?? ""
        let line = text.split(separator: "\r\n").first { $0.hasPrefix(field + ":") }
        return line.flatMap { Int($0.dropFirst(field.count + 1)) } ?? 0
    }
}

/// The first IPv4 address of this machine that is not loopback.
func nonLoopbackAddress() -> String? {
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0 else { return nil }
    defer { freeifaddrs(list) }
    var current = list
    while let entry = current {
        if let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) {
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            let ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            var copy = ipv4
            inet_ntop(AF_INET, &copy, &text, socklen_t(text.count))
            let string = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !string.hasPrefix("127.") { return string }
        }
        current = entry.pointee.ifa_next
    }
    return nil
}

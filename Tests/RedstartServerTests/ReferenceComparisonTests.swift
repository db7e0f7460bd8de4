// Compares Redstart with Debian's redis-server 7.0.15 started beside it: the
// command table (COMMAND INFO: arity, flags, key positions, ACL categories) and
// a few reply shapes that clients depend on.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RedstartClient
import RedstartRESP
import RedstartTestSupport
import Testing

/// A real redis-server on a free port.
final class ReferenceServer: @unchecked Sendable {
    let process = Process()
    let port = freeTCPPort()

    init() throws {
        guard let path = findProgram("redis-server") else {
            throw TestFailure("redis-server is not installed (Debian package redis-server; the test command installs it)")
        }
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--port", String(port), "--save", "", "--appendonly", "no", "--daemonize", "no"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    func connect() async throws -> RedstartConnection {
        for _ in 0..<250 {
            if let connection = try? await RedstartConnection.connect(port: port) { return connection }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw TestFailure("redis-server did not start")
    }

    deinit {
        // SIGKILL: children of test threads inherit a mask that blocks SIGTERM, and
        // redis-server (unlike redstart-server) does not unblock it.
        kill(process.processIdentifier, SIGKILL)
        while process.isRunning { usleep(10_000) }
    }
}

@Suite(.timeLimit(.minutes(2)))
struct ReferenceComparisonTests {
    /// Commands Redstart has that Redis 7.0.15 does not (added in 7.2).
    static let newerThanReference: Set<String> = ["client|setinfo", "client|no-touch"]

    @Test func commandTableMatchesRedis() async throws {
        let reference = try ReferenceServer()
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let ours = try await server.connect()
        let theirs = try await reference.connect()
        let names = try await ours.send("COMMAND", "LIST").elements?.compactMap(\.string) ?? []
        #expect(names.count > 40)
        var compared = 0
        for name in names where !Self.newerThanReference.contains(name) {
            let mine = try await ours.send("COMMAND", "INFO", name).elements?.first ?? .null
            let real = try await theirs.send("COMMAND", "INFO", name).elements?.first ?? .null
            guard let mineFields = mine.elements, let realFields = real.elements else {
                Issue.record("\(name): missing on one side (ours \(mine), redis \(real))")
                continue
            }
            #expect(mineFields[1] == realFields[1], "\(name): arity")
            #expect(Set(mineFields[2].elements ?? []) == Set(realFields[2].elements ?? []), "\(name): flags")
            #expect(Array(mineFields[3...5]) == Array(realFields[3...5]), "\(name): first/last/step")
            #expect(Set(mineFields[6].elements ?? []) == Set(realFields[6].elements ?? []), "\(name): ACL categories")
            #expect(mineFields[7] == realFields[7], "\(name): tips")
            #expect(mineFields[8] == realFields[8], "\(name): key specs")
            compared += 1
        }
        #expect(compared == names.count - names.filter(Self.newerThanReference.contains).count)
        try await ours.close()
        try await theirs.close()
    }

    @Test func sameRepliesForTheSameRequests() async throws {
        let reference = try ReferenceServer()
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let ours = try await server.connect()
        let theirs = try await reference.connect()
        let script: [[String]] = [
            ["PING"], ["PING", "hello"], ["ECHO", "x"], ["SET", "k", "v"], ["GET", "k"], ["SET", "k", "w", "GET"],
            ["SET", "k", "z", "NX"], ["SET", "n", "1", "XX"], ["SET", "k", "v", "EX", "0"], ["SET", "k", "v", "PX", "abc"],
            ["SET", "k", "v", "KEEPTTL", "EX", "5"], ["SET", "k"], ["EXISTS", "k", "k", "nope"], ["DEL", "k", "nope"],
            ["GET", "k"], ["SELECT", "20"], ["SELECT", "x"], ["CONFIG", "GET", "maxmemory-policy"],
            ["CONFIG", "SET", "maxclients", "x"], ["CONFIG", "SET", "nosuch", "1"], ["CONFIG", "FOO"],
            ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", "bad name"], ["CLIENT", "NOSUCH"], ["NOSUCH", "a", "b"],
            ["HELLO", "4"], ["HELLO", "x"], ["AUTH", "nopass"], ["COMMAND", "GETKEYS", "GET", "key"],
            ["COMMAND", "GETKEYS", "PING"], ["COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v"],
            ["COMMAND", "GETKEYSANDFLAGS", "DEL", "a", "b"], ["COMMAND", "GETKEYS", "CONFIG", "NOSUCH"],
            ["COMMAND", "GETKEYS", "MEMORY", "USAGE", "key"], ["COMMAND", "GETKEYS", "GET"], ["SLOWLOG", "GET", "-5"], ["MEMORY", "USAGE", "missing"],
            ["CLIENT", "PAUSE", "-5"], ["CLIENT", "KILL", "1.2.3.4:5"], ["LATENCY", "HISTORY", "nothing"],
            ["DBSIZE"], ["CLIENT", "REPLY", "FOO"],
        ]
        for command in script {
            let mine = try await ours.send(strings: command)
            let real = try await theirs.send(strings: command)
            #expect(mine == real, "\(command.joined(separator: " ")): ours \(mine), redis \(real)")
        }
        try await ours.close()
        try await theirs.close()
    }
}

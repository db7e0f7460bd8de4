// Start-up and shutdown of the real redstart-server binary: log lines in
// Redis's format, config file and command-line directives, refusals of bad
// or unsupported directives (exit status 1), graceful SIGTERM and SHUTDOWN.
import Foundation
import RedstartClient
import RedstartRESP
import RedstartTestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct StartupTests {
    @Test func logsInRedisFormatAndStopsOnSigterm() async throws {
        let server = try await ServerProcess.start(["--save", "", "--appendonly", "no"])
        #expect(server.stop() == 0)
        let log = server.readOutput()
        let pid = server.process.processIdentifier
        // pid:role dd Mon yyyy HH:MM:SS.mmm <mark> message
        let line = try Regex(#"^\d+:[CM] \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] "#)
        let lines = log.split(separator: "\n")
        #expect(!lines.isEmpty)
        for entry in lines { #expect(entry.contains(line), "not in Redis's format: \(entry)") }
        #expect(log.contains("\(pid):M "))
        #expect(log.contains("* Ready to accept connections"))
        #expect(log.contains("port=\(server.port)"))
        #expect(log.contains("# Received SIGTERM scheduling shutdown..."))
        #expect(log.contains("ready to exit, bye bye..."))
    }

    @Test func shutdownCommandStopsTheServer() async throws {
        let server = try await ServerProcess.start()
        let connection = try await server.connect()
        // SHUTDOWN has no reply when it succeeds: the connection closes.
        await #expect(throws: (any Error).self) { try await connection.send("SHUTDOWN", "NOSAVE") }
        #expect(try await server.waitForExit() == 0)
        #expect(server.readOutput().contains("User requested shutdown..."))
    }

    @Test func badDirectiveStopsStartupNamingTheLine() async throws {
        let file = try TemporaryFile("port 7777\n# comment\nnosuchdirective yes\n")
        let server = try ServerProcess(configFile: file.path)
        #expect(try await server.waitForExit() == 1)
        let output = server.readOutput()
        #expect(output.contains("*** FATAL CONFIG FILE ERROR"))
        #expect(output.contains("Reading the configuration file, at line 3"))
        #expect(output.contains(">>> 'nosuchdirective yes'"))
        #expect(output.contains("Bad directive or wrong number of arguments"))
    }

    @Test func badValueAndUnbuiltFeatureAreRefused() async throws {
        let bad = try ServerProcess(arguments: ["--maxclients", "lots"])
        #expect(try await bad.waitForExit() == 1)
        #expect(bad.readOutput().contains("argument couldn't be parsed into an integer"))
        let cluster = try ServerProcess(arguments: ["--cluster-enabled", "yes"])
        #expect(try await cluster.waitForExit() == 1)
        #expect(cluster.readOutput().contains(">>> 'cluster-enabled \"yes\"'"))
        #expect(cluster.readOutput().contains("not supported yet"))
    }

    @Test func configFileWithIncludeQuotingAndCommandLineOverride() async throws {
        let included = try TemporaryFile("maxclients 77\n")
        let file = try TemporaryFile(
            """
            # a comment
            timeout 0
            include \(included.path)
            requirepass "pass word"
            slowlog-max-len 5\r
            save ""
            appendonly no
            hz 15
            """)
        let server = try ServerProcess(arguments: ["--hz", "20", "--save"], configFile: file.path)
        defer { server.stop() }
        try await waitUntilAnswers(server)
        let connection = try await server.connect()
        #expect(try await connection.send("AUTH", "pass word") == .simpleString("OK"))
        #expect(try await connection.send("CONFIG", "GET", "maxclients") == .array([.bulk("maxclients"), .bulk("77")]))
        #expect(try await connection.send("CONFIG", "GET", "slowlog-max-len") == .array([.bulk("slowlog-max-len"), .bulk("5")]))
        #expect(try await connection.send("CONFIG", "GET", "hz") == .array([.bulk("hz"), .bulk("20")]))
        #expect(try await connection.send("CONFIG", "GET", "save") == .array([.bulk("save"), .bulk("")]))
        let info = try await connection.send("INFO", "server").string ?? ""
        #expect(info.contains("config_file:\(file.path)"))
        try await connection.close()
    }

    @Test func configRewriteKeepsTheFileInStep() async throws {
        let file = try TemporaryFile("# keep this comment\nmaxclients 50\nmaxclients 60\nappendonly no\n")
        let server = try await ServerProcess.start([], configFile: file.path)
        defer { server.stop() }
        let connection = try await server.connect()
        #expect(try await connection.send("CONFIG", "SET", "maxclients", "123", "slowlog-max-len", "9") == .simpleString("OK"))
        #expect(try await connection.send("CONFIG", "REWRITE") == .simpleString("OK"))
        let text = try file.read()
        #expect(text.contains("# keep this comment"))
        #expect(text.contains("maxclients 123"))
        #expect(!text.contains("maxclients 60"))
        #expect(text.contains("slowlog-max-len 9"))
        try await connection.close()
        // The rewritten file starts a server with the same settings.
        server.stop()
        let again = try await ServerProcess.start([], configFile: file.path)
        defer { again.stop() }
        let check = try await again.connect()
        #expect(try await check.send("CONFIG", "GET", "maxclients") == .array([.bulk("maxclients"), .bulk("123")]))
        try await check.close()
    }

    @Test func twoServersOnDifferentPorts() async throws {
        let first = try await ServerProcess.start()
        let second = try await ServerProcess.start()
        defer {
            first.stop()
            second.stop()
        }
        let a = try await first.connect()
        let b = try await second.connect()
        try await a.send("SET", "k", "first")
        try await b.send("SET", "k", "second")
        #expect(try await a.send("GET", "k") == .bulk("first"))
        #expect(try await b.send("GET", "k") == .bulk("second"))
        try await a.close()
        try await b.close()
    }

    @Test func portInUseIsReportedAndExits() async throws {
        let first = try await ServerProcess.start()
        defer { first.stop() }
        let clash = try ServerProcess(port: first.port)
        #expect(try await clash.waitForExit() == 1)
        #expect(clash.readOutput().contains("Address already in use"))
    }

    /// Waits until a server that needs AUTH answers at all.
    private func waitUntilAnswers(_ server: ServerProcess) async throws {
        for _ in 0..<500 {
            if let connection = try? await server.connect() {
                try? await connection.close()
                return
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw TestFailure("server never accepted a connection")
    }
}

@Suite(.timeLimit(.minutes(2)))
struct RuntimeConfigTests {
    @Test func logfileAndPidfileAreWritten() async throws {
        let directory = NSTemporaryDirectory() + "redstart-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await ServerProcess.start([
            "--dir", directory, "--logfile", "server.log", "--pidfile", directory + "/server.pid",
        ])
        let pid = try String(contentsOfFile: directory + "/server.pid", encoding: .utf8)
        #expect(pid == "\(server.process.processIdentifier)\n")
        let connection = try await server.connect()
        #expect(try await connection.send("CONFIG", "GET", "dir") == .array([.bulk("dir"), .bulk(directory)]))
        try await connection.close()
        #expect(server.stop() == 0)
        let log = try String(contentsOfFile: directory + "/server.log", encoding: .utf8)
        #expect(log.contains("Ready to accept connections"))
        #expect(log.contains("Removing the pid file."))
        #expect(!FileManager.default.fileExists(atPath: directory + "/server.pid"))
    }

    @Test func configSetPortMovesTheListener() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let connection = try await server.connect()
        let newPort = freeTCPPort()
        #expect(try await connection.send("CONFIG", "SET", "port", String(newPort)) == .simpleString("OK"))
        let moved = try await RedstartConnection.connect(port: newPort)
        #expect(try await moved.send("CONFIG", "GET", "port") == .array([.bulk("port"), .bulk(String(newPort))]))
        #expect(try await moved.send("INFO", "server").string?.contains("tcp_port:\(newPort)") == true)
        await #expect(throws: (any Error).self) { _ = try await RedstartConnection.connect(port: server.port) }
        // Existing connections stay open.
        #expect(try await connection.send("PING") == .simpleString("PONG"))
        try await moved.close()
        try await connection.close()
    }

    @Test func queryBufferLimitClosesAnOversizedClient() async throws {
        let server = try await ServerProcess.start(["--client-query-buffer-limit", "1mb"])
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        // A 4 MB bulk that is still arriving: the unparsed input passes the 1 MB limit.
        try socket.send(Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4000000\r\n".utf8))
        try socket.send([UInt8](repeating: 65, count: 2_000_000))
        #expect(socket.isClosedByPeer(within: 5))
        let connection = try await server.connect()
        #expect(try await connection.send("PING") == .simpleString("PONG"))
        try await connection.close()
    }

    @Test func unixSocketListener() async throws {
        let path = NSTemporaryDirectory() + "redstart-\(UUID().uuidString.prefix(8)).sock"
        let server = try await ServerProcess.start(["--unixsocket", path, "--unixsocketperm", "700"])
        defer { server.stop() }
        guard let cli = findProgram("redis-cli") else { throw TestFailure("redis-cli is not installed") }
        #expect(try runProgram(cli, ["-s", path, "PING"]).output == "PONG\n")
        let list = try runProgram(cli, ["-s", path, "CLIENT", "INFO"]).output
        #expect(list.contains("flags=U"))
    }
}

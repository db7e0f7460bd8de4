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
        let aof = try ServerProcess(arguments: ["--appendonly", "yes"])
        #expect(try await aof.waitForExit() == 1)
        #expect(aof.readOutput().contains(">>> 'appendonly \"yes\"'"))
        #expect(aof.readOutput().contains("not supported yet"))
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

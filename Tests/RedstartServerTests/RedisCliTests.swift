// Debian's redis-cli against the real binary: one-shot commands, the
// interactive mode fed from stdin, RESP3 (-3), and its hints, which come from
// COMMAND DOCS.
import Foundation
import RedstartRESP
import RedstartTestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct RedisCliTests {
    let cli: String

    init() throws {
        guard let path = findProgram("redis-cli") else {
            throw TestFailure("redis-cli is not installed (Debian package redis-tools; the test command installs it)")
        }
        cli = path
    }

    @Test func oneShotCommands() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let port = String(server.port)
        #expect(try runProgram(cli, ["-p", port, "PING"]).output == "PONG\n")
        #expect(try runProgram(cli, ["-p", port, "SET", "greeting", "hello world"]).output == "OK\n")
        #expect(try runProgram(cli, ["-p", port, "GET", "greeting"]).output == "hello world\n")
        #expect(try runProgram(cli, ["-p", port, "GET", "nothing"]).output == "\n")
        #expect(try runProgram(cli, ["-p", port, "--no-raw", "GET", "nothing"]).output == "(nil)\n")
        #expect(try runProgram(cli, ["-p", port, "NOSUCHCOMMAND"]).output.hasPrefix("ERR unknown command 'NOSUCHCOMMAND'"))
        #expect(try runProgram(cli, ["-p", port, "CONFIG", "GET", "port"]).output == "port\n\(port)\n")
        #expect(try runProgram(cli, ["-p", port, "--no-raw", "DBSIZE"]).output == "(integer) 1\n")
    }

    @Test func interactiveModeReadsCommandsFromStdin() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let result = try runProgram(
            cli, ["-p", String(server.port)], input: "SET a 1\nGET a\nCLIENT SETNAME me\nCLIENT GETNAME\nEXISTS a b\n")
        #expect(result.output == "OK\n1\nOK\nme\n1\n")
    }

    @Test func resp3Mode() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let result = try runProgram(cli, ["-3", "-p", String(server.port), "--no-raw", "HELLO", "3"])
        #expect(result.output.contains("1# \"server\" => \"redis\""))
        #expect(result.output.contains("3# \"proto\" => (integer) 3"))
    }

    @Test func authAndSelectFromTheCommandLine() async throws {
        let server = try await ServerProcess.start(["--requirepass", "s3cret"])
        defer { server.stop() }
        let port = String(server.port)
        #expect(try runProgram(cli, ["-p", port, "PING"]).output.contains("NOAUTH Authentication required."))
        #expect(try runProgram(cli, ["-p", port, "-a", "s3cret", "--no-auth-warning", "-n", "3", "SET", "x", "1"]).output == "OK\n")
        #expect(try runProgram(cli, ["-p", port, "--user", "default", "--pass", "s3cret", "--no-auth-warning", "-n", "3", "GET", "x"]).output == "1\n")
    }

    @Test func commandDocsGiveRedisCliItsHints() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let output = try runProgram(cli, ["-p", String(server.port), "--json", "COMMAND", "DOCS", "set"]).output
        #expect(output.contains("\"summary\""))
        #expect(output.contains("\"arguments\""))
    }
}

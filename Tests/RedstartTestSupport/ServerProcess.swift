// Starts the real redstart-server binary on a free port for integration tests,
// waits until it answers PING, and stops it afterwards. Also runs other
// programs (redis-cli, python3) and collects their output.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RedstartClient
import RedstartRESP

/// A redstart-server process started by a test.
public final class ServerProcess: @unchecked Sendable {
    public let port: Int
    public let process: Process
    private let output: Pipe
    /// Whether this is redstart-server (another server, such as redis-server, is killed
    /// with SIGKILL: Foundation's Process starts children with SIGTERM blocked, and only
    /// redstart-server unblocks it).
    private let isRedstart: Bool
    /// The server's working directory, removed when this object goes.
    private let directory: URL

    /// The built server binary (next to the test bundle in .build/<config>/).
    public static var binaryPath: String {
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidate = bundle.appendingPathComponent("redstart-server").path
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        var directory = URL(fileURLWithPath: #filePath)
        while directory.path != "/" {
            directory.deleteLastPathComponent()
            let built = directory.appendingPathComponent(".build/debug/redstart-server").path
            if FileManager.default.fileExists(atPath: built) { return built }
        }
        return "redstart-server"
    }

    /// Debian's redis-server, for tests that compare or run against the real Redis.
    public static let redisServerPath = findProgram("redis-server") ?? "/usr/bin/redis-server"

    /// Starts a server (`executable`: redstart-server unless given) with `arguments` after
    /// `--port <free>` (plus `--save "" --appendonly no`).
    public init(arguments: [String] = [], configFile: String? = nil, port: Int? = nil, executable: String? = nil) throws {
        self.port = port ?? freeTCPPort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? Self.binaryPath)
        isRedstart = executable == nil
        var all: [String] = []
        if let configFile { all.append(configFile) }
        all += ["--port", String(self.port), "--save", "", "--appendonly", "no"] + arguments
        process.arguments = all
        // A directory of its own: a server writes dump.rdb (a replica's full sync, SHUTDOWN
        // SAVE) where it runs, and every later server started there would load it.
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("redstart-test-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process.currentDirectoryURL = directory
        output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    /// Waits until the server answers PING (up to `timeout` seconds).
    public func waitUntilReady(timeout: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !process.isRunning { throw TestFailure("server exited early:\n\(readOutput())") }
            if let connection = try? await RedstartConnection.connect(port: port) {
                let reply = try? await connection.send("PING")
                // The answer must come from this process: another test's server may hold the
                // port (both chose it; this one then fails to bind and exits).
                var ours = true
                if reply == .simpleString("PONG"), let info = try? await connection.send("INFO", "server"),
                    let text = info.string
                {
                    ours = text.contains("process_id:\(process.processIdentifier)\r\n")
                }
                try? await connection.close()
                if !ours { throw TestFailure("Address already in use: another server answers on port \(port)") }
                // A server with requirepass answers NOAUTH: it is up all the same.
                if reply == .simpleString("PONG") || reply?.string?.hasPrefix("NOAUTH") == true { return }
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw TestFailure("server did not answer PING within \(timeout)s")
    }

    /// A started and ready server. A port taken by someone else between choosing it and
    /// binding it (tests run in parallel) is retried with another port.
    public static func start(
        _ arguments: [String] = [], configFile: String? = nil, port: Int? = nil, executable: String? = nil
    ) async throws -> ServerProcess {
        var attempt = 0
        while true {
            let server = try ServerProcess(arguments: arguments, configFile: configFile, port: port, executable: executable)
            do {
                try await server.waitUntilReady()
                return server
            } catch {
                attempt += 1
                guard attempt < 5, server.readOutput().contains("Address already in use")
                    || "\(error)".contains("Address already in use")
                else { throw error }
                _ = server.stop()
            }
        }
    }

    /// Opens a client connection.
    public func connect() async throws -> RedstartConnection {
        try await RedstartConnection.connect(port: port)
    }

    /// Sends SIGTERM and waits for the process to exit; returns its status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning {
            if isRedstart { process.terminate() } else { kill(process.processIdentifier, SIGKILL) }
            // Poll rather than waitUntilExit(), which can hang when called from a
            // Swift concurrency thread on Linux.
            var waited = 0
            while process.isRunning && waited < 10_000 {
                usleep(10_000)
                waited += 10
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            while process.isRunning { usleep(10_000) }
        }
        return process.terminationStatus
    }

    /// Sends the stop signal and waits for the exit without holding a thread: Foundation
    /// notices a child's exit on a Dispatch thread of the same small pool that runs Swift
    /// concurrency, so tests that block in `stop()` in parallel can starve it.
    @discardableResult
    public func stopAndWait() async -> Int32 {
        if process.isRunning {
            if isRedstart { process.terminate() } else { kill(process.processIdentifier, SIGKILL) }
            var waited = 0
            while process.isRunning {
                try? await Task.sleep(nanoseconds: 10_000_000)
                waited += 10
                if waited == 10_000 { kill(process.processIdentifier, SIGKILL) }
            }
        }
        return process.terminationStatus
    }

    /// Waits for the process to exit by itself (up to `timeout` seconds).
    public func waitForExit(timeout: Double = 10) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { throw TestFailure("server did not exit") }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return process.terminationStatus
    }

    private var collected = ""

    /// Everything the server printed (call once it has exited; later calls return the same text).
    public func readOutput() -> String {
        if !process.isRunning {
            collected += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        return collected
    }

    /// A server still running when dropped is signalled, not waited for (see stopAndWait).
    /// Its directory goes either way (a test run left ~140 of them in the temporary
    /// directory): one still running keeps its working directory's inode until it exits.
    deinit {
        if process.isRunning {
            if isRedstart { process.terminate() } else { kill(process.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs a program to completion; returns (status, stdout+stderr).
@discardableResult
public func runProgram(_ path: String, _ arguments: [String], input: String? = nil, timeout: Double = 60) throws -> (
    status: Int32, output: String
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let stdin = Pipe()
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    while process.isRunning { usleep(5_000) }
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The full path of a program on PATH, or nil.
public func findProgram(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// A failure raised by test helpers.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

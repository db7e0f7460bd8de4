// The two servers every client and jobs test runs against: Redstart and Debian's
// redis-server, started the same way on a free port.
import Foundation
import RedstartClient

public enum TestServer: String, CaseIterable, CustomStringConvertible, Sendable {
    case redstart, redis

    public var description: String { rawValue }

    public var executable: String? { self == .redis ? ServerProcess.redisServerPath : nil }

    /// A started server of this kind. Starts are taken one at a time: Foundation's
    /// Process blocks a thread while it launches, and dozens of parallel tests doing so at
    /// once starve the two-thread concurrency pool of this machine.
    public func start(_ arguments: [String] = [], port: Int? = nil) async throws -> ServerProcess {
        try await StartGate.shared.start(arguments, port: port, executable: executable)
    }
}

/// Serializes server starts (see TestServer.start).
public actor StartGate {
    public static let shared = StartGate()

    public func start(_ arguments: [String], port: Int?, executable: String?) async throws -> ServerProcess {
        try await ServerProcess.start(arguments, port: port, executable: executable)
    }
}

extension ServerProcess {
    /// A client of this server with `adjust` applied to its configuration.
    public func client(_ adjust: (inout RedstartClient.Configuration) -> Void = { _ in }) throws -> RedstartClient {
        var configuration = RedstartClient.Configuration(port: port)
        adjust(&configuration)
        return try RedstartClient(configuration: configuration)
    }
}

/// Waits until `condition` holds (polling every 10 ms, up to `seconds`).
public func waitUntil(_ seconds: Double = 10, _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + .milliseconds(Int(seconds * 1000))
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TestFailure("condition not met within \(seconds)s")
}

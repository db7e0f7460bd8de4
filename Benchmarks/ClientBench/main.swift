// redstart-client-bench: requests per second of RedstartClient for one command (GET or
// SET of a small value) from N concurrent tasks sharing one client, for a fixed time.
// Benchmarks/client_bench.py runs it beside redis-py (with hiredis) against the same
// server and prints the ratios; run it from there rather than alone.
//
// Usage: redstart-client-bench [--url redis://127.0.0.1:6379] [--tasks 1] [--seconds 5]
//                              [--command get|set] [--connections 1] [--executor pool|loop]
// --executor loop runs the tasks on the client's event loop (client.taskExecutor), as a
// latency-minded application would; pool (the default) on Swift's global executor.
import Foundation
import RedstartClient

struct BenchOptions {
    var url = "redis://127.0.0.1:6379"
    var tasks = 1
    var seconds = 5.0
    var command = "get"
    var connections = 1
    var onLoop = false

    init(_ arguments: [String]) {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { Self.usage("\(flag) needs a value") }
            switch flag {
            case "--url": url = value
            case "--tasks": tasks = Self.number(value, flag)
            case "--seconds":
                guard let number = Double(value), number > 0 else { Self.usage("--seconds: not a positive number") }
                seconds = number
            case "--command": command = value.lowercased()
            case "--connections": connections = Self.number(value, flag)
            case "--executor":
                guard value == "pool" || value == "loop" else { Self.usage("--executor is pool or loop") }
                onLoop = value == "loop"
            default: Self.usage("unknown option \(flag)")
            }
        }
        guard command == "get" || command == "set" else { Self.usage("--command is get or set") }
    }

    static func number(_ text: String, _ flag: String) -> Int {
        guard let value = Int(text), value > 0 else { usage("\(flag): not a positive number") }
        return value
    }

    static func usage(_ message: String) -> Never {
        FileHandle.standardError.write(Data("redstart-client-bench: \(message)\n".utf8))
        exit(2)
    }
}

/// The command each request sends: the same key every time, as redis-benchmark does.
func makeCommand(_ name: String) -> RedisCommand {
    var command = RedisCommand(name.uppercased())
    command.appendKey("bench:key")
    if name == "set" { command.append("xxx") }
    return command
}

let options = BenchOptions(Array(CommandLine.arguments.dropFirst()))
var configuration = try RedstartClient.Configuration(url: options.url)
configuration.multiplexedConnections = options.connections
let client = try RedstartClient(configuration: configuration)
try await client.execute("SET", "bench:key", "xxx")
let command = makeCommand(options.command)

// Warm up the connection and the code paths, then measure.
for _ in 0..<2_000 { _ = try await client.execute(command) }
let clock = ContinuousClock()
let start = clock.now
let deadline = start.advanced(by: .milliseconds(Int(options.seconds * 1000)))
/// Runs `tasks` loops of `command` on `client` until `deadline`; the requests they made.
func runTasks(_ tasks: Int, _ command: RedisCommand, on client: RedstartClient,
              executor: (any TaskExecutor)?, until deadline: ContinuousClock.Instant) async throws -> Int {
    try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<tasks {
            group.addTask(executorPreference: executor) {
                var count = 0
                // Check the clock every 64 requests: reading it is not free at 100k+ req/s.
                repeat {
                    for _ in 0..<64 { _ = try await client.execute(command) }
                    count += 64
                } while ContinuousClock.now < deadline
                return count
            }
        }
        var total = 0
        for try await count in group { total += count }
        return total
    }
}
let total = try await runTasks(
    options.tasks, command, on: client, executor: options.onLoop ? client.taskExecutor : nil, until: deadline)
let elapsed = start.duration(to: clock.now)
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
await client.shutdown()
print("\(options.command.uppercased()) tasks=\(options.tasks) executor=\(options.onLoop ? "loop" : "pool"): \(Int(Double(total) / seconds)) requests/s")

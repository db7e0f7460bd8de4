// `--latency` and `--latency-history`: PING every 10 ms and report the minimum, maximum
// and average round trip in milliseconds, as redis-cli 7.0.15 does:
// - standard output (a terminal): one line rewritten after every sample,
//   "min: 0, max: 1, avg: 0.19 (123 samples)"; with --latency-history the line is
//   closed every interval (-i seconds, default 15) by " -- 15.01 seconds range" and
//   the figures start again;
// - --raw or --csv (or stdout not a terminal): `min max avg count` (or comma-separated)
//   once, after the interval (-i, default 1 s), then exit; with --latency-history a
//   line after every sample, and the range lines.
// The server going away is "Reconnecting..." (ReconnectingCommand), not an error.
import Glibc

enum LatencyMode {
    static let sampleIntervalMicroseconds: UInt32 = 10_000

    static func run(_ connection: CLIConnection, _ options: CLIOptions) -> Never {
        let history = options.tools.latencyHistory
        let intervalMilliseconds = options.intervalMicroseconds / 1000
        let historyInterval = options.intervalMicroseconds != 0 ? intervalMilliseconds : 15_000
        let reportInterval = options.intervalMicroseconds != 0 ? intervalMilliseconds : 1000
        var command = ReconnectingCommand(connection, options)
        var historyStart = WallClock.milliseconds
        var minimum: Int64 = 0
        var maximum: Int64 = 0
        var total: Int64 = 0
        var count: Int64 = 0
        while true {
            let start = WallClock.milliseconds
            _ = command.call([Array("PING".utf8)])
            let latency = WallClock.milliseconds - start
            count += 1
            if count == 1 {
                (minimum, maximum, total) = (latency, latency, latency)
            } else {
                minimum = min(minimum, latency)
                maximum = max(maximum, latency)
                total += latency
            }
            let average = Double(total) / Double(count)
            if options.output == .standard {
                CLIOutput.write("\u{1B}[0G\u{1B}[2K")
                report(minimum, maximum, average, count, options)
            } else if history {
                report(minimum, maximum, average, count, options)
            } else if WallClock.milliseconds - historyStart > reportInterval {
                report(minimum, maximum, average, count, options)
                CLIOutput.exit(0)
            }
            if history && WallClock.milliseconds - historyStart > historyInterval {
                CLIOutput.write(
                    CFormat.string(" -- %.2f seconds range\n", Double(WallClock.milliseconds - historyStart) / 1000)
                )
                CLIOutput.flush()
                historyStart = WallClock.milliseconds
                (minimum, maximum, total, count) = (0, 0, 0, 0)
            }
            usleep(sampleIntervalMicroseconds)
        }
    }

    /// One report in the output's format.
    private static func report(
        _ minimum: Int64,
        _ maximum: Int64,
        _ average: Double,
        _ count: Int64,
        _ options: CLIOptions
    ) {
        let averageText = CFormat.string("%.2f", average)
        switch options.output {
        case .standard:
            CLIOutput.write("min: \(minimum), max: \(maximum), avg: \(averageText) (\(count) samples)")
            CLIOutput.flush()
        case .csv:
            CLIOutput.write("\(minimum),\(maximum),\(averageText),\(count)\n")
        case .raw:
            CLIOutput.write("\(minimum) \(maximum) \(averageText) \(count)\n")
        case .json:
            CLIOutput.write("{\"min\": \(minimum), \"max\": \(maximum), \"avg\": \(averageText), \"count\": \(count)}\n")
        case .quotedJSON:
            break  // redis-cli prints nothing here either
        }
    }
}

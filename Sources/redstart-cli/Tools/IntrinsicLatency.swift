// `--intrinsic-latency <seconds>`: measures how long this machine keeps a busy process
// from running (no server involved): a short computation is timed in a loop for the
// given time, and every new worst case is printed, then the run count, the average
// time per run and how much longer the worst run took; redis-cli 7.0.15's texts.
// Ctrl-C ends the test early with the same summary.
import Glibc

enum IntrinsicLatency {
    /// Where the computation's result goes, so the optimiser must compute it.
    nonisolated(unsafe) private static var result: UInt64 = 0

    static func run(seconds: Int32) -> Never {
        StopRequest.install()
        let runTime = Int64(seconds) * 1_000_000
        let end = WallClock.microseconds + runTime
        var worst: Int64 = 0
        var runs: Int64 = 0
        var sink: UInt64 = 0
        while true {
            let start = WallClock.microseconds
            sink = busyWork(sink)
            let finish = WallClock.microseconds
            let latency = finish - start
            runs += 1
            if latency <= 0 { continue }
            if latency > worst {
                worst = latency
                CLIOutput.write("Max latency so far: \(worst) microseconds.\n")
                CLIOutput.flush()
            }
            let averageMicroseconds = Double(runTime) / Double(runs)
            if StopRequest.isRequested || finish > end {
                CLIOutput.write(
                    CFormat.string(
                        "\n%lld total runs (avg latency: %.4f microseconds / %.2f nanoseconds per run).\n",
                        runs,
                        averageMicroseconds,
                        averageMicroseconds * 1e3
                    )
                )
                CLIOutput.write(
                    CFormat.string(
                        "Worst run took %.0fx longer than the average latency.\n",
                        Double(worst) / averageMicroseconds
                    )
                )
                result = sink
                CLIOutput.exit(0)
            }
        }
    }

    /// A few hundred cheap steps whose result is used, so they are not optimised away.
    private static func busyWork(_ seed: UInt64) -> UInt64 {
        var state = seed | 1
        for step in 0..<500 {
            state = state &* 6_364_136_223_846_793_005 &+ UInt64(step)
            state ^= state >> 29
        }
        return state
    }
}

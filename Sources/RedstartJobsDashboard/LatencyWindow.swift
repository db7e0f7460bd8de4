// Enqueue-to-start and run times of the jobs completed since the last chart sample, taken
// from the completion events (`waited_ms`, `ran_ms`), and their percentiles.
import NIOConcurrencyHelpers

final class LatencyWindow: Sendable {
    /// At most this many of each are kept per interval (a uniform sample beyond it).
    static let capacity = 20_000

    private struct Values {
        var waits: [Double] = []
        var runs: [Double] = []
        var seen = 0
    }

    private let values = NIOLockedValueBox(Values())

    func record(waitedMilliseconds: Int64, ranMilliseconds: Int64) {
        values.withLockedValue { values in
            values.seen += 1
            if values.waits.count < Self.capacity {
                values.waits.append(Double(waitedMilliseconds))
                values.runs.append(Double(ranMilliseconds))
            } else {
                // Reservoir sampling: every completion equally likely to be kept.
                let slot = Int.random(in: 0..<values.seen)
                if slot < Self.capacity {
                    values.waits[slot] = Double(waitedMilliseconds)
                    values.runs[slot] = Double(ranMilliseconds)
                }
            }
        }
    }

    /// The interval's p50 and p99 of waits and runs (nil when nothing completed), and a
    /// new interval begun.
    func drain() -> LatencyPercentiles {
        let taken = values.withLockedValue { values -> Values in
            defer { values = Values() }
            return values
        }
        let waits = taken.waits.sorted()
        let runs = taken.runs.sorted()
        return LatencyPercentiles(
            waitP50: Self.percentile(50, of: waits), waitP99: Self.percentile(99, of: waits),
            runP50: Self.percentile(50, of: runs), runP99: Self.percentile(99, of: runs))
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile(_ p: Double, of sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }
}

/// An interval's latency percentiles, ms (nil: nothing completed).
struct LatencyPercentiles: Sendable {
    var waitP50: Double?
    var waitP99: Double?
    var runP50: Double?
    var runP99: Double?
}

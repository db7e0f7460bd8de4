// Per-command latency distribution for INFO latencystats (latency-tracking):
// a log-linear histogram of nanoseconds from 1 ns to 1 s, 32 buckets per power
// of two (about 3% resolution, like Redis's 2-significant-digit HDR histogram).
// Recording is a few instructions; storage is allocated on the first record.

/// A latency histogram.
public struct LatencyHistogram {
    static let subBuckets = 32
    static let octaves = 31  // 2^30 ns is just over a second
    private var counts: [UInt32] = []
    /// Values recorded.
    public private(set) var total: UInt64 = 0

    public init() {}

    /// Records one latency of `nanoseconds` (clamped to 1 ns ... ~1 s).
    @inline(__always)
    public mutating func record(nanoseconds: Int64) {
        if counts.isEmpty { counts = [UInt32](repeating: 0, count: Self.subBuckets * Self.octaves) }
        let value = UInt64(max(1, min(nanoseconds, (1 << 30) - 1)))
        counts[Self.bucket(value)] &+= 1
        total += 1
    }

    /// Bucket of a value: its power of two, then the next 5 bits below the top bit.
    @inline(__always)
    static func bucket(_ value: UInt64) -> Int {
        let octave = 63 - value.leadingZeroBitCount
        if octave < 5 { return Int(value) }  // small values are exact
        let fraction = Int((value >> UInt64(octave - 5)) & 31)
        return (octave - 4) * subBuckets + fraction
    }

    /// The largest value that falls in bucket `index`.
    static func upperBound(_ index: Int) -> UInt64 {
        if index < subBuckets { return UInt64(index) }
        let octave = index / subBuckets + 4
        let fraction = UInt64(index % subBuckets)
        return ((32 + fraction + 1) << UInt64(octave - 5)) - 1
    }

    /// The value at `percentile` (0...100), in nanoseconds.
    public func value(atPercentile percentile: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let wanted = max(1, UInt64((percentile / 100 * Double(total)).rounded(.up)))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += UInt64(count)
            if seen >= wanted { return Self.upperBound(index) }
        }
        return Self.upperBound(counts.count - 1)
    }

    /// LATENCY HISTOGRAM's points, as Redis walks its HDR histogram from 1,024 ns by powers
    /// of two: at each point (in microseconds: the point plus the width of the value range
    /// a 2-significant-digit histogram gives it there, over 1,000) the number of calls at
    /// or below it, where that number grew, up to the last call.
    public func cumulativeCountsAtPowersOfTwo() -> [(microseconds: Int64, count: UInt64)] {
        var points: [(Int64, UInt64)] = []
        var seen: UInt64 = 0
        var bucket = 0
        var step = 0
        while seen < total && step < 40 {
            let point: UInt64 = 1024 << UInt64(step)
            let highest = point + (point >> 7) - 1
            let previous = seen
            while bucket < counts.count && Self.lowerBound(bucket) <= highest {
                seen += UInt64(counts[bucket])
                bucket += 1
            }
            if seen > previous { points.append((Int64(highest / 1000), seen)) }
            step += 1
        }
        return points
    }

    /// The smallest value that falls in bucket `index`.
    static func lowerBound(_ index: Int) -> UInt64 {
        if index < subBuckets { return UInt64(index) }
        let octave = index / subBuckets + 4
        let fraction = UInt64(index % subBuckets)
        return (32 + fraction) << UInt64(octave - 5)
    }

    /// Forgets everything (CONFIG RESETSTAT).
    public mutating func reset() {
        counts = []
        total = 0
    }
}

// The latency monitor: for each event (command, fast-command, ...) the
// latency spikes at or above latency-monitor-threshold, one sample per second
// (the highest), at most 160 per event, plus the all-time maximum.

/// One latency sample: unix seconds and milliseconds.
public struct LatencySample {
    public var time: Int64
    public var latency: Int64
}

/// The history of one event.
public struct LatencyEventHistory {
    public var samples: [LatencySample] = []
    public var maxLatency: Int64 = 0
}

/// Latency spikes by event name.
public struct LatencyMonitor {
    public private(set) var events: [String: LatencyEventHistory] = [:]
    static let historyLength = 160

    /// Records a spike of `milliseconds` for `event` at unix second `time`.
    public mutating func add(event: String, milliseconds: Int64, time: Int64) {
        var history = events[event] ?? LatencyEventHistory()
        history.maxLatency = max(history.maxLatency, milliseconds)
        if let last = history.samples.last, last.time == time {
            history.samples[history.samples.count - 1].latency = max(last.latency, milliseconds)
        } else {
            history.samples.append(LatencySample(time: time, latency: milliseconds))
            if history.samples.count > Self.historyLength { history.samples.removeFirst() }
        }
        events[event] = history
    }

    /// Clears the named events (all when empty); returns how many were cleared.
    public mutating func reset(_ names: [String]) -> Int {
        if names.isEmpty {
            let count = events.count
            events.removeAll()
            return count
        }
        var cleared = 0
        for name in Set(names) where events.removeValue(forKey: name) != nil { cleared += 1 }
        return cleared
    }
}

extension Engine {
    /// Whether the latency monitor is on (latency-monitor-threshold > 0): only then is a
    /// step worth its two clock readings.
    public var isMonitoringLatency: Bool { latencyThreshold > 0 }

    /// Records `milliseconds` for `event` when the monitor is on and the spike reaches the
    /// threshold (Redis's latencyAddSampleIfNeeded).
    public func addLatencySampleIfNeeded(_ event: String, milliseconds: Int64) {
        guard latencyThreshold > 0, milliseconds >= latencyThreshold else { return }
        latency.add(event: event, milliseconds: milliseconds, time: clock.wallMilliseconds / 1000)
    }

    /// Runs `step` and records how long it took as `event`, when the monitor is on (Redis's
    /// latencyStartMonitor and latencyEndMonitor around it).
    @inline(__always)
    public func measuringLatency<Result>(_ event: String, _ step: () -> Result) -> Result {
        guard latencyThreshold > 0 else { return step() }
        let start = clock.monotonicMicroseconds
        let result = step()
        addLatencySampleIfNeeded(event, milliseconds: (clock.monotonicMicroseconds - start) / 1000)
        return result
    }
}

// Counters INFO stats reports, and the instantaneous-ops sampler that the
// cron feeds. CONFIG RESETSTAT clears what Redis clears.

/// Server-wide counters.
public struct ServerStats {
    public var totalConnectionsReceived = 0
    public var totalCommandsProcessed = 0
    public var rejectedConnections = 0
    public var expiredKeys = 0
    /// Keys evicted for maxmemory (INFO evicted_keys).
    public var evictedKeys = 0
    /// Replicas served a full copy, a continued stream, and PSYNCs that could not continue.
    public var fullSyncs = 0
    public var partialSyncsAccepted = 0
    public var partialSyncsRefused = 0
    /// Unexpected error replies (a replica's error to its primary's command).
    public var unexpectedErrorReplies = 0
    /// Clients disconnected by maxmemory-clients (INFO evicted_clients).
    public var evictedClients = 0
    /// Microseconds spent over maxmemory, in finished stretches (INFO total_eviction_exceeded_time).
    public var evictionExceededMicros: Int64 = 0
    public var keyspaceHits = 0
    public var keyspaceMisses = 0
    public var totalErrorReplies = 0
    /// Error replies by code (INFO errorstats), in first-seen order.
    public var errorCounts: [(code: String, count: Int)] = []
    public var netInputBytes = 0
    public var netOutputBytes = 0
    public var totalReadsProcessed = 0
    public var totalWritesProcessed = 0
    /// Changes since the last save (rdb_changes_since_last_save).
    public var dirty = 0
    public var clientRecentMaxInputBuffer = 0
    public var clientRecentMaxOutputBuffer = 0
    /// Highest allocated memory seen, and the amount right after start-up.
    public var peakMemory = 0
    public var startupMemory = 0

    /// The ops/sec sampler: commands processed at each sample.
    var opsSamples = RateSampler()
    var inputSamples = RateSampler()
    var outputSamples = RateSampler()

    public init() {}

    /// Counts one error reply with `code` (the first word of the error line).
    public mutating func countError(code: Substring) {
        totalErrorReplies += 1
        // Redis caps the number of distinct error codes it tracks at 128.
        if let index = errorCounts.firstIndex(where: { $0.code == code }) {
            errorCounts[index].count += 1
        } else if errorCounts.count < 128 {
            errorCounts.append((String(code), 1))
        }
    }

    /// Clears the counters CONFIG RESETSTAT clears.
    public mutating func reset() {
        let dirty = self.dirty  // the change counter is persistence state, not a statistic
        let startupMemory = self.startupMemory
        self = ServerStats()
        self.dirty = dirty
        self.startupMemory = startupMemory
    }
}

/// Turns a growing counter into a per-second rate averaged over the last samples.
struct RateSampler {
    private var samples = [Double](repeating: 0, count: 16)
    private var next = 0
    private var lastTime: Int64 = 0
    private var lastCount = 0

    /// Records the counter's value at `milliseconds`.
    mutating func sample(count: Int, at milliseconds: Int64) {
        defer {
            lastTime = milliseconds
            lastCount = count
        }
        guard lastTime > 0, milliseconds > lastTime else { return }
        let rate = Double(count - lastCount) * 1000 / Double(milliseconds - lastTime)
        samples[next] = rate
        next = (next + 1) % samples.count
    }

    /// The average rate over the recorded samples.
    var rate: Double { samples.reduce(0, +) / Double(samples.count) }
}

// The engine's periodic work, run `hz` times a second by the server (Redis's
// serverCron): stats sampling, the end of CLIENT PAUSE, active expiry,
// incremental rehashing, idle client timeouts and buffers.

extension Engine {
    /// One cron tick.
    public func cron() {
        clock.synchronize()
        adaptHz()
        if cronPaused { return }
        cronLoops += 1
        let now = clock.wallMilliseconds
        // Instantaneous metrics are sampled every 100 ms, as Redis does.
        if now - lastStatsSample >= 100 {
            lastStatsSample = now
            stats.peakMemory = max(stats.peakMemory, usedMemory)
            stats.opsSamples.sample(count: stats.totalCommandsProcessed, at: now)
            stats.inputSamples.sample(count: stats.netInputBytes, at: now)
            stats.outputSamples.sample(count: stats.netOutputBytes, at: now)
        }
        // While a paused script holds the server nothing else may touch the dataset or the
        // clients (Redis serves only the clients' sockets then).
        if busyScript != nil { return }
        // While the dataset loads, nothing but the stats.
        if persistence.loading != nil { return }
        checkPauseDeadline()
        if activeExpireEnabled {
            measuringLatency("expire-cycle") {
                activeExpireCycle()
                if replicationGate.isReplica && !replicaWrittenExpiringKeys.isEmpty { expireKeysWrittenOnReplica() }
            }
        }
        if tracking.clientCount > 0 {
            enforceTrackingTableLimit()
            broadcastTrackingInvalidations()
        }
        // Keyspace events and invalidations of expired keys go out now.
        if !sessionsWithOutput.isEmpty { flushNotedOutput() }
        rehashDatabases()
        checkSavePoints()
        resizeClientBuffers()
        // Idle clients are checked about once a second.
        if cronLoops % max(1, hz) == 0 {
            closeIdleClients()
            enforceOutputLimits()
            returnFreedMemory()
        }
    }

    /// Redis's dynamic-hz: many clients make the cron run more often, so that the per-tick
    /// work on clients (timeouts, buffers) stays small.
    func adaptHz() {
        var adapted = configuredHz
        if isDynamicHz {
            while sessions.count / adapted > 200 && adapted < 500 { adapted = min(adapted * 2, 500) }
        }
        hz = adapted
    }

    /// Gives memory back to the system once used_memory has fallen well below its level at
    /// the last return (clients closed, keys deleted): glibc's malloc keeps freed blocks
    /// in its arenas, where only malloc_trim hands whole free pages back (jemalloc, which
    /// Redis uses, does the same by itself over a few seconds).
    func returnFreedMemory() {
        let used = usedMemory
        usedMemoryPeakSinceTrim = max(usedMemoryPeakSinceTrim, used)
        guard usedMemoryPeakSinceTrim - used >= max(8 << 20, usedMemoryPeakSinceTrim / 8) else { return }
        _ = host?.releaseFreeMemory()
        usedMemoryPeakSinceTrim = used
    }
}

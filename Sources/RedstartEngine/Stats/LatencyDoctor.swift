// LATENCY DOCTOR's report, worded as Redis words it: one line per recorded
// event (spikes, their average, mean deviation, period and the worst), then
// the advice that the kinds of event call for.

import RedstartRESP

enum LatencyDoctor {
    /// The statistics of one event's samples (Redis's analyzeLatencyForEvent).
    private struct Statistics {
        var samples = 0
        var average: Int64 = 0
        var meanDeviation: Int64 = 0
        /// Seconds since the oldest sample (at least 1).
        var period: Int64 = 0
    }

    private static func analyze(_ history: LatencyEventHistory, now: Int64) -> Statistics {
        var statistics = Statistics()
        guard !history.samples.isEmpty else { return statistics }
        statistics.samples = history.samples.count
        let sum = history.samples.reduce(Int64(0)) { $0 + $1.latency }
        statistics.average = sum / Int64(statistics.samples)
        let oldest = history.samples.map(\.time).min() ?? now
        statistics.period = max(1, now - oldest)
        let deviation = history.samples.reduce(Int64(0)) { $0 + abs(statistics.average - $1.latency) }
        statistics.meanDeviation = deviation / Int64(statistics.samples)
        return statistics
    }

    /// The advice a report may give, in the order it gives it.
    private enum Advice: CaseIterable {
        case slowlogEnabled, slowlogTuning, slowlogInspect, scheduler, localDisk, ssd, dataWriteback
        case diskContention, noAppendfsync, relaxFsyncPolicy, writeLoadInfo, hz, largeObjects, massEviction
        case disableTHP
    }

    static func report(_ engine: Engine) -> String {
        if engine.latency.events.isEmpty && engine.latencyThreshold == 0 {
            return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
        }
        let now = engine.clock.wallMilliseconds / 1000
        var report = ""
        var advice = Set<Advice>()
        var count = 0
        var eventNumber = 0
        for (event, history) in engine.latency.events.sorted(by: { $0.key < $1.key }) {
            eventNumber += 1
            if eventNumber == 1 {
                report += "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n"
            }
            let statistics = analyze(history, now: now)
            let period = formatWithC("%.2f", Double(statistics.period) / Double(max(1, statistics.samples)))
            report += "\(eventNumber). \(event): \(statistics.samples) latency spikes (average \(statistics.average)ms, mean deviation \(statistics.meanDeviation)ms, period \(period) sec). Worst all time event \(history.maxLatency)ms."
            func add(_ items: [Advice]) {
                for item in items { advice.insert(item) }
                count += items.count
            }
            switch event.lowercased() {
            case "command":
                if engine.slowlogThreshold < 0 {
                    add([.slowlogEnabled])
                } else if engine.slowlogThreshold / 1000 > engine.latencyThreshold {
                    add([.slowlogTuning])
                }
                add([.slowlogInspect, .largeObjects])
            case "fast-command": add([.scheduler])
            case "aof-write-pending-fsync": add([.localDisk, .diskContention, .ssd, .dataWriteback])
            case "aof-write-active-child": add([.noAppendfsync, .dataWriteback, .ssd])
            case "aof-write-alone": add([.localDisk, .dataWriteback, .ssd])
            case "aof-fsync-always": add([.relaxFsyncPolicy])
            case "aof-fstat", "rdb-unlink-temp-file": add([.diskContention, .localDisk])
            case "aof-rewrite-diff-write", "aof-rename": add([.writeLoadInfo, .dataWriteback, .ssd, .localDisk])
            case "expire-cycle": add([.hz, .largeObjects])
            case "eviction-del": add([.largeObjects])
            case "eviction-cycle": add([.massEviction])
            default: break
            }
            report += "\n"
        }
        if (engine.host?.anonymousHugePagesBytes() ?? 0) > 0 {
            advice.insert(.disableTHP)
            count += 1
        }
        if eventNumber == 0 && count == 0 {
            return report
                + "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
        }
        if count == 0 {
            return report
                + "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n"
        }
        report += "\nI have a few advices for you:\n\n"
        for item in Advice.allCases where advice.contains(item) {
            report += text(item, engine)
        }
        return report
    }

    private static func text(_ advice: Advice, _ engine: Engine) -> String {
        let threshold = engine.latencyThreshold * 1000
        switch advice {
        case .slowlogEnabled:
            return "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than \(threshold)'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n"
        case .slowlogTuning:
            return "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than \(threshold)'.\n"
        case .slowlogInspect:
            return "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n"
        case .scheduler:
            return "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n"
                + "  1) Lower the system load.\n"
                + "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
                + "  3) Check if you have a \"noisy neighbour\" problem.\n"
                + "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
                + "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n"
        case .localDisk:
            return "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n"
        case .ssd:
            return "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n"
        case .dataWriteback:
            return "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n"
        case .diskContention:
            return "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n"
        case .noAppendfsync:
            return "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n"
        case .relaxFsyncPolicy:
            guard engine.config["appendfsync"] == "always" else { return "" }
            return "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n"
        case .writeLoadInfo:
            return "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n"
        case .hz:
            guard engine.hz < 100 else { return "" }
            return "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n"
        case .largeObjects:
            return "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n"
        case .massEviction:
            return "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n"
        case .disableTHP:
            return "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n"
        }
    }
}

// MEMORY STATS, DOCTOR, MALLOC-STATS and PURGE: Redis's breakdown of the
// memory in use (the figures INFO memory shows too: the counting allocator's
// total, the key tables' entries and buckets, client buffers, the AOF buffer,
// the scripts' caches, jemalloc's own totals), its memory doctor, and
// jemalloc's statistics and purge.
import RedstartRESP

/// Where the memory goes (Redis's getMemoryOverheadData).
struct MemoryOverhead {
    struct DatabaseOverhead {
        var id: Int
        var main: Int
        var expires: Int
    }

    var peak = 0
    var total = 0
    var startup = 0
    var clientsNormal = 0
    var replicationBacklog = 0
    var clientsReplicas = 0
    var aofBuffer = 0
    var luaCaches = 0
    var functionsCaches = 0
    var databases: [DatabaseOverhead] = []
    var overheadTotal = 0
    var keys = 0
    var bytesPerKey = 0
    var dataset = 0
    var datasetPercentage = 0.0
    var peakPercentage = 0.0
    /// The process's RSS.
    var resident = 0
    /// The allocator's bytes handed out, in the pages those occupy, and resident (the
    /// counted total and the RSS when the allocator keeps no such figures).
    var allocator: (allocated: Int, active: Int, resident: Int) = (0, 0, 0)

    init(_ engine: Engine, usage: ResourceUsage? = nil) {
        total = engine.usedMemory
        peak = max(engine.stats.peakMemory, total)
        startup = engine.stats.startupMemory
        clientsNormal = engine.clientsMemory
        let replication = engine.replication?.memory ?? ReplicationMemory()
        replicationBacklog = replication.backlog
        clientsReplicas = replication.replicas
        aofBuffer = engine.persistence.aof.bufferLength
        let scripts = engine.scripting?.memoryInfo ?? ScriptingMemoryInfo()
        luaCaches = scripts.evalScripts
        functionsCaches = scripts.functions
        let usage = usage ?? engine.host?.resourceUsage() ?? ResourceUsage()
        resident = usage.residentBytes
        allocator = usage.allocator ?? (allocated: total, active: total, resident: resident)
        overheadTotal = startup + replicationBacklog + clientsReplicas + clientsNormal + aofBuffer + luaCaches
            + functionsCaches
        for db in engine.databases where db.count > 0 || db.expiresCount > 0 {
            let entry = MemoryLayout<KeyEntry>.stride
            let main = db.count * entry + db.table.bucketCount * MemoryLayout<Int32>.stride
            let expires = db.expiresCount * (MemoryLayout<Int32>.stride + MemoryLayout<Int64>.stride)
            databases.append(DatabaseOverhead(id: db.index, main: main, expires: expires))
            overheadTotal += main + expires
            keys += db.count
        }
        let net = max(0, total - startup)
        bytesPerKey = keys > 0 ? net / keys : 0
        dataset = max(0, total - overheadTotal)
        datasetPercentage = net > 0 ? Double(dataset) * 100 / Double(net) : 0
        peakPercentage = peak > 0 ? Double(total) * 100 / Double(peak) : 0
    }

    /// RSS over used memory, and the bytes between them.
    var fragmentation: (ratio: Double, bytes: Int) { (Self.ratio(resident, total), resident - total) }
    /// Pages holding blocks over the blocks' bytes (Redis's allocator_frag).
    var allocatorFragmentation: (ratio: Double, bytes: Int) {
        (Self.ratio(allocator.active, allocator.allocated), allocator.active - allocator.allocated)
    }
    /// The allocator's resident pages over its active ones (allocator_rss).
    var allocatorRSS: (ratio: Double, bytes: Int) {
        (Self.ratio(allocator.resident, allocator.active), allocator.resident - allocator.active)
    }
    /// The process's RSS over the allocator's resident pages (rss_overhead).
    var rssOverhead: (ratio: Double, bytes: Int) {
        (Self.ratio(resident, allocator.resident), resident - allocator.resident)
    }

    /// `part` / `whole`, 0 for an empty whole.
    static func ratio(_ part: Int, _ whole: Int) -> Double { whole > 0 ? Double(part) / Double(whole) : 0 }
}

extension IntrospectionFamily {
    /// MEMORY STATS → map, in Redis's order.
    static func memoryStats(_ cmd: CommandContext) throws(ReplyError) {
        let figures = MemoryOverhead(cmd.engine)
        let reply = { (name: String, value: Int) in
            cmd.reply.bulk(name)
            cmd.reply.integer(value)
        }
        cmd.reply.mapHeader(27 + figures.databases.count)
        reply("peak.allocated", figures.peak)
        reply("total.allocated", figures.total)
        reply("startup.allocated", figures.startup)
        reply("replication.backlog", figures.replicationBacklog)
        reply("clients.slaves", figures.clientsReplicas)
        reply("clients.normal", figures.clientsNormal)
        reply("cluster.links", 0)
        reply("aof.buffer", figures.aofBuffer)
        reply("lua.caches", figures.luaCaches)
        reply("functions.caches", figures.functionsCaches)
        for db in figures.databases {
            cmd.reply.bulk("db.\(db.id)")
            cmd.reply.mapHeader(3)
            reply("overhead.hashtable.main", db.main)
            reply("overhead.hashtable.expires", db.expires)
            reply("overhead.hashtable.slot-to-keys", 0)
        }
        reply("overhead.total", figures.overheadTotal)
        reply("keys.count", figures.keys)
        reply("keys.bytes-per-key", figures.bytesPerKey)
        reply("dataset.bytes", figures.dataset)
        cmd.reply.bulk("dataset.percentage")
        cmd.reply.double(figures.datasetPercentage)
        cmd.reply.bulk("peak.percentage")
        cmd.reply.double(figures.peakPercentage)
        reply("allocator.allocated", figures.allocator.allocated)
        reply("allocator.active", figures.allocator.active)
        reply("allocator.resident", figures.allocator.resident)
        cmd.reply.bulk("allocator-fragmentation.ratio")
        cmd.reply.double(figures.allocatorFragmentation.ratio)
        reply("allocator-fragmentation.bytes", figures.allocatorFragmentation.bytes)
        cmd.reply.bulk("allocator-rss.ratio")
        cmd.reply.double(figures.allocatorRSS.ratio)
        reply("allocator-rss.bytes", figures.allocatorRSS.bytes)
        cmd.reply.bulk("rss-overhead.ratio")
        cmd.reply.double(figures.rssOverhead.ratio)
        reply("rss-overhead.bytes", figures.rssOverhead.bytes)
        cmd.reply.bulk("fragmentation")
        cmd.reply.double(figures.fragmentation.ratio)
        reply("fragmentation.bytes", figures.fragmentation.bytes)
    }

    /// MEMORY DOCTOR → verbatim text: Redis's memory doctor on the same figures.
    static func memoryDoctor(_ cmd: CommandContext) throws(ReplyError) {
        let figures = MemoryOverhead(cmd.engine)
        let engine = cmd.engine
        var findings: [String] = []
        if figures.total < 5 * 1024 * 1024 {
            cmd.reply.verbatim(
                "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
            )
            return
        }
        if Double(figures.peak) / Double(figures.total) > 1.5 {
            findings.append(
                " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n"
            )
        }
        let fragmentation = figures.fragmentation
        if fragmentation.ratio > 1.4 && fragmentation.bytes > 10 << 20 {
            findings.append(
                " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"libc\".\n\n"
            )
        }
        if fragmentation.ratio > 1.1 && fragmentation.bytes > 10 << 20 {
            findings.append(
                " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n"
            )
        }
        let clients = max(1, engine.sessions.count)
        if figures.clientsNormal / clients > 1024 * 200 {
            findings.append(
                " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n"
            )
        }
        if (engine.scripting?.memoryInfo.cachedScripts ?? 0) > 1000 {
            findings.append(
                " * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n"
            )
        }
        if findings.isEmpty {
            cmd.reply.verbatim(
                "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n")
            return
        }
        cmd.reply.verbatim(
            "Sam, I detected a few issues in this Redis instance memory implants:\n\n" + findings.joined()
                + "I'm here to keep you safe, Sam. I want to help you.\n")
    }

    /// MEMORY MALLOC-STATS → verbatim text: glibc's malloc_info report (XML).
    static func memoryMallocStats(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.verbatim(cmd.engine.host?.allocatorReport() ?? "Stats not supported for the current allocator")
    }

    /// MEMORY PURGE → OK: returns free heap memory to the system (glibc's malloc_trim).
    static func memoryPurge(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.engine.host?.releaseFreeMemory() ?? true else { throw ReplyError("Error purging dirty pages") }
        cmd.reply.ok()
    }
}

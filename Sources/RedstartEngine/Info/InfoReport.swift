// INFO [section ...]: Redis 7.0's sections and field names. A field Redstart
// has no machinery for yet (replication backlog, forks, defrag) reports the
// value Redis reports when that machinery is idle. `redstart_version` is ours.
import RedstartRESP

/// Builds the text of INFO.
struct InfoReport {
    let engine: Engine

    static let defaultSections = [
        "server", "clients", "memory", "persistence", "stats", "replication", "cpu", "module_list", "errorstats",
        "cluster", "keyspace",
    ]
    static let allSections = [
        "server", "clients", "memory", "persistence", "stats", "replication", "cpu", "module_list", "commandstats",
        "errorstats", "latencystats", "cluster", "keyspace",
    ]

    /// The report for the requested section names (none = the default sections).
    func text(sections requested: [String]) -> String {
        var wanted = Set<String>()
        var all = false
        if requested.isEmpty { wanted = Set(Self.defaultSections) }
        for name in requested.map({ $0.lowercased() }) {
            switch name {
            case "default": wanted.formUnion(Self.defaultSections)
            case "all", "everything": all = true
            case "modules": wanted.insert("module_list")
            default: wanted.insert(name)
            }
        }
        var blocks: [String] = []
        for section in Self.allSections where all || wanted.contains(section) {
            blocks.append(render(section))
        }
        return blocks.joined(separator: "\r\n")
    }

    private func render(_ section: String) -> String {
        let (title, fields) = content(of: section)
        var text = "# \(title)\r\n"
        for (name, value) in fields { text += "\(name):\(value)\r\n" }
        return text
    }

    private func content(of section: String) -> (String, [(String, String)]) {
        switch section {
        case "server": return ("Server", server())
        case "clients": return ("Clients", clients())
        case "memory": return ("Memory", memory())
        case "persistence": return ("Persistence", persistence())
        case "stats": return ("Stats", stats())
        case "replication": return ("Replication", replication())
        case "cpu": return ("CPU", cpu())
        case "module_list": return ("Modules", [])
        case "commandstats": return ("Commandstats", commandStats())
        case "errorstats": return ("Errorstats", errorStats())
        case "latencystats": return ("Latencystats", latencyStats())
        case "cluster": return ("Cluster", [("cluster_enabled", "0")])
        case "keyspace": return ("Keyspace", keyspace())
        default: return (section, [])
        }
    }

    private var facts: ProcessFacts { engine.host?.processFacts ?? ProcessFacts() }
    private var usage: ResourceUsage { engine.host?.resourceUsage() ?? ResourceUsage() }

    private func server() -> [(String, String)] {
        let facts = self.facts
        let now = engine.clock.wallMicroseconds
        let uptime = engine.uptimeSeconds
        return [
            ("redis_version", Engine.redisVersion),
            ("redstart_version", Engine.redstartVersion),
            ("redis_git_sha1", "00000000"),
            ("redis_git_dirty", "0"),
            ("redis_build_id", "0"),
            ("redis_mode", "standalone"),
            ("os", facts.os),
            ("arch_bits", "\(facts.archBits)"),
            ("monotonic_clock", "POSIX clock_gettime"),
            ("multiplexing_api", "epoll"),
            ("atomicvar_api", "c11-builtin"),
            ("gcc_version", "0.0.0"),
            ("process_id", "\(facts.processID)"),
            ("process_supervised", "no"),
            ("run_id", facts.runID),
            ("tcp_port", "\(facts.tcpPort)"),
            ("server_time_usec", "\(now)"),
            ("uptime_in_seconds", "\(uptime)"),
            ("uptime_in_days", "\(uptime / 86400)"),
            ("hz", "\(engine.hz)"),
            ("configured_hz", "\(engine.config.integer("hz"))"),
            ("lru_clock", "\((now / 1_000_000) & ((1 << 24) - 1))"),
            ("executable", facts.executable),
            ("config_file", facts.configFile),
            ("io_threads_active", "0"),
        ] + shutdownRemaining
    }

    /// While a shutdown waits for lagging replicas: the time it still gives them.
    private var shutdownRemaining: [(String, String)] {
        guard let wait = engine.shutdownWait else { return [] }
        return [("shutdown_in_milliseconds", "\(max(0, wait.deadline - engine.clock.wallMilliseconds))")]
    }

    private func clients() -> [(String, String)] {
        [
            // Replicas' connections are not counted (the primary's, on a replica, is).
            ("connected_clients", "\(engine.sessions.values.reduce(0) { $0 + ($1.replicationKind == .replica ? 0 : 1) })"),
            ("cluster_connections", "0"),
            ("maxclients", "\(engine.maxClients)"),
            ("client_recent_max_input_buffer", "\(engine.stats.clientRecentMaxInputBuffer)"),
            ("client_recent_max_output_buffer", "\(engine.stats.clientRecentMaxOutputBuffer)"),
            ("blocked_clients", "\(engine.blockedClientsCount)"),
            ("tracking_clients", "\(engine.tracking.clientCount)"),
            ("clients_in_timeout_table", "0"),
        ]
    }

    private func memory() -> [(String, String)] {
        let usage = self.usage
        let figures = MemoryOverhead(engine, usage: usage)
        let used = figures.total
        let rss = figures.resident
        let peak = figures.peak
        let lua = engine.scripting?.memoryInfo ?? ScriptingMemoryInfo()
        let replication = engine.replication?.memory ?? ReplicationMemory()
        let allocator = figures.allocator
        return [
            ("used_memory", "\(used)"),
            ("used_memory_human", humanBytes(used)),
            ("used_memory_rss", "\(rss)"),
            ("used_memory_rss_human", humanBytes(rss)),
            ("used_memory_peak", "\(peak)"),
            ("used_memory_peak_human", humanBytes(peak)),
            ("used_memory_peak_perc", formatFixed(peak > 0 ? Double(used) * 100 / Double(peak) : 100, 2) + "%"),
            ("used_memory_overhead", "\(figures.overheadTotal)"),
            ("used_memory_startup", "\(figures.startup)"),
            ("used_memory_dataset", "\(figures.dataset)"),
            ("used_memory_dataset_perc", formatFixed(figures.datasetPercentage, 2) + "%"),
            ("allocator_allocated", "\(allocator.allocated)"),
            ("allocator_active", "\(allocator.active)"),
            ("allocator_resident", "\(allocator.resident)"),
            ("total_system_memory", "\(usage.systemMemoryBytes)"),
            ("total_system_memory_human", humanBytes(usage.systemMemoryBytes)),
            ("used_memory_lua", "\(lua.evalEngine)"),
            ("used_memory_vm_eval", "\(lua.evalEngine)"),
            ("used_memory_lua_human", humanBytes(lua.evalEngine)),
            ("used_memory_scripts_eval", "\(lua.evalScripts)"),
            ("number_of_cached_scripts", "\(lua.cachedScripts)"),
            ("number_of_functions", "\(lua.functionCount)"),
            ("number_of_libraries", "\(lua.libraryCount)"),
            ("used_memory_vm_functions", "\(lua.functionsEngine)"),
            ("used_memory_vm_total", "\(lua.evalEngine + lua.functionsEngine)"),
            ("used_memory_vm_total_human", humanBytes(lua.evalEngine + lua.functionsEngine)),
            ("used_memory_functions", "\(lua.functions)"),
            ("used_memory_scripts", "\(lua.evalScripts + lua.functions)"),
            ("used_memory_scripts_human", humanBytes(lua.evalScripts + lua.functions)),
            ("maxmemory", "\(engine.config.integer("maxmemory"))"),
            ("maxmemory_human", humanBytes(Int(engine.config.integer("maxmemory")))),
            ("maxmemory_policy", engine.config["maxmemory-policy"]),
            ("allocator_frag_ratio", formatFixed(figures.allocatorFragmentation.ratio, 2)),
            ("allocator_frag_bytes", "\(figures.allocatorFragmentation.bytes)"),
            ("allocator_rss_ratio", formatFixed(figures.allocatorRSS.ratio, 2)),
            ("allocator_rss_bytes", "\(figures.allocatorRSS.bytes)"),
            ("rss_overhead_ratio", formatFixed(figures.rssOverhead.ratio, 2)),
            ("rss_overhead_bytes", "\(figures.rssOverhead.bytes)"),
            ("mem_fragmentation_ratio", formatFixed(figures.fragmentation.ratio, 2)),
            ("mem_fragmentation_bytes", "\(figures.fragmentation.bytes)"),
            ("mem_not_counted_for_evict", "\(engine.memoryNotCountedForEviction)"),
            ("mem_replication_backlog", "\(replication.backlog)"),
            ("mem_total_replication_buffers", "\(replication.buffers)"),
            ("mem_clients_slaves", "\(replication.replicas)"),
            ("mem_clients_normal", "\(engine.clientsMemory)"),
            ("mem_cluster_links", "0"),
            ("mem_aof_buffer", "\(engine.persistence.aof.bufferLength)"),
            ("mem_allocator", usage.allocatorName),
            ("active_defrag_running", "0"),
            ("lazyfree_pending_objects", "\(engine.lazyFree.pendingObjects)"),
            ("lazyfreed_objects", "\(engine.lazyFree.freedObjects)"),
        ]
    }

    private func persistence() -> [(String, String)] {
        let status = engine.persistence
        let now = engine.clock.wallMilliseconds
        let snapshot = engine.runningSnapshot
        var lines: [(String, String)] = [
            ("loading", status.loading == nil ? "0" : "1"),
            ("async_loading", status.asyncLoading ? "1" : "0"),
        ]
        lines += [
            ("current_cow_peak", "\(snapshot?.copiedBytes ?? 0)"),
            ("current_cow_size", "\(snapshot?.copiedBytes ?? 0)"),
            ("current_cow_size_age", "0"),
            ("current_fork_perc", formatWithC(
                "%.2f", snapshot.map { $0.keysTotal > 0 ? Double($0.keysWritten) * 100 / Double($0.keysTotal) : 0 } ?? 0)),
            ("current_save_keys_processed", "\(snapshot?.keysWritten ?? 0)"),
            ("current_save_keys_total", "\(snapshot?.keysTotal ?? 0)"),
            ("rdb_changes_since_last_save", "\(engine.changesSinceLastSave)"),
            ("rdb_bgsave_in_progress", engine.isSavingInBackground ? "1" : "0"),
            ("rdb_last_save_time", "\(status.lastSaveTime)"),
            ("rdb_last_bgsave_status", status.lastBackgroundSaveSucceeded ? "ok" : "err"),
            ("rdb_last_bgsave_time_sec", "\(status.lastBackgroundSaveSeconds)"),
            ("rdb_current_bgsave_time_sec", status.backgroundSaveStart.map { "\((now - $0) / 1000)" } ?? "-1"),
            ("rdb_saves", "\(status.saves)"),
            ("rdb_last_cow_size", "\(status.lastCopiedBytes)"),
            ("rdb_last_load_keys_expired", "\(status.lastLoadKeysExpired)"),
            ("rdb_last_load_keys_loaded", "\(status.lastLoadKeysLoaded)"),
        ]
        let aof = status.aof
        lines += [
            ("aof_enabled", aof.enabled ? "1" : "0"),
            ("aof_rewrite_in_progress", aof.rewriteStart != nil ? "1" : "0"),
            ("aof_rewrite_scheduled", aof.rewriteScheduled ? "1" : "0"),
            ("aof_last_rewrite_time_sec", "\(aof.lastRewriteSeconds)"),
            ("aof_current_rewrite_time_sec", aof.rewriteStart.map { "\((now - $0) / 1000)" } ?? "-1"),
            ("aof_last_bgrewrite_status", aof.lastRewriteSucceeded ? "ok" : "err"),
            ("aof_rewrites", "\(aof.rewrites)"),
            ("aof_rewrites_consecutive_failures", "\(aof.consecutiveRewriteFailures)"),
            ("aof_last_write_status", aof.lastWriteSucceeded ? "ok" : "err"),
            ("aof_last_cow_size", "\(aof.lastCopiedBytes)"),
            ("module_fork_in_progress", "0"),
            ("module_fork_last_cow_size", "0"),
        ]
        if aof.enabled {
            lines += [
                ("aof_current_size", "\(aof.currentSize)"),
                ("aof_base_size", "\(aof.baseSize)"),
                ("aof_pending_rewrite", aof.rewriteScheduled ? "1" : "0"),
                ("aof_buffer_length", "\(aof.bufferLength)"),
                ("aof_pending_bio_fsync", "\(aof.pendingFsyncs)"),
                ("aof_delayed_fsync", "\(aof.delayedFsyncs)"),
            ]
        }
        if let loading = status.loading {
            let elapsed = max(0, now / 1000 - loading.startTime)
            let fraction = loading.totalBytes > 0 ? Double(loading.loadedBytes) / Double(loading.totalBytes) : 1
            let eta = loading.loadedBytes > 0 && elapsed > 0
                ? Int(Double(loading.totalBytes - loading.loadedBytes) / (Double(loading.loadedBytes) / Double(elapsed))) : 1
            lines += [
                ("loading_start_time", "\(loading.startTime)"),
                ("loading_total_bytes", "\(loading.totalBytes)"),
                ("loading_rdb_used_mem", "0"),
                ("loading_loaded_bytes", "\(loading.loadedBytes)"),
                ("loading_loaded_perc", formatWithC("%.2f", fraction * 100)),
                ("loading_eta_seconds", "\(eta)"),
            ]
        }
        return lines
    }

    private func stats() -> [(String, String)] {
        let s = engine.stats
        return [
            ("total_connections_received", "\(s.totalConnectionsReceived)"),
            ("total_commands_processed", "\(s.totalCommandsProcessed)"),
            ("instantaneous_ops_per_sec", "\(Int(s.opsSamples.rate))"),
            ("total_net_input_bytes", "\(s.netInputBytes)"),
            ("total_net_output_bytes", "\(s.netOutputBytes)"),
            ("total_net_repl_input_bytes", "0"),
            ("total_net_repl_output_bytes", "0"),
            ("instantaneous_input_kbps", formatFixed(s.inputSamples.rate / 1024, 2)),
            ("instantaneous_output_kbps", formatFixed(s.outputSamples.rate / 1024, 2)),
            ("instantaneous_input_repl_kbps", "0.00"),
            ("instantaneous_output_repl_kbps", "0.00"),
            ("rejected_connections", "\(s.rejectedConnections)"),
            ("sync_full", "\(s.fullSyncs)"),
            ("sync_partial_ok", "\(s.partialSyncsAccepted)"),
            ("sync_partial_err", "\(s.partialSyncsRefused)"),
            ("expired_keys", "\(engine.expiredKeysTotal)"),
            ("expired_stale_perc", "0.00"),
            ("expired_time_cap_reached_count", "0"),
            ("expire_cycle_cpu_milliseconds", "0"),
            ("evicted_keys", "\(engine.stats.evictedKeys)"),
            ("evicted_clients", "\(engine.stats.evictedClients)"),
            ("total_eviction_exceeded_time", "\(engine.evictionExceededMilliseconds.total)"),
            ("current_eviction_exceeded_time", "\(engine.evictionExceededMilliseconds.current)"),
            ("keyspace_hits", "\(s.keyspaceHits)"),
            ("keyspace_misses", "\(s.keyspaceMisses)"),
            ("pubsub_channels", "\(engine.channelSubscribers.count)"),
            ("pubsub_patterns", "\(engine.patternSubscribers.count)"),
            ("pubsubshard_channels", "\(engine.shardSubscribers.count)"),
            ("latest_fork_usec", "0"),
            ("total_forks", "\(engine.persistence.backgroundJobs)"),
            ("migrate_cached_sockets", "\(engine.host?.migrationCachedSockets ?? 0)"),
            ("slave_expires_tracked_keys", "0"),
            ("active_defrag_hits", "0"),
            ("active_defrag_misses", "0"),
            ("active_defrag_key_hits", "0"),
            ("active_defrag_key_misses", "0"),
            ("total_active_defrag_time", "0"),
            ("current_active_defrag_time", "0"),
            ("tracking_total_keys", "\(engine.tracking.keyCount)"),
            ("tracking_total_items", "\(engine.tracking.totalItems)"),
            ("tracking_total_prefixes", "\(engine.tracking.prefixes.count)"),
            ("unexpected_error_replies", "\(s.unexpectedErrorReplies)"),
            ("total_error_replies", "\(s.totalErrorReplies)"),
            ("dump_payload_sanitizations", "0"),
            ("total_reads_processed", "\(s.totalReadsProcessed)"),
            ("total_writes_processed", "\(s.totalWritesProcessed)"),
            ("io_threaded_reads_processed", "0"),
            ("io_threaded_writes_processed", "0"),
            ("reply_buffer_shrinks", "0"),
            ("reply_buffer_expands", "0"),
        ]
    }

    private func replication() -> [(String, String)] {
        if let subsystem = engine.replication { return subsystem.infoFields() }
        return [
            ("role", "master"),
            ("connected_slaves", "0"),
            ("master_failover_state", "no-failover"),
            ("master_replid", engine.replicationID),
            ("master_replid2", String(repeating: "0", count: 40)),
            ("master_repl_offset", "0"),
            ("second_repl_offset", "-1"),
            ("repl_backlog_active", "0"),
            ("repl_backlog_size", "\(engine.config.integer("repl-backlog-size"))"),
            ("repl_backlog_first_byte_offset", "0"),
            ("repl_backlog_histlen", "0"),
        ]
    }

    private func cpu() -> [(String, String)] {
        let usage = self.usage
        return [
            ("used_cpu_sys", formatFixed(usage.systemCPUSeconds, 6)),
            ("used_cpu_user", formatFixed(usage.userCPUSeconds, 6)),
            ("used_cpu_sys_children", "0.000000"),
            ("used_cpu_user_children", "0.000000"),
            ("used_cpu_sys_main_thread", formatFixed(usage.systemCPUSeconds, 6)),
            ("used_cpu_user_main_thread", formatFixed(usage.userCPUSeconds, 6)),
        ]
    }

    private func commandStats() -> [(String, String)] {
        var fields: [(String, String)] = []
        for spec in engine.table.allSpecs where spec.calls > 0 || spec.failedCalls > 0 || spec.rejectedCalls > 0 {
            let perCall = spec.calls == 0 ? 0 : Double(spec.microseconds) / Double(spec.calls)
            fields.append(
                (
                    "cmdstat_\(spec.fullName)",
                    "calls=\(spec.calls),usec=\(spec.microseconds),usec_per_call=\(formatFixed(perCall, 2)),rejected_calls=\(spec.rejectedCalls),failed_calls=\(spec.failedCalls)"
                ))
        }
        return fields
    }

    /// `latency_percentiles_usec_<cmd>:p50=1.003,p99=...` for every command called.
    private func latencyStats() -> [(String, String)] {
        guard engine.latencyTracking else { return [] }
        return engine.table.allSpecs.filter { $0.latency.total > 0 }.map { spec in
            let values = engine.latencyPercentiles.map { percentile in
                "p\(trimmedDecimal(percentile))=\(formatFixed(Double(spec.latency.value(atPercentile: percentile)) / 1000, 3))"
            }
            return ("latency_percentiles_usec_\(spec.fullName)", values.joined(separator: ","))
        }
    }

    private func errorStats() -> [(String, String)] {
        engine.stats.errorCounts.sorted { $0.code < $1.code }.map { ("errorstat_\($0.code)", "count=\($0.count)") }
    }

    private func keyspace() -> [(String, String)] {
        engine.databases.compactMap { db in
            guard db.count > 0 || db.expiresCount > 0 else { return nil }
            return ("db\(db.index)", "keys=\(db.count),expires=\(db.expiresCount),avg_ttl=\(db.averageTTL(now: engine.clock.wallMilliseconds))")
        }
    }
}

/// Bytes as Redis's bytesToHuman prints them (`919.04K`, `6.40M`).
func humanBytes(_ bytes: Int) -> String {
    let value = Double(bytes)
    if bytes < 1024 { return "\(bytes)B" }
    let units: [(Double, String)] = [
        (1024, "K"), (1024 * 1024, "M"), (1024 * 1024 * 1024, "G"), (1024.0 * 1024 * 1024 * 1024, "T"),
        (1024.0 * 1024 * 1024 * 1024 * 1024, "P"),
    ]
    for (index, unit) in units.enumerated() where index == units.count - 1 || value < unit.0 * 1024 {
        return formatFixed(value / unit.0, 2) + unit.1
    }
    return "\(bytes)B"
}

/// A percentile as Redis prints it: `%f` without trailing zeros (50, 99.9).
func trimmedDecimal(_ value: Double) -> String {
    var text = formatFixed(value, 6)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}

/// `value` with `decimals` digits after the point, as printf's %.Nf.
func formatFixed(_ value: Double, _ decimals: Int) -> String {
    formatWithC("%.\(decimals)f", value)
}

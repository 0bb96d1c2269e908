import RESP
import Storage
import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// `INFO [section [section ...]]`
///
/// Redis 7.0's sections and field names, `\r\n` line endings (redis-cli
/// --stat and exporters parse them). Swiftlet adds `swiftlet_version`.
enum InfoCommand {
    static let spec = CommandSpec(
        "info", arity: -1, flags: [.loading, .stale, .sentinel], acl: ["@slow", "@dangerous"],
        group: "server", since: "1.0.0", summary: "Returns information and statistics about the server.",
        arguments: [ArgumentSpec("section", .string, optional: true, multiple: true)], handler: run)

    static let defaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                                  "modules", "errorstats", "cluster", "keyspace"]
    static let allSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                              "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"]

    static func run(_ c: Client, _ args: Arguments) {
        var wanted: [String] = []
        if args.count == 1 {
            wanted = defaultSections
        } else {
            for i in 1..<args.count {
                let s = args[i].lowercasedString
                switch s {
                case "default": wanted += defaultSections
                case "all": wanted += allSections.filter { $0 != "modules" }
                case "everything": wanted += allSections
                default: wanted.append(s)
                }
            }
        }
        c.reply.verbatim(render(c.server, sections: wanted))
    }

    static func human(_ bytes: Int) -> String {
        let d = Double(bytes)
        func f(_ v: Double, _ unit: String) -> String {
            var text = String(format2: v)
            text += unit
            return text
        }
        if d < 1024 { return "\(bytes)B" }
        if d < 1024 * 1024 { return f(d / 1024, "K") }
        if d < 1024 * 1024 * 1024 { return f(d / 1024 / 1024, "M") }
        if d < 1024 * 1024 * 1024 * 1024 { return f(d / 1024 / 1024 / 1024, "G") }
        return f(d / 1024 / 1024 / 1024 / 1024, "T")
    }

    static func render(_ s: ServerContext, sections: [String]) -> String {
        var out = ""
        var seen = Set<String>()
        for section in sections where !seen.contains(section) {
            seen.insert(section)
            guard let text = renderSection(s, section) else { continue }
            if !out.isEmpty { out += "\r\n" }
            out += text
        }
        return out
    }

    static func renderSection(_ s: ServerContext, _ section: String) -> String? {
        var lines: [String] = []
        func add(_ name: String, _ value: Any) { lines.append("\(name):\(value)") }
        let now = s.clock.milliseconds
        switch section {
        case "server":
            var uts = utsname()
            uname(&uts)
            let sys = withUnsafeBytes(of: uts.sysname) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            let rel = withUnsafeBytes(of: uts.release) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            let mach = withUnsafeBytes(of: uts.machine) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            let uptime = (now - s.startTimeMs) / 1000
            add("redis_version", SwiftletVersion.redisCompatible)
            add("redis_git_sha1", "00000000")
            add("redis_git_dirty", 0)
            add("redis_build_id", "0")
            add("redis_mode", "standalone")
            add("os", "\(sys) \(rel) \(mach)")
            add("arch_bits", 64)
            add("monotonic_clock", "POSIX clock_gettime")
            add("multiplexing_api", "epoll")
            add("atomicvar_api", "c11-builtin")
            add("gcc_version", "0.0.0")
            add("process_id", getpid())
            add("process_supervised", "no")
            add("run_id", s.runId)
            add("tcp_port", s.boundPort.load(ordering: .relaxed))
            add("server_time_usec", s.clock.microseconds)
            add("uptime_in_seconds", uptime)
            add("uptime_in_days", uptime / 86400)
            add("hz", s.config.hz)
            add("configured_hz", s.config.hz)
            add("lru_clock", (now / 1000) & Int64(Entry.lruMask))
            add("executable", s.executablePath)
            add("config_file", s.config.configFilePath ?? "")
            add("io_threads_active", s.loops.count > 1 ? 1 : 0)
            add("swiftlet_version", s.version)
            add("swiftlet_io_threads", s.loops.count)
            add("swiftlet_shards", s.keyspace.shards.count)
        case "clients":
            add("connected_clients", s.clients.count)
            add("cluster_connections", 0)
            add("maxclients", s.config.maxclients)
            add("client_recent_max_input_buffer", 0)
            add("client_recent_max_output_buffer", 0)
            add("blocked_clients", s.blockedClients.load(ordering: .relaxed))
            add("tracking_clients", s.tracking.clientCount.load(ordering: .relaxed))
            add("clients_in_timeout_table", 0)
        case "memory":
            let used = s.usedMemory
            let peak = s.notePeak(used)
            let rss = s.residentBytes()
            let startup = s.baseOverhead
            let dataset = max(0, used - startup - s.clientBufferBytes.load(ordering: .relaxed))
            let total = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
            add("used_memory", used)
            add("used_memory_human", human(used))
            add("used_memory_rss", rss)
            add("used_memory_rss_human", human(rss))
            add("used_memory_peak", peak)
            add("used_memory_peak_human", human(peak))
            add("used_memory_peak_perc", String(format2: Double(used) * 100 / Double(max(peak, 1))) + "%")
            add("used_memory_overhead", used - dataset)
            add("used_memory_startup", startup)
            add("used_memory_dataset", dataset)
            add("used_memory_dataset_perc", String(format2: Double(dataset) * 100 / Double(max(used - startup, 1))) + "%")
            add("allocator_allocated", used)
            add("allocator_active", used)
            add("allocator_resident", rss)
            add("total_system_memory", total)
            add("total_system_memory_human", human(total))
            add("used_memory_lua", 0)
            add("used_memory_vm_eval", 0)
            add("used_memory_lua_human", "0B")
            add("used_memory_scripts_eval", 0)
            add("number_of_cached_scripts", 0)
            add("number_of_functions", 0)
            add("number_of_libraries", 0)
            add("used_memory_vm_functions", 0)
            add("used_memory_vm_total", 0)
            add("used_memory_vm_total_human", "0B")
            add("used_memory_functions", 0)
            add("used_memory_scripts", 0)
            add("used_memory_scripts_human", "0B")
            add("maxmemory", s.config.maxmemory)
            add("maxmemory_human", human(s.config.maxmemory))
            add("maxmemory_policy", s.config.maxmemoryPolicyName)
            add("allocator_frag_ratio", "1.00")
            add("allocator_frag_bytes", 0)
            add("allocator_rss_ratio", String(format2: Double(rss) / Double(max(used, 1))))
            add("allocator_rss_bytes", rss - used)
            add("rss_overhead_ratio", "1.00")
            add("rss_overhead_bytes", 0)
            add("mem_fragmentation_ratio", String(format2: Double(rss) / Double(max(used, 1))))
            add("mem_fragmentation_bytes", rss - used)
            add("mem_not_counted_for_evict", 0)
            add("mem_replication_backlog", 0)
            add("mem_total_replication_buffers", 0)
            add("mem_clients_slaves", 0)
            add("mem_clients_normal", s.clientBufferBytes.load(ordering: .relaxed))
            add("mem_cluster_links", 0)
            add("mem_aof_buffer", 0)
            add("mem_allocator", "libc")
            add("active_defrag_running", 0)
            add("lazyfree_pending_objects", s.backgroundFree.pendingTables)
            add("lazyfreed_objects", 0)
        case "persistence":
            add("loading", 0); add("async_loading", 0); add("current_cow_peak", 0); add("current_cow_size", 0)
            add("current_cow_size_age", 0); add("current_fork_perc", "0.00"); add("current_save_keys_processed", 0)
            add("current_save_keys_total", 0)
            add("rdb_changes_since_last_save", s.loops.reduce(0) { $0 + $1.dirty.current })
            add("rdb_bgsave_in_progress", 0); add("rdb_last_save_time", s.lastSave); add("rdb_last_bgsave_status", "ok")
            add("rdb_last_bgsave_time_sec", -1); add("rdb_current_bgsave_time_sec", -1); add("rdb_saves", 0)
            add("rdb_last_cow_size", 0); add("rdb_last_load_keys_expired", 0); add("rdb_last_load_keys_loaded", 0)
            add("aof_enabled", 0); add("aof_rewrite_in_progress", 0); add("aof_rewrite_scheduled", 0)
            add("aof_last_rewrite_time_sec", -1); add("aof_current_rewrite_time_sec", -1)
            add("aof_last_bgrewrite_status", "ok"); add("aof_rewrites", 0); add("aof_rewrites_consecutive_failures", 0)
            add("aof_last_write_status", "ok"); add("aof_last_cow_size", 0); add("module_fork_in_progress", 0)
            add("module_fork_last_cow_size", 0)
        case "stats":
            var expired = 0, hits = 0, misses = 0
            for shard in s.keyspace.shards {
                shard.withLock { expired += shard.stats.expiredKeys; hits += shard.stats.keyspaceHits; misses += shard.stats.keyspaceMisses }
            }
            let processed = s.loops.reduce(0) { $0 + $1.commandsProcessed.current }
            add("total_connections_received", s.stats.connectionsReceived.load(ordering: .relaxed))
            add("total_commands_processed", processed)
            add("instantaneous_ops_per_sec", s.instantaneousOps.load(ordering: .relaxed))
            add("total_net_input_bytes", s.loops.reduce(0) { $0 + $1.netInputBytes.current })
            add("total_net_output_bytes", s.loops.reduce(0) { $0 + $1.netOutputBytes.current })
            add("total_net_repl_input_bytes", 0); add("total_net_repl_output_bytes", 0)
            add("instantaneous_input_kbps", "0.00"); add("instantaneous_output_kbps", "0.00")
            add("instantaneous_input_repl_kbps", "0.00"); add("instantaneous_output_repl_kbps", "0.00")
            add("rejected_connections", s.stats.rejectedConnections.load(ordering: .relaxed))
            add("sync_full", 0); add("sync_partial_ok", 0); add("sync_partial_err", 0)
            add("expired_keys", expired)
            add("expired_stale_perc", String(format2: Double(s.stats.expiredStalePercent.load(ordering: .relaxed)) / 100))
            add("expired_time_cap_reached_count", s.stats.expiredTimeCapReached.load(ordering: .relaxed))
            add("expire_cycle_cpu_milliseconds", s.stats.expireCycleMicroseconds.load(ordering: .relaxed) / 1000)
            add("evicted_keys", s.stats.evictedKeys.load(ordering: .relaxed))
            add("evicted_clients", 0); add("total_eviction_exceeded_time", 0); add("current_eviction_exceeded_time", 0)
            add("keyspace_hits", hits)
            add("keyspace_misses", misses)
            add("pubsub_channels", s.pubsubCounts().channels)
            add("pubsub_patterns", s.pubsubCounts().patterns)
            add("pubsubshard_channels", s.pubsubCounts().shardChannels)
            add("latest_fork_usec", 0); add("total_forks", 0); add("migrate_cached_sockets", 0)
            add("slave_expires_tracked_keys", 0); add("active_defrag_hits", 0); add("active_defrag_misses", 0)
            add("active_defrag_key_hits", 0); add("active_defrag_key_misses", 0); add("total_active_defrag_time", 0)
            add("current_active_defrag_time", 0); add("tracking_total_keys", s.tracking.totalKeys.load(ordering: .relaxed)); add("tracking_total_items", trackedItems(s))
            add("tracking_total_prefixes", s.tracking.prefixTotal); add("unexpected_error_replies", 0)
            add("total_error_replies", s.loops.reduce(0) { $0 + $1.totalErrorReplies.current })
            add("dump_payload_sanitizations", 0)
            add("total_reads_processed", 0); add("total_writes_processed", 0)
            add("io_threaded_reads_processed", 0); add("io_threaded_writes_processed", 0)
            add("reply_buffer_shrinks", 0); add("reply_buffer_expands", 0)
        case "replication":
            add("role", "master"); add("connected_slaves", 0); add("master_failover_state", "no-failover")
            add("master_replid", s.runId); add("master_replid2", String(repeating: "0", count: 40))
            add("master_repl_offset", 0); add("second_repl_offset", -1); add("repl_backlog_active", 0)
            add("repl_backlog_size", 1048576); add("repl_backlog_first_byte_offset", 0); add("repl_backlog_histlen", 0)
        case "cpu":
            var user: Int64 = 0, sys: Int64 = 0
            cs_cpu_usage(&user, &sys)
            func seconds(_ us: Int64) -> String {
                let frac = String(us % 1_000_000)
                return "\(us / 1_000_000)." + String(repeating: "0", count: 6 - frac.count) + frac
            }
            add("used_cpu_sys", seconds(sys)); add("used_cpu_user", seconds(user))
            add("used_cpu_sys_children", "0.000000"); add("used_cpu_user_children", "0.000000")
            add("used_cpu_sys_main_thread", seconds(sys)); add("used_cpu_user_main_thread", seconds(user))
        case "modules":
            break
        case "commandstats":
            for spec in s.commands.byId {
                var calls = 0, usec = 0, rejected = 0, failed = 0
                for loop in s.loops {
                    let k = loop.commandCounters[spec.id]
                    calls += k.calls.current; usec += CycleClock.microseconds(k.cycles.current)
                    rejected += k.rejected.current; failed += k.failed.current
                }
                if calls == 0 && rejected == 0 && failed == 0 { continue }
                let perCall = calls == 0 ? 0 : Double(usec) / Double(calls)
                lines.append("cmdstat_\(spec.fullName):calls=\(calls),usec=\(usec),usec_per_call=\(String(format2: perCall)),rejected_calls=\(rejected),failed_calls=\(failed)")
            }
        case "errorstats":
            var totals: [String: Int] = [:]
            for loop in s.loops {
                loop.errorLock.withLock { _ in for (k, v) in loop.errorCounts { totals[k, default: 0] += v } }
            }
            for (k, v) in totals.sorted(by: { $0.key < $1.key }) { lines.append("errorstat_\(k):count=\(v)") }
        case "latencystats":
            break
        case "cluster":
            add("cluster_enabled", 0)
        case "keyspace":
            for db in 0..<s.keyspace.databases {
                var keys = 0, expires = 0
                var ttlSum: Int64 = 0, ttlTables = 0
                for shard in s.keyspace.shards {
                    shard.withLock {
                        let t = shard.tables[db]
                        keys += t.count
                        expires += t.expiringCount
                        if t.averageTTL > 0 { ttlSum += t.averageTTL; ttlTables += 1 }
                    }
                }
                if keys > 0 {
                    lines.append("db\(db):keys=\(keys),expires=\(expires),avg_ttl=\(ttlTables > 0 ? ttlSum / Int64(ttlTables) : 0)")
                }
            }
        default:
            return nil
        }
        let title = section == "commandstats" ? "Commandstats" : section == "errorstats" ? "Errorstats"
            : section == "latencystats" ? "Latencystats" : section.prefix(1).uppercased() + section.dropFirst()
        var text = "# " + (section == "cpu" ? "CPU" : title) + "\r\n"
        for line in lines { text += line + "\r\n" }
        return text
    }
}

extension String {
    /// `%.2f` without Foundation.
    public init(format2 value: Double) {
        if !value.isFinite { self = value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf"); return }
        let scaled = (abs(value) * 100).rounded()
        let whole = Int(scaled / 100)
        let cents = Int(scaled) % 100
        self = (value < 0 && scaled != 0 ? "-" : "") + "\(whole)." + (cents < 10 ? "0" : "") + "\(cents)"
    }
}

extension InfoCommand {
    /// (key, client) pairs in every shard's tracking table.
    static func trackedItems(_ s: ServerContext) -> Int {
        if s.tracking.totalKeys.load(ordering: .relaxed) == 0 { return 0 }
        var total = 0
        for shard in s.keyspace.shards { shard.withLock { total += shard.interest.trackedItems } }
        return total
    }
}

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
    /// Every section, in the order INFO prints them, with its heading.
    static let sections: [(name: String, title: StaticString)] = [
        ("server", "Server"), ("clients", "Clients"), ("memory", "Memory"), ("persistence", "Persistence"),
        ("stats", "Stats"), ("replication", "Replication"), ("cpu", "CPU"), ("modules", "Modules"),
        ("commandstats", "Commandstats"), ("errorstats", "Errorstats"), ("latencystats", "Latencystats"),
        ("cluster", "Cluster"), ("keyspace", "Keyspace")]
    static let allSections = sections.map { $0.name }

    static func run(_ c: Client, _ args: Arguments) {
        if args.count == 1 {
            render(c.server, sections: defaultSections, into: c.reply)
            return
        }
        var wanted: [String] = []
        for i in 1..<args.count {
            let s = args[i].lowercasedString
            switch s {
            case "default": wanted += defaultSections
            // "all" leaves out only what modules add, and Swiftlet has none.
            case "all", "everything": wanted += allSections
            default: wanted.append(s)
            }
        }
        render(c.server, sections: wanted, into: c.reply)
    }

    /// Redis's `bytesToHuman`: `123B`, `1.21K`, `12.30M`, ...
    static func writeHuman(_ bytes: Int, into out: ReplyBuffer) {
        let d = Double(bytes), k = 1024.0
        if d < k { out.appendDecimal(bytes); out.append(UInt8(ascii: "B")); return }
        let (scaled, unit): (Double, Unicode.Scalar) =
            d < k * k ? (d / k, "K") : d < k * k * k ? (d / k / k, "M")
            : d < k * k * k * k ? (d / k / k / k, "G") : (d / k / k / k / k, "T")
        out.appendFixed2(scaled)
        out.append(UInt8(ascii: unit))
    }

    /// The sections asked for, each under its `# Title` and separated by a
    /// blank line, written into one verbatim string in the reply. As in
    /// Redis, they come in INFO's own order, whatever order they were asked
    /// in; names INFO does not know are skipped.
    static func render(_ s: ServerContext, sections: [String], into out: ReplyBuffer) {
        let mark = out.beginDeferredVerbatim()
        var first = true
        for (section, title) in InfoCommand.sections where sections.contains(section) {
            if !first { out.append("\r\n") }
            first = false
            out.append("# "); out.append(title); out.append("\r\n")
            renderSection(s, section, InfoLines(out: out))
        }
        out.endDeferredVerbatim(mark)
    }

    /// Fixed for the life of the process, and a system call each to ask.
    static let systemMemory = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
    static let processId = Int(getpid())

    /// `Linux 6.1.0 x86_64`: fixed for the life of the process.
    static let operatingSystem: String = {
        var uts = utsname()
        uname(&uts)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
        }
        return "\(text(uts.sysname)) \(text(uts.release)) \(text(uts.machine))"
    }()

    /// Writes the lines of one of `sections`.
    static func renderSection(_ s: ServerContext, _ section: String, _ lines: InfoLines) {
        let now = s.clock.milliseconds
        switch section {
        case "server":
            let uptime = (now - s.startTimeMs) / 1000
            lines.add("redis_version", SwiftletVersion.redisCompatible)
            lines.add("redis_git_sha1", "00000000")
            lines.add("redis_git_dirty", 0)
            lines.add("redis_build_id", "0")
            lines.add("redis_mode", "standalone")
            lines.add("os", operatingSystem)
            lines.add("arch_bits", 64)
            lines.add("monotonic_clock", "POSIX clock_gettime")
            lines.add("multiplexing_api", "epoll")
            lines.add("atomicvar_api", "c11-builtin")
            lines.add("gcc_version", "0.0.0")
            lines.add("process_id", processId)
            lines.add("process_supervised", "no")
            lines.add("run_id", s.runId)
            lines.add("tcp_port", s.boundPort.load(ordering: .relaxed))
            lines.add("server_time_usec", s.clock.microseconds)
            lines.add("uptime_in_seconds", uptime)
            lines.add("uptime_in_days", uptime / 86400)
            lines.add("hz", s.config.hz)
            lines.add("configured_hz", s.config.hz)
            lines.add("lru_clock", (now / 1000) & Int64(Entry.lruMask))
            lines.add("executable", s.executablePath)
            lines.add("config_file", s.config.configFilePath ?? "")
            lines.add("io_threads_active", s.loops.count > 1 ? 1 : 0)
            lines.add("swiftlet_version", s.version)
            lines.add("swiftlet_io_threads", s.loops.count)
            lines.add("swiftlet_shards", s.keyspace.shards.count)
        case "clients":
            lines.add("connected_clients", s.clients.count)
            lines.add("cluster_connections", 0)
            lines.add("maxclients", s.config.maxclients)
            lines.add("client_recent_max_input_buffer", 0)
            lines.add("client_recent_max_output_buffer", 0)
            lines.add("blocked_clients", s.blockedClients.load(ordering: .relaxed))
            lines.add("tracking_clients", s.tracking.clientCount.load(ordering: .relaxed))
            lines.add("clients_in_timeout_table", 0)
        case "memory":
            let used = s.usedMemory
            let peak = s.notePeak(used)
            let rss = s.residentBytes()
            let startup = s.baseOverhead
            let dataset = max(0, used - startup - s.clientBufferBytes.load(ordering: .relaxed))
            let total = systemMemory
            lines.add("used_memory", used)
            lines.add("used_memory_human", human: used)
            lines.add("used_memory_rss", rss)
            lines.add("used_memory_rss_human", human: rss)
            lines.add("used_memory_peak", peak)
            lines.add("used_memory_peak_human", human: peak)
            lines.add("used_memory_peak_perc", fixed2: Double(used) * 100 / Double(max(peak, 1)), then: "%")
            lines.add("used_memory_overhead", used - dataset)
            lines.add("used_memory_startup", startup)
            lines.add("used_memory_dataset", dataset)
            lines.add("used_memory_dataset_perc", fixed2: Double(dataset) * 100 / Double(max(used - startup, 1)), then: "%")
            lines.add("allocator_allocated", used)
            lines.add("allocator_active", used)
            lines.add("allocator_resident", rss)
            lines.add("total_system_memory", total)
            lines.add("total_system_memory_human", human: total)
            lines.add("used_memory_lua", 0)
            lines.add("used_memory_vm_eval", 0)
            lines.add("used_memory_lua_human", "0B")
            lines.add("used_memory_scripts_eval", 0)
            lines.add("number_of_cached_scripts", s.scripts.cachedScripts.load(ordering: .relaxed))
            lines.add("number_of_functions", s.scripts.functionCount.load(ordering: .relaxed))
            lines.add("number_of_libraries", s.scripts.libraryCount.load(ordering: .relaxed))
            lines.add("used_memory_vm_functions", 0)
            lines.add("used_memory_vm_total", 0)
            lines.add("used_memory_vm_total_human", "0B")
            lines.add("used_memory_functions", 0)
            lines.add("used_memory_scripts", 0)
            lines.add("used_memory_scripts_human", "0B")
            lines.add("maxmemory", s.config.maxmemory)
            lines.add("maxmemory_human", human: s.config.maxmemory)
            lines.add("maxmemory_policy", s.config.maxmemoryPolicyName)
            lines.add("allocator_frag_ratio", "1.00")
            lines.add("allocator_frag_bytes", 0)
            lines.add("allocator_rss_ratio", fixed2: Double(rss) / Double(max(used, 1)))
            lines.add("allocator_rss_bytes", rss - used)
            lines.add("rss_overhead_ratio", "1.00")
            lines.add("rss_overhead_bytes", 0)
            lines.add("mem_fragmentation_ratio", fixed2: Double(rss) / Double(max(used, 1)))
            lines.add("mem_fragmentation_bytes", rss - used)
            lines.add("mem_not_counted_for_evict", 0)
            lines.add("mem_replication_backlog", 0)
            lines.add("mem_total_replication_buffers", 0)
            lines.add("mem_clients_slaves", 0)
            lines.add("mem_clients_normal", s.clientBufferBytes.load(ordering: .relaxed))
            lines.add("mem_cluster_links", 0)
            lines.add("mem_aof_buffer", 0)
            lines.add("mem_allocator", "libc")
            lines.add("active_defrag_running", 0)
            lines.add("lazyfree_pending_objects", s.backgroundFree.pendingTables)
            lines.add("lazyfreed_objects", 0)
        case "persistence":
            lines.add("loading", 0); lines.add("async_loading", 0); lines.add("current_cow_peak", 0); lines.add("current_cow_size", 0)
            lines.add("current_cow_size_age", 0); lines.add("current_fork_perc", "0.00"); lines.add("current_save_keys_processed", 0)
            lines.add("current_save_keys_total", 0)
            lines.add("rdb_changes_since_last_save", s.loops.reduce(0) { $0 + $1.dirty.current })
            lines.add("rdb_bgsave_in_progress", 0); lines.add("rdb_last_save_time", s.lastSave); lines.add("rdb_last_bgsave_status", "ok")
            lines.add("rdb_last_bgsave_time_sec", -1); lines.add("rdb_current_bgsave_time_sec", -1); lines.add("rdb_saves", 0)
            lines.add("rdb_last_cow_size", 0); lines.add("rdb_last_load_keys_expired", 0); lines.add("rdb_last_load_keys_loaded", 0)
            lines.add("aof_enabled", 0); lines.add("aof_rewrite_in_progress", 0); lines.add("aof_rewrite_scheduled", 0)
            lines.add("aof_last_rewrite_time_sec", -1); lines.add("aof_current_rewrite_time_sec", -1)
            lines.add("aof_last_bgrewrite_status", "ok"); lines.add("aof_rewrites", 0); lines.add("aof_rewrites_consecutive_failures", 0)
            lines.add("aof_last_write_status", "ok"); lines.add("aof_last_cow_size", 0); lines.add("module_fork_in_progress", 0)
            lines.add("module_fork_last_cow_size", 0)
        case "stats":
            var expired = 0, hits = 0, misses = 0
            s.keyspace.forEachShardLocked { shard in
                expired += shard.stats.expiredKeys; hits += shard.stats.keyspaceHits; misses += shard.stats.keyspaceMisses
            }
            let processed = s.loops.reduce(0) { $0 + $1.commandsProcessed.current }
            lines.add("total_connections_received", s.stats.connectionsReceived.load(ordering: .relaxed))
            lines.add("total_commands_processed", processed)
            lines.add("instantaneous_ops_per_sec", s.instantaneousOps.load(ordering: .relaxed))
            lines.add("total_net_input_bytes", s.loops.reduce(0) { $0 + $1.netInputBytes.current })
            lines.add("total_net_output_bytes", s.loops.reduce(0) { $0 + $1.netOutputBytes.current })
            lines.add("total_net_repl_input_bytes", 0); lines.add("total_net_repl_output_bytes", 0)
            lines.add("instantaneous_input_kbps", "0.00"); lines.add("instantaneous_output_kbps", "0.00")
            lines.add("instantaneous_input_repl_kbps", "0.00"); lines.add("instantaneous_output_repl_kbps", "0.00")
            lines.add("rejected_connections", s.stats.rejectedConnections.load(ordering: .relaxed))
            lines.add("sync_full", 0); lines.add("sync_partial_ok", 0); lines.add("sync_partial_err", 0)
            lines.add("expired_keys", expired)
            lines.add("expired_stale_perc", fixed2: Double(s.stats.expiredStalePercent.load(ordering: .relaxed)) / 100)
            lines.add("expired_time_cap_reached_count", s.stats.expiredTimeCapReached.load(ordering: .relaxed))
            lines.add("expire_cycle_cpu_milliseconds", s.stats.expireCycleMicroseconds.load(ordering: .relaxed) / 1000)
            lines.add("evicted_keys", s.stats.evictedKeys.load(ordering: .relaxed))
            lines.add("evicted_clients", 0); lines.add("total_eviction_exceeded_time", 0); lines.add("current_eviction_exceeded_time", 0)
            lines.add("keyspace_hits", hits)
            lines.add("keyspace_misses", misses)
            lines.add("pubsub_channels", s.pubsubCounts().channels)
            lines.add("pubsub_patterns", s.pubsubCounts().patterns)
            lines.add("pubsubshard_channels", s.pubsubCounts().shardChannels)
            lines.add("latest_fork_usec", 0); lines.add("total_forks", 0); lines.add("migrate_cached_sockets", 0)
            lines.add("slave_expires_tracked_keys", 0); lines.add("active_defrag_hits", 0); lines.add("active_defrag_misses", 0)
            lines.add("active_defrag_key_hits", 0); lines.add("active_defrag_key_misses", 0); lines.add("total_active_defrag_time", 0)
            lines.add("current_active_defrag_time", 0); lines.add("tracking_total_keys", s.tracking.totalKeys.load(ordering: .relaxed)); lines.add("tracking_total_items", trackedItems(s))
            lines.add("tracking_total_prefixes", s.tracking.prefixTotal); lines.add("unexpected_error_replies", 0)
            lines.add("total_error_replies", s.loops.reduce(0) { $0 + $1.totalErrorReplies.current })
            lines.add("dump_payload_sanitizations", 0)
            lines.add("total_reads_processed", s.loops.reduce(0) { $0 + $1.readsProcessed.current })
            lines.add("total_writes_processed", s.loops.reduce(0) { $0 + $1.writesProcessed.current })
            lines.add("io_threaded_reads_processed", 0); lines.add("io_threaded_writes_processed", 0)
            lines.add("reply_buffer_shrinks", 0); lines.add("reply_buffer_expands", 0)
        case "replication":
            lines.add("role", "master"); lines.add("connected_slaves", 0); lines.add("master_failover_state", "no-failover")
            lines.add("master_replid", s.runId); lines.add("master_replid2", "0000000000000000000000000000000000000000")
            lines.add("master_repl_offset", 0); lines.add("second_repl_offset", -1); lines.add("repl_backlog_active", 0)
            lines.add("repl_backlog_size", 1048576); lines.add("repl_backlog_first_byte_offset", 0); lines.add("repl_backlog_histlen", 0)
        case "cpu":
            var user: Int64 = 0, sys: Int64 = 0
            cs_cpu_usage(&user, &sys)
            lines.add("used_cpu_sys", microseconds: sys); lines.add("used_cpu_user", microseconds: user)
            lines.add("used_cpu_sys_children", "0.000000"); lines.add("used_cpu_user_children", "0.000000")
            lines.add("used_cpu_sys_main_thread", microseconds: sys); lines.add("used_cpu_user_main_thread", microseconds: user)
        case "modules":
            break
        case "commandstats":
            // Summed loop by loop, the counters reached unretained: iterating
            // the specs and loops for each of ~400 commands retained and
            // released each, 44% of INFO ALL's CPU.
            var totals = [(calls: Int, usec: Int, rejected: Int, failed: Int)](
                repeating: (0, 0, 0, 0), count: s.commands.byId.count)
            for loop in s.loops {
                for id in totals.indices {
                    loop.withCounters(id) { k in
                        totals[id].calls += k.calls.current
                        totals[id].usec += CycleClock.microseconds(k.cycles.current)
                        totals[id].rejected += k.rejected.current
                        totals[id].failed += k.failed.current
                    }
                }
            }
            for (id, t) in totals.enumerated() {
                let (calls, usec, rejected, failed) = t
                if calls == 0 && rejected == 0 && failed == 0 { continue }
                let perCall = calls == 0 ? 0 : Double(usec) / Double(calls)
                let spec = s.commands.byId[id]
                let out = lines.out
                out.append("cmdstat_"); out.append(spec.fullName)
                out.append(":calls="); out.appendDecimal(calls)
                out.append(",usec="); out.appendDecimal(usec)
                out.append(",usec_per_call="); out.appendFixed2(perCall)
                out.append(",rejected_calls="); out.appendDecimal(rejected)
                out.append(",failed_calls="); out.appendDecimal(failed)
                out.append("\r\n")
            }
        case "errorstats":
            var totals: [String: Int] = [:]
            for loop in s.loops {
                loop.errorLock.withLock { _ in for (k, v) in loop.errorCounts { totals[k, default: 0] += v } }
            }
            for (k, v) in totals.sorted(by: { $0.key < $1.key }) {
                lines.out.append("errorstat_"); lines.out.append(k)
                lines.out.append(":count="); lines.out.appendDecimal(v); lines.out.append("\r\n")
            }
        case "latencystats":
            break
        case "cluster":
            lines.add("cluster_enabled", 0)
        case "keyspace":
            // Empty databases are skipped by their published counts, without
            // taking 64 shard locks each (16 databases made INFO take 1024).
            for db in 0..<s.keyspace.databases where s.keyspace.keyCount(db: db) > 0 {
                var keys = 0, expires = 0
                var ttlSum: Int64 = 0, ttlTables = 0
                s.keyspace.forEachShardLocked { shard in
                    let t = shard.tables[db]
                    keys += t.count
                    expires += t.expiringCount
                    if t.averageTTL > 0 { ttlSum += t.averageTTL; ttlTables += 1 }
                }
                if keys > 0 {
                    let out = lines.out
                    out.append("db"); out.appendDecimal(db)
                    out.append(":keys="); out.appendDecimal(keys)
                    out.append(",expires="); out.appendDecimal(expires)
                    out.append(",avg_ttl="); out.appendDecimal(ttlTables > 0 ? Int(ttlSum / Int64(ttlTables)) : 0)
                    out.append("\r\n")
                }
            }
        default:
            break
        }
    }
}

extension String {
    /// `%.2f`, as C's printf writes it.
    public init(format2 value: Double) {
        self = DoubleFormat.withFixed2Text(value) { String(decoding: $0, as: UTF8.self) }
    }
}

extension InfoCommand {
    /// (key, client) pairs in every shard's tracking table.
    static func trackedItems(_ s: ServerContext) -> Int {
        if s.tracking.totalKeys.load(ordering: .relaxed) == 0 { return 0 }
        var total = 0
        s.keyspace.forEachShardLocked { total += $0.interest.trackedItems }
        return total
    }
}

/// One INFO section's `name:value` lines, written straight into the reply
/// (inside `render`'s deferred verbatim string). Typed overloads rather than
/// one taking `Any` (interpolating an `Any` goes through dynamic casts and
/// conformance lookups: INFO cost 9.5x Redis's CPU), static names, and no
/// String per line (each String append checks uniqueness, capacity and
/// ASCII-ness: INFO was still 1.8x Redis's CPU with a String per section).
struct InfoLines {
    let out: ReplyBuffer

    private func begin(_ name: StaticString) {
        out.append(name)
        out.append(UInt8(ascii: ":"))
    }

    func add(_ name: StaticString, _ value: StaticString) {
        begin(name); out.append(value); out.append("\r\n")
    }

    @_disfavoredOverload
    func add(_ name: StaticString, _ value: String) {
        begin(name); out.append(value); out.append("\r\n")
    }

    func add(_ name: StaticString, _ value: Int) {
        begin(name); out.appendDecimal(value); out.append("\r\n")
    }

    func add<T: BinaryInteger>(_ name: StaticString, _ value: T) {
        if let v = Int(exactly: value) { add(name, v) } else { add(name, String(value)) }
    }

    /// `%.2f`, then `suffix` (`%` for the percentages).
    func add(_ name: StaticString, fixed2 value: Double, then suffix: StaticString = "") {
        begin(name); out.appendFixed2(value); out.append(suffix); out.append("\r\n")
    }

    /// Bytes as Redis's `bytesToHuman` prints them.
    func add(_ name: StaticString, human bytes: Int) {
        begin(name); InfoCommand.writeHuman(bytes, into: out); out.append("\r\n")
    }

    /// Microseconds as seconds with six decimals (`%ld.%06ld`).
    func add(_ name: StaticString, microseconds us: Int64) {
        begin(name)
        out.appendDecimal(Int(us / 1_000_000))
        out.append(UInt8(ascii: "."))
        let fraction = Int(us % 1_000_000)
        for _ in Decimal.length(fraction)..<6 { out.append(UInt8(ascii: "0")) }
        out.appendDecimal(fraction)
        out.append("\r\n")
    }
}

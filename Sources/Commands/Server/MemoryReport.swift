import RESP
import Storage

/// MEMORY STATS and MEMORY DOCTOR: what Swiftlet really knows about its memory.
enum MemoryReport {
    static func stats(_ c: Client) {
        let s = c.server
        let used = s.usedMemory
        let peak = s.notePeak(used)
        let dataset = s.keyspace.datasetBytes
        var keys = 0
        for db in 0..<s.keyspace.databases { keys += s.keyspace.keyCount(db: db) }
        let rss = s.residentBytes()
        let fields: [(String, Int)] = [
            ("peak.allocated", peak), ("total.allocated", used), ("startup.allocated", s.baseOverhead),
            ("replication.backlog", 0), ("clients.slaves", 0),
            ("clients.normal", s.clientBufferBytes.load(ordering: .relaxed)), ("cluster.links", 0), ("aof.buffer", 0),
            ("lua.caches", 0), ("functions.caches", 0),
        ]
        var perDb: [(Int, Int, Int)] = []
        for db in 0..<s.keyspace.databases {
            let n = s.keyspace.keyCount(db: db)
            if n > 0 { perDb.append((db, n, s.keyspace.expiringCount(db: db))) }
        }
        // Redis's fields in Redis's order; the allocator and fragmentation
        // figures are the ones INFO memory gives (glibc malloc: no separate
        // active/allocated accounting, so allocated = active = used_memory).
        c.reply.map(fields.count + perDb.count + 17)
        for (k, v) in fields { c.reply.bulk(k); c.reply.integer(v) }
        for (db, n, e) in perDb {
            c.reply.bulk("db.\(db)")
            c.reply.map(3)
            c.reply.bulk("overhead.hashtable.main"); c.reply.integer(n * 8)
            c.reply.bulk("overhead.hashtable.expires"); c.reply.integer(e * 8)
            c.reply.bulk("overhead.hashtable.slot-to-keys"); c.reply.integer(0)
        }
        let usedOrOne = Double(max(used, 1))
        c.reply.bulk("overhead.total"); c.reply.integer(used - dataset)
        c.reply.bulk("keys.count"); c.reply.integer(keys)
        c.reply.bulk("keys.bytes-per-key"); c.reply.integer(keys == 0 ? 0 : dataset / keys)
        c.reply.bulk("dataset.bytes"); c.reply.integer(dataset)
        c.reply.bulk("dataset.percentage"); c.reply.double(Double(dataset) * 100 / usedOrOne)
        c.reply.bulk("peak.percentage"); c.reply.double(Double(used) * 100 / Double(max(peak, 1)))
        c.reply.bulk("allocator.allocated"); c.reply.integer(used)
        c.reply.bulk("allocator.active"); c.reply.integer(used)
        c.reply.bulk("allocator.resident"); c.reply.integer(rss)
        c.reply.bulk("allocator-fragmentation.ratio"); c.reply.double(1)
        c.reply.bulk("allocator-fragmentation.bytes"); c.reply.integer(0)
        c.reply.bulk("allocator-rss.ratio"); c.reply.double(Double(rss) / usedOrOne)
        c.reply.bulk("allocator-rss.bytes"); c.reply.integer(rss - used)
        c.reply.bulk("rss-overhead.ratio"); c.reply.double(1)
        c.reply.bulk("rss-overhead.bytes"); c.reply.integer(0)
        c.reply.bulk("fragmentation"); c.reply.double(Double(rss) / usedOrOne)
        c.reply.bulk("fragmentation.bytes"); c.reply.integer(rss - used)
    }

    static func doctor(_ s: ServerContext) -> String {
        let used = s.usedMemory
        let rss = s.residentBytes()
        let peak = s.notePeak(used)
        if used < 5 * 1024 * 1024 {
            return "Swiftlet memory report: this instance holds too little data (under 5 MB) for a meaningful diagnosis.\n"
        }
        var problems: [String] = []
        if peak > used * 3 / 2 {
            problems.append(" * Peak memory: at some point used_memory was \(peak) bytes, more than 150% of the \(used) bytes used now. Freed memory may not return to the OS until MEMORY PURGE.")
        }
        let ratio = Double(rss) / Double(max(used, 1))
        if ratio > 1.4 {
            problems.append(" * High fragmentation: the process holds \(String(format2: ratio))x the memory the data needs (RSS \(rss) bytes). MEMORY PURGE may return free pages to the OS.")
        }
        if s.config.maxmemory > 0 && used > s.config.maxmemory {
            problems.append(" * Over maxmemory: used_memory \(used) is above maxmemory \(s.config.maxmemory); writes will evict or fail.")
        }
        if problems.isEmpty { return "Swiftlet memory report: no problems found (used_memory \(used) bytes, RSS \(rss) bytes).\n" }
        return "Swiftlet memory report found these issues:\n\n" + problems.joined(separator: "\n\n") + "\n"
    }
}


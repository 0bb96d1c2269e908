import Sync
import CSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The eight `maxmemory-policy` behaviours, as the storage layer needs them.
public enum EvictionPolicy: Sendable, Equatable {
    case noeviction
    case lru(volatileOnly: Bool)
    case lfu(volatileOnly: Bool)
    case random(volatileOnly: Bool)
    case ttl

    var volatileOnly: Bool {
        switch self {
        case .noeviction: return false
        case .lru(let v), .lfu(let v), .random(let v): return v
        case .ttl: return true
        }
    }
}

/// Settings one eviction run reads (from `maxmemory-*` and `lfu-*`).
public struct EvictionSettings: Sendable {
    public var policy: EvictionPolicy
    /// Each pool refill samples `samplesPerShard` keys (a run of neighbouring
    /// slots) in each of `shardsPerRefill` shards. How close sampled
    /// eviction comes to exact LRU/LFU depends on the fresh samples per
    /// eviction and on nothing else we tried (a pool of 64 or 256, 1 ms LRU
    /// ticks). Each sampled key costs an entry miss, prefetched together;
    /// each shard visited costs a lock, a slot-line miss and a pass over its
    /// databases, so more keys per shard is cheaper than more shards. On
    /// `Benchmarks/eviction.py`'s Zipf trace at equal resident keys
    /// (docs/DESIGN.md "Eviction"):
    /// - LRU takes four times `maxmemory-samples` in each of two shards (40
    ///   keys by default): 10 keys gave 0.7657, 20 0.7661, 40 0.7662 = exact
    ///   LRU, 128 0.7663.
    /// - LFU takes twice `maxmemory-samples` in one shard (10 keys):
    ///   0.8050-0.8052 against exact LFU's 0.8051, where 5 gave 0.8025. A
    ///   sharper LFU holds on longer to keys that were hot before a
    ///   popularity shift (their counters lose one step a minute, and the
    ///   benchmark lasts seconds): 20 keys fell below Redis across the
    ///   shift, 10 stays ahead of it.
    /// - volatile-ttl: `maxmemory-samples` in each of two shards.
    public var shardsPerRefill: Int
    public var samplesPerShard: Int
    public var lfuDecayTime: Int
    /// `samples` is `maxmemory-samples`.
    public init(policy: EvictionPolicy, samples: Int, lfuDecayTime: Int) {
        self.policy = policy; self.lfuDecayTime = lfuDecayTime
        switch policy {
        case .lru: (shardsPerRefill, samplesPerShard) = (2, 4 * samples)
        case .lfu: (shardsPerRefill, samplesPerShard) = (1, 2 * samples)
        default: (shardsPerRefill, samplesPerShard) = (2, samples)
        }
    }
}

/// Approximate LRU/LFU/TTL eviction with Redis's candidate pool: sampled
/// keys are scored (idle time; 255 - frequency, then idle seconds; or time
/// to expiry) and the best 16 are kept across runs; each eviction takes the
/// best candidate that still exists and has not become a worse victim
/// since. Redis samples `maxmemory-samples` keys of one dictionary per
/// refill; Swiftlet samples more (`EvictionSettings`), enough to match
/// exact LRU and exact LFU on a Zipf trace.
///
/// Invariant: the pool is guarded by `lock`; shard locks are taken inside
/// it, never the other way round (commands never evict while holding a shard).
public final class Evictor: @unchecked Sendable {
    /// A pooled key, known by its slot value (entry address and hash tag)
    /// rather than a copy of its name: pooling costs no allocation, and
    /// finding it again reads no entry. A stale value (the key was deleted,
    /// rewritten into a new block, or the address reused) is at worst found
    /// missing or names another key, which eviction may take as well.
    struct Candidate {
        var score: UInt64
        var shard: Int32
        var db: Int32
        var slotValue: UInt64
        var home: Int
        var capacity: Int
    }

    public static let poolSize = 16
    private let lock = Locked<Void>(())
    // Guarded by `lock` (hence no dynamic exclusivity checks: they were 2%
    // of CPU under sustained eviction), sorted by ascending score (best
    // candidate last).
    @exclusivity(unchecked) private var pool: [Candidate] = []
    @exclusivity(unchecked) private var random = FastRandom()
    public let keyspace: Keyspace

    /// Called with the shard locked for every evicted key (notifications, tracking).
    public var onEvicted: ((_ shard: Shard, _ db: Int, _ key: UnsafeRawBufferPointer) -> Void)? = nil

    public init(keyspace: Keyspace) { self.keyspace = keyspace }

    public enum Outcome: Equatable {
        /// Enough was freed.
        case done
        /// The time budget ran out with memory still over the limit; try again soon.
        case running
        /// Nothing (more) can be evicted: the caller answers OOM.
        case failed
    }

    /// Evicts until `bytesToFree` bytes are released, nothing is left to
    /// evict, or `deadlineUs` (monotonic) passes. Returns the outcome and
    /// the number of keys evicted.
    public func evict(bytesToFree: Int, settings: EvictionSettings, nowMs: Int64, deadlineUs: Int64) -> (Outcome, Int) {
        if case .noeviction = settings.policy { return (.failed, 0) }
        return lock.withLock { _ in
            var freed = 0
            var evicted = 0
            while freed < bytesToFree {
                guard let bytes = evictOne(settings, nowMs: nowMs) else { return (.failed, evicted) }
                freed += bytes
                evicted += 1
                if evicted & 15 == 0 && cs_monotonic_us() > deadlineUs { return (freed >= bytesToFree ? .done : .running, evicted) }
            }
            return (.done, evicted)
        }
    }

    /// Removes one key chosen by the policy; returns the bytes it held, or nil.
    private func evictOne(_ settings: EvictionSettings, nowMs: Int64) -> Int? {
        switch settings.policy {
        case .noeviction:
            return nil
        case .random(let volatileOnly):
            return evictRandom(volatileOnly: volatileOnly, nowMs: nowMs)
        default:
            // As in Redis, sample before every eviction: the pool keeps the
            // best candidates seen so far, and fresh samples keep its best
            // entry good (taking the pool's leftovers would evict hot keys).
            for _ in 0..<4 {
                refill(settings, nowMs: nowMs)
                if pool.isEmpty { return nil }
                while let best = pool.popLast() {
                    if let bytes = remove(best, settings, nowMs: nowMs) { return bytes }
                }
            }
            return nil
        }
    }

    /// A table to sample, and where.
    private struct Probe {
        var shard: Int32
        var db: Int32
        var random: UInt64
    }

    /// A sampled key between sampling and scoring.
    private struct Sample {
        var shard: Int32
        var db: Int32
        var slot: Int
        var entry: Entry
    }

    /// Samples keys from a few shards and keeps the best-scored in the pool.
    /// The shards of one refill are locked together (ascending, as every
    /// multi-shard lock) so that all their slot-array and entry misses are in
    /// flight at once: sampling is memory latency, not work, and one round
    /// trip per refill instead of one per shard halved its cost.
    private func refill(_ settings: EvictionSettings, nowMs: Int64) {
        // Shards are reached by index through the keyspace, unretained, as
        // on the request path (no retain and release per shard reference).
        let shardCount = keyspace.shards.count
        let volatileOnly = settings.policy.volatileOnly
        let databases = keyspace.databases
        let groupSize = max(1, min(settings.shardsPerRefill, shardCount))
        let perShard = databases * settings.samplesPerShard
        // Groups of neighbouring shards starting at a random one, until enough
        // non-empty shards were sampled (bounded by one pass over all shards).
        var visited = 0
        var tried = 0
        var next = Int.random(in: 0..<shardCount, using: &random)
        withUnsafeTemporaryAllocation(of: Sample.self, capacity: groupSize * perShard) { samples in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(groupSize, settings.samplesPerShard)) { scratch in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: groupSize) { group in
        withUnsafeTemporaryAllocation(of: Probe.self, capacity: groupSize * databases) { probeList in
            while visited < groupSize && tried < shardCount {
                let size = min(groupSize - visited, shardCount - tried)
                tried += size
                // Neighbouring shards, listed in ascending (lock) order even
                // when the run wraps past the last shard.
                let wrapped = max(0, next + size - shardCount)
                for k in 0..<wrapped { group[k] = k }
                for k in wrapped..<size { group[k] = next + k - wrapped }
                next = (next + size) % shardCount
                for k in 0..<size { keyspace.withShard(at: group[k]) { $0.lock() } }
                // Three passes, so that each kind of miss overlaps with its
                // kind: every sampled run's slot line, then every sampled
                // entry, then the scores.
                var found = 0
                var probes = 0
                for k in 0..<size {
                    let i = group[k]
                    var any = false
                    for db in 0..<databases {
                        let table = keyspace.tables(ofShard: i) + db
                        let population = volatileOnly ? table.pointee.expiringCount : table.pointee.count
                        if population == 0 { continue }
                        any = true
                        let r = random.next()
                        if !volatileOnly { table.pointee.prefetchSample(r, count: min(settings.samplesPerShard, population)) }
                        probeList[probes] = Probe(shard: Int32(i), db: Int32(db), random: r)
                        probes += 1
                    }
                    if any { found += 1 }
                }
                var sampled = 0
                for p in 0..<probes {
                    let probe = probeList[p]
                    let table = keyspace.tables(ofShard: Int(probe.shard)) + Int(probe.db)
                    let population = volatileOnly ? table.pointee.expiringCount : table.pointee.count
                    let wanted = min(settings.samplesPerShard, population)
                    if volatileOnly {
                        for _ in 0..<wanted {
                            let e = table.pointee.expiringEntry(Int.random(in: 0..<population, using: &random))
                            cs_prefetch(e.raw)
                            samples[sampled] = Sample(shard: probe.shard, db: probe.db, slot: -1, entry: e)
                            sampled += 1
                        }
                        continue
                    }
                    // A run of neighbouring slots (one slot-array miss).
                    let n = table.pointee.sampleSlots(probe.random, count: wanted, into: scratch.baseAddress!)
                    for k in 0..<n {
                        let e = table.pointee.entry(at: scratch[k])
                        cs_prefetch(e.raw)
                        samples[sampled] = Sample(shard: probe.shard, db: probe.db, slot: scratch[k], entry: e)
                        sampled += 1
                    }
                }
                for k in 0..<sampled {
                    let sample = samples[k]
                    consider(sample, score: score(sample.entry, settings, nowMs: nowMs))
                }
                for k in 0..<size { keyspace.withShard(at: group[k]) { $0.unlock() } }
                visited += found
            }
        }
        }
        }
        }
    }

    private func score(_ e: Entry, _ settings: EvictionSettings, nowMs: Int64) -> UInt64 {
        switch settings.policy {
        case .lru:
            return UInt64(LRUClock.idleMilliseconds(e.lru, nowMs: nowMs))
        case .lfu:
            return LFU.evictionScore(e.lru, nowMs: nowMs, decayTime: settings.lfuDecayTime)
        case .ttl:
            return UInt64.max - UInt64(max(0, e.expireAt))
        default:
            return 0
        }
    }

    /// Inserts a sampled key if the pool has room or it beats the worst
    /// entry (its shard locked).
    private func consider(_ sample: Sample, score: UInt64) {
        if pool.count == Evictor.poolSize && score <= pool[0].score { return }
        let table = keyspace.tables(ofShard: Int(sample.shard)) + Int(sample.db)
        let value: UInt64, home: Int
        if sample.slot >= 0 {
            value = table.pointee.slotValue(at: sample.slot)
            home = table.pointee.home(ofValue: value)
        } else {
            (value, home) = table.pointee.slotValue(of: sample.entry)
        }
        // Skip a key already pooled (sampled twice).
        if pool.contains(where: { $0.slotValue == value && $0.shard == sample.shard && $0.db == sample.db }) { return }
        let c = Candidate(score: score, shard: sample.shard, db: sample.db, slotValue: value, home: home,
                          capacity: table.pointee.capacity)
        var i = 0
        while i < pool.count && pool[i].score <= c.score { i += 1 }
        pool.insert(c, at: i)
        if pool.count > Evictor.poolSize { pool.removeFirst() }
    }

    /// Deletes a pooled key if it still exists (and still has a TTL for
    /// volatile policies) and is still as good a victim as when it was
    /// pooled. A candidate can wait in the pool through many evictions; if
    /// its key was read meanwhile (or its TTL extended) its score fell, and
    /// evicting it would take a key that exact LRU/LFU would keep. Redis
    /// evicts it on the old score.
    private func remove(_ c: Candidate, _ settings: EvictionSettings, nowMs: Int64) -> Int? {
        keyspace.withShard(at: Int(c.shard)) { shard in
            shard.lock()
            defer { shard.unlock() }
            let table = shard.tables + Int(c.db)
            guard let slot = table.pointee.slot(holding: c.slotValue, homeThen: c.home, capacityThen: c.capacity) else { return nil }
            let entry = table.pointee.entry(at: slot)
            if settings.policy.volatileOnly && !entry.hasExpiry { return nil }
            if score(entry, settings, nowMs: nowMs) < c.score { return nil }
            return delete(shard, db: Int(c.db), slot: slot)
        }
    }

    private func evictRandom(volatileOnly: Bool, nowMs: Int64) -> Int? {
        let shards = keyspace.shards
        let start = Int.random(in: 0..<shards.count, using: &random)
        for step in 0..<shards.count {
            let shard = shards[(start + step) % shards.count]
            shard.lock()
            defer { shard.unlock() }
            for db in 0..<keyspace.databases {
                let table = shard.tables + db
                if volatileOnly {
                    let n = table.pointee.expiringCount
                    if n == 0 { continue }
                    let e = table.pointee.expiringEntry(Int.random(in: 0..<n, using: &random))
                    guard let slot = table.pointee.find(e.key, hash: keyspace.hash(e.key)) else { continue }
                    return delete(shard, db: db, slot: slot)
                } else {
                    guard let slot = table.pointee.randomSlot(UInt64.random(in: 0...UInt64.max, using: &random)) else { continue }
                    return delete(shard, db: db, slot: slot)
                }
            }
        }
        return nil
    }

    /// Removes the key at `slot` (shard locked), reports it, returns the bytes freed.
    private func delete(_ shard: Shard, db: Int, slot: Int) -> Int {
        let table = shard.tables + db
        let before = shard.totals.pointee.bytes
        let e = table.pointee.detach(at: slot)
        onEvicted?(shard, db, e.key)
        KeyTable.free(e)
        return max(1, before - shard.totals.pointee.bytes)
    }

    /// Forgets pooled candidates (after FLUSHALL, or a policy change).
    public func clearPool() { lock.withLock { _ in pool.removeAll() } }
}

/// xorshift64*: cheap randomness for sampling (the system generator makes a
/// syscall per number).
public struct FastRandom: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64 = UInt64(truncatingIfNeeded: cs_monotonic_us()) | 1) { state = seed | 1 }
    public mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

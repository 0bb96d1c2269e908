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
    /// `maxmemory-samples`: keys sampled per shard visited.
    public var samples: Int
    /// How many shards each pool refill samples (more shards, closer to exact LRU/LFU).
    public var shardsPerRefill: Int
    public var lfuDecayTime: Int
    public init(policy: EvictionPolicy, samples: Int, shardsPerRefill: Int = 2, lfuDecayTime: Int) {
        self.policy = policy; self.samples = samples; self.shardsPerRefill = shardsPerRefill; self.lfuDecayTime = lfuDecayTime
    }
}

/// Approximate LRU/LFU/TTL eviction with Redis's candidate pool: sampled
/// keys are scored (idle time, 255 - frequency, or time to expiry) and the
/// best 16 are kept across runs; each eviction takes the best candidate that
/// still exists. Unlike Redis, which samples `maxmemory-samples` keys of one
/// dictionary per refill, a refill here samples that many keys in each of
/// several shards, which brings the choice closer to exact LRU/LFU.
///
/// Invariant: the pool is guarded by `lock`; shard locks are taken inside
/// it, never the other way round (commands never evict while holding a shard).
public final class Evictor: @unchecked Sendable {
    struct Candidate {
        var score: UInt64
        var db: Int
        var shard: Int
        var key: [UInt8]
    }

    public static let poolSize = 16
    private let lock = Locked<Void>(())
    // Guarded by `lock`, sorted by ascending score (best candidate last).
    private var pool: [Candidate] = []
    private var random = FastRandom()
    private var nextRandomShard = 0
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
                    if let bytes = remove(best, volatileOnly: settings.policy.volatileOnly) { return bytes }
                }
            }
            return nil
        }
    }

    /// Samples keys from a few shards and keeps the best-scored in the pool.
    private func refill(_ settings: EvictionSettings, nowMs: Int64) {
        let shards = keyspace.shards
        let lruClock = LRUClock.at(nowMs)
        var sampledAny = false
        // Visit shards starting at a random one; skip empty ones (bounded).
        var visited = 0
        var tries = 0
        var index = Int.random(in: 0..<shards.count, using: &random)
        while visited < settings.shardsPerRefill && tries < shards.count {
            tries += 1
            let shard = shards[index]
            index = (index + 1) % shards.count
            shard.lock()
            var found = false
            for db in 0..<keyspace.databases {
                let table = shard.tables + db
                let population = settings.policy.volatileOnly ? table.pointee.expiringCount : table.pointee.count
                if population == 0 { continue }
                found = true
                let wanted = min(settings.samples, population)
                if settings.policy.volatileOnly {
                    for _ in 0..<wanted {
                        let e = table.pointee.expiringEntry(Int.random(in: 0..<population, using: &random))
                        consider(Candidate(score: score(e, settings, lruClock: lruClock, nowMs: nowMs), db: db, shard: shard.index, key: []), e)
                    }
                    continue
                }
                // Neighbouring slots, then all their entries prefetched before
                // any is read: the entry misses overlap instead of queueing
                // (sampling was 36% of CPU under sustained SETs with eviction).
                withUnsafeTemporaryAllocation(of: Int.self, capacity: wanted) { picked in
                    let n = table.pointee.sampleSlots(UInt64.random(in: 0...UInt64.max, using: &random), count: wanted,
                                                      into: picked.baseAddress!)
                    for k in 0..<n { cs_prefetch(table.pointee.entry(at: picked[k]).raw) }
                    for k in 0..<n {
                        let e = table.pointee.entry(at: picked[k])
                        consider(Candidate(score: score(e, settings, lruClock: lruClock, nowMs: nowMs), db: db, shard: shard.index, key: []), e)
                    }
                }
            }
            shard.unlock()
            if found { visited += 1; sampledAny = true }
        }
        _ = sampledAny
    }

    private func score(_ e: Entry, _ settings: EvictionSettings, lruClock: UInt32, nowMs: Int64) -> UInt64 {
        switch settings.policy {
        case .lru:
            return UInt64(LRUClock.idleTicks(e.lru, now: lruClock))
        case .lfu:
            return UInt64(255 - LFU.decayed(e.lru, nowMs: nowMs, decayTime: settings.lfuDecayTime))
        case .ttl:
            return UInt64.max - UInt64(max(0, e.expireAt))
        default:
            return 0
        }
    }

    /// Inserts a sampled key if the pool has room or it beats the worst entry.
    private func consider(_ candidate: Candidate, _ e: Entry) {
        if pool.count == Evictor.poolSize && candidate.score <= pool[0].score { return }
        // Skip a key already pooled (sampled twice).
        if pool.contains(where: { $0.shard == candidate.shard && $0.db == candidate.db && e.keyEquals($0.key.withUnsafeBytes { $0 }) }) { return }
        var c = candidate
        c.key = Array(e.key)
        var i = 0
        while i < pool.count && pool[i].score <= c.score { i += 1 }
        pool.insert(c, at: i)
        if pool.count > Evictor.poolSize { pool.removeFirst() }
    }

    /// Deletes a pooled key if it still exists (and still has a TTL for volatile policies).
    private func remove(_ c: Candidate, volatileOnly: Bool) -> Int? {
        let shard = keyspace.shards[c.shard]
        shard.lock()
        defer { shard.unlock() }
        let table = shard.tables + c.db
        return c.key.withUnsafeBytes { key -> Int? in
            let hash = keyspace.hash(key)
            guard let slot = table.pointee.find(key, hash: hash) else { return nil }
            if volatileOnly && !table.pointee.entry(at: slot).hasExpiry { return nil }
            return delete(shard, db: c.db, slot: slot)
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

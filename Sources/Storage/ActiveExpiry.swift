import CSystem

/// What one active-expiry run did, for INFO stats.
public struct ExpiryCycleResult {
    public var sampled = 0
    public var expired = 0
    public var hitTimeLimit = false
    public init() {}
}

extension Keyspace {
    /// Active expiry over the given shards: each table's expiry wheel hands
    /// out the keys whose deadline tick has passed (`KeyTable.nextDueEntry`),
    /// `keysPerLoop` at a time with the shard locked, until none is due or
    /// `deadlineUs` (monotonic) passes. Unlike Redis's sampling, the work is
    /// proportional to the keys that expire, and a key is reclaimed by
    /// the first cycle after its deadline.
    /// `acceptableStale` is kept for the call's shape (Redis's effort knob);
    /// the wheel needs no stop rule.
    public func activeExpire(shards indices: [Int], now: Int64, keysPerLoop: Int, acceptableStale: Int,
                             deadlineUs: Int64) -> ExpiryCycleResult {
        var result = ExpiryCycleResult()
        let batch = max(16, keysPerLoop * 4)
        for i in indices {
            let shard = shards[i]
            for db in 0..<databases {
                var first = true
                while true {
                    var visited = 0, expired = 0
                    shard.lock()
                    let table = shard.tables + db
                    if table.pointee.expiringCount == 0 { table.pointee.averageTTL = 0; shard.unlock(); break }
                    if first { table.pointee.beginExpirySweep(); first = false }
                    while expired < batch, let e = table.pointee.nextDueEntry(now: now, visited: &visited) {
                        // The wheel prefetched the entries ahead; hashing one a few
                        // places ahead brings in its table slot too, the sweep's
                        // other miss per key.
                        if let ahead = table.pointee.dueEntryAhead(ExpiryWheel.dueSlotPrefetchDistance) {
                            table.pointee.prefetch(hash: KeyHash.hash(ahead.key, seed: seed))
                        }
                        let hash = KeyHash.hash(e.key, seed: seed)
                        if let slot = table.pointee.find(e.key, hash: hash) { expireSlot(shard, db: db, slot: slot) }
                        expired += 1
                    }
                    if expired < batch { sampleAverageTTL(table, now: now) }
                    shard.unlock()
                    result.sampled += visited
                    result.expired += expired
                    if expired < batch { break }
                    if cs_monotonic_us() > deadlineUs {
                        result.hitTimeLimit = true
                        return result
                    }
                }
            }
        }
        return result
    }

    /// INFO keyspace's `avg_ttl`: a running estimate from a few random keys
    /// with a TTL, the new sample weighted at 2% as Redis weights its own.
    func sampleAverageTTL(_ table: UnsafeMutablePointer<KeyTable>, now: Int64) {
        let n = table.pointee.expiringCount
        guard n > 0 else { table.pointee.averageTTL = 0; return }
        var sum: Int64 = 0, samples: Int64 = 0
        var random = UInt64(truncatingIfNeeded: now) &* 0x9E37_79B9_7F4A_7C15 | 1
        for _ in 0..<min(n, 5) {
            random ^= random << 13; random ^= random >> 7; random ^= random << 17
            let e = table.pointee.expiringEntry(Int(random % UInt64(n)))
            if e.expireAt > now { sum += e.expireAt - now; samples += 1 }
        }
        guard samples > 0 else { return }
        let average = sum / samples
        let previous = table.pointee.averageTTL
        table.pointee.averageTTL = previous == 0 ? average : (previous / 50) * 49 + average / 50
    }
}

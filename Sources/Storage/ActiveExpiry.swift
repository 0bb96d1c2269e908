import CSystem

/// What one active-expiry run did, for INFO stats.
public struct ExpiryCycleResult {
    public var sampled = 0
    public var expired = 0
    public var hitTimeLimit = false
    public init() {}
}

extension Keyspace {
    /// Redis's adaptive active expiry over the given shards: take
    /// `keysPerLoop` keys with a TTL from each table (walking its expiry index
    /// from a cursor), expire those past due, and go again on the same table
    /// while more than `acceptableStale` percent were expired. Stops when
    /// `deadlineUs` (monotonic) passes. Each shard is locked only briefly.
    public func activeExpire(shards indices: [Int], now: Int64, keysPerLoop: Int, acceptableStale: Int,
                             deadlineUs: Int64) -> ExpiryCycleResult {
        var result = ExpiryCycleResult()
        var iterations = 0
        for i in indices {
            let shard = shards[i]
            for db in 0..<databases {
                while true {
                    var sampled = 0, expired = 0
                    var ttlSum: Int64 = 0, ttlSamples = 0
                    shard.lock()
                    let table = shard.tables + db
                    let total = table.pointee.expiringCount
                    if total == 0 { shard.unlock(); break }
                    let n = min(keysPerLoop, total)
                    var cursor = table.pointee.expiryCursor % total
                    var visited = 0
                    while visited < n && table.pointee.expiringCount > 0 {
                        if cursor >= table.pointee.expiringCount { cursor = 0 }
                        let e = table.pointee.expiringEntry(cursor)
                        sampled += 1
                        visited += 1
                        if now > e.expireAt {
                            // Swap-remove puts another entry at `cursor`: do not advance.
                            let hash = KeyHash.hash(e.key, seed: seed)
                            if let slot = table.pointee.find(e.key, hash: hash) { expireSlot(shard, db: db, slot: slot) }
                            expired += 1
                        } else {
                            ttlSum += e.expireAt - now
                            ttlSamples += 1
                            cursor += 1
                        }
                    }
                    table.pointee.expiryCursor = cursor
                    if ttlSamples > 0 {
                        // Running estimate weighting the new sample at 2%, as Redis does.
                        let average = ttlSum / Int64(ttlSamples)
                        let previous = table.pointee.averageTTL
                        table.pointee.averageTTL = previous == 0 ? average : (previous / 50) * 49 + average / 50
                    }
                    if table.pointee.expiringCount == 0 { table.pointee.averageTTL = 0 }
                    shard.unlock()
                    result.sampled += sampled
                    result.expired += expired
                    iterations += 1
                    if iterations & 15 == 0 && cs_monotonic_us() > deadlineUs {
                        result.hitTimeLimit = true
                        return result
                    }
                    if sampled == 0 || expired * 100 / sampled <= acceptableStale { break }
                }
            }
        }
        return result
    }
}

/// The access sweep: keeps every key's access word within its range.
///
/// Both forms of the 24-bit access word hold a stamp that wraps: under an
/// LFU policy the second of the last access in 16 bits (18.2 hours, see
/// `LFU`), otherwise the 16 ms tick of the last access in 23 bits (37 hours,
/// see `LRUClock`). A key idle that long would look recently used, so the
/// cron walks every table in hash order, a slice per tick, and rewrites the
/// words of keys idle long enough: LFU words idle more than
/// `LFU.renormalizeAfterSeconds` (6 h) are renormalized, LRU words idle more
/// than `LRUClock.coarsenAfterMs` (12 h) get a one-second stamp. A pass over
/// the whole hash space takes `AccessSweep.slicesPerPass` ticks: 55 minutes
/// at hz 10, 9.1 hours at hz 1, both well inside the margins (12 and 25 hours).
public enum AccessSweep {
    /// Hash-space slices in one pass.
    public static let slicesPerPass: UInt64 = 1 << 15
    /// The hash values in one slice (2^64 / slicesPerPass).
    public static let sliceWidth: UInt64 = UInt64.max / slicesPerPass + 1

    /// The cursor after `cursor`'s slice (0 again after the last one).
    public static func next(after cursor: UInt64) -> UInt64 { cursor &+ sliceWidth }
}

extension Keyspace {
    /// Renormalizes the access words of the keys whose hashes fall in
    /// `[from, from + width)` (from 0 and width 0: the whole hash space) in
    /// the given shards, every database: as LFU words with `lfuDecayTime`,
    /// or as LRU words when it is nil. Returns the keys visited.
    @discardableResult
    public func renormalizeAccess(shards indices: [Int], from: UInt64, width: UInt64, nowMs: Int64, lfuDecayTime: Int?) -> Int {
        var visited = 0
        for i in indices {
            let shard = shards[i]
            shard.lock()
            for db in 0..<databases {
                let table = shard.tables + db
                if table.pointee.count == 0 { continue }
                // With width 0 the range ends at 0, which the walk reads as 2^64.
                table.pointee.slots(inHashRange: from, from &+ width) { slot, _ in
                    let e = table.pointee.entry(at: slot)
                    let word: UInt32?
                    if let decayTime = lfuDecayTime {
                        word = LFU.renormalized(e.lru, nowMs: nowMs, decayTime: decayTime)
                    } else {
                        word = LRUClock.coarsened(e.lru, nowMs: nowMs)
                    }
                    if let word { e.lru = word }
                    visited += 1
                }
            }
            shard.unlock()
        }
        return visited
    }

    /// One tick's slice of the sweep (the cron's caller keeps `cursor`).
    /// Returns the keys visited.
    @discardableResult
    public func sweepAccess(shards indices: [Int], cursor: inout UInt64, nowMs: Int64, lfuDecayTime: Int?) -> Int {
        defer { cursor = AccessSweep.next(after: cursor) }
        return renormalizeAccess(shards: indices, from: cursor, width: AccessSweep.sliceWidth, nowMs: nowMs, lfuDecayTime: lfuDecayTime)
    }

    /// Rewrites every key's access word in the other policy family's form,
    /// when `maxmemory-policy` switches between LRU-style and LFU: the same
    /// 24 bits mean a tick stamp in one and a counter with a stamp in the
    /// other. Read across the switch, an LRU word gave a random OBJECT FREQ
    /// (0 to 255, nonzero in about one case in eight) where Redis's almost
    /// always decays to 0, since Redis's stamps are minutes apart from its
    /// clock. So every key becomes what Redis shows: counter 0 for LFU
    /// (stamped now), idle since now for LRU (Redis shows an arbitrary idle
    /// time there). One pass over every key, shard by shard, at CONFIG SET.
    public func resetAccessWords(toLFU: Bool, nowMs: Int64) {
        let word = toLFU ? LFU.word(counter: 0, nowMs: nowMs) : LRUClock.at(nowMs)
        for shard in shards {
            shard.lock()
            for db in 0..<databases {
                let table = shard.tables + db
                if table.pointee.count == 0 { continue }
                table.pointee.forEachSlot { slot in table.pointee.entry(at: slot).lru = word }
            }
            shard.unlock()
        }
    }
}

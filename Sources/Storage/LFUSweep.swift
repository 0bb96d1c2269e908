/// The LFU sweep: keeps every key's LFU stamp within its 18-hour range.
///
/// Under an LFU policy an entry's access word holds the second of its last
/// access in 16 bits (`LFU`), which wraps after 18.2 hours. A key idle that
/// long would show a wrong decay, so the cron walks every table in hash
/// order, a slice per tick, and renormalizes the words of keys idle more
/// than `LFU.renormalizeAfterSeconds` (6 h). A pass over the whole hash
/// space takes `LFUSweep.slicesPerPass` ticks: 55 minutes at hz 10, 9.1 hours
/// at hz 1, both well inside the 12 hours of margin.
public enum LFUSweep {
    /// Hash-space slices in one pass.
    public static let slicesPerPass: UInt64 = 1 << 15
    /// The hash values in one slice (2^64 / slicesPerPass).
    public static let sliceWidth: UInt64 = UInt64.max / slicesPerPass + 1

    /// The cursor after `cursor`'s slice (0 again after the last one).
    public static func next(after cursor: UInt64) -> UInt64 { cursor &+ sliceWidth }
}

extension Keyspace {
    /// Renormalizes the LFU words of the keys whose hashes fall in
    /// `[from, from + width)` (from 0 and width 0: the whole hash space) in the given
    /// shards, every database. Returns the keys visited.
    @discardableResult
    public func renormalizeLFU(shards indices: [Int], from: UInt64, width: UInt64, nowMs: Int64, decayTime: Int) -> Int {
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
                    if let word = LFU.renormalized(e.lru, nowMs: nowMs, decayTime: decayTime) { e.lru = word }
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
    public func sweepLFU(shards indices: [Int], cursor: inout UInt64, nowMs: Int64, decayTime: Int) -> Int {
        defer { cursor = LFUSweep.next(after: cursor) }
        return renormalizeLFU(shards: indices, from: cursor, width: LFUSweep.sliceWidth, nowMs: nowMs, decayTime: decayTime)
    }
}

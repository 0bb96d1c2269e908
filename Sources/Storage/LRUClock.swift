/// The access stamp kept in every entry's 24-bit access word for LRU
/// eviction and OBJECT IDLETIME (under an LFU policy the word is `LFU`'s).
///
/// Redis stamps the second of the last access, which wraps after 194 days.
/// Swiftlet stamps in 16 ms ticks: a cache under load replaces its coldest
/// keys within seconds, and with one-second ticks most eviction candidates
/// look equally idle, so sampling degenerates into picking among ties
/// (Benchmarks/eviction.py). 23 bits of 16 ms ticks wrap after 37 hours, so
/// the word has two forms, told apart by bit 23:
/// - fine (bit clear): the 16 ms tick of the last access, mod 2^23; every
///   access writes this form;
/// - coarse (bit set): the second of the last access, mod 2^23 (97 days),
///   written by the access sweep (`AccessSweep`) for keys idle more than
///   `coarsenAfterMs`.
/// The sweep visits every key within 9.1 hours even at hz 1, so no fine
/// stamp is ever read older than 21 hours: idle times are exact (to the
/// tick, then to the second) up to 97 days, where Redis's wrap at 194.
public enum LRUClock {
    public static let resolutionMs: Int64 = 16
    /// Marks a coarse (one-second) stamp.
    public static let coarseFlag: UInt32 = 1 << 23
    /// The stamp bits of either form.
    public static let stampMask: UInt32 = coarseFlag - 1
    /// Fine stamps idle longer than this (12 hours) are made coarse by the sweep.
    public static let coarsenAfterMs: Int64 = 12 * 3600 * 1000

    /// The (fine) access word for an access at `ms` (milliseconds since the epoch).
    @inlinable @inline(__always) public static func at(_ ms: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: ms / resolutionMs) & stampMask
    }

    /// Milliseconds between the access `word` records and `nowMs` (to 16 ms
    /// for a fine stamp, to the second for a coarse one).
    @inlinable @inline(__always) public static func idleMilliseconds(_ word: UInt32, nowMs: Int64) -> Int64 {
        let stamp = word & stampMask
        if word & coarseFlag == 0 {
            let ticks = (UInt32(truncatingIfNeeded: nowMs / resolutionMs) &- stamp) & stampMask
            return Int64(ticks) * resolutionMs
        }
        let seconds = (UInt32(truncatingIfNeeded: nowMs / 1000) &- stamp) & stampMask
        return Int64(seconds) * 1000
    }

    /// Whole seconds since the access `word` records (OBJECT IDLETIME).
    @inlinable public static func idleSeconds(_ word: UInt32, nowMs: Int64) -> Int {
        Int(idleMilliseconds(word, nowMs: nowMs) / 1000)
    }

    /// The coarse form of a fine word idle more than `coarsenAfterMs`, or
    /// nil when the word should stay as it is.
    @inlinable public static func coarsened(_ word: UInt32, nowMs: Int64) -> UInt32? {
        guard word & coarseFlag == 0 else { return nil }
        let idle = idleMilliseconds(word, nowMs: nowMs)
        guard idle > coarsenAfterMs else { return nil }
        return coarseFlag | UInt32(truncatingIfNeeded: (nowMs - idle) / 1000) & stampMask
    }
}

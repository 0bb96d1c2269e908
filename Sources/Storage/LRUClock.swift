/// The 24-bit access clock kept in every entry for LRU eviction and
/// OBJECT IDLETIME.
///
/// Redis ticks it once a second. Swiftlet ticks every 16 ms: a cache under
/// load replaces its coldest keys within seconds, so with one-second ticks
/// most eviction candidates look equally idle and sampling degenerates into
/// picking among ties (Benchmarks/eviction.py). The price is the wrap: 24
/// bits of 16 ms last 3.1 days instead of 194, so a key idle for longer
/// looks younger than it is (OBJECT IDLETIME counts modulo that period).
public enum LRUClock {
    public static let resolutionMs: Int64 = 16
    /// Ticks in one wrap of the clock.
    public static let period: UInt32 = Entry.lruMask

    /// The clock's value at `ms` (milliseconds since the epoch).
    @inlinable @inline(__always) public static func at(_ ms: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: ms / resolutionMs) & Entry.lruMask
    }

    /// Ticks between `lru` and `now`, allowing for one wrap.
    @inlinable @inline(__always) public static func idleTicks(_ lru: UInt32, now: UInt32) -> UInt32 {
        now >= lru ? now - lru : now + (period - lru)
    }

    /// Whole seconds between `lru` and `now` (OBJECT IDLETIME).
    @inlinable public static func idleSeconds(_ lru: UInt32, now: UInt32) -> Int {
        Int(Int64(idleTicks(lru, now: now)) * resolutionMs / 1000)
    }
}

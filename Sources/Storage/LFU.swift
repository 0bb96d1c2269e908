/// Redis's logarithmic access-frequency counter, kept in an entry's 24-bit
/// clock field as `stamp << 8 | counter` (REDIS-NOTES §1a).
///
/// Redis stores the minute of the last decrement in the upper 16 bits and
/// decays the counter by one per `lfu-decay-time` minutes elapsed. Swiftlet
/// stores the *second* of the last access instead (16 bits, so it wraps
/// after 18.2 hours) and derives the elapsed minutes from it exactly as
/// Redis counts them (whole-minute boundaries crossed), so OBJECT FREQ and
/// the decay are Redis's. The finer stamp lets eviction break ties between
/// keys of equal frequency by recency: among never-hit keys (counter 5)
/// the oldest goes first instead of a random one, which raises the hit
/// ratio above both Redis's and exact LFU's on Benchmarks/eviction.py's
/// traces (docs/DESIGN.md "Eviction").
///
/// Invariant: a stamp is meaningful only while the key has been idle for
/// less than 2^16 seconds (18.2 hours). `renormalized` (run on every key by the
/// cron's LFU sweep well within that range) folds the whole decay periods
/// into the counter and moves the stamp forward by the same periods, which
/// leaves the decayed counter unchanged, so no stamp ever gets that old.
public enum LFU {
    /// `LFU_INIT_VAL`: new keys start here so they are not evicted at once.
    public static let initialValue: UInt32 = 5

    /// Keys idle longer than this are renormalized by the sweep, and no
    /// renormalized key shows a longer idle time. A key is therefore never
    /// idle by its stamp for more than this plus one sweep pass (9.1 hours
    /// at the slowest hz), well inside the stamp's 18.2 hours.
    public static let renormalizeAfterSeconds: Int64 = 6 * 3600

    /// The 16-bit stamp of a time (seconds since the epoch, wrapping).
    @inlinable @inline(__always) public static func stamp(_ nowMs: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: nowMs / 1000) & 0xFFFF
    }

    @inlinable public static func initialWord(_ nowMs: Int64) -> UInt32 { stamp(nowMs) << 8 | initialValue }

    /// The word of a key with `counter` accessed at `nowMs`.
    @inlinable @inline(__always) public static func word(counter: UInt32, nowMs: Int64) -> UInt32 {
        stamp(nowMs) << 8 | counter
    }

    /// Seconds since the word's stamp (less than 2^16).
    @inlinable @inline(__always) public static func idleSeconds(_ word: UInt32, nowMs: Int64) -> Int64 {
        Int64((stamp(nowMs) &- (word >> 8)) & 0xFFFF)
    }

    /// Whole-minute boundaries crossed since the stamp: Redis's elapsed
    /// minutes (it compares minute numbers, not durations).
    @inlinable @inline(__always) public static func elapsedMinutes(_ word: UInt32, nowMs: Int64) -> Int64 {
        let now = nowMs / 1000
        let then = now - idleSeconds(word, nowMs: nowMs)
        return now / 60 - then / 60
    }

    /// The counter after decay: one step per `decayTime` minutes (0 disables decay).
    @inlinable public static func decayed(_ word: UInt32, nowMs: Int64, decayTime: Int) -> UInt32 {
        let counter = word & 0xFF
        guard decayTime > 0 else { return counter }
        let periods = elapsedMinutes(word, nowMs: nowMs) / Int64(decayTime)
        return periods > Int64(counter) ? 0 : counter - UInt32(periods)
    }

    /// Eviction score under an LFU policy: lower decayed frequency first,
    /// then the longer idle.
    @inlinable public static func evictionScore(_ word: UInt32, nowMs: Int64, decayTime: Int) -> UInt64 {
        UInt64(255 - decayed(word, nowMs: nowMs, decayTime: decayTime)) << 32 | UInt64(idleSeconds(word, nowMs: nowMs))
    }

    /// The same key's word with an older stamp's decay folded in, or nil
    /// when the key has been idle less than `renormalizeAfterSeconds`.
    /// `decayed` of the result equals `decayed` of `word` now and later,
    /// except with an `lfu-decay-time` of 360 minutes or more, where the part of a
    /// period beyond 6 hours is dropped (a documented difference). The idle
    /// time shown, which only orders eviction candidates of equal
    /// frequency, is capped at 6 hours.
    public static func renormalized(_ word: UInt32, nowMs: Int64, decayTime: Int) -> UInt32? {
        let idle = idleSeconds(word, nowMs: nowMs)
        guard idle >= renormalizeAfterSeconds else { return nil }
        let now = nowMs / 1000
        var then = now - idle
        var counter = Int64(word & 0xFF)
        if decayTime > 0 && counter > 0 {
            // Whole periods move from the elapsed minutes into the counter,
            // and the stamp into the minute as many periods later: any second
            // of that minute keeps the minute boundaries crossed, and `now`
            // is in it when moving by whole minutes would pass `now`.
            let periods = min(counter, elapsedMinutes(word, nowMs: nowMs) / Int64(decayTime))
            counter -= periods
            then = min(then + periods * Int64(decayTime) * 60, now)
        }
        then = max(then, now - renormalizeAfterSeconds)
        return (UInt32(truncatingIfNeeded: then) & 0xFFFF) << 8 | UInt32(counter)
    }

    /// Probabilistic increment: the higher the counter, the less likely.
    @inlinable public static func increment(_ counter: UInt32, logFactor: Int, random: Double) -> UInt32 {
        if counter == 255 { return 255 }
        let base = Double(max(0, Int(counter) - Int(initialValue)))
        let p = 1.0 / (base * Double(logFactor) + 1)
        return random < p ? counter + 1 : counter
    }
}

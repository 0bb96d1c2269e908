/// Redis's logarithmic access-frequency counter, kept in an entry's 24-bit
/// clock field as `minutes << 8 | counter` (REDIS-NOTES §1a).
public enum LFU {
    /// `LFU_INIT_VAL`: new keys start here so they are not evicted at once.
    public static let initialValue: UInt32 = 5

    /// Minutes since the epoch, 16 bits.
    @inlinable public static func minutes(_ nowMs: Int64) -> UInt32 { UInt32(truncatingIfNeeded: nowMs / 60_000) & 0xFFFF }

    @inlinable public static func initialWord(_ nowMs: Int64) -> UInt32 { minutes(nowMs) << 8 | initialValue }

    /// Minutes elapsed since `last`, treating the 16-bit clock as wrapping once.
    @inlinable public static func elapsed(since last: UInt32, nowMs: Int64) -> UInt32 {
        let now = minutes(nowMs)
        return now >= last ? now - last : 65535 - last + now
    }

    /// The counter after decay: one step per `decayTime` minutes (0 disables decay).
    @inlinable public static func decayed(_ word: UInt32, nowMs: Int64, decayTime: Int) -> UInt32 {
        let counter = word & 0xFF
        guard decayTime > 0 else { return counter }
        let periods = elapsed(since: word >> 8, nowMs: nowMs) / UInt32(decayTime)
        return periods > counter ? 0 : counter - periods
    }

    /// Probabilistic increment: the higher the counter, the less likely.
    @inlinable public static func increment(_ counter: UInt32, logFactor: Int, random: Double) -> UInt32 {
        if counter == 255 { return 255 }
        let base = Double(max(0, Int(counter) - Int(initialValue)))
        let p = 1.0 / (base * Double(logFactor) + 1)
        return random < p ? counter + 1 : counter
    }
}

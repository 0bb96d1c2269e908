/// The SCAN family's cursors: a position in hash order, counted in buckets
/// of hash space so that every cursor fits in 32 bits.
///
/// Tables keep their entries in hash order (home slots are the hash's top
/// bits), so a cursor can name a point in hash space instead of a slot, and
/// stays valid while tables grow or shrink. A full 64-bit position would do,
/// but clients parse cursors in their own ways: node-redis as a JavaScript
/// number (exact only below 2^53), much C code with `strtoll` (which clamps
/// at 2^63, so a scan never ends), some as 32-bit integers. Redis's own
/// cursors never get that large, being bounded by its table size, so ours
/// must not either.
///
/// Invariant: a step starts and ends on bucket boundaries, so the entries of
/// one bucket are always returned together and a cursor never splits them.
/// With 2^32 buckets (2^26 per shard for SCAN) a bucket rarely holds two
/// keys, and never more than a few.
public struct HashOrderCursor {
    /// Cursor width in bits.
    public static let bits = 32
    /// How many of the cursor's bits count buckets (the rest, above them,
    /// may name a shard).
    public let positionBits: Int
    /// log2 of the hash values in one bucket.
    var bucketShift: UInt64 { UInt64(64 - positionBits) }
    var bucketWidth: UInt64 { 1 << bucketShift }

    public init(positionBits: Int) { self.positionBits = positionBits }

    /// The first hash value of the bucket that cursor bits `cursor` name
    /// (bits above `positionBits` are ignored).
    public func hashPosition(_ cursor: UInt64) -> UInt64 {
        (cursor & ((1 << UInt64(positionBits)) - 1)) << bucketShift
    }

    /// The cursor bits of bucket-aligned hash position `position`.
    public func cursor(_ position: UInt64) -> UInt64 { position >> bucketShift }

    /// Where a step from `from` (a bucket boundary) over about `count` slots
    /// of a table of 2^`slotBits` slots ends: a later bucket boundary, or
    /// `wraps` when the step reaches the end of hash space.
    public func stepEnd(from: UInt64, slotBits: Int, count: Int) -> (to: UInt64, wraps: Bool) {
        let slotWidth: UInt64 = slotBits >= 64 ? 1 : UInt64(1) << UInt64(64 - slotBits)
        // In a small table `count` slots can span more than all of hash
        // space: then the step runs to the end (so COUNT 1000 over a few
        // keys returns them all, and cursor 0, as Redis does).
        let (span, tooWide) = UInt64(max(1, min(count, 1 << 20))).multipliedReportingOverflow(by: slotWidth)
        if tooWide { return (0, true) }
        let (end, pastTheEnd) = from.addingReportingOverflow(max(span, bucketWidth))
        if pastTheEnd { return (0, true) }
        // `from` is a bucket boundary, so this is at least one bucket on.
        return (end & ~(bucketWidth - 1), false)
    }

    /// How many slots of a table of 2^`slotBits` slots the step from `from`
    /// to `to` (from `stepEnd`) spanned, at least 1: the work a step costs
    /// against a call's budget, whatever it found.
    public func slotsSpanned(from: UInt64, to: UInt64, wraps: Bool, slotBits: Int) -> Int {
        let bits = UInt64(min(slotBits, 40))
        let width = wraps ? 0 &- from : to &- from
        // A wrapping step from 0 spanned the whole table (the width wrapped to 0).
        let slots = wraps && from == 0 ? UInt64(1) << bits : width >> (64 - bits)
        return max(1, Int(min(slots, 1 << 40)))
    }
}

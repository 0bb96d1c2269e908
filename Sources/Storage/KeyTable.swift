import Synchronization
import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// One database's keys inside one shard: an open-addressing hash table of
/// entry pointers plus the index of entries that carry an expiry.
///
/// Slots are 8 bytes: the top 21 bits of the key's hash beside the entry
/// address shifted right by 4 (malloc blocks are 16-byte aligned and user
/// addresses fit in 47 bits). The stored hash bits let a probe skip most
/// non-matching entries without touching them, and give each entry's home
/// slot without rehashing its key while the table has at most 2^21 slots.
///
/// Invariants:
/// - linear probing, no tombstones: an entry whose home is `h` sits in the run
///   of occupied slots starting at `h`; deletion shifts later entries back to
///   keep it so;
/// - `count <= capacity * 3/4` (capacity is a power of two, or 0 when empty);
/// - every entry with an expiry is in `deadlines` (the wheel) at the position it
///   records, in the slot of its deadline: a deadline changes only through
///   `changeExpiry`/`relayout`, which re-index the entry.
///
/// Not thread-safe: the owning `Shard`'s lock must be held for every call.
public struct KeyTable {
    @usableFromInline var slots: UnsafeMutablePointer<UInt64>? = nil
    @usableFromInline var bits: Int = 0
    /// log2 of the capacity: each slot covers 2^(64-slotBits) of the hash space.
    public var slotBits: Int { bits }
    @usableFromInline var mask: Int = 0
    public var capacity: Int = 0
    /// Written only by `account`, which also publishes it (`countCell`).
    public var count: Int = 0

    /// The entries that carry an expiry, by deadline (see `ExpiryWheel`).
    @usableFromInline var deadlines = ExpiryWheel()
    public var expiringCount: Int { @inline(__always) get { deadlines.count } }
    /// Running estimate of the average remaining TTL in ms (INFO keyspace `avg_ttl`).
    public var averageTTL: Int64 = 0

    /// Bytes allocated for this table: entry blocks, slot array, expiry index.
    public var bytes: Int = 0

    /// Changes whenever entries may have moved between slots (a removal
    /// shifts later members of its run back; a resize re-places them all).
    /// A slot number remembered across a write to the same table is only
    /// valid while this is unchanged (see `LockedKey.slot`).
    @usableFromInline var layoutChanges: UInt32 = 0
    @inlinable public var layoutGeneration: UInt32 { layoutChanges }

    @usableFromInline let seed: UInt64
    /// The owning shard's running totals (nil for a detached table), kept so
    /// that unlocking a shard publishes its size with one store, whatever the
    /// number of databases.
    @usableFromInline var totals: UnsafeMutablePointer<ShardTotals>?
    /// Where the owning shard publishes this table's `count` for readers that
    /// do not take the lock (DBSIZE, RANDOMKEY): the cell of the database the
    /// table currently serves (nil for a detached table). The cell belongs to
    /// the database, not the table: SWAPDB and FLUSHDB re-point the tables
    /// that move (`attach(countCell:)`).
    @usableFromInline var countCell: UnsafeMutablePointer<Atomic<Int>>?

    public static let tagShift: UInt64 = 43
    public static let maxTagBits = 21

    public init(seed: UInt64, totals: UnsafeMutablePointer<ShardTotals>? = nil,
                countCell: UnsafeMutablePointer<Atomic<Int>>? = nil) {
        self.seed = seed
        self.totals = totals
        attach(countCell: countCell)
    }

    /// Makes `cell` the place this table publishes its count, and publishes it.
    public mutating func attach(countCell cell: UnsafeMutablePointer<Atomic<Int>>?) {
        countCell = cell
        cell?.pointee.store(count, ordering: .relaxed)
    }

    /// Records a change in allocated bytes and key count.
    @inlinable @inline(__always)
    mutating func account(bytes delta: Int, keys: Int = 0) {
        bytes &+= delta
        count &+= keys
        if let t = totals {
            t.pointee.bytes &+= delta
            t.pointee.keys &+= keys
        }
        if keys != 0, let cell = countCell { cell.pointee.store(count, ordering: .relaxed) }
    }

    /// Separates the table from its shard's totals and count cell (before
    /// it is freed elsewhere).
    public mutating func detachFromShard() {
        if let t = totals {
            t.pointee.bytes -= bytes
            t.pointee.keys -= count
        }
        totals = nil
        countCell?.pointee.store(0, ordering: .relaxed)
        countCell = nil
    }

    // MARK: slots

    @inlinable @inline(__always)
    static func entry(ofSlot s: UInt64) -> Entry {
        Entry(UnsafeMutableRawPointer(bitPattern: UInt((s & ((1 << tagShift) - 1)) << 4))!)
    }

    @inlinable @inline(__always)
    static func slotValue(_ e: Entry, hash: UInt64) -> UInt64 {
        (hash >> tagShift) << tagShift | UInt64(UInt(bitPattern: e.raw)) >> 4
    }

    @inlinable @inline(__always)
    func home(ofHash hash: UInt64) -> Int { Int(truncatingIfNeeded: hash >> UInt64(64 - bits)) }

    /// The home slot of an occupied slot value.
    @usableFromInline @inline(__always) func home(ofSlot s: UInt64) -> Int {
        if bits <= KeyTable.maxTagBits { return Int(truncatingIfNeeded: s >> UInt64(64 - bits)) }
        return home(ofHash: KeyHash.hash(KeyTable.entry(ofSlot: s).key, seed: seed))
    }

    /// The slot holding `key`, or nil.
    ///
    /// Always inlined, like the other lookups the request path makes through
    /// `shard.tables + db`: a call that is not inlined takes `self` by value,
    /// and the caller copies the whole 184-byte table to its stack first
    /// (a memcpy per lookup).
    @inlinable @inline(__always)
    public func find(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        guard let slots = slots else { return nil }
        let tag = hash >> KeyTable.tagShift
        var i = home(ofHash: hash)
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            if s >> KeyTable.tagShift == tag && KeyTable.entry(ofSlot: s).keyEquals(key) { return i }
            i = (i &+ 1) & mask
        }
    }

    @inlinable @inline(__always)
    public func entry(at slot: Int) -> Entry { KeyTable.entry(ofSlot: slots![slot]) }

    /// Prefetches the home slot of `hash` (for batched pipelines).
    @inlinable @inline(__always) public func prefetch(hash: UInt64) {
        if let slots = slots { cs_prefetch(slots + home(ofHash: hash)) }
    }

    // MARK: insertion and removal

    /// Inserts a new entry for a key known to be absent and returns its slot.
    @inlinable
    public mutating func insert(_ e: Entry, hash: UInt64) -> Int {
        if (count + 1) * 4 > capacity * 3 { resize(to: max(8, capacity * 2)) }
        account(bytes: e.allocatedSize + ValueStore.containerBytes(e), keys: 1)
        if e.hasExpiry { indexExpiry(e) }
        return place(KeyTable.slotValue(e, hash: hash), home: home(ofHash: hash))
    }

    @inlinable @inline(__always)
    mutating func place(_ value: UInt64, home: Int) -> Int {
        var i = home
        while slots![i] != 0 { i = (i &+ 1) & mask }
        slots![i] = value
        return i
    }

    /// Swaps in a new block for the entry at `slot` (after it was reallocated).
    @usableFromInline mutating func replaceBlock(at slot: Int, old: Entry, new: Entry) {
        let s = slots![slot]
        slots![slot] = (s >> KeyTable.tagShift) << KeyTable.tagShift | UInt64(UInt(bitPattern: new.raw)) >> 4
        account(bytes: new.allocatedSize - old.allocatedSize)
        if new.hasExpiry { deadlines.replace(with: new) }
    }

    /// Removes the entry at `slot` from the table and returns it, still allocated.
    /// The caller frees it (now, or on a background thread for big values).
    @inlinable
    public mutating func detach(at slot: Int) -> Entry {
        let e = entry(at: slot)
        if e.hasExpiry { unindexExpiry(e) }
        account(bytes: -e.allocatedSize - ValueStore.containerBytes(e), keys: -1)
        layoutChanges &+= 1
        // Backward-shift deletion: pull later members of the run into the hole
        // when the hole lies between their home and their current slot.
        var hole = slot
        var j = slot
        while true {
            j = (j &+ 1) & mask
            let s = slots![j]
            if s == 0 { break }
            let h = home(ofSlot: s)
            if (j &- h) & mask >= (j &- hole) & mask {
                slots![hole] = s
                hole = j
            }
        }
        slots![hole] = 0
        if capacity > 64 && count * 8 < capacity { resize(to: capacity / 2) }
        return e
    }

    /// Removes and frees the entry at `slot`.
    @inlinable public mutating func remove(at slot: Int) {
        KeyTable.free(detach(at: slot))
    }

    /// Frees an entry block and whatever its value owns.
    public static func free(_ e: Entry) {
        ValueStore.release(e)
        e.free()
    }

    @usableFromInline mutating func resize(to newCapacity: Int) {
        let oldSlots = slots
        let oldCapacity = capacity
        let fresh = UnsafeMutablePointer<UInt64>.allocate(capacity: newCapacity)
        fresh.initialize(repeating: 0, count: newCapacity)
        layoutChanges &+= 1
        slots = fresh
        capacity = newCapacity
        mask = newCapacity - 1
        bits = newCapacity.trailingZeroBitCount
        account(bytes: (newCapacity - oldCapacity) * 8)
        if let old = oldSlots {
            for i in 0..<oldCapacity where old[i] != 0 {
                _ = place(old[i], home: home(ofSlot: old[i]))
            }
            old.deallocate()
        }
    }

    // MARK: values

    /// Makes the entry at `slot` hold a value of `length` bytes (its expiry
    /// kept), reallocating its block when the size demands.
    /// The value's previous bytes are kept up to `min(old, new)` length.
    /// Returns the (possibly new) entry; its `valueLength` is `length`.
    @inlinable
    public mutating func resizeValue(at slot: Int, to length: Int) -> Entry {
        let e = entry(at: slot)
        // The same length again (a cache key rewritten with a value of the
        // same size, INCR within a digit count): the block holds it as it
        // held the last one, and nothing reads malloc's size word, which
        // sits in the cache line before the entry a quarter of the time.
        if length == e.valueLength { return e }
        let capacityNow = e.valueCapacity
        if length <= capacityNow && (capacityNow <= 64 || length * 2 >= capacityNow) {
            e.valueLength = length
            return e
        }
        return relayout(at: slot, valueLength: length, valueCapacity: length, expiry: e.expiry)
    }

    /// Reallocates the block at `slot` with the given expiry state and value size.
    public mutating func relayout(at slot: Int, valueLength: Int, valueCapacity: Int, expiry: Int64?) -> Entry {
        let old = entry(at: slot)
        var meta = old.meta
        if expiry != nil { meta |= Entry.expiryFlag } else { meta &= ~Entry.expiryFlag }
        let new = Entry.allocate(key: old.key, valueLength: valueLength, valueCapacity: valueCapacity, meta: meta)
        let keep = min(old.valueLength, valueLength)
        if keep > 0 { new.valueStart.copyMemory(from: old.valueStart, byteCount: keep) }
        // The old block leaves the index unless the new one keeps its
        // deadline (and so its slot and position).
        let keepsPosition = old.hasExpiry && expiry == old.expireAt
        if old.hasExpiry && !keepsPosition { unindexExpiry(old) }
        if let at = expiry {
            new.expireAt = at
            if keepsPosition { new.expiryPosition = old.expiryPosition }
        }
        if expiry != nil && !keepsPosition { indexExpiry(new) }
        replaceBlock(at: slot, old: old, new: new)
        old.free()
        return new
    }

    /// Sets or clears the expiry of the entry at `slot`.
    @discardableResult
    public mutating func setExpiry(at slot: Int, _ at: Int64?) -> Entry {
        let e = entry(at: slot)
        switch (e.hasExpiry, at) {
        case (true, let when?): changeExpiry(e, to: when); return e
        case (false, nil): return e
        default: return relayout(at: slot, valueLength: e.valueLength, valueCapacity: e.valueLength, expiry: at)
        }
    }

    // MARK: expiry index

    @usableFromInline mutating func indexExpiry(_ e: Entry) {
        account(bytes: deadlines.insert(e))
    }

    @usableFromInline mutating func unindexExpiry(_ e: Entry) {
        account(bytes: deadlines.remove(e))
    }

    /// Moves an entry that has an expiry to a new deadline.
    public mutating func changeExpiry(_ e: Entry, to at: Int64) {
        if ExpiryWheel.slot(of: at) == ExpiryWheel.slot(of: e.expireAt) { e.expireAt = at; return }
        unindexExpiry(e)
        e.expireAt = at
        indexExpiry(e)
    }

    /// Starts an active-expiry pass over this table (see `ExpiryWheel.beginSweep`).
    public mutating func beginExpirySweep() { deadlines.beginSweep() }

    /// The next entry due at `now` for active expiry (see `ExpiryWheel.nextDue`).
    public mutating func nextDueEntry(now: Int64, visited: inout Int) -> Entry? {
        deadlines.nextDue(now: now, visited: &visited)
    }

    /// An entry the active-expiry sweep will reach `distance` keys from now,
    /// if it can tell (see `ExpiryWheel.entryAhead`).
    @inline(__always) public func dueEntryAhead(_ distance: Int) -> Entry? { deadlines.entryAhead(distance) }

    /// The entry at position `i` of the expiry index.
    @inline(__always) public func expiringEntry(_ i: Int) -> Entry { deadlines.entry(at: i) }

    // MARK: iteration

    /// How far ahead a walk over the slots prefetches entries: at 1/2 to
    /// 3/4 load, 8 to 12 entries in flight.
    static let walkPrefetchDistance = 16

    /// Calls `body` with every occupied slot index. Every caller reads the
    /// slot's entry, and entries sit at random addresses, so the entry
    /// `walkPrefetchDistance` slots ahead is brought into cache while `body`
    /// runs: the walk then overlaps its memory misses instead of waiting on
    /// one per key.
    public func forEachSlot(_ body: (Int) -> Void) {
        guard let slots = slots else { return }
        let ahead = KeyTable.walkPrefetchDistance
        for i in 0..<capacity {
            if i + ahead < capacity {
                let next = slots[i + ahead]
                if next != 0 { cs_prefetch(KeyTable.entry(ofSlot: next).raw) }
            }
            if slots[i] != 0 { body(i) }
        }
    }

    /// A uniformly chosen slot, then the first occupied one from there (nil when empty).
    /// Up to `count` occupied slots in a row, starting at a random position
    /// (Redis's dictGetSomeKeys): neighbours share cache lines, so sampling
    /// n keys costs about one slot miss instead of n. Hash order is random
    /// order, so a run of neighbours is as good a sample as n random picks.
    /// Prefetches the slot lines `sampleSlots(random, count: wanted, …)`
    /// will read: a run of about `wanted / load` slots, 8 to a line. (One
    /// line was not enough for 20 samples: the rest of the run missed one
    /// line after another, 17% of server CPU under sustained eviction.)
    @inlinable @inline(__always) public func prefetchSample(_ random: UInt64, count wanted: Int) {
        guard let slots = slots, count > 0 else { return }
        let start = Int(truncatingIfNeeded: random) & mask
        let span = min(mask + 1, wanted * (mask + 1) / count + 8)
        var offset = 0
        while offset < span {
            cs_prefetch(slots + ((start + offset) & mask))
            offset += 8
        }
    }

    @inline(__always) public func sampleSlots(_ random: UInt64, count wanted: Int, into out: UnsafeMutablePointer<Int>) -> Int {
        guard count > 0, let slots = slots else { return 0 }
        var i = Int(truncatingIfNeeded: random) & mask
        var found = 0
        var steps = 0
        let limit = min(wanted, count)
        while found < limit && steps <= mask {
            if slots[i] != 0 { out[found] = i; found += 1 }
            i = (i &+ 1) & mask
            steps += 1
        }
        return found
    }

    /// What slot `slot` holds: the entry's address and hash tag (its identity
    /// while it stays in this table, without touching the entry).
    @inlinable @inline(__always) public func slotValue(at slot: Int) -> UInt64 { slots![slot] }

    /// The slot value and home slot the entry `e` of this table has.
    @inline(__always) public func slotValue(of e: Entry) -> (value: UInt64, home: Int) {
        let hash = KeyHash.hash(e.key, seed: seed)
        return (KeyTable.slotValue(e, hash: hash), home(ofHash: hash))
    }

    /// The home slot of the entry whose slot value is `value`; reads the
    /// entry only in tables too large for the tag to give it.
    @inline(__always) public func home(ofValue value: UInt64) -> Int { home(ofSlot: value) }

    /// The slot now holding `value` (taken from `slotValue(at:)` earlier,
    /// `homeThen` its home slot then), or nil when that entry is gone. Never reads
    /// an entry, so a stale value is safe: entries only move back toward their
    /// home (deletion), so the run from `homeThen` holds it if it is present. A
    /// resize invalidates `homeThen`; the caller passes the capacity it saw.
    @inline(__always) public func slot(holding value: UInt64, homeThen: Int, capacityThen: Int) -> Int? {
        guard let slots = slots, capacityThen == capacity else {
            // Resized since: the tag still gives the home slot of small tables.
            guard let slots = slots, bits <= KeyTable.maxTagBits else { return nil }
            return scan(slots, for: value, from: home(ofSlot: value))
        }
        return scan(slots, for: value, from: homeThen)
    }

    private func scan(_ slots: UnsafeMutablePointer<UInt64>, for value: UInt64, from start: Int) -> Int? {
        var i = start
        while slots[i] != 0 {
            if slots[i] == value { return i }
            i = (i &+ 1) & mask
        }
        return nil
    }

    @inline(__always) public func randomSlot(_ random: UInt64) -> Int? {
        guard count > 0, let slots = slots else { return nil }
        var i = Int(truncatingIfNeeded: random) & mask
        while slots[i] == 0 { i = (i &+ 1) & mask }
        return i
    }

    /// The full hash of the entry at `slot` (recomputed from its key).
    public func hash(at slot: Int) -> UInt64 { KeyHash.hash(entry(at: slot).key, seed: seed) }

    /// Entries whose hash lies in `[from, to)` (to == 0 means up to 2^64), for SCAN.
    /// Relies on the invariant above: such entries sit between the home slot
    /// of `from` and the first empty slot after the home slot of `to - 1`.
    public func slots(inHashRange from: UInt64, _ to: UInt64, _ body: (Int, UInt64) -> Void) {
        guard let slots = slots, count > 0 else { return }
        let last = to &- 1
        let first = home(ofHash: from)
        let end = home(ofHash: last)
        var i = first
        var passedEnd = false
        var steps = 0
        while steps < capacity {
            // The entry further ahead, as in `forEachSlot`: its key is hashed below.
            let next = slots[(i &+ KeyTable.walkPrefetchDistance) & mask]
            if next != 0 { cs_prefetch(KeyTable.entry(ofSlot: next).raw) }
            let s = slots[i]
            if s == 0 {
                if passedEnd { break }
            } else {
                let h = KeyHash.hash(KeyTable.entry(ofSlot: s).key, seed: seed)
                if h >= from && h <= last { body(i, h) }
            }
            if i == end { passedEnd = true }
            i = (i &+ 1) & mask
            steps += 1
        }
    }

    /// Frees everything and leaves the table empty.
    public mutating func removeAll() {
        if let slots = slots {
            for i in 0..<capacity where slots[i] != 0 { KeyTable.free(KeyTable.entry(ofSlot: slots[i])) }
            slots.deallocate()
        }
        _ = deadlines.removeAll()
        detachFromShard()
        self = KeyTable(seed: seed, totals: totals)
    }
}

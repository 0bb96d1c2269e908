import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// The expiry index of one key table: a timing wheel of deadlines.
///
/// Every entry with an expiry sits in the slot of its deadline's tick
/// (`tickShift`: 128 ms) modulo `slotCount` (512 slots: one lap is 65.5 s),
/// at the position it records in `Entry.expiryPosition`. The slot is a
/// function of the deadline alone, so nothing moves while time passes; a
/// key due more than a lap ahead shares its slot with nearer ones and is
/// skipped each lap until its own comes round.
///
/// Why a wheel (Redis samples random keys with a TTL instead): active expiry
/// sweeps only the slots of ticks that have fully passed, so it touches the
/// keys that are due and, per lap, the far ones it skips: O(1) work per
/// expired key, where sampling finds fewer expired keys the fewer there
/// are left, and lets 10-25% of the keyspace stay expired but present.
///
/// Invariants: `count` is the sum of the slot counts and `groupCounts[g]`
/// the sum over slots g*groupSize..<(g+1)*groupSize; an entry's slot is
/// `slot(of: expireAt)`; its deadline changes only through `KeyTable`, which
/// re-indexes it. Memory (the slot headers and arrays) is reported to the
/// caller as byte deltas, which the table accounts.
public struct ExpiryWheel {
    public static let tickShift: Int64 = 7
    public static let slotCount = 512
    /// Slots per sampling group: `entry(at:)` walks groups, then slots.
    static let groupSize = 32

    /// A slot's entries are kept as 6-byte addresses (`referenceSize`), not
    /// 8-byte pointers: an address from malloc fits in 48 bits on the 64-bit
    /// platforms Swiftlet runs on (x86-64 and arm64 user space), and the
    /// index is memory per key with a TTL (8-byte pointers cost 2.5-3 more
    /// bytes of RSS per key in the TTL benchmark, slack included). Invariant: `entries` holds
    /// `bytes(forCapacity: capacity)` bytes, two more than the references,
    /// so that a reference is read with one 8-byte load.
    struct Slot {
        var entries: UnsafeMutableRawPointer?
        var count: Int
        var capacity: Int

        @inline(__always)
        subscript(i: Int) -> Entry {
            get {
                let word = (entries! + i * ExpiryWheel.referenceSize).loadUnaligned(as: UInt64.self)
                return Entry(UnsafeMutableRawPointer(bitPattern: UInt(word & ExpiryWheel.referenceMask))!)
            }
            nonmutating set {
                let address = UInt64(UInt(bitPattern: newValue.raw))
                precondition(address <= ExpiryWheel.referenceMask, "an entry address above 48 bits")
                let at = entries! + i * ExpiryWheel.referenceSize
                at.storeBytes(of: UInt32(truncatingIfNeeded: address), as: UInt32.self)
                (at + 4).storeBytes(of: UInt16(truncatingIfNeeded: address >> 32), as: UInt16.self)
            }
        }
    }

    static let referenceSize = 6
    /// How many entries ahead `scan` prefetches.
    static let duePrefetchDistance = 8
    /// How many entries ahead the sweep's caller prefetches the table slot
    /// (`KeyTable.dueEntryAhead`): half way to `duePrefetchDistance`, so the
    /// entry it hashes for that has had time to arrive.
    public static let dueSlotPrefetchDistance = duePrefetchDistance / 2
    static let referenceMask: UInt64 = (1 << 48) - 1

    /// Bytes of a slot array with room for `capacity` references.
    @inline(__always)
    static func bytes(forCapacity capacity: Int) -> Int { capacity == 0 ? 0 : capacity * referenceSize + 2 }

    var slots: UnsafeMutablePointer<Slot>? = nil
    var groupCounts: UnsafeMutablePointer<Int>? = nil
    public private(set) var count = 0
    /// The last tick whose slot was swept completely (.min before the first sweep).
    var sweptTick: Int64 = .min
    /// The tick being swept and the next index to look at in its slot.
    var sweepingTick: Int64? = nil
    var scanIndex = -1
    /// The current (unfinished) tick's slot, swept once per pass.
    var currentTick: Int64? = nil
    var currentIndex = -1
    /// The earliest deadline tick of an entry inserted into a slot the
    /// sweep had already passed (a deadline already due on arrival, as
    /// `SET k v PXAT <past>` stores in Redis 7.0, or one appended to the
    /// slot being swept). The next sweep goes back to it; without this
    /// such keys waited a whole lap (65 s) for their slot to come round.
    var lateTick: Int64? = nil

    public init() {}

    @inline(__always)
    static func slot(of deadline: Int64) -> Int { Int(truncatingIfNeeded: deadline >> tickShift) & (slotCount - 1) }

    /// Bytes the headers take once the wheel holds anything.
    static var headerBytes: Int {
        slotCount * MemoryLayout<Slot>.stride + (slotCount / groupSize) * MemoryLayout<Int>.stride
    }

    // MARK: membership

    /// Adds `e` (its deadline set); returns the change in allocated bytes.
    mutating func insert(_ e: Entry) -> Int {
        var delta = 0
        if slots == nil { delta += allocateHeaders() }
        let s = Self.slot(of: e.expireAt)
        let slot = slots! + s
        if slot.pointee.count == slot.pointee.capacity { delta += grow(slot) }
        slot.pointee[slot.pointee.count] = e
        e.expiryPosition = slot.pointee.count
        slot.pointee.count += 1
        groupCounts![s / Self.groupSize] += 1
        count += 1
        let tick = e.expireAt >> Self.tickShift
        if tick <= sweptTick || tick == sweepingTick { lateTick = min(lateTick ?? tick, tick) }
        return delta
    }

    /// Removes `e` (its deadline still the one it was inserted with);
    /// returns the change in allocated bytes.
    mutating func remove(_ e: Entry) -> Int {
        let s = Self.slot(of: e.expireAt)
        let slot = slots! + s
        let position = e.expiryPosition
        let last = slot.pointee.count - 1
        if position != last {
            let moved = slot.pointee[last]
            slot.pointee[position] = moved
            moved.expiryPosition = position
        }
        slot.pointee.count = last
        groupCounts![s / Self.groupSize] -= 1
        count -= 1
        if slot.pointee.capacity > 16 && slot.pointee.count * 4 < slot.pointee.capacity { return shrink(slot) }
        return 0
    }

    /// The entry moved to a new block (same deadline and position).
    func replace(with new: Entry) {
        slots![Self.slot(of: new.expireAt)][new.expiryPosition] = new
    }

    /// Entry number `index` in a fixed but arbitrary order (`0..<count`),
    /// for uniform sampling by the volatile eviction policies.
    public func entry(at index: Int) -> Entry {
        var i = index
        var g = 0
        while i >= groupCounts![g] { i -= groupCounts![g]; g += 1 }
        var s = g * Self.groupSize
        while i >= slots![s].count { i -= slots![s].count; s += 1 }
        return slots![s][i]
    }

    /// What the wheel holds at `e`'s slot and recorded position (nil if
    /// out of range): `e` itself while the invariant holds. For tests.
    func indexed(_ e: Entry) -> Entry? {
        guard let slots = slots else { return nil }
        let slot = slots[Self.slot(of: e.expireAt)]
        guard e.expiryPosition < slot.count else { return nil }
        return slot[e.expiryPosition]
    }

    // MARK: sweeping

    /// Starts a pass of `nextDue` calls: the current tick's slot is looked
    /// at again (once per pass; finished ticks are swept once for good).
    mutating func beginSweep() { currentTick = nil }

    /// The next entry due at `now` (ms), or nil when there is none: first
    /// from the slots of ticks that have fully passed (every key there on
    /// this lap is due), then from the current tick's slot (those past
    /// their deadline). The caller expires it (which removes it) before
    /// asking again. `visited` counts the entries looked at, due or not.
    /// The first sweep goes over every slot once, so that keys already due
    /// when the wheel started are found too.
    mutating func nextDue(now: Int64, visited: inout Int) -> Entry? {
        let nowTick = now >> Self.tickShift
        if count == 0 {
            sweptTick = nowTick - 1
            sweepingTick = nil
            lateTick = nil
            return nil
        }
        while true {
            if sweepingTick == nil {
                if let late = lateTick {
                    sweptTick = min(sweptTick, late - 1)   // the lap rule below bounds how far back
                    lateTick = nil
                }
                if sweptTick == .min || nowTick - sweptTick > Int64(Self.slotCount) {
                    sweptTick = nowTick - Int64(Self.slotCount) - 1   // each slot once
                }
                if sweptTick + 1 >= nowTick { return nextDueInCurrentTick(nowTick, now: now, visited: &visited) }
                sweepingTick = sweptTick + 1
                scanIndex = Int.max
            }
            if let e = scan(tick: sweepingTick!, from: &scanIndex, now: now, visited: &visited) { return e }
            sweptTick = sweepingTick!
            sweepingTick = nil
        }
    }

    mutating func nextDueInCurrentTick(_ nowTick: Int64, now: Int64, visited: inout Int) -> Entry? {
        if currentTick != nowTick { currentTick = nowTick; currentIndex = Int.max }
        return scan(tick: nowTick, from: &currentIndex, now: now, visited: &visited)
    }

    /// The entry `distance` places further down the slot the last `nextDue`
    /// returned from, if there is one: a key the sweep will likely expire
    /// soon, whose table slot the caller can bring into cache meanwhile.
    func entryAhead(_ distance: Int) -> Entry? {
        guard let tick = sweepingTick ?? currentTick else { return nil }
        let index = (sweepingTick != nil ? scanIndex : currentIndex) + 1 - distance
        let slot = slots! + Self.slot(of: tick << Self.tickShift)
        guard index >= 0, index < slot.pointee.count else { return nil }
        return slot.pointee[index]
    }

    /// Walks `tick`'s slot down from `index` to the first entry past its
    /// deadline. Going down keeps swap-removal (the last entry fills the
    /// hole) from hiding an unvisited entry.
    func scan(tick: Int64, from index: inout Int, now: Int64, visited: inout Int) -> Entry? {
        let slot = slots! + Self.slot(of: tick << Self.tickShift)
        // Other writes between calls may have shrunk the slot.
        if index >= slot.pointee.count { index = slot.pointee.count - 1 }
        while index >= 0 {
            // The entries sit at random addresses and each is read for its
            // deadline, then expired: bring the one `duePrefetchDistance`
            // further down into cache now, so that a sweep waits on a miss
            // every few keys instead of on every key.
            if index >= Self.duePrefetchDistance {
                cs_prefetch(slot.pointee[index - Self.duePrefetchDistance].raw)
            }
            let e = slot.pointee[index]
            index -= 1
            visited += 1
            if now > e.expireAt { return e }
        }
        return nil
    }

    // MARK: storage

    mutating func allocateHeaders() -> Int {
        slots = .allocate(capacity: Self.slotCount)
        slots!.initialize(repeating: Slot(entries: nil, count: 0, capacity: 0), count: Self.slotCount)
        groupCounts = .allocate(capacity: Self.slotCount / Self.groupSize)
        groupCounts!.initialize(repeating: 0, count: Self.slotCount / Self.groupSize)
        return Self.headerBytes
    }

    func grow(_ slot: UnsafeMutablePointer<Slot>) -> Int {
        let old = slot.pointee.capacity
        // By half, not double: a slot's array is as long as the keys that
        // came in one 128 ms tick, and the unused tail is memory per key.
        let capacity = max(4, old + old / 2)
        resize(slot, to: capacity)
        return Self.bytes(forCapacity: capacity) - Self.bytes(forCapacity: old)
    }

    func shrink(_ slot: UnsafeMutablePointer<Slot>) -> Int {
        let old = slot.pointee.capacity
        resize(slot, to: old / 2)
        return Self.bytes(forCapacity: old / 2) - Self.bytes(forCapacity: old)
    }

    /// With `realloc` (the arrays are malloc'd, and freed with `free`): a
    /// slot holding a whole second of new keys doubles many times, and
    /// realloc extends a block in place when it can, and moves the large
    /// ones (malloc's own mappings) with mremap; a fresh block per doubling
    /// left a trail of freed ones behind. RSS per key with a TTL on every
    /// key (1M keys through redis-cli --pipe): see the commit message.
    func resize(_ slot: UnsafeMutablePointer<Slot>, to capacity: Int) {
        guard let grown = realloc(slot.pointee.entries, Self.bytes(forCapacity: capacity)) else { fatalError("out of memory") }
        slot.pointee.entries = grown
        slot.pointee.capacity = capacity
    }

    /// Frees the index (not the entries); returns the change in allocated bytes.
    mutating func removeAll() -> Int {
        guard let slots = slots else { return 0 }
        var freed = Self.headerBytes
        for i in 0..<Self.slotCount {
            freed += Self.bytes(forCapacity: slots[i].capacity)
            free(slots[i].entries)
        }
        slots.deallocate()
        groupCounts!.deallocate()
        self = ExpiryWheel()
        return -freed
    }
}

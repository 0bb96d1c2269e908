import XCTest
@testable import Storage

/// The keyspace table against a model (a Dictionary), through random
/// operations that make it grow, shrink and shift entries on deletion.
final class KeyTableTests: XCTestCase {
    func key(_ i: Int) -> [UInt8] { Array("key:\(i)".utf8) }

    func store(_ table: inout KeyTable, _ k: [UInt8], _ v: [UInt8], expiry: Int64? = nil) {
        k.withUnsafeBytes { kb in
            v.withUnsafeBytes { vb in
                let h = KeyHash.hash(kb, seed: 42)
                let slot = table.find(kb, hash: h)
                table.storeString(key: kb, hash: h, slot: slot, value: vb, encoding: .classify(vb),
                                  expiry: expiry.map { .at($0) } ?? .clear, lru: 0)
            }
        }
    }

    func lookup(_ table: KeyTable, _ k: [UInt8]) -> [UInt8]? {
        k.withUnsafeBytes { kb in
            table.find(kb, hash: KeyHash.hash(kb, seed: 42)).map { Array(table.entry(at: $0).value) }
        }
    }

    func remove(_ table: inout KeyTable, _ k: [UInt8]) -> Bool {
        k.withUnsafeBytes { kb in
            guard let slot = table.find(kb, hash: KeyHash.hash(kb, seed: 42)) else { return false }
            table.remove(at: slot)
            return true
        }
    }

    /// Key comparison, whose short keys compare as overlapping words: for
    /// every length up to 40, the stored key equals itself and differs from
    /// the same key with any one byte changed, and from a key one byte
    /// shorter or longer.
    func testKeyEqualityAtEveryLengthAndPosition() {
        var table = KeyTable(seed: 42)
        for length in 0...40 {
            let k = (0..<length).map { UInt8(truncatingIfNeeded: 0x41 + $0 * 7) }
            store(&table, k, [1])
            let entry = k.withUnsafeBytes { kb in table.entry(at: table.find(kb, hash: KeyHash.hash(kb, seed: 42))!) }
            k.withUnsafeBytes { XCTAssertTrue(entry.keyEquals($0), "length \(length)") }
            for position in 0..<length {
                var other = k
                other[position] ^= 0x20
                other.withUnsafeBytes { XCTAssertFalse(entry.keyEquals($0), "length \(length), byte \(position)") }
            }
            (k + [0x41]).withUnsafeBytes { XCTAssertFalse(entry.keyEquals($0), "length \(length) + 1") }
            if length > 0 { k.dropLast().withUnsafeBytes { XCTAssertFalse(entry.keyEquals($0), "length \(length) - 1") } }
        }
    }

    /// Every expiring entry is in the index at the position it records.
    func checkExpiryIndex(_ table: KeyTable, _ model: [[UInt8]: Int64]) {
        XCTAssertEqual(table.expiringCount, model.count)
        var seen = Set<[UInt8]>()
        for i in 0..<table.expiringCount {
            let e = table.expiringEntry(i)
            XCTAssertTrue(e.hasExpiry)
            XCTAssertEqual(table.deadlines.indexed(e)?.raw, e.raw, "entry not at the slot and position it records")
            XCTAssertEqual(model[Array(e.key)], e.expireAt)
            seen.insert(Array(e.key))
        }
        XCTAssertEqual(seen.count, model.count, "expiringEntry must enumerate each entry once")
    }

    /// The expiry wheel hands out exactly the keys past their deadline:
    /// none early, all of them in the first pass after it, keys a lap
    /// or more ahead skipped until their turn, and after a jump of more
    /// than a lap everything due at once. Deadlines move with overwrites.
    func testExpiryWheelSweepsExactlyTheDueKeys() {
        var table = KeyTable(seed: 42)
        let base: Int64 = 1_700_000_000_000
        var deadlines: [[UInt8]: Int64] = [:]
        var rng = SplitMix(seed: 99)
        for i in 0..<5000 {
            // Mostly within a lap (65.5 s), some several laps ahead.
            let offset = i % 10 == 0 ? Int64(rng.next() % 600_000) : Int64(rng.next() % 60_000)
            deadlines[key(i)] = base + offset
            store(&table, key(i), [1], expiry: base + offset)
        }
        // Overwrites move a key's deadline (and maybe its slot).
        for i in stride(from: 0, to: 5000, by: 7) {
            let moved = base + Int64(rng.next() % 120_000)
            deadlines[key(i)] = moved
            store(&table, key(i), [2, 3], expiry: moved)
        }
        checkExpiryIndex(table, deadlines)
        func sweep(at now: Int64) -> Set<[UInt8]> {
            var out = Set<[UInt8]>()
            var visited = 0
            table.beginExpirySweep()
            while let e = table.nextDueEntry(now: now, visited: &visited) {
                XCTAssertLessThan(e.expireAt, now, "handed out before its deadline")
                let k = Array(e.key)
                out.insert(k)
                XCTAssertTrue(remove(&table, k))
            }
            return out
        }
        _ = sweep(at: base - 1)   // starts the wheel: nothing is due yet
        var now = base
        while now < base + 700_000 {
            now += Int64(rng.next() % 3000)
            let got = sweep(at: now)
            // Due: past the deadline (Redis: now > when).
            let expected = Set(deadlines.filter { $0.value < now }.keys)
            XCTAssertEqual(got, expected, "at +\(now - base) ms")
            for k in got { deadlines[k] = nil }
        }
        XCTAssertTrue(deadlines.isEmpty)
        XCTAssertEqual(table.expiringCount, 0)
        // A jump of more than a lap: everything due comes out in one sweep.
        for i in 0..<500 { store(&table, key(i), [1], expiry: now + Int64(i) * 1000) }
        XCTAssertEqual(sweep(at: now + 10_000_000).count, 500)
        table.removeAll()
    }

    /// Keys whose deadline has already passed when they are stored (Redis
    /// 7.0 keeps `SET k v PXAT <past>` until expiry finds it) land in
    /// slots the sweep has passed: the next sweep must still find them,
    /// not the one a lap (65 s) later.
    func testExpiryWheelFindsKeysStoredAlreadyDue() {
        var table = KeyTable(seed: 7)
        let base: Int64 = 1_700_000_000_000
        func sweep(at now: Int64) -> Int {
            var found = 0
            var visited = 0
            table.beginExpirySweep()
            while let e = table.nextDueEntry(now: now, visited: &visited) {
                found += 1
                XCTAssertTrue(remove(&table, Array(e.key)))
            }
            return found
        }
        store(&table, key(0), [1], expiry: base + 3_600_000)   // keeps the wheel non-empty
        _ = sweep(at: base)
        _ = sweep(at: base + 10_000)   // the sweep is now past every tick up to +10 s
        // Due 5 s ago, 200 ms ago and earlier in the current tick; one from an hour ago.
        for (i, deadline) in [base + 5_000, base + 9_800, base + 10_000 - 1, base - 3_600_000].enumerated() {
            store(&table, key(100 + i), [1], expiry: deadline)
        }
        XCTAssertEqual(sweep(at: base + 10_001), 4)
        XCTAssertEqual(table.expiringCount, 1)
        table.removeAll()
    }

    func testRandomOperationsMatchADictionary() {
        var table = KeyTable(seed: 42)
        var model: [[UInt8]: [UInt8]] = [:]
        var expiries: [[UInt8]: Int64] = [:]
        var rng = SystemRandomNumberGenerator()
        for round in 0..<60_000 {
            let k = key(Int.random(in: 0..<3000, using: &rng))
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<5:
                let v = Array(repeating: UInt8.random(in: 97...122), count: Int.random(in: 0..<80))
                let ttl: Int64? = Bool.random() ? Int64(round) : nil
                store(&table, k, v, expiry: ttl)
                model[k] = v
                expiries[k] = ttl
            case 5..<8:
                XCTAssertEqual(remove(&table, k), model.removeValue(forKey: k) != nil)
                expiries[k] = nil
            default:
                XCTAssertEqual(lookup(table, k), model[k])
            }
            if round % 10_000 == 0 { checkExpiryIndex(table, expiries.compactMapValues { $0 }) }
        }
        XCTAssertEqual(table.count, model.count)
        for (k, v) in model { XCTAssertEqual(lookup(table, k), v) }
        checkExpiryIndex(table, expiries.compactMapValues { $0 })
        // Drain everything: the table shrinks back and frees its index.
        for k in model.keys { XCTAssertTrue(remove(&table, k)) }
        XCTAssertEqual(table.count, 0)
        XCTAssertEqual(table.expiringCount, 0)
        table.removeAll()
    }

    func testAccountedBytesFollowAllocations() {
        var table = KeyTable(seed: 42)
        XCTAssertEqual(table.bytes, 0)
        for i in 0..<1000 { store(&table, key(i), Array(repeating: 1, count: 100)) }
        let full = table.bytes
        XCTAssertGreaterThan(full, 1000 * 100)
        for i in 0..<1000 { _ = remove(&table, key(i)) }
        // Only the (shrunk) slot array remains.
        XCTAssertEqual(table.bytes, table.capacity * 8)
        table.removeAll()
    }

    /// SCAN's guarantee: walking hash ranges returns every key present for
    /// the whole walk exactly once, even while other keys come and go and
    /// the table resizes under the cursor.
    func testHashRangeWalkSurvivesResizes() {
        var table = KeyTable(seed: 42)
        let stable = (0..<2000).map { key($0) }
        for k in stable { store(&table, k, [1]) }
        var seen: [[UInt8]: Int] = [:]
        var from: UInt64 = 0
        var churn = 100_000
        while true {
            let width: UInt64 = UInt64(1) << UInt64(64 - max(table.slotBits, 1))
            let step = width &* 7
            let to = from &+ step
            let wraps = to <= from
            table.slots(inHashRange: from, wraps ? 0 : to) { slot, _ in
                seen[Array(table.entry(at: slot).key), default: 0] += 1
            }
            // Churn: grow the table a lot, then shrink it, between steps.
            for _ in 0..<50 { store(&table, key(churn), [2]); churn += 1 }
            if churn % 3000 < 50 { for c in (churn - 2000)..<churn { _ = remove(&table, key(c)) } }
            if wraps { break }
            from = to
        }
        for k in stable { XCTAssertEqual(seen[k], 1, "key \(String(decoding: k, as: UTF8.self)) seen \(seen[k] ?? 0) times") }
        table.removeAll()
    }

    /// Eviction remembers candidates by slot value: a key stays findable by
    /// it while other keys are deleted (entries shift back) and after the
    /// table grows, and is reported gone once deleted or rewritten.
    func testSlotValueFindsAnEntryAfterShiftsAndResizes() {
        var table = KeyTable(seed: 42)
        for i in 0..<500 { store(&table, key(i), [1]) }
        let remembered = (0..<500).compactMap { i -> (Int, UInt64, Int, Int)? in
            key(i).withUnsafeBytes { kb in
                guard let slot = table.find(kb, hash: KeyHash.hash(kb, seed: 42)) else { return nil }
                let value = table.slotValue(at: slot)
                return (i, value, table.home(ofValue: value), table.capacity)
            }
        }
        XCTAssertEqual(remembered.count, 500)
        // Delete every third key: later entries in each run move back.
        for i in stride(from: 0, to: 500, by: 3) { XCTAssertTrue(remove(&table, key(i))) }
        for (i, value, home, capacity) in remembered {
            let slot = table.slot(holding: value, homeThen: home, capacityThen: capacity)
            if i % 3 == 0 {
                XCTAssertNil(slot, "deleted key \(i) still found")
            } else {
                XCTAssertEqual(slot.map { Array(table.entry(at: $0).key) }, key(i))
            }
        }
        // Grow the table several times over.
        for i in 500..<5000 { store(&table, key(i), [1]) }
        for (i, value, home, capacity) in remembered where i % 3 != 0 {
            XCTAssertNotEqual(capacity, table.capacity)
            let slot = table.slot(holding: value, homeThen: home, capacityThen: capacity)
            XCTAssertEqual(slot.map { Array(table.entry(at: $0).key) }, key(i))
        }
        // A value grown past its block moves to a new one: the old identity is gone.
        let (_, value, home, capacity) = remembered[1]
        store(&table, key(1), [UInt8](repeating: 7, count: 4096))
        XCTAssertNil(table.slot(holding: value, homeThen: home, capacityThen: capacity))
        table.removeAll()
    }

    /// Small entries without an expiry take the 8-byte compact header; an
    /// expiry, a long key or a value past 16 MiB move the entry to the full
    /// one, and losing the expiry moves it back, the bytes kept throughout.
    func testEntryLayoutFollowsKeyValueAndExpiry() {
        var table = KeyTable(seed: 42)
        let k = key(1), v = Array(repeating: UInt8(7), count: 16)
        func entry(_ k: [UInt8]) -> Entry {
            k.withUnsafeBytes { kb in table.entry(at: table.find(kb, hash: KeyHash.hash(kb, seed: 42))!) }
        }
        store(&table, k, v)
        XCTAssertTrue(entry(k).isCompact)
        XCTAssertLessThanOrEqual(entry(k).allocatedSize, 40, "a 6-byte key and 16-byte value fit a 48-byte chunk")
        entry(k).lru = 0xABCDEF
        XCTAssertTrue(entry(k).isCompact, "meta writes keep the layout")
        XCTAssertEqual(entry(k).lru, 0xABCDEF)

        let slot = k.withUnsafeBytes { kb in table.find(kb, hash: KeyHash.hash(kb, seed: 42))! }
        table.setExpiry(at: slot, 5_000)
        XCTAssertFalse(entry(k).isCompact)
        XCTAssertEqual(entry(k).expiry, 5_000)
        XCTAssertEqual(lookup(table, k), v)
        XCTAssertEqual(entry(k).lru, 0xABCDEF)
        table.setExpiry(at: slot, nil)
        XCTAssertTrue(entry(k).isCompact)
        XCTAssertNil(entry(k).expiry)
        XCTAssertEqual(lookup(table, k), v)
        XCTAssertEqual(table.expiringCount, 0)

        let longKey = Array(repeating: UInt8(0x61), count: 256)
        store(&table, longKey, v)
        XCTAssertFalse(entry(longKey).isCompact)
        XCTAssertEqual(lookup(table, longKey), v)
        let keyOf255 = Array(repeating: UInt8(0x62), count: 255)
        store(&table, keyOf255, v)
        XCTAssertTrue(entry(keyOf255).isCompact)
        XCTAssertEqual(entry(keyOf255).key.count, 255)

        // Growing in place stops at the 24-bit limit: past it, a full block.
        let big = Array(repeating: UInt8(9), count: (1 << 24) - 1)
        store(&table, k, big)
        XCTAssertTrue(entry(k).isCompact)
        XCTAssertEqual(entry(k).valueLength, (1 << 24) - 1)
        XCTAssertLessThan(entry(k).valueCapacity, 1 << 24)
        let bigger = big + [1]
        store(&table, k, bigger)
        XCTAssertFalse(entry(k).isCompact)
        XCTAssertEqual(lookup(table, k), bigger)
        store(&table, k, v)
        XCTAssertEqual(lookup(table, k), v)
        table.removeAll()
        XCTAssertEqual(table.count, 0)
    }
}

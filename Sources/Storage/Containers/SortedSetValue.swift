#if canImport(Glibc)
import Glibc
#endif

/// Sorted-set elements in score order are stored as list elements (see
/// `ListElements`): a length byte, the score's *order key* with its
/// trailing zero bytes dropped, then the member. The order key is the
/// score's bits made sortable as a big-endian unsigned number (sign bit
/// flipped for positives, all bits for negatives), so comparing two keys
/// (zero-padded back to 8 bytes), then the members, orders elements by
/// score then member exactly as Redis orders a sorted set. Small integer
/// scores keep 1-2 key bytes (score 1: 3 bytes with the length, where a
/// full key cost 8), close to a listpack's integer encoding.
///
/// The packed form is a `ListView` run and the big form a `ListChunks` of
/// runs, searched by bisecting the nodes' first elements. -0 is stored as
/// 0, the two being equal in Redis's order.
public enum ScoreKey {
    /// The sortable 64-bit order key of a score.
    @inlinable public static func encode(_ score: Double) -> UInt64 {
        let bits = (score == 0 ? 0.0 : score).bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    @inlinable public static func decode(_ sortable: UInt64) -> Double {
        Double(bitPattern: sortable & (1 << 63) != 0 ? sortable & ~(1 << 63) : ~sortable)
    }

    /// The order key of an element, zero-padded back to 64 bits.
    @inlinable @inline(__always)
    public static func key(_ element: UnsafeRawBufferPointer) -> UInt64 {
        let length = Int(element[0])
        if element.count >= 9 {
            // One load, the bytes past the key masked off (a byte loop here cost ZADD a third).
            let word = UInt64(bigEndian: element.loadUnaligned(fromByteOffset: 1, as: UInt64.self))
            return length == 8 ? word : word & ~(UInt64.max >> (8 * UInt64(length)))
        }
        var key: UInt64 = 0
        for i in 0..<length { key |= UInt64(element[1 + i]) << (56 - 8 * UInt64(i)) }
        return key
    }

    /// The score of an element.
    @inlinable public static func score(_ element: UnsafeRawBufferPointer) -> Double { decode(key(element)) }

    /// The member of an element.
    @inlinable public static func member(_ element: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: element[(1 + Int(element[0]))...])
    }

    /// Builds the element for (score, member) and passes it to `body`.
    @inlinable public static func withElement<R>(_ score: Double, _ member: UnsafeRawBufferPointer,
                                                  _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let key = encode(score)
        let length = 8 - key.trailingZeroBitCount / 8
        let size = 1 + length + member.count
        func fill(_ buffer: UnsafeMutableRawBufferPointer) {
            buffer[0] = UInt8(length)
            for i in 0..<length { buffer[1 + i] = UInt8(truncatingIfNeeded: key >> (56 - 8 * UInt64(i))) }
            if member.count > 0 { (buffer.baseAddress! + 1 + length).copyMemory(from: member.baseAddress!, byteCount: member.count) }
        }
        if size <= 256 {
            return try withUnsafeTemporaryAllocation(byteCount: size, alignment: 8) { buffer in
                fill(buffer)
                return try body(UnsafeRawBufferPointer(buffer))
            }
        }
        var bytes = [UInt8](repeating: 0, count: size)
        return try bytes.withUnsafeMutableBytes { buffer in
            fill(buffer)
            return try body(UnsafeRawBufferPointer(buffer))
        }
    }

    /// Order of two elements: the order keys first (one integer
    /// comparison), then the members.
    @inlinable public static func compareElements(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let x = key(a), y = key(b)
        if x != y { return x < y ? -1 : 1 }
        return compare(member(a), member(b))
    }

    /// Whether `element` orders before the (score, member) whose order key
    /// is `key` (`encode(score)`): the key is computed once per search, not
    /// once per element compared.
    @inlinable @inline(__always)
    public static func isBefore(_ element: UnsafeRawBufferPointer, key target: UInt64,
                                           member: UnsafeRawBufferPointer) -> Bool {
        let k = key(element)
        if k != target { return k < target }
        return compare(ScoreKey.member(element), member) < 0
    }

    /// Byte order of two members: Redis's sdscmp.
    @inlinable public static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }
}

/// The big form of a sorted set (OBJECT ENCODING "skiplist" in Redis): the
/// ordered runs of `ListChunks`, plus an index member → score for O(1)
/// lookups (a `KeyTable` whose values are the 8 score bytes).
public final class SortedSetTable: ListChunks, @unchecked Sendable {
    @exclusivity(unchecked) @usableFromInline var index = KeyTable(seed: 0x2C51_F00D_7A3B_9E41)

    /// Nodes of at most 64 elements: an insertion bisects the nodes, then
    /// scans one linearly (redis-benchmark zadd, 500k members space:
    /// 128 per node 0.78x Redis, 32 or 64 about 0.9-1.05x).
    public init() { super.init(limits: ListLimits(fill: 64), keepsCountIndex: true) }
    deinit { index.removeAll() }

    public override var encodingName: StaticString { "skiplist" }
    public override var accountedBytes: Int { super.accountedBytes + index.bytes }
    public override func deepCopy() -> Container {
        let copy = copyNodes(into: SortedSetTable())
        index.forEachSlot { slot in
            let e = index.entry(at: slot)
            copy.setIndex(e.key, e.value.loadUnaligned(as: Double.self))
        }
        return copy
    }

    func score(of member: UnsafeRawBufferPointer) -> Double? {
        guard let slot = index.find(member, hash: KeyHash.hash(member, seed: index.seed)) else { return nil }
        return index.entry(at: slot).value.loadUnaligned(as: Double.self)
    }

    func setIndex(_ member: UnsafeRawBufferPointer, _ score: Double) {
        let h = KeyHash.hash(member, seed: index.seed)
        let slot = index.find(member, hash: h)
        withUnsafeBytes(of: score) { bytes in
            _ = index.storeString(key: member, hash: h, slot: slot, value: bytes, encoding: .raw, expiry: .clear, lru: 0)
        }
    }

    func removeIndex(_ member: UnsafeRawBufferPointer) {
        if let slot = index.find(member, hash: KeyHash.hash(member, seed: index.seed)) { index.remove(at: slot) }
    }
}

/// A sorted set seen through its entry (shard locked): packed (OBJECT
/// ENCODING "listpack") up to `zset-max-listpack-entries` members of at
/// most `zset-max-listpack-value` bytes, then a `SortedSetTable` for good.
public struct SortedSetView {
    public let table: UnsafeMutablePointer<KeyTable>
    public let slot: Int

    public struct Limits: Sendable {
        public var maxPackedEntries: Int
        public var maxPackedValue: Int
        public init(maxPackedEntries: Int, maxPackedValue: Int) {
            self.maxPackedEntries = maxPackedEntries; self.maxPackedValue = maxPackedValue
        }
    }

    public init(table: UnsafeMutablePointer<KeyTable>, slot: Int) { self.table = table; self.slot = slot }

    @inlinable public var list: ListView { ListView(table: table, slot: slot) }
    @inlinable public var isPacked: Bool { list.isPacked }
    /// The big form, unretained (see `ValueStore.withObject`); the set must not be packed.
    @inlinable func withObject<R>(_ body: (SortedSetTable) throws -> R) rethrows -> R {
        try ValueStore.withObject(list.entry, as: SortedSetTable.self, body)
    }
    @inlinable public var count: Int { list.count }
    public var encodingName: StaticString { isPacked ? "listpack" : "skiplist" }

    // MARK: lookups

    /// The score of `member`, or nil.
    public func score(of member: UnsafeRawBufferPointer) -> Double? {
        if !isPacked { return withObject { $0.score(of: member) } }
        var found: Double? = nil
        list.scan(from: 0, reverse: false) { e, _ in
            if ScoreKey.compare(ScoreKey.member(e), member) == 0 { found = ScoreKey.score(e); return false }
            return true
        }
        return found
    }

    /// The rank and position of the first element for which `before` is
    /// false (`before` must hold for a prefix of the order). Without
    /// `counting` the rank is not computed (the count index may need a
    /// rebuild after nodes changed): inserts and removals need only the position.
    @inline(__always)  // so that the per-element test is inlined into the scan
    public func lowerBound(counting: Bool = true, _ before: (UnsafeRawBufferPointer) -> Bool) -> (rank: Int, position: ListView.Position?) {
        var rank = 0
        var node = 0
        let l = list
        if !isPacked {
            // The last node whose first element is before the target (nil: none is).
            let last = withObject { c -> Int? in
                var lo = 0, hi = c.nodeCount - 1
                if hi < 0 || !before(c.firstElement(ofNode: 0)) { return nil }
                while lo < hi {
                    let mid = (lo + hi + 1) / 2
                    if before(c.firstElement(ofNode: mid)) { lo = mid } else { hi = mid - 1 }
                }
                if counting { rank = c.countBefore(node: lo) }
                return lo
            }
            guard let last else { return (0, l.runCount > 0 ? position(node: 0, offset: nil) : nil) }
            node = last
        }
        let r = l.run(node)
        var offset = r.start
        while offset < r.end {
            let (e, next) = ListElements.forward(r.base, offset)
            if !before(e) { return (rank, ListView.Position(node: node, offset: offset)) }
            rank += 1
            offset = next
        }
        // Past the node: the next node's first element, or the end.
        if node + 1 < l.runCount { return (rank, position(node: node + 1, offset: nil)) }
        return (rank, nil)
    }

    func position(node: Int, offset: Int?) -> ListView.Position {
        ListView.Position(node: node, offset: offset ?? list.run(node).start)
    }

    /// Rank of the first element with score ≥ `score` (> with `exclusive`).
    public func rank(ofScore score: Double, exclusive: Bool) -> Int {
        lowerBound { e in let s = ScoreKey.score(e); return exclusive ? s <= score : s < score }.rank
    }

    /// Rank of the first member ≥ `member` (> with `exclusive`) in byte order (lex ranges).
    public func rank(ofMember member: UnsafeRawBufferPointer, exclusive: Bool) -> Int {
        lowerBound { e in let c = ScoreKey.compare(ScoreKey.member(e), member); return exclusive ? c <= 0 : c < 0 }.rank
    }

    /// The rank of `member` (from the lowest score), or nil.
    public func rank(of member: UnsafeRawBufferPointer) -> Int? {
        guard let score = score(of: member) else { return nil }
        return ScoreKey.withElement(score, member) { target in lowerBound { ScoreKey.compareElements($0, target) < 0 }.rank }
    }

    /// Elements from rank `from` up (or down, `reverse`) while `body` returns true.
    public func scan(from rank: Int, reverse: Bool, _ body: (_ member: UnsafeRawBufferPointer, _ score: Double) -> Bool) {
        list.scan(from: rank, reverse: reverse) { e, _ in body(ScoreKey.member(e), ScoreKey.score(e)) }
    }

    // MARK: positions (range walks that need no ranks)

    /// Where the first element for which `before` is false is (nil: past the
    /// end); `before` must hold for a prefix of the order. No rank is
    /// computed, so a walk from here costs O(log nodes) plus its length, as
    /// Redis's skiplist walk does, where ranks cost a pass over the nodes.
    public func position(notBefore before: (UnsafeRawBufferPointer) -> Bool) -> ListView.Position? {
        lowerBound(counting: false, before).position
    }

    /// The element before the one at `p` (the last element for nil), or nil.
    public func position(before p: ListView.Position?) -> ListView.Position? { list.position(before: p) }

    /// Elements from the one at `p` up (or down, `reverse`) while `body` returns true.
    public func scan(from p: ListView.Position, reverse: Bool, _ body: (_ element: UnsafeRawBufferPointer) -> Bool) {
        list.scan(from: p, reverse: reverse) { e, _ in body(e) }
    }

    /// One ZSCAN step: a packed set whole (returns 0), a table over its
    /// member index in hash order (see `KeyTable.scanStep`).
    public func scan(cursor: UInt64, count: Int, _ body: (_ member: UnsafeRawBufferPointer, _ score: Double) -> Void) -> UInt64 {
        if isPacked { scan(from: 0, reverse: false) { m, s in body(m, s); return true }; return 0 }
        return withObject { $0.index.scanStep(cursor: cursor, count: count) { e in body(e.key, e.value.loadUnaligned(as: Double.self)) } }
    }

    // MARK: changes

    /// Sets `member`'s score, adding it if new. Returns whether it was new.
    @discardableResult
    public func set(_ member: UnsafeRawBufferPointer, score: Double, old: Double?, limits: Limits) -> Bool {
        if let old = old {
            if old == score && (old != 0 || old.sign == score.sign) { return false }
            // The index entry stays: `setIndex` below overwrites its score in place.
            removeElement(member, score: old, fromIndex: false)
        }
        if isPacked && member.count > limits.maxPackedValue { convert() }
        let key = ScoreKey.encode(score)
        ScoreKey.withElement(score, member) { element in
            let (_, p) = lowerBound(counting: false) { ScoreKey.isBefore($0, key: key, member: member) }
            if let p = p { list.insert(element, at: p, after: false, limits: nil) } else { list.push(element, atFront: false, limits: nil) }
        }
        if !isPacked {
            table.pointee.mutateContainer(at: slot, as: SortedSetTable.self) { $0.setIndex(member, score) }
        } else if count > limits.maxPackedEntries {
            convert()
        }
        return old == nil
    }

    /// Removes `member`; returns whether it was there.
    @discardableResult
    public func remove(_ member: UnsafeRawBufferPointer) -> Bool {
        guard let score = score(of: member) else { return false }
        removeElement(member, score: score)
        return true
    }

    func removeElement(_ member: UnsafeRawBufferPointer, score: Double, fromIndex: Bool = true) {
        let key = ScoreKey.encode(score)
        let (_, p) = lowerBound(counting: false) { ScoreKey.isBefore($0, key: key, member: member) }
        list.delete(at: p!)
        if fromIndex && !isPacked { table.pointee.mutateContainer(at: slot, as: SortedSetTable.self) { $0.removeIndex(member) } }
    }

    /// Removes `n` elements from rank `from` (ZREMRANGEBY*, ZPOP*).
    public func removeRange(from rank: Int, count n: Int) {
        if n <= 0 { return }
        if rank == 0 || rank + n == count {
            if !isPacked {
                var members: [[UInt8]] = []
                scan(from: rank, reverse: false) { m, _ in members.append(Array(m)); return members.count < n }
                table.pointee.mutateContainer(at: slot, as: SortedSetTable.self) { t in
                    for m in members { m.withUnsafeBytes { t.removeIndex($0) } }
                }
            }
            list.remove(n, fromFront: rank == 0)
            return
        }
        var doomed: [(member: [UInt8], score: Double)] = []
        scan(from: rank, reverse: false) { m, s in doomed.append((Array(m), s)); return doomed.count < n }
        for d in doomed.reversed() { d.member.withUnsafeBytes { removeElement($0, score: d.score) } }
    }

    /// Packed → table (one way, as in Redis).
    func convert() {
        let t = SortedSetTable()
        list.scan(from: 0, reverse: false) { e, _ in
            t.push(e, atFront: false)
            t.setIndex(ScoreKey.member(e), ScoreKey.score(e))
            return true
        }
        table.pointee.replacePacked(at: slot, with: t)
    }
}

extension SortedSetView: ValueView {
    public static var valueType: ValueType { .zset }
    public static func newEntry(key: UnsafeRawBufferPointer, lru: UInt32) -> Entry {
        KeyTable.packedEntry(key: key, type: .zset, lru: lru)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A set, seen through the entry that holds it (shard locked). As in Redis
/// 7.0, a set of integers only is an intset packed into the entry (sorted
/// 2-, 4- or 8-byte integers; OBJECT ENCODING "intset") until it holds
/// `set-max-intset-entries` members or gets a non-integer one; then it is a
/// `SetTable` ("hashtable") for good.
///
/// Packed value area: UInt32 count, UInt32 width (2, 4 or 8), then `count`
/// little-endian integers of that width in ascending order.
public struct SetView {
    public let table: UnsafeMutablePointer<KeyTable>
    public let slot: Int

    public init(table: UnsafeMutablePointer<KeyTable>, slot: Int) { self.table = table; self.slot = slot }

    @inlinable var entry: Entry { table.pointee.entry(at: slot) }
    public var isPacked: Bool { entry.encodingBits == ContainerLayout.packed }
    var object: SetTable { unsafeDowncast(ValueStore.container(entry)!, to: SetTable.self) }
    var packed: IntSet { IntSet(entry) }

    public var count: Int { isPacked ? packed.count : object.elements.count }

    // MARK: reading

    public func contains(_ member: UnsafeRawBufferPointer) -> Bool {
        if !isPacked { return object.contains(member) }
        guard let v = IntSet.integer(member) else { return false }
        return packed.search(v).found
    }

    /// Every member: ascending numbers when packed, table order otherwise.
    /// (`body` gets the bytes of a packed member in a stack buffer.)
    public func forEach(_ body: (UnsafeRawBufferPointer) -> Void) {
        if !isPacked { object.forEach { member, _ in body(member) }; return }
        let s = packed
        for i in 0..<s.count { IntSet.withText(s.value(at: i), body) }
    }

    /// A random member.
    public func withRandomMember<R>(_ random: UInt64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if !isPacked {
            let t = object.elements
            return body(t.entry(at: t.randomSlot(random)!).key)
        }
        let s = packed
        return IntSet.withText(s.value(at: Int(random % UInt64(s.count))), body)
    }

    /// One SSCAN step (see `HashView.scan`).
    public func scan(cursor: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) -> Void) -> UInt64 {
        if isPacked { forEach(body); return 0 }
        return object.elements.scanStep(cursor: cursor, count: count) { body($0.key) }
    }

    // MARK: writing

    /// Adds `member`; returns true if it was not there.
    @discardableResult
    public func add(_ member: UnsafeRawBufferPointer, maxIntsetEntries: Int) -> Bool {
        if isPacked {
            if let v = IntSet.integer(member) {
                let (found, index) = packed.search(v)
                if found { return false }
                IntSet.insert(v, at: index, slot: slot, table: table)
                if count > maxIntsetEntries { convert() }
                return true
            }
            convert()
        }
        return table.pointee.mutateContainer(at: slot, as: SetTable.self) { $0.add(member) }
    }

    /// Removes `member`; returns whether it was there.
    @discardableResult
    public func remove(_ member: UnsafeRawBufferPointer) -> Bool {
        if !isPacked { return table.pointee.mutateContainer(at: slot, as: SetTable.self) { $0.remove(member) } }
        guard let v = IntSet.integer(member) else { return false }
        let (found, index) = packed.search(v)
        if !found { return false }
        IntSet.remove(at: index, slot: slot, table: table)
        return true
    }

    /// Intset → table (one way, as in Redis).
    func convert() {
        let t = SetTable()
        forEach { _ = t.add($0) }
        table.pointee.replacePacked(at: slot, with: t)
    }
}

extension SetView: ValueView {
    public static var valueType: ValueType { .set }
    /// An empty intset; the first non-integer member converts it.
    public static func newEntry(key: UnsafeRawBufferPointer, lru: UInt32) -> Entry {
        let e = KeyTable.packedEntry(key: key, type: .set, lru: lru, header: 8)
        e.valueStart.storeBytes(of: 2 as UInt32, toByteOffset: 4, as: UInt32.self)  // width
        return e
    }
}

/// The packed integers of an intset entry.
struct IntSet {
    let base: UnsafeRawPointer
    let count: Int
    let width: Int

    init(_ e: Entry) {
        count = Int(e.valueStart.loadUnaligned(as: UInt32.self))
        width = Int(e.valueStart.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        base = UnsafeRawPointer(e.valueStart + 8)
    }

    func value(at i: Int) -> Int {
        switch width {
        case 2: return Int(base.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))
        case 4: return Int(base.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
        default: return Int(base.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
        }
    }

    /// Binary search: whether `v` is present and where it is or would go.
    func search(_ v: Int) -> (found: Bool, index: Int) {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            let m = value(at: mid)
            if m == v { return (true, mid) }
            if m < v { low = mid + 1 } else { high = mid }
        }
        return (false, low)
    }

    /// A member as an intset holds it: a canonical 64-bit integer (Redis's `string2ll`).
    static func integer(_ bytes: UnsafeRawBufferPointer) -> Int? { StringEncoding.canonicalInteger(bytes) }

    static func withText<R>(_ v: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R { StringEncoding.withDecimalText(v, body) }

    static func widthNeeded(_ v: Int) -> Int {
        if v >= Int(Int16.min) && v <= Int(Int16.max) { return 2 }
        if v >= Int(Int32.min) && v <= Int(Int32.max) { return 4 }
        return 8
    }

    static func store(_ v: Int, at p: UnsafeMutableRawPointer, width: Int) {
        switch width {
        case 2: p.storeBytes(of: Int16(truncatingIfNeeded: v), as: Int16.self)
        case 4: p.storeBytes(of: Int32(truncatingIfNeeded: v), as: Int32.self)
        default: p.storeBytes(of: Int64(v), as: Int64.self)
        }
    }

    /// Inserts `v` at `index`, widening every member first if `v` needs it.
    static func insert(_ v: Int, at index: Int, slot: Int, table: UnsafeMutablePointer<KeyTable>) {
        var e = table.pointee.entry(at: slot)
        let old = IntSet(e)
        let width = max(old.width, widthNeeded(v))
        let length = 8 + (old.count + 1) * width
        if width != old.width {
            // Rewrite every member at the new width, back to front (in place
            // once the block is big enough: wider slots end past narrower ones).
            let values = (0..<old.count).map(old.value(at:))
            e = table.pointee.relayout(at: slot, valueLength: length, valueCapacity: length, expiry: e.expiry)
            let p = e.valueStart + 8
            var j = 0
            for (i, m) in values.enumerated() {
                if i == index { store(v, at: p + j * width, width: width); j += 1 }
                store(m, at: p + j * width, width: width); j += 1
            }
            if index == values.count { store(v, at: p + j * width, width: width) }
            e.valueStart.storeBytes(of: UInt32(width), toByteOffset: 4, as: UInt32.self)
        } else {
            // Exact growth, as Redis reallocates an intset: members are at
            // most 8 bytes and 512 of them by default, so copying is cheap and
            // slack would be most of the block.
            if length > e.valueCapacity {
                e = table.pointee.relayout(at: slot, valueLength: e.valueLength, valueCapacity: length, expiry: e.expiry)
            }
            let p = e.valueStart + 8 + index * width
            memmove(p + width, p, (old.count - index) * width)
            store(v, at: p, width: width)
            e.valueLength = length
        }
        e.valueStart.storeBytes(of: UInt32(old.count + 1), as: UInt32.self)
    }

    static func remove(at index: Int, slot: Int, table: UnsafeMutablePointer<KeyTable>) {
        let e = table.pointee.entry(at: slot)
        let s = IntSet(e)
        let p = e.valueStart + 8 + index * s.width
        memmove(p, p + s.width, (s.count - index - 1) * s.width)
        e.valueStart.storeBytes(of: UInt32(s.count - 1), as: UInt32.self)
        _ = table.pointee.resizeValue(at: slot, to: 8 + (s.count - 1) * s.width)
    }
}

/// The table form of a set: members are the table's keys (with empty values).
public final class SetTable: TableContainer, @unchecked Sendable {
    public override func deepCopy() -> Container { copyElements(into: SetTable()) }

    func add(_ member: UnsafeRawBufferPointer) -> Bool {
        set(member, UnsafeRawBufferPointer(start: nil, count: 0))
    }
}

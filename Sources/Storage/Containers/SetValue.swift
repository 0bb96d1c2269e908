#if canImport(Glibc)
import Glibc
#endif

/// A set, seen through the entry that holds it (shard locked). Three forms:
///
/// - intset: integers only, packed into the entry as sorted 2-, 4- or
///   8-byte integers (OBJECT ENCODING "intset"), until the set holds
///   `set-max-intset-entries` members or gets a non-integer one, as in
///   Redis 7.0. Value area: UInt32 count, UInt32 width, then the integers.
/// - packed strings: up to `maxPackedStrings` members of at most
///   `maxPackedStringLength` bytes, packed as `PackedElements` in insertion
///   order. Redis 7.0 keeps such sets in a hashtable and says so, and so do
///   we ("hashtable"): the difference is only memory (one block instead of
///   a table object and an entry per member; 7.2 packs them the same way).
/// - `SetTable` ("hashtable") for anything bigger, for good.
///
/// Conversions only go forward (intset → strings → table), as in Redis.
public struct SetView {
    public let table: UnsafeMutablePointer<KeyTable>
    public let slot: Int

    /// Packed-strings limits (Redis 7.2's `set-max-listpack-*` defaults).
    public static let maxPackedStrings = 128
    public static let maxPackedStringLength = 64

    public init(table: UnsafeMutablePointer<KeyTable>, slot: Int) { self.table = table; self.slot = slot }

    @inlinable var entry: Entry { table.pointee.entry(at: slot) }
    public var isIntset: Bool { entry.encodingBits == ContainerLayout.packed }
    var isPackedStrings: Bool { entry.encodingBits == ContainerLayout.packedStrings }
    /// The table form, unretained (see `ValueStore.withObject`); the value must be in table form.
    @inlinable func withObject<R>(_ body: (SetTable) throws -> R) rethrows -> R {
        try ValueStore.withObject(entry, as: SetTable.self, body)
    }
    var intset: IntSet { IntSet(entry) }
    var strings: PackedElements { PackedElements(entry) }

    public var count: Int {
        switch entry.encodingBits {
        case ContainerLayout.packed: return intset.count
        case ContainerLayout.packedStrings: return strings.count
        default: return withObject { $0.elements.count }
        }
    }

    // MARK: reading

    public func contains(_ member: UnsafeRawBufferPointer) -> Bool {
        if isPackedStrings { return strings.find(member) != nil }
        if !isIntset { return withObject { $0.contains(member) } }
        guard let v = IntSet.integer(member) else { return false }
        return intset.search(v).found
    }

    /// Every member: ascending numbers for an intset, insertion order when
    /// packed, table order otherwise. (`body` gets the bytes of an intset
    /// member in a stack buffer.)
    public func forEach(_ body: (UnsafeRawBufferPointer) -> Void) {
        if isPackedStrings {
            let p = strings
            var offset = 0
            while offset < p.used {
                let (bytes, next) = p.element(at: offset)
                body(bytes)
                offset = next
            }
            return
        }
        if !isIntset { withObject { $0.forEach { member, _ in body(member) } }; return }
        let s = intset
        for i in 0..<s.count { IntSet.withText(s.value(at: i), body) }
    }

    /// A random member.
    public func withRandomMember<R>(_ random: UInt64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if isPackedStrings {
            let p = strings
            return body(p.element(at: p.offset(ofIndex: Int(random % UInt64(p.count)))).bytes)
        }
        if !isIntset {
            return withObject { t in body(t.elements.entry(at: t.elements.randomSlot(random)!).key) }
        }
        let s = intset
        return IntSet.withText(s.value(at: Int(random % UInt64(s.count))), body)
    }

    /// One SSCAN step (see `HashView.scan`); a packed set is visited whole.
    public func scan(cursor: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) -> Void) -> UInt64 {
        if isIntset || isPackedStrings { forEach(body); return 0 }
        return withObject { $0.elements.scanStep(cursor: cursor, count: count) { body($0.key) } }
    }

    // MARK: writing

    /// Adds `member`; returns true if it was not there.
    @discardableResult
    public func add(_ member: UnsafeRawBufferPointer, maxIntsetEntries: Int) -> Bool {
        if isIntset {
            if let v = IntSet.integer(member) {
                let (found, index) = intset.search(v)
                if found { return false }
                IntSet.insert(v, at: index, slot: slot, table: table)
                if count > maxIntsetEntries { convertToTable() }
                return true
            }
            // A non-integer member: nothing to look up, it is new.
            if count + 1 <= Self.maxPackedStrings && member.count <= Self.maxPackedStringLength {
                convertIntsetToStrings(adding: member)
            } else {
                convertToTable()
                return table.pointee.mutateContainer(at: slot, as: SetTable.self) { $0.add(member) }
            }
            return true
        }
        if isPackedStrings {
            if strings.find(member) != nil { return false }
            if member.count > Self.maxPackedStringLength || count + 1 > Self.maxPackedStrings {
                convertToTable()
            } else {
                table.pointee.splicePacked(at: slot, offset: strings.used, removing: 0, countDelta: 1, member)
                return true
            }
        }
        return table.pointee.mutateContainer(at: slot, as: SetTable.self) { $0.add(member) }
    }

    /// Removes `member`; returns whether it was there.
    @discardableResult
    public func remove(_ member: UnsafeRawBufferPointer) -> Bool {
        if isPackedStrings {
            let p = strings
            guard let offset = p.find(member) else { return false }
            table.pointee.splicePacked(at: slot, offset: offset, removing: p.element(at: offset).next - offset, countDelta: -1)
            return true
        }
        if !isIntset { return table.pointee.mutateContainer(at: slot, as: SetTable.self) { $0.remove(member) } }
        guard let v = IntSet.integer(member) else { return false }
        let (found, index) = intset.search(v)
        if !found { return false }
        IntSet.remove(at: index, slot: slot, table: table)
        return true
    }

    /// Intset or packed strings → table.
    func convertToTable() {
        let t = SetTable()
        forEach { _ = t.add($0) }
        table.pointee.replacePacked(at: slot, with: t)
    }

    /// Intset → packed strings holding its members' text and `member`.
    func convertIntsetToStrings(adding member: UnsafeRawBufferPointer) {
        var staged: [UInt8] = []
        let old = intset
        staged.reserveCapacity(old.count * 8 + PackedElements.size(of: member))
        func stage(_ bytes: UnsafeRawBufferPointer) {
            let start = staged.count
            staged.append(contentsOf: repeatElement(0, count: PackedElements.size(of: bytes)))
            staged.withUnsafeMutableBytes { PackedElements.write(bytes, at: $0.baseAddress! + start) }
        }
        forEach(stage)
        stage(member)
        let length = 4 + staged.count
        let e = table.pointee.relayout(at: slot, valueLength: length, valueCapacity: length + length / 2, expiry: entry.expiry)
        e.encodingBits = ContainerLayout.packedStrings
        e.valueStart.storeBytes(of: UInt32(old.count + 1), as: UInt32.self)
        staged.withUnsafeBytes { (e.valueStart + 4).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
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

/// A hash: field → value, seen through the entry that holds it (shard
/// locked). Small hashes are packed into the entry as alternating fields
/// and values in insertion order (OBJECT ENCODING "listpack"); past
/// `hash-max-listpack-entries` fields or a field or value longer than
/// `hash-max-listpack-value` bytes they become a `HashTable` ("hashtable"),
/// and stay one, as in Redis.
///
/// Every change accounts its memory: packed changes resize the entry block
/// (accounted by the table), table changes go through `mutateContainer`.
public struct HashView {
    public let table: UnsafeMutablePointer<KeyTable>
    /// The entry's slot; stable while the shard stays locked.
    public let slot: Int

    /// The conversion thresholds in force when the hash is written.
    public struct Limits {
        public var maxPackedEntries: Int
        public var maxPackedValue: Int
        public init(maxPackedEntries: Int, maxPackedValue: Int) {
            self.maxPackedEntries = maxPackedEntries; self.maxPackedValue = maxPackedValue
        }
    }

    public init(table: UnsafeMutablePointer<KeyTable>, slot: Int) { self.table = table; self.slot = slot }

    @inlinable var entry: Entry { table.pointee.entry(at: slot) }
    public var isPacked: Bool { entry.encodingBits == ContainerLayout.packed }
    var packed: PackedElements { PackedElements(entry) }
    /// The table form, unretained (see `ValueStore.withObject`); the value must be in table form.
    @inlinable func withObject<R>(_ body: (HashTable) throws -> R) rethrows -> R {
        try ValueStore.withObject(entry, as: HashTable.self, body)
    }

    public var count: Int { isPacked ? packed.count / 2 : withObject { $0.elements.count } }
    public var encodingName: StaticString { isPacked ? "listpack" : "hashtable" }

    // MARK: reading

    /// The value of `field` (valid until the next change), or nil.
    public func get(_ field: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        if !isPacked { return withObject { $0.get(field) } }
        let p = packed
        guard let offset = p.find(field, stride: 2) else { return nil }
        return p.element(at: p.element(at: offset).next).bytes
    }

    /// Every field and value: insertion order when packed, table order otherwise.
    public func forEach(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        if !isPacked { withObject { $0.forEach(body) }; return }
        let p = packed
        var offset = 0
        while offset < p.used {
            let field = p.element(at: offset)
            let value = p.element(at: field.next)
            body(field.bytes, value.bytes)
            offset = value.next
        }
    }

    /// A random field and its value.
    public func pair(random: UInt64) -> (field: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        if !isPacked {
            let e = withObject { t in t.elements.entry(at: t.elements.randomSlot(random)!) }
            return (e.key, e.value)
        }
        let p = packed
        let field = p.element(at: p.offset(ofIndex: Int(random % UInt64(p.count / 2)) * 2))
        return (field.bytes, p.element(at: field.next).bytes)
    }

    /// One HSCAN step from `cursor` over about `count` table slots; returns
    /// the next cursor (0: done). A packed hash is visited whole at once.
    /// Every field present for a whole iteration is visited at least once.
    public func scan(cursor: UInt64, count: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) -> UInt64 {
        if isPacked { forEach(body); return 0 }
        return withObject { $0.elements.scanStep(cursor: cursor, count: count) { e in body(e.key, e.value) } }
    }

    // MARK: writing

    /// Sets `field` to `value`; returns true if the field is new.
    @discardableResult
    public func set(_ field: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, limits: Limits) -> Bool {
        if isPacked && (field.count > limits.maxPackedValue || value.count > limits.maxPackedValue) { convert() }
        if !isPacked {
            return table.pointee.mutateContainer(at: slot, as: HashTable.self) { $0.set(field, value) }
        }
        let p = packed
        if let offset = p.find(field, stride: 2) {
            let old = p.element(at: offset).next
            table.pointee.splicePacked(at: slot, offset: old, removing: p.element(at: old).next - old, countDelta: 0, value)
            return false
        }
        table.pointee.splicePacked(at: slot, offset: p.used, removing: 0, countDelta: 2, field, value)
        if count > limits.maxPackedEntries { convert() }
        return true
    }

    /// Removes `field`; returns whether it existed.
    @discardableResult
    public func remove(_ field: UnsafeRawBufferPointer) -> Bool {
        if !isPacked {
            return table.pointee.mutateContainer(at: slot, as: HashTable.self) { $0.remove(field) }
        }
        let p = packed
        guard let offset = p.find(field, stride: 2) else { return false }
        let end = p.element(at: p.element(at: offset).next).next
        table.pointee.splicePacked(at: slot, offset: offset, removing: end - offset, countDelta: -2)
        return true
    }

    /// Packed → table (one way, as in Redis).
    func convert() {
        let t = HashTable()
        forEach { field, value in _ = t.set(field, value) }
        table.pointee.replacePacked(at: slot, with: t)
    }
}

/// The table form of a large hash: fields are the table's keys, values
/// their string values.
public final class HashTable: TableContainer, @unchecked Sendable {
    public override func deepCopy() -> Container { copyElements(into: HashTable()) }
}

extension KeyTable {
    /// One cursor step over the table in hash order (HSCAN, SSCAN, ZSCAN):
    /// visits entries from `cursor` on until `count` of them (as Redis
    /// collects COUNT elements before MATCH filters them), the end of the
    /// table, or ten times `count` slots' worth of hash space; returns the
    /// next cursor, 0 when done. The cursor counts buckets of hash space
    /// (`HashOrderCursor`).
    public func scanStep(cursor: UInt64, count: Int, _ body: (Entry) -> Void) -> UInt64 {
        guard self.count > 0 else { return 0 }
        let buckets = HashOrderCursor(positionBits: HashOrderCursor.bits)
        var from = buckets.hashPosition(cursor)
        var visited = 0
        var budget = min(count, 1 << 40) * 10
        while true {
            let (to, wraps) = buckets.stepEnd(from: from, slotBits: slotBits, count: count - visited)
            slots(inHashRange: from, wraps ? 0 : to) { slot, _ in body(entry(at: slot)); visited += 1 }
            if wraps { return 0 }
            budget -= buckets.slotsSpanned(from: from, to: to, wraps: false, slotBits: slotBits)
            from = to
            if visited >= count || budget <= 0 { return buckets.cursor(from) }
        }
    }
}

extension HashView: ValueView {
    public static var valueType: ValueType { .hash }
    public static func newEntry(key: UnsafeRawBufferPointer, lru: UInt32) -> Entry {
        KeyTable.packedEntry(key: key, type: .hash, lru: lru)
    }
}

/// A hash: field → value. Small hashes are a `PackedList` of alternating
/// fields and values in insertion order (OBJECT ENCODING "listpack"); past
/// `hash-max-listpack-entries` fields or a field or value longer than
/// `hash-max-listpack-value` bytes it becomes a `KeyTable` whose entries
/// hold the field as key and the value as string value ("hashtable"), and
/// stays one, as in Redis.
public final class HashValue: Container {
    /// The packed form; unused (empty) once `table` exists.
    @usableFromInline var packed = PackedList()
    /// The table form.
    @usableFromInline var table: KeyTable? = nil

    /// The conversion thresholds in force when the hash is written.
    public struct Limits {
        public var maxPackedEntries: Int
        public var maxPackedValue: Int
        public init(maxPackedEntries: Int, maxPackedValue: Int) {
            self.maxPackedEntries = maxPackedEntries; self.maxPackedValue = maxPackedValue
        }
    }

    public override init() {}
    deinit {
        packed.deallocate()
        table?.removeAll()
    }

    public var isPacked: Bool { table == nil }
    public override var count: Int { table?.count ?? packed.count / 2 }
    public override var encodingName: StaticString { isPacked ? "listpack" : "hashtable" }
    public override var accountedBytes: Int { 48 + (table?.bytes ?? packed.allocatedBytes) }

    public override func deepCopy() -> Container {
        let c = HashValue()
        if var t = table {
            var copy = KeyTable(seed: t.seed)
            t.forEachSlot { slot in
                let e = t.entry(at: slot)
                copy.storeString(key: e.key, hash: KeyHash.hash(e.key, seed: copy.seed), slot: nil, value: e.value,
                                 encoding: .raw, expiry: .clear, lru: 0)
            }
            _ = t
            c.table = copy
        } else {
            c.packed = packed.copy()
        }
        return c
    }

    // MARK: reading

    /// The value of `field` (valid until the next change), or nil.
    public func get(_ field: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        if let t = table {
            guard let slot = t.find(field, hash: KeyHash.hash(field, seed: t.seed)) else { return nil }
            return t.entry(at: slot).value
        }
        guard let offset = packed.find(field, stride: 2) else { return nil }
        return packed.element(at: packed.element(at: offset).next).bytes
    }

    /// Every field and value: insertion order when packed, table order otherwise.
    public func forEach(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        if let t = table {
            t.forEachSlot { slot in let e = t.entry(at: slot); body(e.key, e.value) }
            return
        }
        var offset = 0
        while offset < packed.endOffset {
            let field = packed.element(at: offset)
            let value = packed.element(at: field.next)
            body(field.bytes, value.bytes)
            offset = value.next
        }
    }

    /// Field and value number `index` in `forEach` order (packed), or of a
    /// random occupied slot chosen by `random` (table).
    public func pair(random: UInt64) -> (field: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        if let t = table {
            let e = t.entry(at: t.randomSlot(random)!)
            return (e.key, e.value)
        }
        let field = packed.element(at: packed.offset(ofIndex: Int(random % UInt64(count)) * 2))
        return (field.bytes, packed.element(at: field.next).bytes)
    }

    /// One HSCAN step over the table form from hash position `cursor`,
    /// covering about `count` slots; returns the next cursor (0: done).
    /// Every field present for the whole iteration is returned at least once.
    public func scan(cursor: UInt64, count: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) -> UInt64 {
        guard let t = table, t.count > 0 else { forEach(body); return 0 }
        let width: UInt64 = t.slotBits >= 64 ? 1 : UInt64(1) << UInt64(64 - t.slotBits)
        let span = UInt64(max(1, min(count, 1 << 20))) &* width
        let to = cursor &+ span
        let wraps = to <= cursor
        t.slots(inHashRange: cursor, wraps ? 0 : to) { slot, _ in
            let e = t.entry(at: slot)
            body(e.key, e.value)
        }
        return wraps ? 0 : to
    }

    // MARK: writing

    /// Sets `field` to `value`; returns true if the field is new.
    @discardableResult
    public func set(_ field: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, limits: Limits) -> Bool {
        if table == nil && (field.count > limits.maxPackedValue || value.count > limits.maxPackedValue) { convert() }
        if table != nil {
            let h = KeyHash.hash(field, seed: table!.seed)
            let slot = table!.find(field, hash: h)
            table!.storeString(key: field, hash: h, slot: slot, value: value, encoding: .raw, expiry: .clear, lru: 0)
            return slot == nil
        }
        if let offset = packed.find(field, stride: 2) {
            packed.replace(at: packed.element(at: offset).next, with: value)
            return false
        }
        packed.append(field)
        packed.append(value)
        if packed.count / 2 > limits.maxPackedEntries { convert() }
        return true
    }

    /// Removes `field`; returns whether it existed.
    @discardableResult
    public func remove(_ field: UnsafeRawBufferPointer) -> Bool {
        if table != nil {
            guard let slot = table!.find(field, hash: KeyHash.hash(field, seed: table!.seed)) else { return false }
            table!.remove(at: slot)
            return true
        }
        guard let offset = packed.find(field, stride: 2) else { return false }
        packed.remove(at: offset, elements: 2)
        return true
    }

    /// Packed → table (one way, as Redis).
    func convert() {
        guard table == nil else { return }
        var t = KeyTable(seed: 0x4A5E_D1C7_0BB5_2F11)
        forEach { field, value in
            t.storeString(key: field, hash: KeyHash.hash(field, seed: t.seed), slot: nil, value: value,
                          encoding: .raw, expiry: .clear, lru: 0)
        }
        packed.deallocate()
        packed = PackedList()
        table = t
    }
}

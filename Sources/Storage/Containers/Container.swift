/// The table form shared by big hashes and sets (and later sorted sets'
/// member index): a `KeyTable` of its own, whose entries hold an element as
/// key and, for hashes, its value as string value.
///
/// `elements` is `@exclusivity(unchecked)`: a container is only touched with
/// its shard locked (the dynamic checks were 9% of SADD's instructions).
public class TableContainer: Container, @unchecked Sendable {
    @exclusivity(unchecked) @usableFromInline final var elements = KeyTable(seed: 0x4A5E_D1C7_0BB5_2F11)

    public override init() {}
    deinit { elements.removeAll() }

    public final override var count: Int { elements.count }
    public final override var encodingName: StaticString { "hashtable" }
    /// The object itself, then the table's slots and element blocks.
    public final override var accountedBytes: Int { 64 + elements.bytes }

    /// Copies every element into `copy` (deepCopy of the subclasses).
    final func copyElements(into copy: TableContainer) -> TableContainer {
        forEach { key, value in _ = copy.set(key, value) }
        return copy
    }

    final func get(_ key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let slot = elements.find(key, hash: KeyHash.hash(key, seed: elements.seed)) else { return nil }
        return elements.entry(at: slot).value
    }

    final func contains(_ key: UnsafeRawBufferPointer) -> Bool {
        elements.find(key, hash: KeyHash.hash(key, seed: elements.seed)) != nil
    }

    final func forEach(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        elements.forEachSlot { slot in let e = elements.entry(at: slot); body(e.key, e.value) }
    }

    /// Sets `key`'s value; returns true if the key is new.
    final func set(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Bool {
        let h = KeyHash.hash(key, seed: elements.seed)
        let slot = elements.find(key, hash: h)
        elements.storeString(key: key, hash: h, slot: slot, value: value, encoding: .raw, expiry: .clear, lru: 0)
        return slot == nil
    }

    final func remove(_ key: UnsafeRawBufferPointer) -> Bool {
        guard let slot = elements.find(key, hash: KeyHash.hash(key, seed: elements.seed)) else { return false }
        elements.remove(at: slot)
        return true
    }
}

/// How a container entry holds its value (the entry's encoding bits).
public enum ContainerLayout {
    /// The value area holds a retained `Container` reference (large values).
    public static let object: UInt8 = 0
    /// The value area holds the elements themselves, packed (small values,
    /// Redis's listpack): see `PackedElements`.
    public static let packed: UInt8 = 1
    /// Sets only: packed like `packed`, but holding strings where `packed`
    /// means an intset (see `SetView`).
    public static let packedStrings: UInt8 = 2
}

/// A value too large to live in its entry block: a big hash, list, set,
/// sorted set or stream. The entry's 8 value bytes hold a retained
/// reference to it (stored unaligned, as the value area follows the key
/// bytes); small values of these types are packed into the entry instead.
///
/// Memory: `accountedBytes` is what the container allocated beyond its entry
/// block. The key table adds it to its bytes (so `used_memory`, MEMORY USAGE
/// and eviction see it) when the container is stored and subtracts it when
/// the entry goes; a mutation goes through `KeyTable.mutateContainer`, which
/// accounts the difference.
///
/// Thread-safety: a container is reached only through its entry, so only
/// with its shard locked (or after it was detached from every table).
public class Container: @unchecked Sendable {
    public init() {}

    /// Bytes allocated by the container (its object and its storage).
    public var accountedBytes: Int { 0 }
    /// The number of elements (fields, members, items, entries).
    public var count: Int { 0 }
    /// A deep copy for COPY: two keys never share mutable state.
    public func deepCopy() -> Container { fatalError("deepCopy not implemented for \(type(of: self))") }
    /// OBJECT ENCODING's name for the current representation.
    public var encodingName: StaticString { "unknown" }
}

/// Ownership of values that live outside the entry block. A string's bytes
/// live inside the entry, so it owns nothing.
public enum ValueStore {
    /// The container an entry refers to (nil for strings and packed values).
    @inlinable
    public static func container(_ e: Entry) -> Container? {
        if e.type == .string || e.encodingBits != ContainerLayout.object { return nil }
        let bits = e.valueStart.loadUnaligned(as: UInt.self)
        guard let p = UnsafeRawPointer(bitPattern: bits) else { return nil }
        return Unmanaged<Container>.fromOpaque(p).takeUnretainedValue()
    }

    /// The entry's container as `C`, unretained, for the length of `body`:
    /// the entry holds a reference and the shard lock keeps the entry, so a
    /// retain and release around each use (about 10 per ZADD on a big sorted
    /// set) bought nothing. The entry must hold a container of class `C`
    /// (`encodingBits == ContainerLayout.object`), and `body` must not
    /// replace or delete the entry's value.
    @inlinable
    public static func withObject<C: Container, R>(_ e: Entry, as _: C.Type, _ body: (C) throws -> R) rethrows -> R {
        let p = UnsafeRawPointer(bitPattern: e.valueStart.loadUnaligned(as: UInt.self)).unsafelyUnwrapped
        return try Unmanaged<C>.fromOpaque(p)._withUnsafeGuaranteedRef(body)
    }

    /// Bytes the entry's container has allocated (0 for strings).
    @inlinable
    public static func containerBytes(_ e: Entry) -> Int {
        container(e)?.accountedBytes ?? 0
    }

    /// Stores a retained reference to `c` in the entry's value area.
    @inlinable
    static func attach(_ c: Container, to e: Entry) {
        e.valueStart.storeBytes(of: UInt(bitPattern: Unmanaged.passRetained(c).toOpaque()), as: UInt.self)
    }

    @inlinable
    public static func release(_ e: Entry) {
        if e.type == .string || e.encodingBits != ContainerLayout.object { return }
        let bits = e.valueStart.loadUnaligned(as: UInt.self)
        if let p = UnsafeRawPointer(bitPattern: bits) { Unmanaged<Container>.fromOpaque(p).release() }
    }

    /// Frees a detached entry, handing a container of more than
    /// `BackgroundFree.threshold` elements to `freer` (UNLINK).
    public static func freeLazily(_ e: Entry, freer: BackgroundFree) {
        if let c = container(e), c.count > BackgroundFree.threshold {
            freer.free(c)  // takes its own reference before the entry's goes
        }
        KeyTable.free(e)
    }

    /// OBJECT ENCODING's name for a container entry's representation.
    public static func encodingName(_ e: Entry) -> StaticString {
        if let c = container(e) { return c.encodingName }
        switch e.type {
        case .set: return e.encodingBits == ContainerLayout.packedStrings ? "hashtable" : "intset"
        case .list: return "quicklist"
        default: return "listpack"
        }
    }

    /// Gives a cloned block its own container (COPY must not share mutable state).
    public static func retainCopy(_ e: Entry) {
        guard let c = container(e) else { return }
        attach(c.deepCopy(), to: e)
    }
}

extension ValueView {
    public static var deletesWhenEmpty: Bool { true }
}

/// A typed view of a container entry (hash, list, set, …) while its shard is
/// locked: the one protocol the command layer's generic access helpers
/// need, implemented by each type's view struct (generics, specialised:
/// no existentials on the command path).
public protocol ValueView {
    static var valueType: ValueType { get }
    init(table: UnsafeMutablePointer<KeyTable>, slot: Int)
    /// Elements; a value left with none is deleted with its key (unless
    /// `deletesWhenEmpty` is false: streams).
    var count: Int { get }
    static var deletesWhenEmpty: Bool { get }
    /// The block of a new key holding an empty value of this type.
    static func newEntry(key: UnsafeRawBufferPointer, lru: UInt32) -> Entry
}

/// A value that does not fit in its entry block: a hash, list, set, sorted
/// set or stream. The entry's 8 value bytes hold a retained reference to it
/// (stored unaligned, as the value area follows the key bytes).
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
    /// The container an entry refers to (nil for strings).
    @inlinable
    public static func container(_ e: Entry) -> Container? {
        if e.type == .string { return nil }
        let bits = e.valueStart.loadUnaligned(as: UInt.self)
        guard let p = UnsafeRawPointer(bitPattern: bits) else { return nil }
        return Unmanaged<Container>.fromOpaque(p).takeUnretainedValue()
    }

    /// Bytes the entry's container has allocated (0 for strings).
    @inlinable
    public static func containerBytes(_ e: Entry) -> Int {
        if e.type == .string { return 0 }
        return container(e)?.accountedBytes ?? 0
    }

    /// Stores a retained reference to `c` in the entry's value area.
    @inlinable
    static func attach(_ c: Container, to e: Entry) {
        e.valueStart.storeBytes(of: UInt(bitPattern: Unmanaged.passRetained(c).toOpaque()), as: UInt.self)
    }

    @inlinable
    public static func release(_ e: Entry) {
        if e.type == .string { return }
        let bits = e.valueStart.loadUnaligned(as: UInt.self)
        if let p = UnsafeRawPointer(bitPattern: bits) { Unmanaged<Container>.fromOpaque(p).release() }
    }

    /// Gives a cloned block its own container (COPY must not share mutable state).
    public static func retainCopy(_ e: Entry) {
        guard let c = container(e) else { return }
        attach(c.deepCopy(), to: e)
    }
}

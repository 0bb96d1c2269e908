import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// Byte strings packed one after another in one buffer, each as a varint
/// length and its bytes: Swiftlet's listpack. Small hashes (and later small
/// lists, sets and sorted sets) live in one of these, as in Redis, because
/// one allocation with 1-2 bytes of overhead per element is far smaller and
/// faster to scan than a table of separately allocated elements.
///
/// Elements are addressed by byte offset; every offset handed out is
/// invalidated by the next mutation. Not thread-safe (the shard lock guards
/// the entry that owns it).
public struct PackedList {
    @usableFromInline var base: UnsafeMutableRawPointer? = nil
    /// Bytes in use.
    public private(set) var used = 0
    @usableFromInline var capacity = 0
    /// Number of elements.
    public private(set) var count = 0

    public init() {}

    /// Bytes allocated (for memory accounting).
    public var allocatedBytes: Int { capacity }

    public func deallocate() { Glibc.free(base) }

    public func copy() -> PackedList {
        var c = PackedList()
        c.reserve(used)
        if used > 0 { c.base!.copyMemory(from: base!, byteCount: used) }
        c.used = used
        c.count = count
        return c
    }

    // MARK: reading

    @inlinable static func varintSize(_ n: Int) -> Int {
        var size = 1, v = n >> 7
        while v > 0 { size += 1; v >>= 7 }
        return size
    }

    /// The element at `offset`: its bytes and the offset of the next element.
    @inlinable public func element(at offset: Int) -> (bytes: UnsafeRawBufferPointer, next: Int) {
        var length = 0, shift = 0, i = offset
        while true {
            let b = Int(base!.load(fromByteOffset: i, as: UInt8.self))
            i += 1
            length |= (b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        return (UnsafeRawBufferPointer(start: base! + i, count: length), i + length)
    }

    /// Offsets run from 0 to `used`.
    @inlinable public var endOffset: Int { used }

    /// The offset of the first element whose bytes equal `needle`, looking
    /// at every `stride`-th element (2: the fields of field/value pairs).
    public func find(_ needle: UnsafeRawBufferPointer, stride: Int = 1) -> Int? {
        var offset = 0
        while offset < used {
            let (bytes, next) = element(at: offset)
            if bytes.count == needle.count
                && (bytes.count == 0 || memcmp(bytes.baseAddress!, needle.baseAddress!, bytes.count) == 0) {
                return offset
            }
            offset = next
            for _ in 1..<stride { offset = element(at: offset).next }
        }
        return nil
    }

    /// The offset of element number `index` (linear).
    public func offset(ofIndex index: Int) -> Int {
        var offset = 0
        for _ in 0..<index { offset = element(at: offset).next }
        return offset
    }

    // MARK: writing

    mutating func reserve(_ needed: Int) {
        if needed <= capacity { return }
        var target = max(32, capacity + capacity / 2)
        while target < needed { target += target / 2 }
        base = realloc(base, target)
        capacity = cs_malloc_size(base!)
    }

    @inlinable static func writeVarint(_ n: Int, at p: UnsafeMutableRawPointer) -> Int {
        var v = n, i = 0
        while v >= 0x80 { p.storeBytes(of: UInt8(v & 0x7F) | 0x80, toByteOffset: i, as: UInt8.self); v >>= 7; i += 1 }
        p.storeBytes(of: UInt8(v), toByteOffset: i, as: UInt8.self)
        return i + 1
    }

    /// Appends one element.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        insert(bytes, at: used)
    }

    /// Inserts one element at `offset` (an element boundary or `used`).
    public mutating func insert(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        let size = PackedList.varintSize(bytes.count) + bytes.count
        reserve(used + size)
        let p = base! + offset
        if offset < used { memmove(p + size, p, used - offset) }
        let header = PackedList.writeVarint(bytes.count, at: p)
        if bytes.count > 0 { (p + header).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        used += size
        count += 1
    }

    /// Replaces the element at `offset` with `bytes`, keeping its position.
    public mutating func replace(at offset: Int, with bytes: UnsafeRawBufferPointer) {
        let old = element(at: offset).next - offset
        let size = PackedList.varintSize(bytes.count) + bytes.count
        if size > old { reserve(used + size - old) }
        let p = base! + offset
        if size != old { memmove(p + size, p + old, used - offset - old) }
        let header = PackedList.writeVarint(bytes.count, at: p)
        if bytes.count > 0 { (p + header).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        used += size - old
    }

    /// Removes `n` consecutive elements starting at `offset`.
    public mutating func remove(at offset: Int, elements n: Int = 1) {
        var end = offset
        for _ in 0..<n { end = element(at: end).next }
        memmove(base! + offset, base! + end, used - end)
        used -= end - offset
        count -= n
    }
}

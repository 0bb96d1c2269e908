import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// Small hashes (and later lists, sets and sorted sets) are packed into
/// their entry block, as Redis packs them into a listpack: one allocation
/// holding the key and every element, 1-2 bytes of overhead per element.
///
/// The value area of such an entry is
///
///     0  UInt32  number of elements
///     4  ...     elements, each a varint length then its bytes
///
/// Offsets below count from the first element; any offset is invalidated by
/// the next change. Only with the entry's shard locked.
public struct PackedElements {
    public let base: UnsafeRawPointer
    /// Bytes of elements.
    public let used: Int
    public let count: Int

    @inlinable public init(_ e: Entry) {
        base = UnsafeRawPointer(e.valueStart + 4)
        used = e.valueLength - 4
        count = Int(e.valueStart.loadUnaligned(as: UInt32.self))
    }

    /// The element at `offset`: its bytes and the offset of the next element.
    @inlinable public func element(at offset: Int) -> (bytes: UnsafeRawBufferPointer, next: Int) {
        var length = 0, shift = 0, i = offset
        while true {
            let b = Int(base.load(fromByteOffset: i, as: UInt8.self))
            i += 1
            length |= (b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        return (UnsafeRawBufferPointer(start: base + i, count: length), i + length)
    }

    /// The offset of the first element equal to `needle`, looking at every
    /// `stride`-th element (2: the fields of field/value pairs).
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

    // MARK: building

    @inlinable static func varintSize(_ n: Int) -> Int {
        var size = 1, v = n >> 7
        while v > 0 { size += 1; v >>= 7 }
        return size
    }

    /// Bytes one element takes.
    @inlinable public static func size(of bytes: UnsafeRawBufferPointer) -> Int { varintSize(bytes.count) + bytes.count }

    @inlinable static func write(_ bytes: UnsafeRawBufferPointer, at p: UnsafeMutableRawPointer) {
        var v = bytes.count, i = 0
        while v >= 0x80 { p.storeBytes(of: UInt8(v & 0x7F) | 0x80, toByteOffset: i, as: UInt8.self); v >>= 7; i += 1 }
        p.storeBytes(of: UInt8(v), toByteOffset: i, as: UInt8.self)
        if bytes.count > 0 { (p + i + 1).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
    }
}

public enum PackedGrowth {
    /// Packed values up to this many bytes are reallocated to their exact size.
    public static let exactBelow = 256
}

extension KeyTable {
    /// Allocates the block of a new, empty packed value of `type` for `key`,
    /// its value area `header` zero bytes (4: the element count of
    /// `PackedElements`; an intset's count and width take 8).
    public static func packedEntry(key: UnsafeRawBufferPointer, type: ValueType, lru: UInt32, header: Int = 4) -> Entry {
        let e = Entry.allocate(key: key, valueLength: header, valueCapacity: header,
                               meta: containerMeta(type, lru: lru, expires: false) | UInt32(ContainerLayout.packed) << 27)
        e.valueStart.initializeMemory(as: UInt8.self, repeating: 0, count: header)
        return e
    }

    /// Allocates the block of a new key whose value is `container` from the
    /// start (streams have no packed form).
    public static func containerEntry(key: UnsafeRawBufferPointer, type: ValueType, lru: UInt32, _ container: Container) -> Entry {
        let e = Entry.allocate(key: key, valueLength: 8, valueCapacity: 8,
                               meta: containerMeta(type, lru: lru, expires: false) | UInt32(ContainerLayout.object) << 27)
        ValueStore.attach(container, to: e)
        return e
    }

    /// Replaces `removing` bytes of elements at `offset` (element-relative)
    /// of the packed value at `slot` with `elements`, changing the element
    /// count by `countDelta`.
    public mutating func splicePacked(at slot: Int, offset: Int, removing: Int, countDelta: Int,
                                      _ first: UnsafeRawBufferPointer? = nil, _ second: UnsafeRawBufferPointer? = nil) {
        let firstSize = first.map(PackedElements.size) ?? 0
        let adding = firstSize + (second.map(PackedElements.size) ?? 0)
        splicePacked(at: slot, offset: offset, removing: removing, adding: adding, countDelta: countDelta) { p in
            if let a = first { PackedElements.write(a, at: p) }
            if let b = second { PackedElements.write(b, at: p + firstSize) }
        }
    }

    /// The general form: `adding` bytes written by `write` (lists write
    /// their own two-sided element encoding). Grows the block
    /// geometrically, so that filling a packed value stays linear, and
    /// shrinks it when mostly empty.
    @inlinable
    public mutating func splicePacked(at slot: Int, offset: Int, removing: Int, adding: Int, countDelta: Int,
                                      write: (UnsafeMutableRawPointer) -> Void) {
        var e = entry(at: slot)
        let oldLength = e.valueLength
        let newLength = oldLength - removing + adding
        let start = 4 + offset
        let tail = oldLength - start - removing
        if newLength > e.valueCapacity {
            // Small values grow exactly (copying a few hundred bytes is
            // cheap, and slack would be a third of a small hash); larger
            // ones geometrically, so that filling one stays linear.
            let capacity = newLength <= PackedGrowth.exactBelow ? newLength : newLength + newLength / 2
            e = relayout(at: slot, valueLength: oldLength, valueCapacity: capacity, expiry: e.expiry)
        }
        if tail > 0 && adding != removing {
            memmove(e.valueStart + start + adding, e.valueStart + start + removing, tail)
        }
        if adding > 0 { write(e.valueStart + start) }
        e.valueLength = newLength
        let count = Int(e.valueStart.loadUnaligned(as: UInt32.self)) + countDelta
        e.valueStart.storeBytes(of: UInt32(count), as: UInt32.self)
        if newLength < oldLength && e.valueCapacity > 64 && newLength * 2 < e.valueCapacity {
            _ = relayout(at: slot, valueLength: newLength, valueCapacity: newLength, expiry: e.expiry)
        }
    }

    /// Turns the packed value at `slot` into `container` (its elements were
    /// copied there by the caller).
    public mutating func replacePacked(at slot: Int, with container: Container) {
        let old = entry(at: slot)
        let e = relayout(at: slot, valueLength: 8, valueCapacity: 8, expiry: old.expiry)
        e.encodingBits = ContainerLayout.object
        ValueStore.attach(container, to: e)
        account(bytes: container.accountedBytes)
    }
}

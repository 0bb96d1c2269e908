import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// The type of a stored value, as the TYPE command names it.
public enum ValueType: UInt8 {
    case string = 0, list, set, zset, hash, stream

    public var name: StaticString {
        switch self {
        case .string: return "string"
        case .list: return "list"
        case .set: return "set"
        case .zset: return "zset"
        case .hash: return "hash"
        case .stream: return "stream"
        }
    }
}

/// How a string value is held, as OBJECT ENCODING names it. Swiftlet always
/// stores the bytes; the encoding records what Redis would report.
public enum StringEncoding: UInt8 {
    case int = 0, embstr = 1, raw = 2

    /// Redis's `OBJ_ENCODING_EMBSTR_SIZE_LIMIT`.
    public static let embstrLimit = 44

    /// The encoding Redis's `tryObjectEncoding` picks for a freshly set value.
    @inlinable
    public static func classify(_ value: UnsafeRawBufferPointer) -> StringEncoding {
        if value.count <= 20, value.count > 0, isCanonicalInteger(value) { return .int }
        return value.count <= embstrLimit ? .embstr : .raw
    }

    /// True when the bytes are exactly how Redis would print a `long long`.
    @inlinable
    public static func isCanonicalInteger(_ value: UnsafeRawBufferPointer) -> Bool { canonicalInteger(value) != nil }

    /// The integer the bytes spell if they are exactly how Redis prints a
    /// `long long` (what `string2ll` accepts: no sign but '-', no leading
    /// zero, no spaces, no overflow).
    @inlinable
    public static func canonicalInteger(_ value: UnsafeRawBufferPointer) -> Int? {
        let n = value.count
        if n == 0 || n > 20 { return nil }
        if n == 1 { return value[0] >= 0x30 && value[0] <= 0x39 ? Int(value[0] - 0x30) : nil }
        var i = 0
        let negative = value[0] == 0x2D
        if negative { i = 1 }
        if value[i] < 0x31 || value[i] > 0x39 { return nil }
        var magnitude: UInt64 = 0
        while i < n {
            let d = value[i] &- 0x30
            if d > 9 { return nil }
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            magnitude = s
            i += 1
        }
        if negative { return magnitude <= UInt64(Int.max) + 1 ? Int(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int.max) ? Int(magnitude) : nil
    }

    /// Calls `body` with the decimal text of `v` (a stack buffer).
    @inlinable
    public static func withDecimalText<R>(_ v: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var text = (UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &text) { buffer in
            var magnitude = v.magnitude
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
                magnitude /= 10
            } while magnitude != 0
            if v < 0 { start -= 1; buffer[start] = 0x2D }
            return body(UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }
}

/// A view of one keyspace entry: a single malloc'd block in one of two
/// layouts. Both start with the meta word:
///
///     0  UInt32  meta: bits 0-23 LRU/LFU clock, 24-26 type, 27-29 encoding,
///                30 has-expiry, 31 compact layout
///
/// Compact (no expiry, key under 256 bytes, value under 16 MiB: most cache
/// entries). Its 8-byte header puts a 16-byte key and value in a 40-byte
/// request, a 48-byte malloc chunk instead of 64:
///
///     4  UInt8   key length
///     5  UInt24  value length (little-endian)
///     8  key bytes, then value bytes, then spare capacity
///
/// Full (everything else):
///
///     4  UInt32  key length
///     8  UInt32  value length (bytes of a string; 8 for a pointer to a container)
///     12 UInt32  position in the table's expiry index (meaningful only with an expiry)
///     16 Int64   absolute expiry time in ms (present only with an expiry)
///     .. key bytes, then value bytes, then spare capacity
///
/// Invariants: blocks come from `malloc`, so they are 16-byte aligned and
/// `malloc_usable_size` tells the real capacity (no capacity field needed).
/// The layout is chosen by `allocate` alone and never changes in place:
/// `meta`'s setter keeps the layout bit, and a compact entry's
/// `valueCapacity` stays under the 24-bit limit, so growing past it (or
/// gaining an expiry) goes through a reallocation (`KeyTable.relayout`).
public struct Entry {
    public let raw: UnsafeMutableRawPointer

    @inlinable @inline(__always) public init(_ raw: UnsafeMutableRawPointer) { self.raw = raw }

    public static let expiryFlag: UInt32 = 1 << 30
    public static let lruMask: UInt32 = 0x00FF_FFFF
    @usableFromInline static let compactFlag: UInt32 = 1 << 31
    /// Compact entries hold values shorter than this (24-bit length).
    @usableFromInline static let compactValueLimit = 1 << 24
    @usableFromInline static let compactKeyLimit = 256

    /// Bytes 4-7 of a compact entry: the key length in the low byte, the value length above it.
    @inlinable @inline(__always)
    static func compactLengths(key: Int, value: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: key) | UInt32(truncatingIfNeeded: value) << 8
    }

    /// The meta word as stored, layout bit included.
    @inlinable @inline(__always) var word: UInt32 { raw.load(as: UInt32.self) }

    @inlinable @inline(__always) public var isCompact: Bool { word & Entry.compactFlag != 0 }

    @inlinable @inline(__always) public var keyLength: Int {
        isCompact ? Int(raw.load(fromByteOffset: 4, as: UInt8.self)) : Int(raw.load(fromByteOffset: 4, as: UInt32.self))
    }

    /// Set only within `valueCapacity`.
    @inlinable @inline(__always) public var valueLength: Int {
        get {
            isCompact ? Int(raw.load(fromByteOffset: 4, as: UInt32.self) >> 8) : Int(raw.load(fromByteOffset: 8, as: UInt32.self))
        }
        nonmutating set {
            if isCompact {
                assert(newValue < Entry.compactValueLimit)
                raw.storeBytes(of: Entry.compactLengths(key: keyLength, value: newValue), toByteOffset: 4, as: UInt32.self)
            } else {
                raw.storeBytes(of: UInt32(truncatingIfNeeded: newValue), toByteOffset: 8, as: UInt32.self)
            }
        }
    }

    /// Type, encoding, clock and expiry flag (the layout bit is not part of
    /// it: the setter keeps it as it is).
    @inlinable @inline(__always) public var meta: UInt32 {
        get { word & ~Entry.compactFlag }
        nonmutating set {
            assert(newValue & Entry.expiryFlag == 0 || !isCompact, "an expiry needs the full layout (relayout first)")
            raw.storeBytes(of: (newValue & ~Entry.compactFlag) | (word & Entry.compactFlag), as: UInt32.self)
        }
    }

    @inlinable @inline(__always) public var hasExpiry: Bool { word & Entry.expiryFlag != 0 }

    @inlinable @inline(__always) public var headerSize: Int { isCompact ? 8 : (hasExpiry ? 24 : 16) }

    @inlinable public var type: ValueType { ValueType(rawValue: UInt8((meta >> 24) & 7)) ?? .string }

    @inlinable public var encodingBits: UInt8 {
        get { UInt8((meta >> 27) & 7) }
        nonmutating set { meta = (meta & ~(7 << 27)) | (UInt32(newValue & 7) << 27) }
    }

    @inlinable public var stringEncoding: StringEncoding {
        get { StringEncoding(rawValue: encodingBits) ?? .raw }
        nonmutating set { encodingBits = newValue.rawValue }
    }

    /// The 24-bit LRU clock (seconds) or LFU word (minutes << 8 | counter).
    @inlinable @inline(__always) public var lru: UInt32 {
        get { meta & Entry.lruMask }
        nonmutating set { meta = (meta & ~Entry.lruMask) | (newValue & Entry.lruMask) }
    }

    @usableFromInline var expiryPosition: Int {
        get { Int(raw.load(fromByteOffset: 12, as: UInt32.self)) }
        nonmutating set { raw.storeBytes(of: UInt32(truncatingIfNeeded: newValue), toByteOffset: 12, as: UInt32.self) }
    }

    /// Absolute expiry in ms; only meaningful when `hasExpiry`.
    @inlinable public var expireAt: Int64 {
        get { raw.load(fromByteOffset: 16, as: Int64.self) }
        nonmutating set { raw.storeBytes(of: newValue, toByteOffset: 16, as: Int64.self) }
    }

    /// The expiry in ms, or nil without one.
    @inlinable public var expiry: Int64? { hasExpiry ? expireAt : nil }

    @inlinable @inline(__always) public var keyStart: UnsafeMutableRawPointer { raw + headerSize }

    @inlinable @inline(__always) public var key: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: keyStart, count: keyLength)
    }

    @inlinable @inline(__always) public var valueStart: UnsafeMutableRawPointer { raw + headerSize + keyLength }

    @inlinable @inline(__always) public var value: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: valueStart, count: valueLength)
    }

    /// Bytes the allocator really reserved for this block.
    @inlinable public var allocatedSize: Int { cs_malloc_size(raw) }

    /// How long the value may grow in place.
    @inlinable public var valueCapacity: Int {
        let room = allocatedSize - headerSize - keyLength
        return isCompact ? min(room, Entry.compactValueLimit - 1) : room
    }

    @inlinable @inline(__always)
    public func keyEquals(_ other: UnsafeRawBufferPointer) -> Bool {
        let n = keyLength
        guard n == other.count else { return false }
        if n == 0 { return true }
        let mine = UnsafeRawPointer(raw + headerSize), theirs = other.baseAddress!
        // Keys of 4 to 32 bytes (most cache keys) compare as overlapping
        // words, in line: the call to memcmp was 6% of server CPU for GET
        // at pipeline 16, and 4% for INCR's 20-byte keys.
        if n >= 8 && n <= 32 {
            @inline(__always) func word(_ p: UnsafeRawPointer, _ at: Int) -> UInt64 {
                p.loadUnaligned(fromByteOffset: at, as: UInt64.self)
            }
            // Bytes [0, 8) and [n-8, n) cover up to 16; [8, 16) and [n-16, n-8) the rest.
            let ends = word(mine, 0) == word(theirs, 0) && word(mine, n - 8) == word(theirs, n - 8)
            if n <= 16 || !ends { return ends }
            return word(mine, 8) == word(theirs, 8) && word(mine, n - 16) == word(theirs, n - 16)
        }
        if n >= 4 && n < 8 {
            return mine.loadUnaligned(as: UInt32.self) == theirs.loadUnaligned(as: UInt32.self)
                && mine.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
                    == theirs.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        }
        return memcmp(mine, theirs, n) == 0
    }

    /// Allocates a block for `key` with room for `valueCapacity` value bytes.
    /// The value bytes are left uninitialised; `valueLength` is set to `valueLength`.
    @inlinable
    static func allocate(key: UnsafeRawBufferPointer, valueLength: Int, valueCapacity: Int, meta: UInt32) -> Entry {
        let room = max(valueCapacity, valueLength)
        let compact = meta & expiryFlag == 0 && key.count < compactKeyLimit && room < compactValueLimit
        let header = compact ? 8 : (meta & expiryFlag != 0 ? 24 : 16)
        guard let raw = malloc(header + key.count + room) else {
            fatalError("Swiftlet: out of memory allocating a key")
        }
        let e = Entry(raw)
        if compact {
            raw.storeBytes(of: meta | compactFlag, as: UInt32.self)
            raw.storeBytes(of: compactLengths(key: key.count, value: valueLength), toByteOffset: 4, as: UInt32.self)
        } else {
            raw.storeBytes(of: meta & ~compactFlag, as: UInt32.self)
            raw.storeBytes(of: UInt32(truncatingIfNeeded: key.count), toByteOffset: 4, as: UInt32.self)
            raw.storeBytes(of: UInt32(truncatingIfNeeded: valueLength), toByteOffset: 8, as: UInt32.self)
            raw.storeBytes(of: 0 as UInt32, toByteOffset: 12, as: UInt32.self)
        }
        if key.count > 0 { (raw + header).copyMemory(from: key.baseAddress!, byteCount: key.count) }
        return e
    }

    @inlinable func free() { Glibc.free(raw) }
}

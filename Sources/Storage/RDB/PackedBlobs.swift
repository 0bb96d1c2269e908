/// A signed little-endian integer of `width` bytes at `offset` (bounds
/// checked by the caller), as every RDB blob stores its integers.
@inline(__always)
func littleEndianSigned(_ bytes: UnsafeRawBufferPointer, at offset: Int, width: Int) -> Int64 {
    var u: UInt64 = 0
    for i in (0..<width).reversed() { u = u << 8 | UInt64(bytes[offset + i]) }
    let shift = UInt64(64 - 8 * width)
    return Int64(bitPattern: u << shift) >> Int64(shift)  // sign-extend
}

/// The packed blobs Redis stores small collections in, as they appear in
/// DUMP payloads: listpacks (Redis 7), intsets, and ziplists (payloads from
/// Redis 6 and earlier, read only). Building follows Redis's encoding
/// choices so the bytes match; reading checks every entry against the
/// blob's bounds and header (a malformed blob reads as nil).
public enum Listpack {
    /// A listpack of `elements`: a 6-byte header (total bytes, count or
    /// 65535 when larger), entries, then 0xFF. Each entry is an integer in
    /// the smallest of Redis's integer encodings when the element reads as
    /// one, else a string with a 6-, 12- or 32-bit length; then its
    /// encoded length backwards.
    public static func build(_ elements: [[UInt8]]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 6)
        for e in elements { e.withUnsafeBytes { append($0, to: &out) } }
        out.append(0xFF)
        finish(&out, count: elements.count)
        return out
    }

    static func finish(_ out: inout [UInt8], count: Int) {
        let total = UInt32(out.count)
        for i in 0..<4 { out[i] = UInt8((total >> UInt32(8 * i)) & 0xFF) }
        let n = UInt16(min(count, 65535))
        out[4] = UInt8(n & 0xFF)
        out[5] = UInt8(n >> 8)
    }

    /// Appends one entry (encoding, data, backlen).
    static func append(_ e: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let start = out.count
        if let v = StringEncoding.canonicalInteger(e) {
            if v >= 0 && v <= 127 {
                out.append(UInt8(v))
            } else if v >= -4096 && v <= 4095 {
                let u = UInt16(truncatingIfNeeded: v < 0 ? (1 << 13) + v : v)
                out.append(UInt8(u >> 8) | 0xC0)
                out.append(UInt8(u & 0xFF))
            } else {
                let (marker, width): (UInt8, Int) =
                    v >= -32768 && v <= 32767 ? (0xF1, 2)
                    : v >= -8_388_608 && v <= 8_388_607 ? (0xF2, 3)
                    : v >= -2_147_483_648 && v <= 2_147_483_647 ? (0xF3, 4) : (0xF4, 8)
                out.append(marker)
                let u = UInt64(bitPattern: Int64(v))
                for i in 0..<width { out.append(UInt8((u >> UInt64(8 * i)) & 0xFF)) }
            }
        } else if e.count < 64 {
            out.append(0x80 | UInt8(e.count))
            out.append(contentsOf: e)
        } else if e.count < 4096 {
            out.append(0xE0 | UInt8(e.count >> 8))
            out.append(UInt8(e.count & 0xFF))
            out.append(contentsOf: e)
        } else {
            out.append(0xF0)
            for i in 0..<4 { out.append(UInt8((e.count >> (8 * i)) & 0xFF)) }
            out.append(contentsOf: e)
        }
        appendBacklen(out.count - start, to: &out)
    }

    /// An entry's length, written so it can be read from its last byte
    /// backwards: 7 bits per byte, the high bit set on all but the first.
    /// (Redis's size steps stop one short of each power of 2^7: 16383
    /// takes three bytes, the first of them 0.)
    static func appendBacklen(_ l: Int, to out: inout [UInt8]) {
        let groups = backlenSize(l)
        for i in (0..<groups).reversed() {
            let g = UInt8((l >> (7 * i)) & 127)
            out.append(i == groups - 1 ? g : g | 128)
        }
    }

    /// The bytes `append` adds for `e` (without writing them).
    static func entrySize(_ e: UnsafeRawBufferPointer) -> Int {
        if let v = StringEncoding.canonicalInteger(e) { return integerEntrySize(Int64(v)) }
        let header = e.count < 64 ? 1 : e.count < 4096 ? 2 : 5
        return header + e.count + backlenSize(header + e.count)
    }

    /// The bytes an integer entry takes.
    static func integerEntrySize(_ v: Int64) -> Int {
        let body = v >= 0 && v <= 127 ? 1 : v >= -4096 && v <= 4095 ? 2 : v >= -32768 && v <= 32767 ? 3
            : v >= -8_388_608 && v <= 8_388_607 ? 4 : v >= -2_147_483_648 && v <= 2_147_483_647 ? 5 : 9
        return body + 1
    }

    static func backlenSize(_ l: Int) -> Int { l <= 127 ? 1 : l < 16383 ? 2 : l < 2_097_151 ? 3 : l < 268_435_455 ? 4 : 5 }

    /// The elements of a listpack blob, or nil when it is malformed: the
    /// header's total must be the blob's size, every entry (and its
    /// backlen) must lie inside it, and a known count must match.
    public static func elements(_ blob: UnsafeRawBufferPointer) -> [[UInt8]]? {
        let n = blob.count
        guard n >= 7 else { return nil }
        let total = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        let count = Int(blob[4]) | Int(blob[5]) << 8
        guard total == n, blob[n - 1] == 0xFF else { return nil }
        var out: [[UInt8]] = []
        var p = 6
        while p < n - 1 {
            let start = p
            let b = blob[p]
            var element: [UInt8]
            func need(_ k: Int) -> Bool { p + k <= n - 1 }
            func integer(_ width: Int, at q: Int) -> Int64 { littleEndianSigned(blob, at: q, width: width) }
            if b & 0x80 == 0 {
                element = Array(String(b).utf8); p += 1
            } else if b & 0xC0 == 0x80 {
                let len = Int(b & 0x3F)
                guard need(1 + len) else { return nil }
                element = Array(blob[(p + 1)..<(p + 1 + len)]); p += 1 + len
            } else if b & 0xE0 == 0xC0 {
                guard need(2) else { return nil }
                var v = Int(b & 0x1F) << 8 | Int(blob[p + 1])
                if v >= 1 << 12 { v -= 1 << 13 }
                element = Array(String(v).utf8); p += 2
            } else if b & 0xF0 == 0xE0 {
                guard need(2) else { return nil }
                let len = Int(b & 0x0F) << 8 | Int(blob[p + 1])
                guard need(2 + len) else { return nil }
                element = Array(blob[(p + 2)..<(p + 2 + len)]); p += 2 + len
            } else {
                switch b {
                case 0xF1, 0xF2, 0xF3, 0xF4:
                    let width = [0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8][b]!
                    guard need(1 + width) else { return nil }
                    element = Array(String(integer(width, at: p + 1)).utf8); p += 1 + width
                case 0xF0:
                    guard need(5) else { return nil }
                    let len = Int(integer(4, at: p + 1) & 0xFFFF_FFFF)
                    guard need(5 + len) else { return nil }
                    element = Array(blob[(p + 5)..<(p + 5 + len)]); p += 5 + len
                default:
                    return nil
                }
            }
            // The backlen must say how long the entry was.
            var expected: [UInt8] = []
            appendBacklen(p - start, to: &expected)
            guard need(expected.count), Array(blob[p..<(p + expected.count)]) == expected else { return nil }
            p += expected.count
            out.append(element)
        }
        if count != 65535 && count != out.count { return nil }
        return out
    }
}

/// Redis's intset: encoding width (2, 4 or 8), count, then the integers
/// in ascending order, all little-endian.
public enum Intset {
    public static func build(_ sorted: [Int]) -> [UInt8] {
        var width = 2
        for v in sorted {
            if v < Int(Int32.min) || v > Int(Int32.max) { width = 8; break }
            if v < Int(Int16.min) || v > Int(Int16.max) { width = 4 }
        }
        var out: [UInt8] = []
        for i in 0..<4 { out.append(UInt8((width >> (8 * i)) & 0xFF)) }
        for i in 0..<4 { out.append(UInt8((sorted.count >> (8 * i)) & 0xFF)) }
        for v in sorted {
            let u = UInt64(bitPattern: Int64(v))
            for i in 0..<width { out.append(UInt8((u >> UInt64(8 * i)) & 0xFF)) }
        }
        return out
    }

    /// The integers of an intset blob, or nil when malformed (a bad width,
    /// a size that disagrees with the count, values not strictly ascending).
    public static func integers(_ blob: UnsafeRawBufferPointer) -> [Int]? {
        guard blob.count >= 8 else { return nil }
        func word(_ q: Int, _ width: Int) -> Int64 { littleEndianSigned(blob, at: q, width: width) }
        let width = Int(word(0, 4)), count = Int(word(4, 4))
        guard width == 2 || width == 4 || width == 8, count >= 0, blob.count == 8 + count * width else { return nil }
        var out: [Int] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let v = Int(word(8 + i * width, width))
            if let last = out.last, v <= last { return nil }
            out.append(v)
        }
        return out
    }
}

/// Redis 6's ziplist, read only: header (total bytes, tail offset, count),
/// entries (previous length, encoding, data), then 0xFF.
public enum Ziplist {
    public static func elements(_ blob: UnsafeRawBufferPointer) -> [[UInt8]]? {
        let n = blob.count
        guard n >= 11 else { return nil }
        func word(_ q: Int, _ width: Int) -> Int64 { littleEndianSigned(blob, at: q, width: width) }
        guard Int(word(0, 4) & 0xFFFF_FFFF) == n, blob[n - 1] == 0xFF else { return nil }
        let count = Int(word(8, 2) & 0xFFFF)
        var out: [[UInt8]] = []
        var p = 10
        var previousLength = 0
        while p < n - 1 {
            let start = p
            // The previous entry's length: one byte, or 0xFE and four.
            let stated: Int
            if blob[p] < 254 { stated = Int(blob[p]); p += 1 }
            else if blob[p] == 254 { guard p + 5 <= n - 1 else { return nil }; stated = Int(word(p + 1, 4) & 0xFFFF_FFFF); p += 5 }
            else { return nil }
            guard stated == previousLength, p < n - 1 else { return nil }
            let b = blob[p]
            var element: [UInt8]
            switch b >> 6 {
            case 0:
                let len = Int(b & 0x3F)
                guard p + 1 + len <= n - 1 else { return nil }
                element = Array(blob[(p + 1)..<(p + 1 + len)]); p += 1 + len
            case 1:
                guard p + 2 <= n - 1 else { return nil }
                let len = Int(b & 0x3F) << 8 | Int(blob[p + 1])
                guard p + 2 + len <= n - 1 else { return nil }
                element = Array(blob[(p + 2)..<(p + 2 + len)]); p += 2 + len
            case 2:
                guard b == 0x80, p + 5 <= n - 1 else { return nil }
                let len = Int(blob[p + 1]) << 24 | Int(blob[p + 2]) << 16 | Int(blob[p + 3]) << 8 | Int(blob[p + 4])
                guard p + 5 + len <= n - 1 else { return nil }
                element = Array(blob[(p + 5)..<(p + 5 + len)]); p += 5 + len
            default:
                let value: Int64
                switch b {
                case 0xC0: guard p + 3 <= n - 1 else { return nil }; value = word(p + 1, 2); p += 3
                case 0xD0: guard p + 5 <= n - 1 else { return nil }; value = word(p + 1, 4); p += 5
                case 0xE0: guard p + 9 <= n - 1 else { return nil }; value = word(p + 1, 8); p += 9
                case 0xF0: guard p + 4 <= n - 1 else { return nil }; value = word(p + 1, 3); p += 4
                case 0xFE: guard p + 2 <= n - 1 else { return nil }; value = word(p + 1, 1); p += 2
                case 0xF1...0xFD: value = Int64(b & 0x0F) - 1; p += 1
                default: return nil
                }
                element = Array(String(value).utf8)
            }
            previousLength = p - start
            out.append(element)
        }
        if count != 65535 && count != out.count { return nil }
        return out
    }
}

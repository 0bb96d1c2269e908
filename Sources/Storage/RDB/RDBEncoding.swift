import CSystem

/// The pieces of Redis's RDB format that a DUMP payload is made of: type
/// bytes, lengths, strings (as small integers, LZF-compressed or plain),
/// binary doubles, and the footer (RDB version and CRC-64). Writing follows
/// Redis's choices step by step, so a value Redis would encode the same way
/// gives the same bytes.
public enum RDB {
    /// The RDB version Redis 7.0 writes; payloads from later versions are refused.
    public static let version: UInt16 = 10

    public enum ValueType: UInt8 {
        case string = 0, list = 1, set = 2, zset = 3, hash = 4, zset2 = 5
        case module = 6, module2 = 7
        case hashZipmap = 9, listZiplist = 10, setIntset = 11, zsetZiplist = 12, hashZiplist = 13
        case listQuicklist = 14, streamListpacks = 15, hashListpack = 16, zsetListpack = 17
        case listQuicklist2 = 18, streamListpacks2 = 19
    }

    /// A payload's body followed by its footer: the RDB version (2 bytes)
    /// and the CRC-64 of everything before the checksum (8 bytes), both
    /// little-endian.
    public static func sealPayload(_ body: inout [UInt8]) {
        body.append(UInt8(version & 0xFF))
        body.append(UInt8(version >> 8))
        var crc = body.withUnsafeBytes { CRC64.checksum($0) }
        for _ in 0..<8 { body.append(UInt8(crc & 0xFF)); crc >>= 8 }
    }

    /// Whether a payload's footer is acceptable: at least 10 bytes, a
    /// version no later than ours and a matching checksum.
    public static func payloadIsSound(_ payload: UnsafeRawBufferPointer) -> Bool {
        let n = payload.count
        if n < 10 { return false }
        let payloadVersion = UInt16(payload[n - 10]) | UInt16(payload[n - 9]) << 8
        if payloadVersion > version { return false }
        var stored: UInt64 = 0
        for i in (0..<8).reversed() { stored = stored << 8 | UInt64(payload[n - 8 + i]) }
        return CRC64.checksum(UnsafeRawBufferPointer(rebasing: payload[0..<(n - 8)])) == stored
    }

    /// Redis's `d2string`: integral values below 2^52 as integers, zero
    /// as "0" or "-0", the rest with `%.17g`. Sorted sets keep scores in
    /// listpacks this way.
    public static func scoreText(_ value: Double) -> [UInt8] {
        if value.isNaN { return Array("nan".utf8) }
        if value.isInfinite { return Array((value < 0 ? "-inf" : "inf").utf8) }
        if value == 0 { return Array((value.sign == .minus ? "-0" : "0").utf8) }
        if value > -4503599627370495 && value < 4503599627370496 && value == value.rounded(.towardZero) {
            return Array(String(Int64(value)).utf8)
        }
        var buffer = [CChar](repeating: 0, count: 32)
        let n = Int(cs_format_g17(&buffer, 32, value))
        return buffer[0..<n].map { UInt8(bitPattern: $0) }
    }
}

/// Writes RDB values into a byte array.
public struct RDBWriter {
    public var bytes: [UInt8] = []
    /// `rdbcompression`: strings longer than 20 bytes are LZF-compressed
    /// when that saves at least 4 bytes.
    public var compress: Bool

    public init(compress: Bool = true) { self.compress = compress }

    public mutating func type(_ t: RDB.ValueType) { bytes.append(t.rawValue) }

    /// Lengths: 6 bits, 14 bits, or a marker and 32 or 64 bits big-endian.
    public mutating func length(_ n: Int) {
        let v = UInt64(n)
        if v < 1 << 6 {
            bytes.append(UInt8(v))
        } else if v < 1 << 14 {
            bytes.append(UInt8(v >> 8) | 0x40)
            bytes.append(UInt8(v & 0xFF))
        } else if v <= UInt64(UInt32.max) {
            bytes.append(0x80)
            for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((v >> UInt64(shift)) & 0xFF)) }
        } else {
            bytes.append(0x81)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((v >> UInt64(shift)) & 0xFF)) }
        }
    }

    /// A length from an unsigned 64-bit counter (stream IDs and counters;
    /// -1 read as unsigned takes the 64-bit form, as in Redis).
    public mutating func length(unsigned v: UInt64) {
        if v <= UInt64(Int.max) { length(Int(v)); return }
        bytes.append(0x81)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((v >> UInt64(shift)) & 0xFF)) }
    }

    /// 8 bytes little-endian (millisecond times).
    public mutating func littleEndian(_ v: UInt64) {
        for i in 0..<8 { bytes.append(UInt8((v >> UInt64(8 * i)) & 0xFF)) }
    }

    /// A string as Redis's `rdbSaveRawString` writes it: up to 11 bytes
    /// that read as an integer fitting 32 bits become an encoded integer;
    /// above 20 bytes LZF is tried; otherwise length and bytes.
    public mutating func string(_ s: UnsafeRawBufferPointer) {
        if s.count <= 11, let v = StringEncoding.canonicalInteger(s), encodeInteger(v) { return }
        if compress && s.count > 20, let packed = LZF.compress(s, outputLimit: s.count - 4) {
            bytes.append(0xC3)  // encoded value, LZF
            length(packed.count)
            length(s.count)
            bytes.append(contentsOf: packed)
            return
        }
        length(s.count)
        bytes.append(contentsOf: s)
    }

    public mutating func string(_ s: [UInt8]) { s.withUnsafeBytes { string($0) } }

    /// 8-, 16- or 32-bit little-endian integers after an encoding byte;
    /// false (nothing written) for anything wider.
    mutating func encodeInteger(_ v: Int) -> Bool {
        let width: Int
        if v >= -(1 << 7) && v <= (1 << 7) - 1 { width = 1 }
        else if v >= -(1 << 15) && v <= (1 << 15) - 1 { width = 2 }
        else if v >= -(1 << 31) && v <= (1 << 31) - 1 { width = 4 }
        else { return false }
        bytes.append(0xC0 | UInt8(width == 1 ? 0 : width == 2 ? 1 : 2))
        let u = UInt64(bitPattern: Int64(v))
        for i in 0..<width { bytes.append(UInt8((u >> UInt64(8 * i)) & 0xFF)) }
        return true
    }

    /// An IEEE double, little-endian (sorted-set scores since RDB 8).
    public mutating func binaryDouble(_ d: Double) {
        let u = d.bitPattern
        for i in 0..<8 { bytes.append(UInt8((u >> UInt64(8 * i)) & 0xFF)) }
    }
}

/// Reads RDB values from a payload, refusing anything malformed (every
/// read checks the bounds; nil means "Bad data format").
public struct RDBReader {
    let bytes: UnsafeRawBufferPointer
    public var position = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var remaining: Int { bytes.count - position }

    public mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func take(_ n: Int) -> UnsafeRawBufferPointer? {
        guard n >= 0, n <= remaining else { return nil }
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)])
    }

    /// A length, or (with `encoded` set) a special string encoding number.
    mutating func lengthOrEncoding() -> (value: UInt64, encoded: Bool)? {
        guard let first = byte() else { return nil }
        switch first >> 6 {
        case 0: return (UInt64(first & 0x3F), false)
        case 1:
            guard let second = byte() else { return nil }
            return (UInt64(first & 0x3F) << 8 | UInt64(second), false)
        case 3: return (UInt64(first & 0x3F), true)
        default:
            let width: Int
            if first == 0x80 { width = 4 } else if first == 0x81 { width = 8 } else { return nil }
            guard let raw = take(width) else { return nil }
            var v: UInt64 = 0
            for b in raw { v = v << 8 | UInt64(b) }
            return (v, false)
        }
    }

    /// A plain length (no special encoding), bounded by what is left to
    /// read when `bounded` (each counted item takes at least a byte).
    public mutating func length(bounded: Bool = true) -> Int? {
        guard let (v, encoded) = lengthOrEncoding(), !encoded, v <= UInt64(Int.max) else { return nil }
        if bounded && Int(v) > remaining { return nil }
        return Int(v)
    }

    /// A string in any of its encodings.
    public mutating func string() -> [UInt8]? {
        guard let (v, encoded) = lengthOrEncoding() else { return nil }
        if !encoded {
            guard v <= UInt64(remaining), let raw = take(Int(v)) else { return nil }
            return Array(raw)
        }
        switch v {
        case 0, 1, 2:
            let width = 1 << Int(v)
            guard let raw = take(width) else { return nil }
            return Array(String(littleEndianSigned(raw, at: 0, width: width)).utf8)
        case 3:
            guard let compressed = length(), let original = length(bounded: false),
                  original <= 1 << 32, let packed = take(compressed) else { return nil }
            if original == 0 { return nil }
            return LZF.decompress(packed, originalLength: original)
        default:
            return nil
        }
    }

    /// A length read as an unsigned 64-bit value (no bound).
    public mutating func unsigned() -> UInt64? {
        guard let (v, encoded) = lengthOrEncoding(), !encoded else { return nil }
        return v
    }

    /// 8 bytes little-endian.
    public mutating func littleEndian() -> UInt64? {
        guard let raw = take(8) else { return nil }
        return UInt64(bitPattern: littleEndianSigned(raw, at: 0, width: 8))
    }

    public mutating func binaryDouble() -> Double? {
        littleEndian().map { Double(bitPattern: $0) }
    }

    /// A double as RDB versions before 8 wrote it: a length byte and its
    /// `%.17g` text (253 nan, 254 +inf, 255 -inf).
    public mutating func textDouble() -> Double? {
        guard let n = byte() else { return nil }
        switch n {
        case 253: return .nan
        case 254: return .infinity
        case 255: return -.infinity
        default:
            guard let raw = take(Int(n)) else { return nil }
            return Double(String(decoding: raw, as: UTF8.self))
        }
    }
}

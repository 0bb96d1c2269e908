#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number syntaxes Redis's configuration accepts, reproduced exactly.
///
/// Redis uses several C conversions with different leniency: a strict
/// integer parser for plain numbers ("05", "+5" and " 5" are errors),
/// `strtoll` for `save` and buffer limits (where they are not), its own
/// unit parser for memory sizes, and `strtod` for percentiles. Users notice
/// when a value one accepts is rejected by the other, so each is kept
/// separate rather than unified into something "nicer".
enum ConfigNumbers {
    /// Redis's strict integer syntax: an optional '-', then no leading zeros,
    /// no '+', no spaces, at most 20 characters, within Int64.
    static func strictInteger(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        if bytes.isEmpty || bytes.count >= 21 { return nil }
        if bytes == [0x30] { return 0 }
        var i = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") {
            negative = true
            i = 1
            if i == bytes.count { return nil }
        }
        guard bytes[i] >= UInt8(ascii: "1") && bytes[i] <= UInt8(ascii: "9") else { return nil }
        var magnitude: UInt64 = 0
        while i < bytes.count {
            let c = bytes[i]
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            magnitude = sum
            i += 1
        }
        if negative {
            if magnitude > UInt64(Int64.max) + 1 { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        return magnitude > UInt64(Int64.max) ? nil : Int64(magnitude)
    }

    /// C `strtoll`: skips leading white space, takes a sign, saturates on
    /// overflow. `complete` is true when nothing but digits followed — which
    /// is also true for the empty string, as in C.
    static func cStrtoll(_ text: String, base: Int32 = 10) -> (value: Int64, complete: Bool, overflow: Bool) {
        text.withCString { start in
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let value = strtoll(start, &end, base)
            let overflow = errno == ERANGE
            let complete = end.map { $0.pointee == 0 } ?? false
            return (Int64(value), complete, overflow)
        }
    }

    /// Redis's memory-size syntax: digits (possibly none, meaning 0) then an
    /// optional unit — b, k=1000, kb=1024, m, mb, g, gb, in any case. A
    /// leading '-' or any other character is an error. Like Redis, the digits
    /// saturate at 2^64-1 and the unit multiplication wraps around.
    static func memory(_ text: String) -> UInt64? {
        let bytes = Array(text.utf8)
        if bytes.first == UInt8(ascii: "-") { return nil }
        var digitCount = 0
        while digitCount < bytes.count, bytes[digitCount] >= 0x30, bytes[digitCount] <= 0x39 { digitCount += 1 }
        let unit = ConfigText.asciiLowercased(String(decoding: bytes[digitCount...], as: UTF8.self))
        let multiplier: UInt64
        switch unit {
        case "", "b": multiplier = 1
        case "k": multiplier = 1000
        case "kb": multiplier = 1024
        case "m": multiplier = 1000 * 1000
        case "mb": multiplier = 1024 * 1024
        case "g": multiplier = 1000 * 1000 * 1000
        case "gb": multiplier = 1024 * 1024 * 1024
        default: return nil
        }
        // Redis copies the digits into a 128-byte buffer first.
        if digitCount >= 128 { return nil }
        var value: UInt64 = 0
        for c in bytes[..<digitCount] {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(c - 0x30))
            if o1 || o2 { value = .max; break }
            value = sum
        }
        return value &* multiplier
    }

    /// Redis's double syntax (`strtod` over the whole string): no leading
    /// space, no trailing garbage, no NaN, no overflow or underflow to zero.
    /// Hex floats and "inf" are accepted because strtod accepts them.
    static func double(_ text: String) -> Double? {
        let length = text.utf8.count
        guard length > 0, let first = text.utf8.first, !isCSpace(first) else { return nil }
        return text.withCString { start -> Double? in
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let value = strtod(start, &end)
            guard let end, UnsafePointer(end) - start == length else { return nil }
            if errno == ERANGE && (value == .infinity || value == -.infinity || value == 0) { return nil }
            if value.isNaN { return nil }
            return value
        }
    }

    /// `%f` with trailing zeros (and a bare trailing '.') removed, as Redis
    /// prints latency percentiles: 99.9 -> "99.9", 100 -> "100".
    static func trimmedFixed(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        _ = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%f", $0) }
        var text = String(cString: buffer)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// C `isspace` in the C locale.
    static func isCSpace(_ c: UInt8) -> Bool {
        c == 0x20 || (c >= 0x09 && c <= 0x0D)
    }
}

import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// Integer <-> decimal text, with Redis's strictness rules.
public enum Decimal {
    /// Writes the decimal form of `value` at `p` and returns the number of bytes (at most 20).
    @inlinable @inline(__always)
    public static func write(_ value: Int, to p: UnsafeMutableRawPointer) -> Int {
        if value >= 0 && value < 100 {
            // Lengths and counts are mostly one or two digits.
            if value < 10 {
                p.storeBytes(of: UInt8(truncatingIfNeeded: value) &+ 0x30, as: UInt8.self)
                return 1
            }
            let tens = UInt16(truncatingIfNeeded: value / 10), ones = UInt16(truncatingIfNeeded: value % 10)
            p.storeBytes(of: (tens &+ 0x30) | (ones &+ 0x30) << 8, as: UInt16.self)
            return 2
        }
        var magnitude = value.magnitude
        var digits = 0
        var probe = magnitude
        repeat { digits += 1; probe /= 10 } while probe != 0
        let negative = value < 0
        let total = digits + (negative ? 1 : 0)
        var index = total - 1
        repeat {
            p.storeBytes(of: UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30, toByteOffset: index, as: UInt8.self)
            magnitude /= 10
            index -= 1
        } while magnitude != 0
        if negative { p.storeBytes(of: 0x2D as UInt8, as: UInt8.self) }
        return total
    }

    /// The length of `value`'s decimal text.
    @inlinable
    public static func length(_ value: Int) -> Int {
        var n = value < 0 ? 2 : 1
        var rest = value.magnitude
        while rest >= 10 { rest /= 10; n += 1 }
        return n
    }

    /// Calls `body` with the decimal text of `value` (on the stack, no allocation).
    @inlinable
    public static func withText<R>(_ value: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var digits = (UInt64(0), UInt64(0), UInt64(0))
        return try withUnsafeMutableBytes(of: &digits) { buffer in
            let n = write(value, to: buffer.baseAddress!)
            return try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// Parses a signed 64-bit integer the way Redis's `string2ll` does: an
    /// optional '-', then digits with no leading zero (except "0" itself), no
    /// spaces, no '+', no overflow. Returns nil for anything else.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let n = bytes.count
        if n == 0 || n > 20 { return nil }
        let p = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if n == 1 && p[0] == 0x30 { return 0 }
        var i = 0
        var negative = false
        if p[0] == 0x2D { negative = true; i = 1; if n == 1 { return nil } }
        if p[i] < 0x31 || p[i] > 0x39 { return nil }
        var value: UInt64 = 0
        while i < n {
            let d = p[i] &- 0x30
            if d > 9 { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            value = s
            i += 1
        }
        if negative {
            if value > UInt64(Int.max) + 1 { return nil }
            return value == UInt64(Int.max) + 1 ? Int.min : -Int(value)
        }
        if value > UInt64(Int.max) { return nil }
        return Int(value)
    }

    public static func parse(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }
}

/// Double formatting and parsing as Redis 7.0 does it.
public enum DoubleFormat {
    /// `%.17g`, with `inf`/`-inf`/`nan` spelled as Redis replies them.
    public static func resp3(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value.isNaN { return "nan" }
        return printf17g(value)
    }

    /// The bytes `resp3` would return, without allocating: integral values
    /// below 1e17 are exactly their decimal digits in %.17g; others are
    /// formatted into a stack buffer. (Allocating a String and boxing the
    /// argument for vsnprintf was about 10% of ZPOPMIN.)
    @inlinable
    public static func withText<R>(_ value: Double, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let integral = integralText(value) { return Decimal.withText(integral, body) }
        if value.isInfinite || value.isNaN {
            let text: StaticString = value.isNaN ? "nan" : value > 0 ? "inf" : "-inf"
            return body(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        return withUnsafeTemporaryAllocation(byteCount: 64, alignment: 1) { buffer in
            let n = cs_format_g17(buffer.baseAddress!.assumingMemoryBound(to: CChar.self), 64, value)
            return body(UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(n)))
        }
    }

    /// Calls `body` with `value` formatted as `%.2f` (INFO's ratios and
    /// human-readable sizes), from a stack buffer.
    public static func withFixed2Text<R>(_ value: Double, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        // The usual case, a small non-negative ratio or size, without printf
        // (a third of INFO's formatting): round the cents, unless they sit
        // near a tie, where rounding the product (inexact) and printf
        // (exact binary value, ties to even) could disagree. Below 1e12 the
        // product's error is under 1.3e-4, well inside the 1e-3 margin.
        let scaled = value * 100
        if value >= 0 && value.sign == .plus && scaled < 1e12
            && abs(scaled - scaled.rounded(.towardZero) - 0.5) > 1e-3 {
            let cents = Int(scaled.rounded())
            var digits = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            return withUnsafeMutableBytes(of: &digits) { buffer in
                let p = buffer.baseAddress!
                var n = Decimal.write(cents / 100, to: p)
                let fraction = cents % 100
                p.storeBytes(of: UInt8(ascii: "."), toByteOffset: n, as: UInt8.self)
                p.storeBytes(of: UInt8(truncatingIfNeeded: fraction / 10) &+ 0x30, toByteOffset: n + 1, as: UInt8.self)
                p.storeBytes(of: UInt8(truncatingIfNeeded: fraction % 10) &+ 0x30, toByteOffset: n + 2, as: UInt8.self)
                n += 3
                return body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
        }
        // 309 digits for the largest double, a sign, a point and two decimals.
        return withUnsafeTemporaryAllocation(byteCount: 320, alignment: 1) { buffer in
            let n = cs_format_fixed2(buffer.baseAddress!.assumingMemoryBound(to: CChar.self), 320, value)
            return body(UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(n)))
        }
    }

    /// The integer whose decimal digits are `value`'s %.17g text: integral
    /// values below 1e17 (not -0, which prints as "-0"); nil for the rest.
    @inlinable @inline(__always)
    public static func integralText(_ value: Double) -> Int? {
        value == value.rounded(.towardZero) && abs(value) < 1e17 && !(value == 0 && value.sign == .minus) ? Int(value) : nil
    }

    public static func printf17g(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = withVaList([value]) { vsnprintf(&buffer, 64, "%.17g", $0) }
        return String(decoding: buffer[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    #if arch(x86_64) || arch(i386)
    public typealias LongDouble = Float80
    #else
    public typealias LongDouble = Double
    #endif

    /// The "human friendly" long double format INCRBYFLOAT uses: `%.17Lf`
    /// with trailing zeros (and a trailing dot) removed, no exponent, "-0"
    /// as "0". Formatted on the stack: a String, a 5 KiB zeroed Array and a
    /// boxed variadic argument were two thirds of INCRBYFLOAT's instructions.
    public static func withHumanText<R>(_ value: LongDouble, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        // %.17Lf of the largest long double has 4933 integer digits.
        withUnsafeTemporaryAllocation(byteCount: humanTextCapacity, alignment: 1) { buffer in
            let text = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            #if arch(x86_64) || arch(i386)
            var n = Int(cs_format_Lf17(text, Int32(humanTextCapacity), value))
            #else
            var n = Int(cs_format_f17(text, Int32(humanTextCapacity), value))
            #endif
            n = min(n, humanTextCapacity - 1)
            let bytes = UnsafeRawBufferPointer(start: buffer.baseAddress!, count: n)
            if bytes.contains(0x2E) {
                while n > 0 && bytes[n - 1] == 0x30 { n -= 1 }
                if n > 0 && bytes[n - 1] == 0x2E { n -= 1 }
            }
            if n == 2 && bytes[0] == 0x2D && bytes[1] == 0x30 {
                return body(UnsafeRawBufferPointer(start: buffer.baseAddress! + 1, count: 1))
            }
            return body(UnsafeRawBufferPointer(start: buffer.baseAddress!, count: n))
        }
    }

    @usableFromInline static let humanTextCapacity = 5120

    /// Parses a long double the way Redis's `string2ld` does: no leading
    /// space, the whole string consumed, not NaN. Infinity is returned as is
    /// (callers decide whether it is allowed).
    public static func parseLongDouble(_ bytes: UnsafeRawBufferPointer) -> LongDouble? {
        if bytes.count == 0 || bytes.count >= 5120 { return nil }
        if isspace(Int32(bytes[0])) != 0 { return nil }
        return withTerminatedCopy(bytes) { start -> LongDouble? in
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            #if arch(x86_64) || arch(i386)
            let v = strtold(start, &end)
            #else
            let v = strtod(start, &end)
            #endif
            if end! - start != bytes.count || v.isNaN { return nil }
            if errno == ERANGE && (v.isInfinite || v == 0) { return nil }
            return v
        }
    }

    /// `bytes` NUL-terminated for the C parsers, on the stack (numbers are short).
    @inline(__always)
    static func withTerminatedCopy<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeMutablePointer<CChar>) -> R) -> R {
        withUnsafeTemporaryAllocation(byteCount: bytes.count + 1, alignment: 1) { buffer in
            buffer.copyMemory(from: bytes)
            buffer[bytes.count] = 0
            return body(buffer.baseAddress!.assumingMemoryBound(to: CChar.self))
        }
    }

    /// Parses a double the way Redis's `string2d`/`getDoubleFromObject` does.
    public static func parseDouble(_ bytes: UnsafeRawBufferPointer) -> Double? {
        if let v = parseSmallInteger(bytes) { return v }
        if bytes.count == 0 || bytes.count >= 5120 { return nil }
        if isspace(Int32(bytes[0])) != 0 { return nil }
        return withTerminatedCopy(bytes) { start -> Double? in
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let v = strtod(start, &end)
            if end! - start != bytes.count || v.isNaN { return nil }
            if errno == ERANGE && (v.isInfinite || v == 0) { return nil }
            return v
        }
    }

    /// SORT's weight, read as Redis reads it: strtod up to the first NUL
    /// byte (leading blanks allowed, "" reads as 0), refused when strtod
    /// stops before that, reports a range error, or reads NaN.
    public static func parseSortWeight(_ bytes: UnsafeRawBufferPointer) -> Double? {
        if let v = parseSmallInteger(bytes) { return v }
        return withTerminatedCopy(bytes) { start -> Double? in
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let v = strtod(start, &end)
            return end!.pointee == 0 && errno != ERANGE && !v.isNaN ? v : nil
        }
    }

    /// What strtod makes of all of `bytes` (leading blanks allowed, "" reads
    /// as 0), or nil if it stops early (an embedded NUL included) or reads
    /// NaN: how Redis's `zslParseRange` reads a score bound.
    public static func parseAllOfStrtod(_ bytes: UnsafeRawBufferPointer) -> Double? {
        if let v = parseSmallInteger(bytes) { return v }
        return withTerminatedCopy(bytes) { start -> Double? in
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(start, &end)
            return end! - start == bytes.count && !v.isNaN ? v : nil
        }
    }

    /// `[-]digits` with at most 15 digits, the common shape of a score: such
    /// a number is exactly representable, so converting the integer gives
    /// the value strtod would (with "-0" as -0.0). Anything else is nil and
    /// goes to strtod. (strtod and its copy were an eighth of a ZADD.)
    @inlinable
    static func parseSmallInteger(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let n = bytes.count
        if n == 0 || n > 16 { return nil }
        let negative = bytes[0] == 0x2D
        let first = negative ? 1 : 0
        if first == n || n - first > 15 { return nil }
        var value: Int64 = 0
        for i in first..<n {
            let d = bytes[i] &- 0x30
            if d > 9 { return nil }
            value = value * 10 + Int64(d)
        }
        return negative ? -Double(value) : Double(value)
    }
}

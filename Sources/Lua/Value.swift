#if canImport(Glibc)
import Glibc
#endif

/// A Lua 5.1 value. Every case carries at most one word (a Double or one
/// object reference), so a value is two words and copying one never
/// allocates. Strings, tables and functions are reference types: copying a
/// value shares the object, as in Lua.
public enum LuaValue {
    case `nil`
    case boolean(Bool)
    case number(Double)
    case string(LuaString)
    case table(LuaTable)
    case function(LuaFunction)
    /// A C light userdata: a bare pointer-sized value with no metatable.
    /// Only host libraries create these (Redis's `cjson.null` is the light
    /// userdata NULL, see `LuaValue.cjsonNull`); Lua code can only pass them
    /// around. `type` says "userdata", `tostring` prints the pointer as
    /// glibc's `%p` does (`userdata: (nil)` for 0), equality and table keys
    /// compare the pointer value, as in Lua 5.1.
    case lightUserdata(UInt)

    /// Lua truth: only `nil` and `false` are false.
    @inline(__always) public var isTruthy: Bool {
        switch self {
        case .nil: return false
        case .boolean(let b): return b
        default: return true
        }
    }

    @inline(__always) public var isNil: Bool {
        if case .nil = self { return true }
        return false
    }

    /// The name `type()` reports.
    public var typeName: String {
        switch self {
        case .nil: return "nil"
        case .boolean: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .table: return "table"
        case .function: return "function"
        case .lightUserdata: return "userdata"
        }
    }

    /// Builds a string value from Swift text (UTF-8 bytes).
    public static func string(_ text: String) -> LuaValue { .string(LuaString(text)) }
    /// Builds a string value from raw bytes.
    public static func bytes<C: Collection>(_ bytes: C) -> LuaValue where C.Element == UInt8 { .string(LuaString(bytes)) }

    /// Raw equality (no `__eq`): what `rawequal` and table keys use.
    public static func rawEquals(_ a: LuaValue, _ b: LuaValue) -> Bool {
        switch (a, b) {
        case (.nil, .nil): return true
        case let (.boolean(x), .boolean(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.table(x), .table(y)): return x === y
        case let (.function(x), .function(y)): return x === y
        case let (.lightUserdata(x), .lightUserdata(y)): return x == y
        default: return false
        }
    }

    /// The number this value converts to under Lua's arithmetic coercion
    /// (numbers as is, strings that parse as numerals), or nil.
    @inline(__always) public var coercedNumber: Double? {
        switch self {
        case .number(let n): return n
        case .string(let s): return LuaNumberParser.parse(s.bytes)
        default: return nil
        }
    }

    /// The string this value converts to under Lua's concatenation coercion
    /// (strings as is, numbers via `%.14g`), or nil.
    public var coercedString: LuaString? {
        switch self {
        case .string(let s): return s
        case .number(let n): return LuaString(LuaNumberFormatter.format(n))
        default: return nil
        }
    }
}

/// An immutable, binary-safe Lua string. The hash is Lua 5.1's string hash,
/// computed once, so table placement (and therefore `pairs` order) follows
/// the reference interpreter.
public final class LuaString: Equatable, CustomStringConvertible {
    public let bytes: [UInt8]
    public let hash: UInt32

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.hash = LuaString.luaHash(bytes)
    }

    public convenience init<C: Collection>(_ bytes: C) where C.Element == UInt8 { self.init(Array(bytes)) }
    public convenience init(_ text: String) { self.init(Array(text.utf8)) }

    @inline(__always) public var count: Int { bytes.count }

    /// Lua 5.1's hash: seeded with the length, sampling at most ~32 bytes
    /// from the end with a step that grows with the length.
    static func luaHash(_ bytes: [UInt8]) -> UInt32 {
        let length = bytes.count
        var h = UInt32(truncatingIfNeeded: length)
        let step = (length >> 5) + 1
        var remaining = length
        while remaining >= step {
            h = h ^ ((h &<< 5) &+ (h >> 2) &+ UInt32(bytes[remaining - 1]))
            remaining -= step
        }
        return h
    }

    public static func == (a: LuaString, b: LuaString) -> Bool {
        if a === b { return true }
        return a.hash == b.hash && a.bytes == b.bytes
    }

    /// The bytes decoded as UTF-8 (invalid sequences repaired): for Swift
    /// callers and diagnostics only; Lua code always sees the raw bytes.
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// Lua's `<` on strings: strcoll in the C locale, i.e. unsigned byte
    /// order, with embedded zeros compared segment by segment as Lua does
    /// (which amounts to plain byte order).
    static func lessThan(_ a: LuaString, _ b: LuaString) -> Bool {
        let x = a.bytes, y = b.bytes
        let n = min(x.count, y.count)
        var i = 0
        while i < n {
            if x[i] != y[i] { return x[i] < y[i] }
            i += 1
        }
        return x.count < y.count
    }
}

/// A shared cell holding a local variable that some closure captured.
/// Each execution of the declaring statement makes a new box, which is what
/// gives every loop iteration its own variable.
public final class LuaBox {
    public var value: LuaValue
    @inline(__always) init(_ value: LuaValue) { self.value = value }
}

/// Parses numerals the way Lua 5.1's `luaO_str2d` does: C `strtod` (so
/// glibc's hex, `inf` and `nan` spellings are accepted), a fallback to
/// `strtoul` base 16 when it stops at an `x`, then trailing whitespace only.
/// The text ends at the first zero byte, as it does for C.
enum LuaNumberParser {
    static func parse(_ bytes: [UInt8]) -> Double? {
        // Fast path: plain decimal integers of a few digits.
        let n = bytes.count
        if n > 0 && n <= 15 {
            var value: Int64 = 0
            var allDigits = true
            for b in bytes {
                if b >= 48 && b <= 57 { value = value * 10 + Int64(b - 48) } else { allDigits = false; break }
            }
            if allDigits { return Double(value) }
        }
        return slowParse(bytes)
    }

    private static func slowParse(_ bytes: [UInt8]) -> Double? {
        var cString = bytes
        cString.append(0)
        return cString.withUnsafeBufferPointer { buffer -> Double? in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { start -> Double? in
                var end: UnsafeMutablePointer<CChar>? = nil
                var result = strtod(start, &end)
                guard var stop = end, stop != UnsafeMutablePointer(mutating: start) else { return nil }
                if stop.pointee == 120 || stop.pointee == 88 {  // 'x' / 'X'
                    result = Double(strtoul(start, &end, 16))
                    guard let s = end else { return nil }
                    stop = s
                }
                while stop.pointee != 0 && isSpace(UInt8(bitPattern: stop.pointee)) { stop += 1 }
                return stop.pointee == 0 ? result : nil
            }
        }
    }

    /// C `isspace` in the C locale.
    @inline(__always) static func isSpace(_ c: UInt8) -> Bool {
        c == 32 || (c >= 9 && c <= 13)
    }
}

/// Formats numbers the way Lua 5.1 prints them: C `%.14g`, which also
/// decides the spelling of infinities and NaNs (`inf`, `-inf`, `nan`, `-nan`
/// as glibc writes them).
enum LuaNumberFormatter {
    static func format(_ n: Double) -> [UInt8] {
        // Integers below 1e14 print as their digits under %.14g.
        if n == n.rounded(.towardZero) && abs(n) < 1e14 && !(n == 0 && n.sign == .minus) {
            var v = Int64(n)
            if v == 0 { return [48] }
            let negative = v < 0
            if negative { v = -v }
            var digits: [UInt8] = []
            digits.reserveCapacity(16)
            while v > 0 { digits.append(UInt8(48 + v % 10)); v /= 10 }
            if negative { digits.append(45) }
            digits.reverse()
            return digits
        }
        return CFormat.format("%.14g", n)
    }
}

/// Thin wrappers over C's vsnprintf for exact printf formatting.
enum CFormat {
    static func format(_ spec: String, _ n: Double) -> [UInt8] {
        withVaList([n]) { render(spec, $0) }
    }

    static func format(_ spec: String, _ n: Int64) -> [UInt8] {
        withVaList([n]) { render(spec, $0) }
    }

    static func format(_ spec: String, _ n: UInt64) -> [UInt8] {
        withVaList([n]) { render(spec, $0) }
    }

    static func format(_ spec: String, _ n: Int32) -> [UInt8] {
        withVaList([n]) { render(spec, $0) }
    }

    /// `%s`-style formatting of a C string (no zero bytes inside).
    static func format(_ spec: String, cString bytes: [UInt8]) -> [UInt8] {
        var z = bytes
        z.append(0)
        return z.withUnsafeBufferPointer { buffer in
            withVaList([buffer.baseAddress!]) { render(spec, $0) }
        }
    }

    private static func render(_ spec: String, _ args: CVaListPointer) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 128)
        let written = buffer.withUnsafeMutableBufferPointer { out in
            out.baseAddress!.withMemoryRebound(to: CChar.self, capacity: out.count) { vsnprintf($0, out.count, spec, args) }
        }
        if written < 0 { return [] }
        if Int(written) < buffer.count { return Array(buffer[0..<Int(written)]) }
        return []  // caller re-renders with a bigger buffer (see renderLarge)
    }

    /// Formatting whose output may exceed 128 bytes (e.g. `%99.99f`).
    static func formatLarge(_ spec: String, _ args: [CVarArg], capacity: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: capacity + 1)
        let written = withVaList(args) { list in
            buffer.withUnsafeMutableBufferPointer { out in
                out.baseAddress!.withMemoryRebound(to: CChar.self, capacity: out.count) { vsnprintf($0, out.count, spec, list) }
            }
        }
        if written < 0 { return [] }
        return Array(buffer[0..<min(Int(written), capacity)])
    }
}

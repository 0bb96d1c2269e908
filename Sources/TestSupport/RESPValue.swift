/// A parsed RESP2/RESP3 frame, for tests: enough structure to compare
/// replies loosely (multisets, types) and to print them.
public indirect enum RESPValue: Equatable, CustomStringConvertible {
    case simple(String)
    case error(String)
    case integer(Int)
    case bulk([UInt8]?)
    case array([RESPValue]?)
    case null
    case double(String)
    case boolean(Bool)
    case bigNumber(String)
    case verbatim([UInt8])
    case map([(RESPValue, RESPValue)])
    case set([RESPValue])
    case push([RESPValue])
    case attribute([(RESPValue, RESPValue)], RESPValue)

    public static func == (a: RESPValue, b: RESPValue) -> Bool { a.serialized == b.serialized }

    public var description: String { RESPValue.escape(serialized) }

    /// The text of a bulk, simple or verbatim string.
    public var string: String? {
        switch self {
        case .simple(let s): return s
        case .bulk(let b?): return String(decoding: b, as: UTF8.self)
        case .verbatim(let b): return String(decoding: b.dropFirst(4), as: UTF8.self)
        case .error(let e): return e
        default: return nil
        }
    }

    /// A bulk string's bytes.
    public var bytes: [UInt8]? { if case .bulk(let b?) = self { return b }; return nil }
    public var int: Int? { if case .integer(let i) = self { return i }; return nil }

    public var elements: [RESPValue]? {
        switch self {
        case .array(let a?): return a
        case .set(let a), .push(let a): return a
        case .map(let pairs): return pairs.flatMap { [$0.0, $0.1] }
        default: return nil
        }
    }

    /// Escaped form used by the conformance files.
    public static func escape(_ bytes: [UInt8]) -> String {
        var out = "\""
        for b in bytes {
            switch b {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0D: out += "\\r"
            case 0x0A: out += "\\n"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789abcdef")
                out += "\\x" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
            }
        }
        return out + "\""
    }

    // MARK: parsing

    /// Parses one frame from `bytes[at...]`. Returns nil when incomplete;
    /// throws on malformed input.
    public static func parse(_ bytes: [UInt8], at start: Int = 0) throws -> (RESPValue, Int)? {
        guard start < bytes.count else { return nil }
        guard let lineEnd = findCRLF(bytes, from: start + 1) else { return nil }
        let marker = bytes[start]
        let line = String(decoding: bytes[(start + 1)..<lineEnd], as: UTF8.self)
        let next = lineEnd + 2
        func count() throws -> Int {
            guard let n = Int(line) else { throw ParseError(message: "bad length '\(line)'") }
            return n
        }
        func aggregate(_ n: Int, from: Int) throws -> ([RESPValue], Int)? {
            var items: [RESPValue] = []
            var position = from
            for _ in 0..<n {
                guard let (v, end) = try parse(bytes, at: position) else { return nil }
                items.append(v)
                position = end
            }
            return (items, position)
        }
        switch marker {
        case UInt8(ascii: "+"): return (.simple(line), next)
        case UInt8(ascii: "-"): return (.error(line), next)
        case UInt8(ascii: ":"): return (.integer(try count()), next)
        case UInt8(ascii: "_"): return (.null, next)
        case UInt8(ascii: ","): return (.double(line), next)
        case UInt8(ascii: "#"): return (.boolean(line == "t"), next)
        case UInt8(ascii: "("): return (.bigNumber(line), next)
        case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
            let n = try count()
            if n < 0 { return (.bulk(nil), next) }
            guard bytes.count >= next + n + 2 else { return nil }
            let payload = Array(bytes[next..<(next + n)])
            if marker == UInt8(ascii: "=") { return (.verbatim(payload), next + n + 2) }
            if marker == UInt8(ascii: "!") { return (.error(String(decoding: payload, as: UTF8.self)), next + n + 2) }
            return (.bulk(payload), next + n + 2)
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            let n = try count()
            if n < 0 { return (.array(nil), next) }
            guard let (items, end) = try aggregate(n, from: next) else { return nil }
            if marker == UInt8(ascii: "~") { return (.set(items), end) }
            if marker == UInt8(ascii: ">") { return (.push(items), end) }
            return (.array(items), end)
        case UInt8(ascii: "%"), UInt8(ascii: "|"):
            let n = try count()
            guard let (items, end) = try aggregate(n * 2, from: next) else { return nil }
            var pairs: [(RESPValue, RESPValue)] = []
            for i in stride(from: 0, to: items.count, by: 2) { pairs.append((items[i], items[i + 1])) }
            if marker == UInt8(ascii: "|") {
                guard let (inner, innerEnd) = try parse(bytes, at: end) else { return nil }
                return (.attribute(pairs, inner), innerEnd)
            }
            return (.map(pairs), end)
        default:
            throw ParseError(message: "unknown RESP type byte \(marker)")
        }
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    static func findCRLF(_ bytes: [UInt8], from: Int) -> Int? {
        var i = from
        while i + 1 < bytes.count {
            if bytes[i] == 0x0D && bytes[i + 1] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    // MARK: serialising

    public var serialized: [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        func line(_ marker: Character, _ text: String) {
            out.append(contentsOf: Array(String(marker).utf8)); out.append(contentsOf: Array(text.utf8)); out += [13, 10]
        }
        switch self {
        case .simple(let s): line("+", s)
        case .error(let e): line("-", e)
        case .integer(let i): line(":", String(i))
        case .null: line("_", "")
        case .double(let d): line(",", d)
        case .boolean(let b): line("#", b ? "t" : "f")
        case .bigNumber(let n): line("(", n)
        case .bulk(nil): line("$", "-1")
        case .bulk(let b?): line("$", String(b.count)); out += b; out += [13, 10]
        case .verbatim(let b): line("=", String(b.count)); out += b; out += [13, 10]
        case .array(nil): line("*", "-1")
        case .array(let items?): line("*", String(items.count)); for i in items { i.write(to: &out) }
        case .set(let items): line("~", String(items.count)); for i in items { i.write(to: &out) }
        case .push(let items): line(">", String(items.count)); for i in items { i.write(to: &out) }
        case .map(let pairs): line("%", String(pairs.count)); for (k, v) in pairs { k.write(to: &out); v.write(to: &out) }
        case .attribute(let pairs, let inner):
            line("|", String(pairs.count)); for (k, v) in pairs { k.write(to: &out); v.write(to: &out) }
            inner.write(to: &out)
        }
    }

    /// Aggregates sorted by their elements' bytes, recursively: the canonical
    /// form used to compare replies whose order is unspecified.
    public var canonical: RESPValue {
        func sortItems(_ items: [RESPValue]) -> [RESPValue] {
            items.map { $0.canonical }.sorted { $0.serialized.lexicographicallyPrecedes($1.serialized) }
        }
        switch self {
        case .array(let items?): return .array(sortItems(items))
        case .set(let items): return .set(sortItems(items))
        case .push(let items): return .push(sortItems(items))
        case .map(let pairs):
            let c = pairs.map { ($0.0.canonical, $0.1.canonical) }
            return .map(c.sorted { ($0.0.serialized + $0.1.serialized).lexicographicallyPrecedes($1.0.serialized + $1.1.serialized) })
        default: return self
        }
    }
}

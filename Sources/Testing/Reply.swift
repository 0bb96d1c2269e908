extension TestServer {
    /// A decoded RESP2/RESP3 reply, as returned by ``TestServer/command(_:protocolVersion:)``
    /// (the escape hatch for commands without a typed helper).
    ///
    /// RESP2's null bulk string and null array both decode to ``null``.
    /// `description` renders the reply the way `redis-cli` prints it, which
    /// reads well in test failure messages.
    public indirect enum Reply: Sendable, Hashable, CustomStringConvertible {
        /// `+OK`
        case simpleString(String)
        /// `-ERR …`: only inside aggregates; a top-level error is thrown as
        /// ``TestServerError`` of kind ``TestServerError/Kind/commandFailed``.
        case error(String)
        /// `:42`
        case integer(Int)
        /// `$3\r\nabc`: the bytes exactly as stored.
        case bulkString([UInt8])
        /// `$-1`, `*-1` or RESP3 `_`.
        case null
        /// `*N`
        case array([Reply])
        /// RESP3 `,`
        case double(Double)
        /// RESP3 `#t` / `#f`
        case boolean(Bool)
        /// RESP3 `(`
        case bigNumber(String)
        /// RESP3 `=`: `format` is the three-letter type (`txt`, `mkd`).
        case verbatimString(format: String, text: String)
        /// RESP3 `%`, in the order the server sent the pairs.
        case map([Pair])
        /// RESP3 `~`
        case set([Reply])
        /// RESP3 `>`
        case push([Reply])

        /// One entry of a RESP3 map.
        public struct Pair: Sendable, Hashable {
            public var key: Reply
            public var value: Reply
            public init(key: Reply, value: Reply) { self.key = key; self.value = value }
        }

        /// The text of a simple, bulk or verbatim string (bulk strings are
        /// decoded as UTF-8, invalid sequences replaced); nil for other replies.
        public var string: String? {
            switch self {
            case .simpleString(let s): return s
            case .bulkString(let b): return String(decoding: b, as: UTF8.self)
            case .verbatimString(_, let text): return text
            default: return nil
            }
        }

        /// The bytes of a bulk string (or the UTF-8 of a simple/verbatim one).
        public var bytes: [UInt8]? {
            switch self {
            case .bulkString(let b): return b
            case .simpleString(let s), .verbatimString(_, let s): return Array(s.utf8)
            default: return nil
            }
        }

        /// The value of an integer reply.
        public var integer: Int? {
            if case .integer(let i) = self { return i }
            return nil
        }

        /// The elements of an array, set or push reply (a map's keys and
        /// values, interleaved).
        public var elements: [Reply]? {
            switch self {
            case .array(let items), .set(let items), .push(let items): return items
            case .map(let pairs): return pairs.flatMap { [$0.key, $0.value] }
            default: return nil
            }
        }

        public var isNull: Bool {
            if case .null = self { return true }
            return false
        }

        public var description: String { render(indent: "") }

        private func render(indent: String) -> String {
            func list(_ items: [Reply]) -> String {
                if items.isEmpty { return "(empty array)" }
                let width = String(items.count).count
                var lines: [String] = []
                for (i, item) in items.enumerated() {
                    let number = String(i + 1)
                    let label = String(repeating: " ", count: width - number.count) + number + ") "
                    let inner = item.render(indent: indent + String(repeating: " ", count: label.count))
                    lines.append((i == 0 ? "" : indent) + label + inner)
                }
                return lines.joined(separator: "\n")
            }
            switch self {
            case .simpleString(let s): return s
            case .error(let e): return "(error) " + e
            case .integer(let i): return "(integer) \(i)"
            case .bulkString(let b): return TestServer.quoted(b)
            case .null: return "(nil)"
            case .array(let items), .set(let items), .push(let items): return list(items)
            case .double(let d): return "(double) \(d)"
            case .boolean(let b): return b ? "(true)" : "(false)"
            case .bigNumber(let n): return "(big number) " + n
            case .verbatimString(_, let text): return text
            case .map(let pairs): return list(pairs.flatMap { [$0.key, $0.value] })
            }
        }
    }

    /// `"text"` with quotes, backslashes and non-printable bytes escaped the
    /// way `redis-cli` shows them (`"a\x00b\n"`).
    static func quoted(_ bytes: [UInt8]) -> String {
        var out = "\""
        let hex = Array("0123456789abcdef")
        for b in bytes {
            switch b {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += "\\x" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
            }
        }
        return out + "\""
    }
}

/// Decodes RESP2/RESP3 reply bytes (the fixture's own small reader; the
/// library must not depend on the test-only TestSupport module).
struct ReplyDecoder {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// Decodes exactly one reply occupying all of `bytes`.
    static func decodeOne(_ bytes: [UInt8]) throws -> TestServer.Reply {
        var decoder = ReplyDecoder(bytes: bytes)
        guard let reply = try decoder.next() else {
            throw Malformed(description: "incomplete reply \(TestServer.quoted(bytes))")
        }
        if decoder.position != bytes.count {
            throw Malformed(description: "trailing bytes after reply \(TestServer.quoted(bytes))")
        }
        return reply
    }

    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The next reply, or nil when the bytes end before it does.
    mutating func next() throws -> TestServer.Reply? {
        let start = position
        do {
            guard let reply = try parse() else { position = start; return nil }
            return reply
        } catch {
            position = start
            throw error
        }
    }

    private mutating func line() -> String? {
        var i = position
        while i + 1 < bytes.count {
            if bytes[i] == 0x0D && bytes[i + 1] == 0x0A {
                let text = String(decoding: bytes[position..<i], as: UTF8.self)
                position = i + 2
                return text
            }
            i += 1
        }
        return nil
    }

    private mutating func length(_ text: String) throws -> Int {
        guard let n = Int(text) else { throw Malformed(description: "bad length '\(text)' in reply") }
        return n
    }

    private mutating func payload(_ n: Int) -> [UInt8]? {
        guard bytes.count >= position + n + 2 else { return nil }
        let out = Array(bytes[position..<(position + n)])
        position += n + 2
        return out
    }

    private mutating func aggregate(_ n: Int) throws -> [TestServer.Reply]? {
        var items: [TestServer.Reply] = []
        items.reserveCapacity(max(0, n))
        for _ in 0..<max(0, n) {
            guard let item = try parse() else { return nil }
            items.append(item)
        }
        return items
    }

    private mutating func parse() throws -> TestServer.Reply? {
        guard position < bytes.count else { return nil }
        let marker = bytes[position]
        position += 1
        guard let text = line() else { return nil }
        switch marker {
        case UInt8(ascii: "+"): return .simpleString(text)
        case UInt8(ascii: "-"): return .error(text)
        case UInt8(ascii: ":"): return .integer(try length(text))
        case UInt8(ascii: "_"): return .null
        case UInt8(ascii: ","):
            switch text {
            case "inf": return .double(.infinity)
            case "-inf": return .double(-.infinity)
            case "nan": return .double(.nan)
            default:
                guard let d = Double(text) else { throw Malformed(description: "bad double '\(text)' in reply") }
                return .double(d)
            }
        case UInt8(ascii: "#"): return .boolean(text == "t")
        case UInt8(ascii: "("): return .bigNumber(text)
        case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
            let n = try length(text)
            if n < 0 { return .null }
            guard let body = payload(n) else { return nil }
            if marker == UInt8(ascii: "!") { return .error(String(decoding: body, as: UTF8.self)) }
            if marker == UInt8(ascii: "=") {
                let format = String(decoding: body.prefix(3), as: UTF8.self)
                return .verbatimString(format: format, text: String(decoding: body.dropFirst(4), as: UTF8.self))
            }
            return .bulkString(body)
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            let n = try length(text)
            if n < 0 { return .null }
            guard let items = try aggregate(n) else { return nil }
            if marker == UInt8(ascii: "~") { return .set(items) }
            if marker == UInt8(ascii: ">") { return .push(items) }
            return .array(items)
        case UInt8(ascii: "%"), UInt8(ascii: "|"):
            let n = try length(text)
            guard let items = try aggregate(n * 2) else { return nil }
            var pairs: [TestServer.Reply.Pair] = []
            for i in stride(from: 0, to: items.count, by: 2) {
                pairs.append(.init(key: items[i], value: items[i + 1]))
            }
            // Attributes (`|`) annotate the reply that follows; skip them.
            if marker == UInt8(ascii: "|") { return try parse() }
            return .map(pairs)
        default:
            throw Malformed(description: "unknown RESP type byte \(marker) in reply")
        }
    }
}

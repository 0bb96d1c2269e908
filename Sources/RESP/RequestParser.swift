#if canImport(Glibc)
import Glibc
#endif

/// The protocol errors a request can raise. Each is answered with its exact
/// Redis text and then the connection is closed.
public enum ProtocolError: Error, Equatable {
    case invalidMultibulkLength
    case invalidBulkLength
    case expectedDollar(UInt8)
    case unbalancedQuotes
    case tooBigInline
    case tooBigMultibulkCount
    case tooBigBulkCount
    case unauthenticatedMultibulkLength
    case unauthenticatedBulkLength

    /// The reply text, without the leading `-` and trailing CRLF.
    public var message: String {
        switch self {
        case .invalidMultibulkLength: return "ERR Protocol error: invalid multibulk length"
        case .invalidBulkLength: return "ERR Protocol error: invalid bulk length"
        case .expectedDollar(let c): return "ERR Protocol error: expected '$', got '\(Character(Unicode.Scalar(c)))'"
        case .unbalancedQuotes: return "ERR Protocol error: unbalanced quotes in request"
        case .tooBigInline: return "ERR Protocol error: too big inline request"
        case .tooBigMultibulkCount: return "ERR Protocol error: too big mbulk count string"
        case .tooBigBulkCount: return "ERR Protocol error: too big bulk count string"
        case .unauthenticatedMultibulkLength: return "ERR Protocol error: unauthenticated multibulk length"
        case .unauthenticatedBulkLength: return "ERR Protocol error: unauthenticated bulk length"
        }
    }
}

/// The limits the parser enforces (see REDIS-NOTES §1e).
public struct ProtocolLimits {
    /// `proto-max-bulk-len`, 512 MB by default.
    public var maxBulkLength: Int = 512 * 1024 * 1024
    /// `PROTO_INLINE_MAX_SIZE`: a line with no newline after this many bytes is an error.
    public static let maxInlineSize = 64 * 1024
    public init() {}
}

/// Incremental parser for one connection's requests: RESP multibulk arrays and
/// inline commands. It resumes where it stopped when a request arrives in
/// pieces, so a huge request split into many reads is parsed in linear time.
///
/// All positions are offsets from the start of the request being parsed,
/// because the input buffer may be compacted or grown between reads.
public struct RequestParser {
    public enum Result: Equatable {
        /// A complete request of `length` bytes is in `arguments()`.
        case request(length: Int)
        /// Bytes `0..<length` hold nothing to execute (`*0`, `*-1`, empty inline line).
        case skip(length: Int)
        /// More bytes are needed. `expected` is the request size known so far
        /// (so the caller can grow its buffer once for a large bulk), or 0.
        case incomplete(expected: Int)
        case error(ProtocolError)
    }

    @usableFromInline var spans: UnsafeMutablePointer<Arguments.Span>
    @usableFromInline var spanCapacity: Int
    @usableFromInline var argumentCount = 0
    /// Total arguments announced by the `*N` header, 0 when not inside a multibulk.
    @usableFromInline var announced = 0
    /// Length announced by the current `$N` header, -1 when awaiting a header.
    @usableFromInline var bulkLength = -1
    /// Where parsing resumes, relative to the request start.
    @usableFromInline var cursor = 0
    /// Inline requests decode into this scratch buffer (quotes and escapes resolved).
    @usableFromInline var scratch: UnsafeMutableRawPointer
    @usableFromInline var scratchCapacity: Int
    @usableFromInline var argumentsInScratch = false

    public var limits = ProtocolLimits()
    /// False until the client authenticated when a password is required: caps request sizes.
    public var authenticated = true

    public init() {
        spanCapacity = 16
        spans = .allocate(capacity: spanCapacity)
        scratchCapacity = 256
        scratch = .allocate(byteCount: scratchCapacity, alignment: 8)
    }

    /// Frees the parser's storage. Call exactly once, when the connection closes.
    public mutating func deallocate() {
        spans.deallocate()
        scratch.deallocate()
    }

    /// True while a multibulk request has been started but not finished.
    public var inProgress: Bool { announced > 0 }

    /// The arguments of the request just returned by `parse`, viewed in `buffer`
    /// (the same start pointer passed to `parse`).
    @inlinable
    public func arguments(in requestStart: UnsafeRawPointer) -> Arguments {
        Arguments(base: argumentsInScratch ? UnsafeRawPointer(scratch) : requestStart, spans: spans, count: argumentCount)
    }

    @usableFromInline mutating func addSpan(_ offset: Int, _ length: Int) {
        if argumentCount == spanCapacity { growSpans() }
        spans[argumentCount] = Arguments.Span(offset: offset, length: length)
        argumentCount += 1
    }

    /// Doubles `spans`, keeping the first `argumentCount`.
    mutating func growSpans() {
        let bigger = UnsafeMutablePointer<Arguments.Span>.allocate(capacity: spanCapacity * 2)
        bigger.moveInitialize(from: spans, count: argumentCount)
        spans.deallocate()
        spans = bigger
        spanCapacity *= 2
    }

    /// Parses the request starting at `start`, with `available` bytes present.
    public mutating func parse(_ start: UnsafeRawPointer, available: Int) -> Result {
        if announced == 0 {
            if available == 0 { return .incomplete(expected: 0) }
            if start.load(as: UInt8.self) != 0x2A { return parseInline(start, available) }
            // `*N\r\n`
            let n: Int, cr: Int
            if let quick = RequestParser.plainHeader(start, from: 1, available: available) {
                (n, cr) = quick
            } else {
                guard let at = findCR(start, from: 0, to: available) else {
                    return available > ProtocolLimits.maxInlineSize ? .error(.tooBigMultibulkCount) : .incomplete(expected: 0)
                }
                // Redis needs the byte after '\r' to be present and skips it unchecked.
                if at > available - 2 { return .incomplete(expected: 0) }
                guard let value = Decimal.parse(UnsafeRawBufferPointer(start: start + 1, count: at - 1)), value <= Int(Int32.max) else {
                    // Redis finds the CR with strchr, which stops at a NUL: a NUL
                    // before the CR means "no line yet" there (checked only here,
                    // off the path of well-formed requests).
                    if hasNul(start, from: 0, to: at) {
                        return available > ProtocolLimits.maxInlineSize ? .error(.tooBigMultibulkCount) : .incomplete(expected: 0)
                    }
                    return .error(.invalidMultibulkLength)
                }
                (n, cr) = (value, at)
            }
            if n > 10 && !authenticated { return .error(.unauthenticatedMultibulkLength) }
            if n <= 0 { return .skip(length: cr + 2) }
            announced = n
            argumentCount = 0
            bulkLength = -1
            cursor = cr + 2
            argumentsInScratch = false
        }
        // The loop keeps the resume state in locals and stores it when it
        // stops: each span is written through a pointer that could alias
        // this struct's fields, so fields would be reloaded after every
        // argument (a SET's parse: 295 -> 278 instructions).
        var cursor = self.cursor, bulkLength = self.bulkLength, count = argumentCount
        let announced = self.announced, maxBulkLength = limits.maxBulkLength
        while count < announced {
            if bulkLength < 0 {
                if cursor >= available {
                    (self.cursor, self.bulkLength, argumentCount) = (cursor, -1, count)
                    return .incomplete(expected: 0)
                }
                if start.load(fromByteOffset: cursor, as: UInt8.self) == 0x24,
                   let (n, cr) = RequestParser.plainHeader(start, from: cursor + 1, available: available),
                   n <= maxBulkLength && (n <= 16384 || authenticated) {
                    bulkLength = n
                    cursor = cr + 2
                } else {
                    (self.cursor, self.bulkLength, argumentCount) = (cursor, -1, count)
                    if let stop = parseBulkHeader(start, available: available) { return stop }
                    (cursor, bulkLength) = (self.cursor, self.bulkLength)
                }
            }
            // The payload and the two bytes after it (Redis skips them unchecked).
            if available - cursor < bulkLength + 2 {
                (self.cursor, self.bulkLength, argumentCount) = (cursor, bulkLength, count)
                return .incomplete(expected: cursor + bulkLength + 2)
            }
            if count == spanCapacity {
                argumentCount = count
                growSpans()
            }
            spans[count] = Arguments.Span(offset: cursor, length: bulkLength)
            count += 1
            cursor += bulkLength + 2
            bulkLength = -1
        }
        argumentCount = count
        self.bulkLength = -1
        self.announced = 0
        self.cursor = 0
        return .request(length: cursor)
    }

    /// Looks at a complete multibulk request at `start` without disturbing
    /// the parser: its length, its first argument (the command name) and its
    /// second (the key of most commands). nil for anything incomplete, inline
    /// or unusual; this only feeds prefetching, so giving up is always safe.
    @inlinable
    public static func peek(_ start: UnsafeRawPointer, available: Int)
        -> (length: Int, first: UnsafeRawBufferPointer, second: UnsafeRawBufferPointer?)? {
        if available < 4 || start.load(as: UInt8.self) != 0x2A { return nil }
        guard let (count, countEnd) = plainHeader(start, from: 1, available: available), count <= 64 else { return nil }
        var cursor = countEnd + 2
        var first = UnsafeRawBufferPointer(start: start, count: 0)
        var second: UnsafeRawBufferPointer? = nil
        for index in 0..<count {
            // An empty argument (`$0`) is not a plain header: no prefetch, which is only a loss of a hint.
            guard cursor < available, start.load(fromByteOffset: cursor, as: UInt8.self) == 0x24,
                  let (length, cr) = plainHeader(start, from: cursor + 1, available: available) else { return nil }
            cursor = cr + 2
            if cursor + length + 2 > available { return nil }
            if index == 0 { first = UnsafeRawBufferPointer(start: start + cursor, count: length) }
            if index == 1 { second = UnsafeRawBufferPointer(start: start + cursor, count: length) }
            cursor += length + 2
        }
        return (cursor, first, second)
    }

    /// The general `$N\r\n` header at `cursor`: sets `bulkLength` and moves
    /// past it, or returns what `parse` must return (incomplete, or an error).
    mutating func parseBulkHeader(_ start: UnsafeRawPointer, available: Int) -> Result? {
        guard let cr = findCR(start, from: cursor, to: available) else {
            if available - cursor > ProtocolLimits.maxInlineSize { return reset(.tooBigBulkCount) }
            return .incomplete(expected: 0)
        }
        if cr - cursor > available - cursor - 2 { return .incomplete(expected: 0) }
        let marker = start.load(fromByteOffset: cursor, as: UInt8.self)
        let n = marker == 0x24 ? Decimal.parse(UnsafeRawBufferPointer(start: start + cursor + 1, count: cr - cursor - 1)) : nil
        guard let n, n >= 0, n <= limits.maxBulkLength else {
            // As for `*N`: after a NUL, Redis has not seen this line's end.
            if hasNul(start, from: cursor, to: cr) {
                if available - cursor > ProtocolLimits.maxInlineSize { return reset(.tooBigBulkCount) }
                return .incomplete(expected: 0)
            }
            return marker != 0x24 ? reset(.expectedDollar(marker)) : reset(.invalidBulkLength)
        }
        if n > 16384 && !authenticated { return reset(.unauthenticatedBulkLength) }
        bulkLength = n
        cursor = cr + 2
        return nil
    }

    /// The common header: 1-9 digits without a leading zero at `from`, then
    /// CR with the byte after it present. Returns the value and the CR's
    /// offset; nil sends the header through the general path (memchr and
    /// `Decimal.parse`), which gives the same value for these and handles
    /// everything else, errors included. Saves a memchr call and a generic
    /// parse per header: a quarter of the parsing work of a GET.
    @inlinable @inline(__always)
    static func plainHeader(_ start: UnsafeRawPointer, from: Int, available: Int) -> (value: Int, cr: Int)? {
        if from >= available { return nil }
        let first = start.load(fromByteOffset: from, as: UInt8.self) &- 0x31
        if first > 8 { return nil }
        var value = Int(first) + 1
        var i = from + 1
        while i < available && i - from <= 9 {
            let c = start.load(fromByteOffset: i, as: UInt8.self)
            if c == 0x0D { return i + 1 < available ? (value, i) : nil }
            let d = c &- 0x30
            if d > 9 { return nil }
            value = value &* 10 &+ Int(d)
            i += 1
        }
        return nil
    }

    @usableFromInline mutating func reset(_ error: ProtocolError) -> Result {
        announced = 0; cursor = 0; bulkLength = -1; argumentCount = 0
        return .error(error)
    }

    @inlinable @inline(__always)
    func findCR(_ start: UnsafeRawPointer, from: Int, to: Int) -> Int? {
        guard let hit = memchr(start + from, 0x0D, to - from) else { return nil }
        return UnsafeRawPointer(hit) - start
    }

    func hasNul(_ start: UnsafeRawPointer, from: Int, to: Int) -> Bool {
        to > from && memchr(start + from, 0, to - from) != nil
    }

    // MARK: inline commands

    mutating func parseInline(_ start: UnsafeRawPointer, _ available: Int) -> Result {
        // Redis looks for the newline with strchr: a NUL before it hides it.
        guard let hit = memchr(start, 0x0A, available), !hasNul(start, from: 0, to: UnsafeRawPointer(hit) - start) else {
            return available > ProtocolLimits.maxInlineSize ? .error(.tooBigInline) : .incomplete(expected: 0)
        }
        let newline = UnsafeRawPointer(hit) - start
        var lineEnd = newline
        if lineEnd > 0 && start.load(fromByteOffset: lineEnd - 1, as: UInt8.self) == 0x0D { lineEnd -= 1 }
        if scratchCapacity < lineEnd + 1 {
            scratch.deallocate()
            scratchCapacity = max(lineEnd + 1, scratchCapacity * 2)
            scratch = .allocate(byteCount: scratchCapacity, alignment: 8)
        }
        argumentCount = 0
        argumentsInScratch = true
        if !splitInline(UnsafeRawBufferPointer(start: start, count: lineEnd)) {
            argumentCount = 0
            return .error(.unbalancedQuotes)
        }
        if argumentCount == 0 { return .skip(length: newline + 1) }
        return .request(length: newline + 1)
    }

    /// Splits a line into arguments the way redis-cli and Redis's inline
    /// parser do: blanks separate, "double quotes" understand \n \r \t \b \a
    /// \xHH and \<any>, 'single quotes' understand only \'. A closing quote
    /// must be followed by a blank or the end. A NUL byte ends the line.
    /// Returns false on unbalanced quotes.
    mutating func splitInline(_ line: UnsafeRawBufferPointer) -> Bool {
        let n = line.count
        var p = 0
        var out = 0
        @inline(__always) func at(_ i: Int) -> UInt8 { i < n ? line[i] : 0 }
        @inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }
        while true {
            while p < n && line[p] != 0 && isSpace(line[p]) { p += 1 }
            if at(p) == 0 { return true }
            var inDouble = false, inSingle = false, done = false
            let argStart = out
            while !done {
                let c = at(p)
                if inDouble {
                    if c == 0x5C && at(p + 1) == 0x78 && Self.isHex(at(p + 2)) && Self.isHex(at(p + 3)) {
                        scratch.storeBytes(of: Self.hexValue(at(p + 2)) << 4 | Self.hexValue(at(p + 3)), toByteOffset: out, as: UInt8.self)
                        out += 1; p += 3
                    } else if c == 0x5C && at(p + 1) != 0 {
                        p += 1
                        let e = at(p)
                        let decoded: UInt8
                        switch e {
                        case 0x6E: decoded = 0x0A  // n
                        case 0x72: decoded = 0x0D  // r
                        case 0x74: decoded = 0x09  // t
                        case 0x62: decoded = 0x08  // b
                        case 0x61: decoded = 0x07  // a
                        default: decoded = e
                        }
                        scratch.storeBytes(of: decoded, toByteOffset: out, as: UInt8.self); out += 1
                    } else if c == 0x22 {
                        if at(p + 1) != 0 && !isSpace(at(p + 1)) { return false }
                        done = true
                    } else if c == 0 {
                        return false
                    } else {
                        scratch.storeBytes(of: c, toByteOffset: out, as: UInt8.self); out += 1
                    }
                } else if inSingle {
                    if c == 0x5C && at(p + 1) == 0x27 {
                        p += 1
                        scratch.storeBytes(of: 0x27 as UInt8, toByteOffset: out, as: UInt8.self); out += 1
                    } else if c == 0x27 {
                        if at(p + 1) != 0 && !isSpace(at(p + 1)) { return false }
                        done = true
                    } else if c == 0 {
                        return false
                    } else {
                        scratch.storeBytes(of: c, toByteOffset: out, as: UInt8.self); out += 1
                    }
                } else {
                    switch c {
                    case 0x20, 0x0A, 0x0D, 0x09, 0x00: done = true
                    case 0x22: inDouble = true
                    case 0x27: inSingle = true
                    default: scratch.storeBytes(of: c, toByteOffset: out, as: UInt8.self); out += 1
                    }
                }
                if at(p) != 0 { p += 1 }
            }
            addSpan(argStart, out - argStart)
        }
    }

    /// Splits one line with Redis's `sdssplitargs` rules (the ones inline
    /// commands, redis.conf lines and redis-cli input share); nil for
    /// unbalanced quotes. Uses the inline parser itself, so the rules live
    /// in one place.
    public static func splitArguments(_ line: [UInt8]) -> [[UInt8]]? {
        var parser = RequestParser()
        defer { parser.deallocate() }
        if parser.scratchCapacity < line.count + 1 {
            parser.scratch.deallocate()
            parser.scratchCapacity = line.count + 1
            parser.scratch = .allocate(byteCount: parser.scratchCapacity, alignment: 8)
        }
        let ok = line.withUnsafeBytes { parser.splitInline($0) }
        guard ok else { return nil }
        let args = parser.arguments(in: UnsafeRawPointer(parser.scratch))
        return (0..<args.count).map { Array(args[$0]) }
    }

    static func isHex(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
    }

    static func hexValue(_ c: UInt8) -> UInt8 {
        if c >= 0x30 && c <= 0x39 { return c - 0x30 }
        if c >= 0x61 && c <= 0x66 { return c - 0x61 + 10 }
        return c - 0x41 + 10
    }
}

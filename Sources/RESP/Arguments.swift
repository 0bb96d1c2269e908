/// The argument vector of one request: views into the connection's input
/// buffer (or, for inline commands, into a scratch buffer). No argument is
/// ever copied into its own allocation.
///
/// Invariant: the views are valid only until the request has been executed;
/// the input buffer may move before the next request is parsed.
public struct Arguments {
    @usableFromInline var base: UnsafeRawPointer
    @usableFromInline var spans: UnsafeMutablePointer<Span>
    public var count: Int

    public struct Span {
        public var offset: Int
        public var length: Int
        @inlinable public init(offset: Int, length: Int) { self.offset = offset; self.length = length }
    }

    @inlinable
    public init(base: UnsafeRawPointer, spans: UnsafeMutablePointer<Span>, count: Int) {
        self.base = base; self.spans = spans; self.count = count
    }

    @inlinable @inline(__always)
    public subscript(_ i: Int) -> UnsafeRawBufferPointer {
        let s = spans[i]
        return UnsafeRawBufferPointer(start: base + s.offset, count: s.length)
    }

    /// Arguments `from..<count` as a new vector (shares storage).
    @inlinable
    public func dropFirst(_ n: Int) -> Arguments {
        Arguments(base: base, spans: spans + n, count: count - n)
    }

    public func string(_ i: Int) -> String {
        String(decoding: self[i], as: UTF8.self)
    }

    /// All arguments copied out, for logs, SLOWLOG and the test fixture's command log.
    public func copyAll() -> [[UInt8]] {
        (0..<count).map { Array(self[$0]) }
    }
}

extension UnsafeRawBufferPointer {
    /// ASCII case-insensitive comparison with other bytes.
    public func equalsIgnoringCase(_ other: UnsafeRawBufferPointer) -> Bool {
        count == other.count && zip(self, other).allSatisfy { a, b in
            (a >= 0x41 && a <= 0x5A ? a | 0x20 : a) == (b >= 0x41 && b <= 0x5A ? b | 0x20 : b)
        }
    }

    /// ASCII case-insensitive comparison with a lowercase literal (`"ex"`, `"nx"`).
    @inlinable
    public func equalsIgnoringCase(_ lowercase: StaticString) -> Bool {
        let n = lowercase.utf8CodeUnitCount
        if count != n { return false }
        let q = lowercase.utf8Start
        for i in 0..<n {
            var c = self[i]
            if c >= 0x41 && c <= 0x5A { c |= 0x20 }
            if c != q[i] { return false }
        }
        return true
    }

    @inlinable
    public func equals(_ other: UnsafeRawBufferPointer) -> Bool {
        count == other.count && (count == 0 || memcmp(baseAddress!, other.baseAddress!, count) == 0)
    }

    public var lowercasedString: String {
        String(decoding: self.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    public var string: String { String(decoding: self, as: UTF8.self) }
}

#if canImport(Glibc)
import Glibc
#endif

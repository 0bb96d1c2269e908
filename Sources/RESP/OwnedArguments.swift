/// An argument vector that owns its bytes: one contiguous buffer plus the
/// spans of each argument. Used where a request must outlive the input
/// buffer it was parsed from (commands queued by MULTI) or never had one
/// (in-process calls). Not for the per-request hot path.
public struct OwnedArguments {
    @usableFromInline var bytes: [UInt8]
    @usableFromInline var spans: [Arguments.Span]

    public init(_ arguments: [[UInt8]]) {
        bytes = []
        spans = []
        spans.reserveCapacity(arguments.count)
        for a in arguments {
            spans.append(Arguments.Span(offset: bytes.count, length: a.count))
            bytes += a
        }
    }

    public init(copying arguments: Arguments) {
        bytes = []
        spans = []
        spans.reserveCapacity(arguments.count)
        // One allocation for the bytes, not one per doubling (queueing
        // inside MULTI copies every command this way).
        var total = 0
        for i in 0..<arguments.count { total += arguments[i].count }
        bytes.reserveCapacity(total)
        for i in 0..<arguments.count {
            let a = arguments[i]
            spans.append(Arguments.Span(offset: bytes.count, length: a.count))
            bytes.append(contentsOf: a)
        }
    }

    /// No arguments yet, room for `count` of `bytes` bytes in all.
    public init(reservingCapacity count: Int, bytes total: Int) {
        bytes = []
        spans = []
        spans.reserveCapacity(count)
        bytes.reserveCapacity(total)
    }

    public mutating func append(_ argument: UnsafeRawBufferPointer) {
        spans.append(Arguments.Span(offset: bytes.count, length: argument.count))
        bytes.append(contentsOf: argument)
    }

    public var count: Int { spans.count }

    /// Bytes held (for `multi-mem=` and memory accounting).
    public var byteCount: Int { bytes.count + spans.count * MemoryLayout<Arguments.Span>.stride }

    /// Calls `body` with a view of the arguments, valid only during the call.
    public mutating func withArguments<R>(_ body: (Arguments) throws -> R) rethrows -> R {
        // An empty buffer has no base address; one spare byte gives it one.
        if bytes.isEmpty { bytes = [0] }
        let count = spans.count
        return try bytes.withUnsafeBytes { raw in
            try spans.withUnsafeMutableBufferPointer { s in
                try body(Arguments(base: raw.baseAddress!, spans: s.baseAddress!, count: count))
            }
        }
    }
}

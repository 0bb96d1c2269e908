import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// The bytes a connection will send, and the writer of RESP2/RESP3 frames into them.
///
/// One instance lives as long as its connection; commands append replies, the
/// event loop drains `[sent, count)` to the socket. It is a class so that the
/// networking layer and the command layer can share it without copying, and it
/// is only ever touched by the connection's own event loop thread.
///
/// The stored properties are `@exclusivity(unchecked)`: only one thread
/// touches them and no access overlaps another, and the dynamic checks cost
/// about 14% of server CPU in a GET profile (swift_beginAccess). Swift honours
/// that attribute only in code compiled from this module, so other modules
/// reach each field through an `@inlinable` accessor defined here (`_count`
/// behind `count`); the same pattern is used by `Client`, `LoopContext`,
/// `Connection` and `Shard` for their hot fields.
public final class ReplyBuffer {
    /// Start of the allocation. Never nil once initialised.
    @exclusivity(unchecked) @usableFromInline var _base: UnsafeMutableRawPointer
    @inlinable public var base: UnsafeMutableRawPointer { _base }
    @exclusivity(unchecked) @usableFromInline var _capacity: Int
    @inlinable public var capacity: Int { _capacity }
    /// Bytes written so far. Invariant: `sent <= count <= capacity`.
    @exclusivity(unchecked) @usableFromInline var _count: Int = 0
    @inlinable public var count: Int {
        @inline(__always) get { _count }
        @inline(__always) set { _count = newValue }
    }
    /// Bytes already handed to the socket.
    @exclusivity(unchecked) @usableFromInline var _sent: Int = 0
    @inlinable public var sent: Int {
        @inline(__always) get { _sent }
        @inline(__always) set { _sent = newValue }
    }
    /// 2 or 3: selects the encoding of maps, sets, nulls, doubles and pushes.
    @exclusivity(unchecked) @usableFromInline var _protocolVersion: Int = 2
    @inlinable public var protocolVersion: Int {
        @inline(__always) get { _protocolVersion }
        @inline(__always) set { _protocolVersion = newValue }
    }
    /// When > 0, replies are being discarded (CLIENT REPLY OFF/SKIP); writes are dropped.
    @exclusivity(unchecked) @usableFromInline var _muted: Bool = false
    @inlinable public var muted: Bool {
        @inline(__always) get { _muted }
        @inline(__always) set { _muted = newValue }
    }

    public static let initialCapacity = 16 * 1024

    public init(capacity: Int = ReplyBuffer.initialCapacity) {
        self._capacity = capacity
        self._base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    @inlinable public var pending: Int { count - sent }
    @inlinable public var isResp3: Bool { protocolVersion == 3 }

    /// Drops bytes already sent and, when the buffer grew large and is now
    /// empty, gives memory back.
    public func compact() {
        if sent == count {
            sent = 0; count = 0
            if capacity > 2 * ReplyBuffer.initialCapacity { shrink(to: ReplyBuffer.initialCapacity) }
        } else if sent > 0 && sent >= capacity / 2 {
            (base + 0).copyMemory(from: base + sent, byteCount: count - sent)
            count -= sent; sent = 0
        }
    }

    private func shrink(to newCapacity: Int) {
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        base.deallocate()
        _base = fresh; _capacity = newCapacity
    }

    @usableFromInline func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity - count < needed { newCapacity *= 2 }
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        fresh.copyMemory(from: base, byteCount: count)
        base.deallocate()
        _base = fresh; _capacity = newCapacity
    }

    @inlinable @inline(__always)
    public func reserve(_ n: Int) {
        if capacity - count < n { grow(n) }
    }

    // MARK: raw appends

    @inlinable @inline(__always)
    public func append(_ byte: UInt8) {
        if muted { return }
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inlinable
    public func append(_ bytes: UnsafeRawBufferPointer) {
        if muted || bytes.count == 0 { return }
        reserve(bytes.count)
        (base + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    @inlinable
    public func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    // The String overloads are disfavoured so that a literal picks the
    // StaticString one: preferring String cost a retain/release pair (and
    // a call) for every `$-1` null reply.
    @_disfavoredOverload
    public func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    @inlinable @inline(__always)
    func appendCRLF() {
        reserve(2)
        base.storeBytes(of: 0x0A0D as UInt16, toByteOffset: count, as: UInt16.self)
        count += 2
    }

    /// Appends the decimal digits of `value`.
    @inlinable
    public func appendDecimal(_ value: Int) {
        if muted { return }
        reserve(21)
        count += Decimal.write(value, to: base + count)
    }

    /// Appends `value` as `%.2f`.
    public func appendFixed2(_ value: Double) {
        if muted { return }
        DoubleFormat.withFixed2Text(value) { append($0) }
    }

    // MARK: frames

    /// `+text\r\n`
    @inlinable public func simple(_ text: StaticString) {
        if muted { return }
        let n = text.utf8CodeUnitCount
        reserve(n + 3)
        let p = base + count
        p.storeBytes(of: 0x2B, as: UInt8.self)
        (p + 1).copyMemory(from: text.utf8Start, byteCount: n)
        (p + 1 + n).storeBytes(of: 0x0A0D as UInt16, as: UInt16.self)
        count += n + 3
    }

    @_disfavoredOverload
    public func simple(_ text: String) {
        if muted { return }
        append(0x2B); append(text); appendCRLF()
    }

    /// `+OK\r\n`, the reply of most writes: two stores.
    @inlinable public func ok() {
        if muted { return }
        reserve(5)
        let p = base + count
        p.storeBytes(of: 0x0D4B_4F2B as UInt32, as: UInt32.self)  // "+OK\r", little-endian
        (p + 4).storeBytes(of: 0x0A as UInt8, as: UInt8.self)
        count += 5
    }

    /// An error reply. `message` carries its own code (`ERR ...`, `WRONGTYPE ...`).
    @_disfavoredOverload
    public func error(_ message: String) {
        if muted { return }
        append(0x2D); append(message); appendCRLF()
    }

    @inlinable public func error(_ message: StaticString) {
        if muted { return }
        append(0x2D); append(message); appendCRLF()
    }

    /// `:n\r\n`
    @inlinable public func integer(_ value: Int) {
        if muted { return }
        header(0x3A, value)
    }

    @inlinable func header(_ marker: UInt8, _ n: Int) {
        reserve(24)
        count += ReplyBuffer.writeHeader(marker, n, at: base + count)
    }

    /// Writes `<marker><n>\r\n` at `p` (room for 24 bytes) and returns its
    /// length. The frame writers keep the position in a local and store
    /// `count` once: each store to the class's field is a memory round trip.
    @inlinable @inline(__always)
    static func writeHeader(_ marker: UInt8, _ n: Int, at p: UnsafeMutableRawPointer) -> Int {
        p.storeBytes(of: marker, as: UInt8.self)
        let end = 1 + Decimal.write(n, to: p + 1)
        (p + end).storeBytes(of: 0x0A0D as UInt16, as: UInt16.self)
        return end + 2
    }

    /// `$len\r\nbytes\r\n`
    @inlinable public func bulk(_ bytes: UnsafeRawBufferPointer) {
        if muted { return }
        let n = bytes.count
        reserve(n + 24)
        let p = base + count
        let at = ReplyBuffer.writeHeader(0x24, n, at: p)
        if n > 0 { (p + at).copyMemory(from: bytes.baseAddress!, byteCount: n) }
        (p + at + n).storeBytes(of: 0x0A0D as UInt16, as: UInt16.self)
        count += at + n + 2
    }

    @_disfavoredOverload
    public func bulk(_ text: String) {
        var text = text
        text.withUTF8 { bulk(UnsafeRawBufferPointer($0)) }
    }

    public func bulk(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { bulk($0) }
    }

    @inlinable public func bulk(_ text: StaticString) {
        bulk(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// A bulk string holding the decimal form of `value` (used where Redis replies
    /// with a string that happens to be a number, e.g. INCRBYFLOAT or CONFIG GET).
    public func bulkDecimal(_ value: Int) {
        if muted { return }
        var digits = (0 as UInt64, 0 as UInt64, 0 as UInt64)
        let n = withUnsafeMutableBytes(of: &digits) { Decimal.write(value, to: $0.baseAddress!) }
        withUnsafeBytes(of: &digits) { bulk(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    /// The null reply: `$-1` in RESP2, `_` in RESP3.
    @inlinable public func null() {
        if muted { return }
        if protocolVersion == 3 { append("_\r\n") } else { append("$-1\r\n") }
    }

    /// The null array: `*-1` in RESP2, `_` in RESP3.
    public func nullArray() {
        if muted { return }
        if protocolVersion == 3 { append("_\r\n") } else { append("*-1\r\n") }
    }

    @inlinable public func array(_ n: Int) {
        if muted { return }
        header(0x2A, n)
    }

    /// Starts an array whose length is known only once its elements are
    /// written (Redis's deferred length): append the elements, then
    /// `endDeferredArray(mark, count:)` puts the header in front of them.
    /// The mark is a byte offset, valid within one command (nothing is
    /// sent or compacted while a command runs).
    @inlinable public func beginDeferredArray() -> Int { count }

    /// Inserts the `*n` header at `mark`, moving the `count - mark` bytes
    /// written since (a few hundred for a short range) to make room.
    public func endDeferredArray(_ mark: Int, count n: Int) {
        if muted { return }
        insertHeader(at: mark, 0x2A, n, then: "")
    }

    /// Starts a verbatim string whose text is not known up front (INFO,
    /// CLIENT LIST): append the text with the raw appends, then
    /// `endDeferredVerbatim(mark)` puts the header in front and ends it.
    /// Written in place, the text needs no String of its own. The mark has
    /// the same lifetime as `beginDeferredArray`'s.
    @inlinable public func beginDeferredVerbatim() -> Int { count }

    /// Inserts `=len\r\ntxt:` (RESP3) or `$len\r\n` (RESP2) at `mark`
    /// and closes the string with `\r\n`.
    public func endDeferredVerbatim(_ mark: Int) {
        if muted { return }
        let length = count - mark
        if protocolVersion == 3 {
            insertHeader(at: mark, 0x3D, length + 4, then: "txt:")
        } else {
            insertHeader(at: mark, 0x24, length, then: "")
        }
        appendCRLF()
    }

    /// Moves the bytes written since `mark` to make room for a `marker n`
    /// header followed by `suffix`, and writes them there.
    func insertHeader(at mark: Int, _ marker: UInt8, _ n: Int, then suffix: StaticString) {
        let headerLength = 1 + Decimal.length(n) + 2 + suffix.utf8CodeUnitCount
        reserve(headerLength)
        memmove(base + mark + headerLength, base + mark, count - mark)
        let end = count + headerLength
        count = mark
        header(marker, n)
        append(suffix)
        count = end
    }

    /// A map of `n` pairs: `%n` in RESP3, a flat array of 2n in RESP2.
    public func map(_ n: Int) {
        if muted { return }
        if protocolVersion == 3 { header(0x25, n) } else { header(0x2A, n * 2) }
    }

    /// A set: `~n` in RESP3, an array in RESP2.
    public func set(_ n: Int) {
        if muted { return }
        header(protocolVersion == 3 ? 0x7E : 0x2A, n)
    }

    /// A push frame: `>n` in RESP3, an array in RESP2.
    public func push(_ n: Int) {
        if muted { return }
        header(protocolVersion == 3 ? 0x3E : 0x2A, n)
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    public func boolean(_ value: Bool) {
        if muted { return }
        if protocolVersion == 3 { append(value ? "#t\r\n" : "#f\r\n") } else { integer(value ? 1 : 0) }
    }

    /// A double: `,x` in RESP3, a bulk string in RESP2. Formatted as Redis does (%.17g).
    public func double(_ value: Double) {
        if muted { return }
        if let integral = DoubleFormat.integralText(value) {
            // The usual score: its digits, written in place (the generic path
            // through a stack buffer and two closures cost ~300 instructions).
            reserve(48)
            if protocolVersion == 3 {
                base.storeBytes(of: 0x2C as UInt8, toByteOffset: count, as: UInt8.self)
                count += 1
            } else {
                header(0x24, Decimal.length(integral))
            }
            count += Decimal.write(integral, to: base + count)
            appendCRLF()
            return
        }
        DoubleFormat.withText(value) { doubleText($0) }
    }

    /// A double already formatted: `,text` in RESP3, a bulk string in RESP2.
    public func doubleText(_ text: UnsafeRawBufferPointer) {
        if muted { return }
        if protocolVersion == 3 { append(0x2C); append(text); appendCRLF() } else { bulk(text) }
    }

    /// A verbatim string (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2.
    public func verbatim(_ text: String, format: StaticString = "txt") {
        if muted { return }
        if protocolVersion == 3 {
            var text = text
            text.withUTF8 { utf8 in
                header(0x3D, utf8.count + 4)
                append(format); append(0x3A)
                append(UnsafeRawBufferPointer(utf8))
                appendCRLF()
            }
        } else {
            bulk(text)
        }
    }
}

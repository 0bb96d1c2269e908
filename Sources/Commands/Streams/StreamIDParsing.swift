import RESP
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// Stream ID arguments as Redis's `streamGenericParseIDOrReply` reads them:
/// `ms-seq`, `ms` (the sequence then defaults), `-` and `+` where allowed,
/// and for XADD `ms-*` (sequence chosen by the server).
enum StreamIDArgument {
    static let invalid = "ERR Invalid stream ID specified as stream command argument"

    /// Redis's `string2ull`: a plain decimal, or what strtoull accepts whole.
    static func unsigned(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        if let v = Decimal.parse(bytes) { return v >= 0 ? UInt64(v) : nil }
        if bytes.isEmpty || bytes.contains(0) { return nil }
        var text = Array(bytes)
        text.append(0)
        return text.withUnsafeBufferPointer { p -> UInt64? in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { s in
                var end: UnsafeMutablePointer<CChar>? = nil
                errno = 0
                let v = strtoull(s, &end, 10)
                if errno == EINVAL || errno == ERANGE || end!.pointee != 0 { return nil }
                return UInt64(v)
            }
        }
    }

    /// Parses an ID; `strict` refuses `-` and `+`; `allowAutoSequence`
    /// accepts `ms-*` (then `sequenceGiven` is false).
    static func parse(_ bytes: UnsafeRawBufferPointer, missingSequence: UInt64, strict: Bool,
                      allowAutoSequence: Bool = false) -> (id: StreamID, sequenceGiven: Bool)? {
        if bytes.count > 127 { return nil }
        if bytes.count == 1 && (bytes[0] == 0x2D || bytes[0] == 0x2B) {
            if strict { return nil }
            return (bytes[0] == 0x2D ? .zero : .max, true)
        }
        guard let dash = bytes.firstIndex(of: 0x2D) else {
            guard let ms = unsigned(bytes) else { return nil }
            return (StreamID(ms: ms, seq: missingSequence), true)
        }
        guard let ms = unsigned(UnsafeRawBufferPointer(rebasing: bytes[..<dash])) else { return nil }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[(dash + 1)...])
        if allowAutoSequence && rest.count == 1 && rest[0] == 0x2A { return (StreamID(ms: ms, seq: 0), false) }
        guard let seq = unsigned(rest) else { return nil }
        return (StreamID(ms: ms, seq: seq), true)
    }

    /// Writes `v` in decimal at `p`; returns the length.
    static func writeDecimal(_ v: UInt64, to p: UnsafeMutableRawPointer) -> Int {
        var digits = 1, t = v
        while t >= 10 { t /= 10; digits += 1 }
        var x = v
        for i in stride(from: digits - 1, through: 0, by: -1) {
            p.storeBytes(of: UInt8(48 + x % 10), toByteOffset: i, as: UInt8.self)
            x /= 10
        }
        return digits
    }

    /// A strict ID or the error reply.
    static func strict(_ c: Client, _ bytes: UnsafeRawBufferPointer) -> StreamID? {
        guard let r = parse(bytes, missingSequence: 0, strict: true) else { c.fail(invalid); return nil }
        return r.id
    }
}

/// Entries copied out of a stream (a reply may be written after the
/// shard lock is released, or for several streams).
typealias StreamEntries = [(id: StreamID, strings: [[UInt8]])]

extension StreamValue {
    /// Up to `count` (-1 or 0: all) live entries in `from…to`.
    func entries(from: StreamID, to: StreamID, reverse: Bool = false, count: Int) -> StreamEntries {
        var out: StreamEntries = []
        forEach(from: from, to: to, reverse: reverse) { id, fields in
            var strings: [[UInt8]] = []
            fields.forEach { strings.append(Array($0)) }
            out.append((id, strings))
            return count <= 0 || out.count < count
        }
        return out
    }
}

extension Client {
    /// Replies with `ms-seq` as a bulk string, formatted in place.
    func replyStreamID(_ id: StreamID) {
        withUnsafeTemporaryAllocation(byteCount: 48, alignment: 1) { buffer in
            let p = buffer.baseAddress!
            var n = StreamIDArgument.writeDecimal(id.ms, to: p)
            p.storeBytes(of: 0x2D, toByteOffset: n, as: UInt8.self)
            n += 1
            n += StreamIDArgument.writeDecimal(id.seq, to: p + n)
            reply.bulk(UnsafeRawBufferPointer(start: p, count: n))
        }
    }

    /// Replies with entries, each `[id, [field, value, ...]]` (`counted`:
    /// preceded by the array header).
    func replyStreamEntries(_ entries: StreamEntries, counted: Bool = true) {
        if counted { reply.array(entries.count) }
        for (id, strings) in entries {
            reply.array(2)
            replyStreamID(id)
            reply.array(strings.count)
            for s in strings { reply.bulk(s) }
        }
    }

    /// Replies with up to `count` (0 or less: all) live entries in
    /// `from…to`, as `replyStreamEntries` would, straight from the stream's
    /// nodes (shard locked): nothing is copied, and the array's length is
    /// filled in once the entries are written.
    func replyStreamRange(_ s: StreamValue, from: StreamID, to: StreamID, reverse: Bool = false, count: Int) {
        let mark = reply.beginDeferredArray()
        var written = 0
        s.forEach(from: from, to: to, reverse: reverse) { id, fields in
            reply.array(2)
            replyStreamID(id)
            reply.array(fields.count)
            fields.forEach { reply.bulk($0) }
            written += 1
            return count <= 0 || written < count
        }
        reply.endDeferredArray(mark, count: written)
    }

    /// XDEL/XTRIM: runs `body` on the stream at `key` (nil: it replied an
    /// error) and replies with the entries it removed, firing `event` when any.
    func removeStreamEntries(_ key: UnsafeRawBufferPointer, event: String, _ body: (StreamView) -> Int?) {
        let found = writeValue(key, as: StreamView.self, create: false) { v, k in
            guard let removed = body(v) else { return }
            if removed > 0 {
                keyModified(k)
                keyspaceEvent(.stream, event, key)
                dirty(removed)
            }
            reply.integer(removed)
        }
        if found == .missing { reply.integer(0) }
    }
}

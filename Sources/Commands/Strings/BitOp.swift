import RESP
import Storage

/// `BITOP <AND | OR | XOR | NOT> destkey key [key ...]`
///
/// Combines the source strings byte by byte into `destkey`, as long as the
/// longest source (shorter ones and missing keys count as zero bytes), and
/// replies with that length. NOT takes exactly one source. An empty result
/// deletes `destkey`; otherwise it replaces whatever `destkey` held, TTL
/// included, with a raw string.
enum BitOpCommand {
    static let spec = CommandSpec(
        "bitop", arity: -4, flags: [.write, .denyoom], acl: ["@write", "@bitmap", "@slow"], keys: (2, -1, 1),
        group: "bitmap", since: "2.6.0", summary: "Perform bitwise operations between strings", complexity: "O(N)",
        arguments: [ArgumentSpec("operation", .string), ArgumentSpec("destkey", .key, keySpecIndex: 0),
                    ArgumentSpec("key", .key, multiple: true, keySpecIndex: 1)],
        handler: run)

    enum Operation { case and, or, xor, not }

    static func run(_ c: Client, _ args: Arguments) {
        let op: Operation
        if args[1].equalsIgnoringCase("and") { op = .and }
        else if args[1].equalsIgnoringCase("or") { op = .or }
        else if args[1].equalsIgnoringCase("xor") { op = .xor }
        else if args[1].equalsIgnoringCase("not") { op = .not }
        else { c.fail(Errors.syntax); return }
        if op == .not && args.count != 4 { c.fail("ERR BITOP NOT must be called with a single source key."); return }
        c.withKeys(args, from: 2) { keys in
            // Every source is looked up (and type-checked) before anything is written.
            var sources: [UnsafeRawBufferPointer] = []
            sources.reserveCapacity(keys.count - 1)
            for i in 1..<keys.count {
                guard let e = keys.key(i, read: true).entry else {
                    sources.append(UnsafeRawBufferPointer(start: nil, count: 0))
                    continue
                }
                if e.type != .string { c.fail(Errors.wrongType); return }
                sources.append(e.value)
            }
            let result = combine(op, sources)
            var destination = keys.key(0)
            if !result.isEmpty {
                result.withUnsafeBytes { destination.storeString($0, encoding: .raw, expiry: .clear, lru: c.lruClock) }
                c.keyModified(destination)
                c.keyspaceEvent(.string, "set", args[2])
                c.dirty()
            } else if destination.delete() {
                c.keyModified(destination)
                c.keyspaceEvent(.generic, "del", args[2])
                c.dirty()
            }
            c.reply.integer(result.count)
        }
    }

    /// The sources combined; bytes past the end of a source count as zero.
    static func combine(_ op: Operation, _ sources: [UnsafeRawBufferPointer]) -> [UInt8] {
        let length = sources.reduce(0) { max($0, $1.count) }
        guard length > 0 else { return [] }
        var result = [UInt8](repeating: 0, count: length)
        result.withUnsafeMutableBytes { out in
            if let first = sources[0].baseAddress { out.baseAddress!.copyMemory(from: first, byteCount: sources[0].count) }
            switch op {
            case .not: apply(out, out.count, UnsafeRawPointer(out.baseAddress!), { a, _ in ~a }, { a, _ in ~a })
            case .and:
                for source in sources.dropFirst() {
                    apply(out, source.count, source.baseAddress, { $0 & $1 }, { $0 & $1 })
                    // Past this source's end it contributes zeros.
                    (out.baseAddress! + source.count).initializeMemory(as: UInt8.self, repeating: 0, count: length - source.count)
                }
            case .or:
                for source in sources.dropFirst() { apply(out, source.count, source.baseAddress, { $0 | $1 }, { $0 | $1 }) }
            case .xor:
                for source in sources.dropFirst() { apply(out, source.count, source.baseAddress, { $0 ^ $1 }, { $0 ^ $1 }) }
            }
        }
        return result
    }

    /// `out[i] = f(out[i], source[i])` for the first `count` bytes, eight at a time.
    @inline(__always)
    static func apply(_ out: UnsafeMutableRawBufferPointer, _ count: Int, _ source: UnsafeRawPointer?,
                      _ word: (UInt64, UInt64) -> UInt64, _ byte: (UInt8, UInt8) -> UInt8) {
        guard let source, count > 0 else { return }
        let target = out.baseAddress!
        var i = 0
        while i + 8 <= count {
            let combined = word(target.loadUnaligned(fromByteOffset: i, as: UInt64.self),
                                source.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            target.storeBytes(of: combined, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < count {
            target.storeBytes(of: byte(target.load(fromByteOffset: i, as: UInt8.self), source.load(fromByteOffset: i, as: UInt8.self)),
                              toByteOffset: i, as: UInt8.self)
            i += 1
        }
    }
}

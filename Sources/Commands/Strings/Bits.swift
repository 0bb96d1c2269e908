import RESP
import Storage

/// Bitmaps: `GETBIT`, `SETBIT` and `BITCOUNT`, over string values. Bit 0 is
/// the most significant bit of the first byte, as in Redis.
enum BitCommands {
    static let getbit = CommandSpec(
        "getbit", arity: 3, flags: [.readonly, .fast], acl: ["@read", "@bitmap", "@fast"], keys: (1, 1, 1),
        group: "bitmap", since: "2.2.0", summary: "Returns the bit value at offset in the string value stored at key",
        complexity: "O(1)",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("offset", .integer)], handler: getbitRun)

    static let setbit = CommandSpec(
        "setbit", arity: 4, flags: [.write, .denyoom], acl: ["@write", "@bitmap", "@slow"], keys: (1, 1, 1),
        group: "bitmap", since: "2.2.0", summary: "Sets or clears the bit at offset in the string value stored at key",
        complexity: "O(1)",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("offset", .integer), ArgumentSpec("value", .integer)],
        handler: setbitRun)

    static let bitcount = CommandSpec(
        "bitcount", arity: -2, flags: [.readonly], acl: ["@read", "@bitmap", "@slow"], keys: (1, 1, 1),
        group: "bitmap", since: "2.6.0", summary: "Count set bits in a string", complexity: "O(N)",
        arguments: [
            ArgumentSpec("key", .key, keySpecIndex: 0),
            ArgumentSpec("index", .block, optional: true, children: [
                ArgumentSpec("start", .integer), ArgumentSpec("end", .integer),
                ArgumentSpec("index_unit", .oneof, optional: true, since: "7.0.0", children: [
                    ArgumentSpec("byte", .pureToken, token: "BYTE"), ArgumentSpec("bit", .pureToken, token: "BIT")]),
            ]),
        ], handler: bitcountRun)

    /// A bit offset, Redis's `getBitOffsetFromArgument`: an integer from 0 to
    /// below proto-max-bulk-len bytes' worth of bits.
    static func offset(_ c: Client, _ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let v = Decimal.parse(bytes), v >= 0, v >> 3 < c.server.config.protoMaxBulkLen else {
            c.fail("ERR bit offset is not an integer or out of range")
            return nil
        }
        return v
    }

    /// `GETBIT key offset`: 0 past the end of the value or for a missing key.
    static func getbitRun(_ c: Client, _ args: Arguments) {
        guard let bit = offset(c, args[2]) else { return }
        c.withKey(args[1], read: true) { k in
            guard let e = k.entry else { c.reply.integer(0); return }
            if e.type != .string { c.fail(Errors.wrongType); return }
            let byte = bit >> 3
            let set = byte < e.valueLength && (e.valueStart.load(fromByteOffset: byte, as: UInt8.self) >> UInt8(7 - bit & 7)) & 1 == 1
            c.reply.integer(set ? 1 : 0)
        }
    }

    /// `SETBIT key offset value`: replies with the bit's old value. The value
    /// grows with zero bytes to reach the offset. As in Redis 7.0, a call that
    /// neither creates, grows nor changes anything is not a write: no
    /// keyspace event, no invalidation.
    static func setbitRun(_ c: Client, _ args: Arguments) {
        guard let bit = offset(c, args[2]) else { return }
        guard let on = Decimal.parse(args[3]), on & ~1 == 0 else { c.fail("ERR bit is not an integer or out of range"); return }
        c.withKey(args[1]) { k in
            if let old = k.entry, old.type != .string { c.fail(Errors.wrongType); return }
            let created = k.slot == nil
            let needed = (bit >> 3) + 1
            let (e, oldLength) = k.growString(to: needed, lru: c.lruClock)
            let grew = created || oldLength < needed
            // Redis unshares the value first, which leaves it raw even when nothing changes.
            e.stringEncoding = .raw
            let byte = (e.valueStart + (bit >> 3)).assumingMemoryBound(to: UInt8.self)
            let mask = UInt8(1) << UInt8(7 - bit & 7)
            let was = byte.pointee & mask != 0
            if grew || was != (on == 1) {
                byte.pointee = on == 1 ? byte.pointee | mask : byte.pointee & ~mask
                c.dirty()
                c.keyModified(k)
                c.keyspaceEvent(.string, "setbit", args[1])
            }
            c.reply.integer(was ? 1 : 0)
        }
    }

    /// `BITCOUNT key [start end [BYTE | BIT]]`. As in Redis, the key is looked
    /// up before the range is parsed: a missing key counts 0 whatever follows.
    static func bitcountRun(_ c: Client, _ args: Arguments) {
        c.withKey(args[1], read: true) { k in
            guard let e = k.entry else { c.reply.integer(0); return }
            if e.type != .string { c.fail(Errors.wrongType); return }
            let length = e.valueLength
            var start = 0, end = length - 1
            var firstMask: UInt8 = 0, lastMask: UInt8 = 0
            if args.count == 4 || args.count == 5 {
                guard let s = c.integerArgument(args[2]), let t = c.integerArgument(args[3]) else { return }
                var inBits = false
                if args.count == 5 {
                    if args[4].equalsIgnoringCase("bit") { inBits = true }
                    else if !args[4].equalsIgnoringCase("byte") { c.fail(Errors.syntax); return }
                }
                let total = inBits ? length << 3 : length
                if s < 0 && t < 0 && s > t { c.reply.integer(0); return }
                start = s < 0 ? total + s : s
                end = t < 0 ? total + t : t
                if start < 0 { start = 0 }
                if end < 0 { end = 0 }
                if end >= total { end = total - 1 }
                if inBits && start <= end {
                    // Bits of the edge bytes that lie outside the range.
                    firstMask = ~((UInt8(1) << UInt8(8 - start & 7)) &- 1)
                    lastMask = (UInt8(1) << UInt8(7 - end & 7)) &- 1
                    start >>= 3
                    end >>= 3
                }
            } else if args.count != 2 {
                c.fail(Errors.syntax); return
            }
            if start > end { c.reply.integer(0); return }
            var count = 0
            let p = e.valueStart.assumingMemoryBound(to: UInt8.self)
            var i = start
            while i + 8 <= end + 1 {
                count += UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self).nonzeroBitCount
                i += 8
            }
            while i <= end { count += p[i].nonzeroBitCount; i += 1 }
            count -= (p[start] & firstMask).nonzeroBitCount + (p[end] & lastMask).nonzeroBitCount
            c.reply.integer(count)
        }
    }
}

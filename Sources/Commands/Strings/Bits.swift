import RESP
import Storage

/// Bitmaps: `GETBIT`, `SETBIT`, `BITCOUNT` and `BITPOS`, over string
/// values (BITOP and BITFIELD have files of their own). Bit 0 is
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
    /// below proto-max-bulk-len bytes' worth of bits. With a `width`
    /// (BITFIELD), `#n` means n fields of that width (multiplied as Redis's
    /// C does, wrapping).
    static func offset(_ c: Client, _ bytes: UnsafeRawBufferPointer, width: Int = 0) -> Int? {
        let counted = width > 0 && bytes.first == UInt8(ascii: "#")
        let digits = counted ? UnsafeRawBufferPointer(rebasing: bytes[1...]) : bytes
        guard let parsed = Decimal.parse(digits), case let v = counted ? parsed &* width : parsed,
              v >= 0, v >> 3 < c.server.config.protoMaxBulkLen else {
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
            guard let (e, oldLength) = k.growString(to: needed, lru: c.lruClock) else {
                c.fail("ERR bit offset is not an integer or out of range"); return
            }
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

    static let bitpos = CommandSpec(
        "bitpos", arity: -3, flags: [.readonly], acl: ["@read", "@bitmap", "@slow"], keys: (1, 1, 1),
        group: "bitmap", since: "2.8.7", summary: "Find first bit set or clear in a string", complexity: "O(N)",
        arguments: [
            ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("bit", .integer),
            ArgumentSpec("index", .block, optional: true, children: [
                ArgumentSpec("start", .integer),
                ArgumentSpec("end_index", .block, optional: true, children: [
                    ArgumentSpec("end", .integer),
                    ArgumentSpec("index_unit", .oneof, optional: true, since: "7.0.0", children: [
                        ArgumentSpec("byte", .pureToken, token: "BYTE"), ArgumentSpec("bit", .pureToken, token: "BIT")]),
                ]),
            ]),
        ], handler: bitposRun)

    /// `BITCOUNT key [start end [BYTE | BIT]]`. As in Redis, the key is looked
    /// up before the range is parsed: a missing key counts 0 whatever follows.
    static func bitcountRun(_ c: Client, _ args: Arguments) {
        c.withKey(args[1], read: true) { k in
            guard let e = k.entry else { c.reply.integer(0); return }
            if e.type != .string { c.fail(Errors.wrongType); return }
            var range = BitRange(wholeValueOf: e.valueLength)
            if args.count == 4 || args.count == 5 {
                guard let s = c.integerArgument(args[2]), let t = c.integerArgument(args[3]) else { return }
                // Checked before the unit: a reversed pair of negative indexes counts nothing.
                if s < 0 && t < 0 && s > t { c.reply.integer(0); return }
                guard let inBits = unit(c, args, at: 4) else { return }
                range = BitRange(start: s, end: t, length: e.valueLength, inBits: inBits)
            } else if args.count != 2 {
                c.fail(Errors.syntax); return
            }
            guard !range.isEmpty else { c.reply.integer(0); return }
            let p = e.valueStart.assumingMemoryBound(to: UInt8.self)
            let first = range.firstBit >> 3, last = range.lastBit >> 3
            var count = 0
            var i = first
            while i + 8 <= last + 1 {
                count += UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self).nonzeroBitCount
                i += 8
            }
            while i <= last { count += p[i].nonzeroBitCount; i += 1 }
            // Bits of the edge bytes that lie outside the range.
            let before = ~(UInt8.max >> UInt8(range.firstBit & 7)), after = UInt8.max >> UInt8(range.lastBit & 7 + 1)
            count -= (p[first] & before).nonzeroBitCount + (p[last] & after).nonzeroBitCount
            c.reply.integer(count)
        }
    }

    /// `BITPOS key bit [start [end [BYTE | BIT]]]`: the first bit equal to
    /// `bit` in the range. A missing key is all zeros (0 for a clear bit, -1
    /// for a set one, whatever follows). Without an explicit end the value
    /// counts as padded with zeros on the right, so a search for a clear bit
    /// in a run of ones ends just past the range; with one it fails (-1).
    static func bitposRun(_ c: Client, _ args: Arguments) {
        guard let wanted = c.integerArgument(args[2]) else { return }
        guard wanted == 0 || wanted == 1 else { c.fail("ERR The bit argument must be 1 or 0."); return }
        c.withKey(args[1], read: true) { k in
            guard let e = k.entry else { c.reply.integer(wanted == 1 ? -1 : 0); return }
            if e.type != .string { c.fail(Errors.wrongType); return }
            var range = BitRange(wholeValueOf: e.valueLength)
            let endGiven = args.count >= 5
            if args.count >= 4 && args.count <= 6 {
                // Redis's order: start, then the unit, then end.
                guard let s = c.integerArgument(args[3]), let inBits = unit(c, args, at: 5) else { return }
                var t = -1
                if endGiven { guard let given = c.integerArgument(args[4]) else { return }; t = given }
                range = BitRange(start: s, end: t, length: e.valueLength, inBits: inBits)
            } else if args.count != 3 {
                c.fail(Errors.syntax); return
            }
            guard !range.isEmpty else { c.reply.integer(-1); return }
            let p = UnsafeRawPointer(e.valueStart).assumingMemoryBound(to: UInt8.self)
            if let found = firstBit(equalTo: wanted == 1, in: p, from: range.firstBit, through: range.lastBit) {
                c.reply.integer(found)
            } else {
                c.reply.integer(wanted == 1 || endGiven ? -1 : range.lastBit + 1)
            }
        }
    }

    /// The optional `BYTE | BIT` argument at `index`: whether the range
    /// counts bits; nil after replying a syntax error.
    static func unit(_ c: Client, _ args: Arguments, at index: Int) -> Bool? {
        guard index < args.count else { return false }
        if args[index].equalsIgnoringCase("bit") { return true }
        if args[index].equalsIgnoringCase("byte") { return false }
        c.fail(Errors.syntax)
        return nil
    }

    /// The position of the first bit equal to `set` among bits
    /// `from...through` of `p` (bit 0 is the first byte's high bit).
    static func firstBit(equalTo set: Bool, in p: UnsafePointer<UInt8>, from: Int, through: Int) -> Int? {
        @inline(__always) func bit(_ i: Int) -> Bool { (p[i >> 3] << UInt8(i & 7)) & 0x80 != 0 }
        var i = from
        while i <= through && i & 7 != 0 {
            if bit(i) == set { return i }
            i += 1
        }
        // Whole bytes: skip words, then bytes, that hold no wanted bit.
        var byte = i >> 3
        let end = (through + 1) >> 3  // bytes before this lie wholly in the range
        let skipWord: UInt64 = set ? 0 : .max, skipByte: UInt8 = set ? 0 : .max
        while byte + 8 <= end && UnsafeRawPointer(p + byte).loadUnaligned(as: UInt64.self) == skipWord { byte += 8 }
        while byte < end && p[byte] == skipByte { byte += 1 }
        i = max(i, byte << 3)
        while i <= through {
            if bit(i) == set { return i }
            i += 1
        }
        return nil
    }
}

/// A BITCOUNT or BITPOS range resolved against a value of `length` bytes,
/// as inclusive bit positions. Indexes count bytes, or bits with `BIT`;
/// negative ones count from the end; both are clamped into the value.
struct BitRange {
    var firstBit = 0, lastBit = -1

    init(wholeValueOf length: Int) { lastBit = length * 8 - 1 }

    init(start: Int, end: Int, length: Int, inBits: Bool) {
        let total = inBits ? length * 8 : length
        let first = max(start < 0 ? total + start : start, 0)
        let last = min(max(end < 0 ? total + end : end, 0), total - 1)
        guard first <= last else { return }
        firstBit = inBits ? first : first * 8
        lastBit = inBits ? last : last * 8 + 7
    }

    var isEmpty: Bool { firstBit > lastBit }
}

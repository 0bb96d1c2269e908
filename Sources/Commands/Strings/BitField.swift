import RESP
import Storage

/// `BITFIELD key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>]
///     <SET encoding offset value | INCRBY encoding offset increment> ...]`
/// `BITFIELD_RO key [GET encoding offset ...]`
///
/// Integers of 1 to 64 bits (`i1`…`i64`, `u1`…`u63`) at any bit offset of
/// a string, most significant bit first, as SETBIT numbers bits. An offset
/// `#n` means n times the width. Replies with one entry per operation: GET
/// the value, SET the old value, INCRBY the new one, nil where OVERFLOW
/// FAIL refused a write. OVERFLOW applies to the operations after it.
///
/// As in Redis, every argument is checked before the key is touched. With
/// any SET or INCRBY, the value first grows (or the key is created) to
/// hold the farthest bit written, even if every write then fails.
enum BitFieldCommand {
    static let spec = CommandSpec(
        "bitfield", arity: -2, flags: [.write, .denyoom], acl: ["@write", "@bitmap", "@slow"], keys: (1, 1, 1),
        group: "bitmap", since: "3.2.0", summary: "Perform arbitrary bitfield integer operations on strings",
        complexity: "O(1) for each subcommand specified",
        arguments: [
            ArgumentSpec("key", .key, keySpecIndex: 0),
            ArgumentSpec("operation", .oneof, optional: true, multiple: true, children: [
                getArgument(optional: false),
                ArgumentSpec("write", .block, children: [
                    ArgumentSpec("wrap_sat_fail", .oneof, token: "OVERFLOW", optional: true, children: [
                        ArgumentSpec("wrap", .pureToken, token: "WRAP"), ArgumentSpec("sat", .pureToken, token: "SAT"),
                        ArgumentSpec("fail", .pureToken, token: "FAIL")]),
                    ArgumentSpec("write_operation", .oneof, children: [
                        ArgumentSpec("encoding_offset_value", .block, token: "SET", children: [
                            ArgumentSpec("encoding", .string), ArgumentSpec("offset", .integer), ArgumentSpec("value", .integer)]),
                        ArgumentSpec("encoding_offset_increment", .block, token: "INCRBY", children: [
                            ArgumentSpec("encoding", .string), ArgumentSpec("offset", .integer), ArgumentSpec("increment", .integer)]),
                    ]),
                ]),
            ]),
        ], handler: { c, args in run(c, args, readOnlyCommand: false) })

    static let readOnly = CommandSpec(
        "bitfield_ro", arity: -2, flags: [.readonly, .fast], acl: ["@read", "@bitmap", "@fast"], keys: (1, 1, 1),
        group: "bitmap", since: "6.0.0",
        summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        complexity: "O(1) for each subcommand specified",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), getArgument(optional: true)],
        handler: { c, args in run(c, args, readOnlyCommand: true) })

    static func getArgument(optional: Bool) -> ArgumentSpec {
        ArgumentSpec("encoding_offset", .block, token: "GET", optional: optional, multiple: optional, multipleToken: optional,
                     children: [ArgumentSpec("encoding", .string), ArgumentSpec("offset", .integer)])
    }

    enum Kind { case get, set, incrBy }
    enum Overflow { case wrap, saturate, fail }

    struct Operation {
        var kind: Kind
        var offset: Int
        var width: Int
        var signed: Bool
        /// SET's value or INCRBY's increment.
        var operand: Int64
        var overflow: Overflow
    }

    static func run(_ c: Client, _ args: Arguments, readOnlyCommand: Bool) {
        guard let (operations, farthestWrite) = parse(c, args) else { return }
        guard let farthestWrite else {
            c.withKey(args[1], read: true) { k in
                let e = k.entry
                if let e, e.type != .string { c.fail(Errors.wrongType); return }
                let value = e?.value ?? UnsafeRawBufferPointer(start: nil, count: 0)
                c.reply.array(operations.count)
                for op in operations { c.reply.integer(read(op, value)) }
            }
            return
        }
        if readOnlyCommand { c.fail("ERR BITFIELD_RO only supports the GET subcommand"); return }
        c.withKey(args[1]) { k in
            if let old = k.entry, old.type != .string { c.fail(Errors.wrongType); return }
            let created = k.slot == nil
            let needed = farthestWrite >> 3 + 1
            guard let (e, oldLength) = k.growString(to: needed, lru: c.lruClock) else {
                c.fail("ERR bit offset is not an integer or out of range"); return
            }
            // Any write counts as a change once the value was created or grew.
            let grew = created || oldLength < needed
            e.stringEncoding = .raw  // Redis unshares the value first
            let bytes = UnsafeMutableRawBufferPointer(start: e.valueStart, count: e.valueLength)
            var changes = 0
            c.reply.array(operations.count)
            for op in operations {
                if op.kind == .get { c.reply.integer(read(op, UnsafeRawBufferPointer(bytes))); continue }
                guard let (reply, old, new) = op.signed ? writeSigned(op, bytes) : writeUnsigned(op, bytes) else {
                    c.reply.null()
                    continue
                }
                c.reply.integer(reply)
                if grew || old != new { changes += 1 }
            }
            if changes > 0 {
                c.keyModified(k)
                c.keyspaceEvent(.string, "setbit", args[1])
                c.dirty(changes)
            }
        }
    }

    /// The operations, and the farthest bit a SET or INCRBY writes (nil when
    /// all are GETs); nil after replying the first argument error.
    static func parse(_ c: Client, _ args: Arguments) -> (operations: [Operation], farthestWrite: Int?)? {
        var operations: [Operation] = []
        var farthest: Int? = nil
        var overflow = Overflow.wrap
        var j = 2
        while j < args.count {
            let remaining = args.count - j - 1
            let kind: Kind
            if args[j].equalsIgnoringCase("get") && remaining >= 2 { kind = .get }
            else if args[j].equalsIgnoringCase("set") && remaining >= 3 { kind = .set }
            else if args[j].equalsIgnoringCase("incrby") && remaining >= 3 { kind = .incrBy }
            else if args[j].equalsIgnoringCase("overflow") && remaining >= 1 {
                let name = args[j + 1]
                if name.equalsIgnoringCase("wrap") { overflow = .wrap }
                else if name.equalsIgnoringCase("sat") { overflow = .saturate }
                else if name.equalsIgnoringCase("fail") { overflow = .fail }
                else { c.fail("ERR Invalid OVERFLOW type specified"); return nil }
                j += 2
                continue
            } else {
                c.fail(Errors.syntax); return nil
            }
            guard let (signed, width) = encoding(args[j + 1]) else {
                c.fail("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
                return nil
            }
            guard let offset = BitCommands.offset(c, args[j + 2], width: width) else { return nil }
            var operand: Int64 = 0
            if kind != .get {
                // Only past a proto-max-bulk-len raised near 2^60 can this
                // overflow; Redis would then die allocating the value.
                let (last, overflow) = offset.addingReportingOverflow(width - 1)
                if overflow { c.fail("ERR bit offset is not an integer or out of range"); return nil }
                farthest = max(farthest ?? 0, last)
                guard let value = c.integerArgument(args[j + 3]) else { return nil }
                operand = Int64(value)
            }
            operations.append(Operation(kind: kind, offset: offset, width: width, signed: signed, operand: operand, overflow: overflow))
            j += kind == .get ? 3 : 4
        }
        return (operations, farthest)
    }

    /// `i1`…`i64` or `u1`…`u63` (the sign letter is case-sensitive in Redis).
    static func encoding(_ bytes: UnsafeRawBufferPointer) -> (signed: Bool, width: Int)? {
        guard let letter = bytes.first, letter == UInt8(ascii: "i") || letter == UInt8(ascii: "u"),
              let width = Decimal.parse(UnsafeRawBufferPointer(rebasing: bytes[1...])) else { return nil }
        let signed = letter == UInt8(ascii: "i")
        guard width >= 1 && width <= (signed ? 64 : 63) else { return nil }
        return (signed, width)
    }

    /// GET: bits past the end of the value read as zero.
    static func read(_ op: Operation, _ value: UnsafeRawBufferPointer) -> Int {
        let raw = bits(value, op.offset, op.width)
        return Int(op.signed ? signExtended(raw, op.width) : Int64(bitPattern: raw))
    }

    static func bits(_ value: UnsafeRawBufferPointer, _ offset: Int, _ width: Int) -> UInt64 {
        // Wholly past the end (which also keeps `offset + width` from
        // overflowing for offsets near Int.max).
        if offset >> 3 >= value.count { return 0 }
        var result: UInt64 = 0
        for i in offset..<offset + width {
            let byte = i >> 3
            let bit = byte < value.count ? (value[byte] >> UInt8(7 - i & 7)) & 1 : 0
            result = result << 1 | UInt64(bit)
        }
        return result
    }

    /// Writes the low `width` bits of `value`. The value was grown to hold them.
    static func store(_ value: UInt64, _ bytes: UnsafeMutableRawBufferPointer, _ offset: Int, _ width: Int) {
        for j in 0..<width {
            let i = offset + j
            let mask = UInt8(0x80) >> UInt8(i & 7)
            if (value >> UInt64(width - 1 - j)) & 1 == 1 { bytes[i >> 3] |= mask } else { bytes[i >> 3] &= ~mask }
        }
    }

    static func signExtended(_ raw: UInt64, _ width: Int) -> Int64 {
        guard width < 64, raw & (1 << UInt64(width - 1)) != 0 else { return Int64(bitPattern: raw) }
        return Int64(bitPattern: raw | (UInt64.max << UInt64(width)))
    }

    /// SET or INCRBY on an unsigned field: (reply, old, new), or nil when
    /// OVERFLOW FAIL refuses the write.
    static func writeUnsigned(_ op: Operation, _ bytes: UnsafeMutableRawBufferPointer) -> (Int, UInt64, UInt64)? {
        let old = bits(UnsafeRawBufferPointer(bytes), op.offset, op.width)
        let max = (UInt64(1) << UInt64(op.width)) - 1
        // SET checks its value as an increment of 0 from the value itself.
        let (base, increment) = op.kind == .set ? (UInt64(bitPattern: op.operand), Int64(0)) : (old, op.operand)
        var new = base &+ UInt64(bitPattern: increment)
        let above = base > max || (increment > 0 && increment > Int64(bitPattern: max &- base))
        let below = !above && increment < 0 && increment < Int64(bitPattern: 0 &- base)
        if above || below {
            switch op.overflow {
            case .fail: return nil
            case .wrap: new &= max
            case .saturate: new = above ? max : 0
            }
        }
        store(new, bytes, op.offset, op.width)
        return (Int(op.kind == .set ? old : new), old, new)
    }

    /// SET or INCRBY on a signed field, with Redis's overflow rules.
    static func writeSigned(_ op: Operation, _ bytes: UnsafeMutableRawBufferPointer) -> (Int, UInt64, UInt64)? {
        let oldRaw = bits(UnsafeRawBufferPointer(bytes), op.offset, op.width)
        let old = signExtended(oldRaw, op.width)
        let max = op.width == 64 ? Int64.max : (Int64(1) << Int64(op.width - 1)) - 1
        let min = -max - 1
        let (base, increment) = op.kind == .set ? (op.operand, Int64(0)) : (old, op.operand)
        let maxIncrement = Int64(bitPattern: UInt64(bitPattern: max) &- UInt64(bitPattern: base))
        let minIncrement = min &- base
        let above = base > max || (op.width != 64 && increment > maxIncrement)
            || (base >= 0 && increment > 0 && increment > maxIncrement)
        let below = !above && (base < min || (op.width != 64 && increment < minIncrement)
            || (base < 0 && increment < 0 && increment < minIncrement))
        var new = base &+ increment
        if above || below {
            switch op.overflow {
            case .fail: return nil
            case .saturate: new = above ? max : min
            case .wrap:
                // Two's complement sum, sign-extended from the field's top bit.
                new = signExtended(UInt64(bitPattern: base &+ increment) & (op.width == 64 ? .max : (UInt64(1) << UInt64(op.width)) - 1), op.width)
            }
        }
        store(UInt64(bitPattern: new), bytes, op.offset, op.width)
        return (Int(op.kind == .set ? old : new), oldRaw, UInt64(bitPattern: new) & (op.width == 64 ? .max : (UInt64(1) << UInt64(op.width)) - 1))
    }
}

import RESP
import Storage

/// `HRANDFIELD key [count [WITHVALUES]]`
///
/// Without a count: one random field (null for a missing key). A positive
/// count gives distinct fields (the whole hash when it has no more than
/// that); a negative one may repeat fields. In RESP3, WITHVALUES pairs are
/// two-element arrays.
enum HashRandomFieldCommand {
    static let spec = CommandSpec(
        "hrandfield", arity: -2, flags: [.readonly], acl: ["@read", "@hash", "@slow"], keys: (1, 1, 1),
        group: "hash", since: "6.2.0", summary: "Returns one or more random fields from a hash.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0),
                    ArgumentSpec("options", .block, optional: true, children: [
                        ArgumentSpec("count", .integer), ArgumentSpec("withvalues", .pureToken, token: "WITHVALUES", optional: true)])],
        handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        if args.count == 2 {
            c.readValue(args[1], as: HashView.self) { h in
                guard let h = h else { c.reply.null(); return }
                c.reply.bulk(h.pair(random: c.loop.nextRandom()).field)
            }
            return
        }
        guard let requested = c.integerArgument(args[2], in: -Int.max...Int.max,
                                                message: "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        else { return }
        if args.count > 4 || (args.count == 4 && !args[3].equalsIgnoringCase("withvalues")) { c.fail(Errors.syntax); return }
        let withValues = args.count == 4
        // Redis refuses counts whose doubled reply length would overflow.
        if withValues && requested < -(Int.max / 2) { c.fail("ERR value is out of range"); return }
        if requested < -RandomRepeats.limit { c.fail(RandomRepeats.error); return }
        c.readValue(args[1], as: HashView.self) { h in
            guard let h = h, requested != 0 else { c.reply.array(0); return }
            let size = h.count
            func emit(_ field: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
                if withValues && c.reply.isResp3 { c.reply.array(2) }
                c.reply.bulk(field)
                if withValues { c.reply.bulk(value) }
            }
            let total = requested < 0 ? -requested : min(requested, size)
            c.reply.array(withValues && !c.reply.isResp3 ? total * 2 : total)
            if requested < 0 {
                for _ in 0..<total { let p = h.pair(random: c.loop.nextRandom()); emit(p.field, p.value) }
            } else if requested >= size {
                h.forEach(emit)
            } else {
                // Distinct fields: a random subset, chosen by selection sampling
                // over the hash's order (every subset equally likely).
                var needed = total
                var left = size
                h.forEach { field, value in
                    if needed > 0 && c.loop.nextRandom() % UInt64(left) < UInt64(needed) {
                        emit(field, value)
                        needed -= 1
                    }
                    left -= 1
                }
            }
        }
    }
}

/// `HSCAN key cursor [MATCH pattern] [COUNT count]`
///
/// A packed hash is returned whole in one call (cursor 0), as Redis does
/// with listpacks; a table is walked in hash order, so every field present
/// for a whole iteration is returned at least once.
enum HashScanCommand {
    static let spec = CommandSpec(
        "hscan", arity: -3, flags: [.readonly], acl: ["@read", "@hash", "@slow"], keys: (1, 1, 1),
        group: "hash", since: "2.8.0", summary: "Iterates over fields and values of a hash.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("cursor", .integer),
                    ArgumentSpec("pattern", .pattern, token: "MATCH", optional: true),
                    ArgumentSpec("count", .integer, token: "COUNT", optional: true)],
        handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        guard let options = ContainerScan.parse(c, args, from: 2) else { return }
        c.readValue(args[1], as: HashView.self) { h in
            var found: [[UInt8]] = []
            let next = h?.scan(cursor: options.cursor, count: options.count) { field, value in
                if options.matches(field) { found.append(Array(field)); found.append(Array(value)) }
            } ?? 0
            ContainerScan.reply(c, next: next, found)
        }
    }
}

/// The cursor and options shared by HSCAN, SSCAN and ZSCAN.
struct ContainerScan {
    var cursor: UInt64
    var count = 10
    var pattern: UnsafeRawBufferPointer? = nil

    func matches(_ element: UnsafeRawBufferPointer) -> Bool {
        guard let p = pattern, !(p.count == 1 && p[0] == 0x2A) else { return true }
        return Glob.match(p, element)
    }

    /// Parses `cursor [MATCH pattern] [COUNT count]` starting at `args[first]`.
    static func parse(_ c: Client, _ args: Arguments, from first: Int) -> ContainerScan? {
        guard let cursor = ScanCommand.parseCursor(args[first]) else { c.fail("ERR invalid cursor"); return nil }
        var options = ContainerScan(cursor: cursor)
        var i = first + 1
        while i < args.count {
            let more = args.count - i - 1
            if args[i].equalsIgnoringCase("count") && more >= 1 {
                guard let n = c.integerArgument(args[i + 1]) else { return nil }
                if n < 1 { c.fail(Errors.syntax); return nil }
                options.count = n
            } else if args[i].equalsIgnoringCase("match") && more >= 1 {
                options.pattern = args[i + 1]
            } else {
                c.fail(Errors.syntax); return nil
            }
            i += 2
        }
        return options
    }

    static func reply(_ c: Client, next: UInt64, _ elements: [[UInt8]]) {
        c.reply.array(2)
        c.reply.bulk(String(next))
        c.reply.array(elements.count)
        for e in elements { c.reply.bulk(e) }
    }
}

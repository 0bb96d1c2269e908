import RESP
import Storage

/// The cursor and options shared by HSCAN, SSCAN and ZSCAN.
struct ContainerScan {
    /// The spec of `<name> key cursor [MATCH pattern] [COUNT count]`.
    static func command(_ name: String, group: String, summary: String, _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(
            name, arity: -3, flags: [.readonly], acl: ["@read", "@\(group)", "@slow"], keys: (1, 1, 1),
            group: group, since: "2.8.0", summary: summary,
            arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("cursor", .integer),
                        ArgumentSpec("pattern", .pattern, token: "MATCH", optional: true),
                        ArgumentSpec("count", .integer, token: "COUNT", optional: true)],
            handler: handler)
    }

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

    static func reply(_ c: Client, next: UInt64, _ elements: PackedStrings) {
        c.reply.array(2)
        if next <= UInt64(Int.max) { c.reply.bulkDecimal(Int(next)) } else { c.reply.bulk(String(next)) }
        c.reply.array(elements.count)
        elements.forEach { c.reply.bulk($0) }
    }
}

import RESP
import Storage

/// `GETRANGE key start end` (and its old name `SUBSTR key start end`)
///
/// Negative offsets count from the end; out-of-range parts are clipped.
enum GetRangeCommand {
    static func make(_ name: String, since: String) -> CommandSpec {
        CommandSpec(
            name, arity: 4, flags: [.readonly], acl: ["@read", "@string", "@slow"], keys: (1, 1, 1),
            group: "string", since: since, summary: "Returns a substring of the string stored at a key.",
            complexity: "O(N) where N is the length of the returned string.",
            arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("start", .integer), ArgumentSpec("end", .integer)],
            handler: run)
    }
    static let getrange = make("getrange", since: "2.4.0")
    static let substr = make("substr", since: "1.0.0")

    static func run(_ c: Client, _ args: Arguments) {
        guard var start = c.integerArgument(args[2]), var end = c.integerArgument(args[3]) else { return }
        c.withKey(args[1], read: true) { k in
            guard let e = k.entry else { c.reply.bulk(UnsafeRawBufferPointer(start: nil, count: 0)); return }
            if e.type != .string { c.fail(Errors.wrongType); return }
            let length = e.valueLength
            if start < 0 && end < 0 && start > end { c.reply.bulk(UnsafeRawBufferPointer(start: nil, count: 0)); return }
            if start < 0 { start = length + start }
            if end < 0 { end = length + end }
            if start < 0 { start = 0 }
            if end < 0 { end = 0 }
            if end >= length { end = length - 1 }
            if start > end || length == 0 {
                c.reply.bulk(UnsafeRawBufferPointer(start: nil, count: 0))
            } else {
                c.reply.bulk(UnsafeRawBufferPointer(start: e.valueStart + start, count: end - start + 1))
            }
        }
    }
}

/// `SETRANGE key offset value`
///
/// Overwrites part of the value, zero-padding when the offset is past its end.
enum SetRangeCommand {
    static let spec = CommandSpec(
        "setrange", arity: 4, flags: [.write, .denyoom], acl: ["@write", "@string", "@slow"], keys: (1, 1, 1),
        group: "string", since: "2.2.0", summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
        complexity: "O(1), not counting the time taken to copy the new string in place.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("offset", .integer), ArgumentSpec("value", .string)],
        handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        guard let offset = c.integerArgument(args[2]) else { return }
        if offset < 0 { c.fail(Errors.outOfRangeOffset); return }
        let value = args[3]
        let limit = c.server.config.protoMaxBulkLen
        c.withKey(args[1]) { k in
            var oldLength = 0
            if let e = k.entry {
                if e.type != .string { c.fail(Errors.wrongType); return }
                oldLength = e.valueLength
                if value.count == 0 { c.reply.integer(oldLength); return }
            } else if value.count == 0 {
                c.reply.integer(0); return
            }
            if offset > limit - value.count { c.fail(Errors.tooBig); return }
            let newLength = max(oldLength, offset + value.count)
            guard let e = k.growString(to: newLength, lru: c.lruClock)?.entry else { c.fail(Errors.tooBig); return }
            (e.valueStart + offset).copyMemory(from: value.baseAddress!, byteCount: value.count)
            e.stringEncoding = .raw
            c.dirty()
            c.keyModified(k)
            c.keyspaceEvent(.string, "setrange", args[1])
            c.reply.integer(newLength)
        }
    }
}

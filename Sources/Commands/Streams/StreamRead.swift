import RESP
import Storage

/// `XLEN key`, `XRANGE key start end [COUNT count]`,
/// `XREVRANGE key end start [COUNT count]`, `XDEL key id [id ...]`,
/// `XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]`
///
/// Range bounds: `-` and `+`, an incomplete ID (`5` is 5-0 as a start,
/// 5-18446744073709551615 as an end), or `(` for an exclusive bound.
enum StreamReadCommand {
    static let xlen = CommandSpec(
        "xlen", arity: 2, flags: [.readonly, .fast], acl: ["@read", "@stream", "@fast"], keys: (1, 1, 1),
        group: "stream", since: "5.0.0", summary: "Return the number of messages in a stream.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)],
        handler: { c, args in c.readValue(args[1], as: StreamView.self) { v in c.reply.integer(v?.count ?? 0) } })

    static let xrange = range("xrange", reverse: false, summary: "Returns the messages from a stream within a range of IDs.")
    static let xrevrange = range("xrevrange", reverse: true, summary: "Returns the messages from a stream within a range of IDs in reverse order.")

    static func range(_ name: String, reverse: Bool, summary: String) -> CommandSpec {
        CommandSpec(name, arity: -4, flags: [.readonly], acl: ["@read", "@stream", "@slow"], keys: (1, 1, 1),
                    group: "stream", since: "5.0.0", summary: summary,
                    complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
                    arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec(reverse ? "end" : "start", .string),
                                ArgumentSpec(reverse ? "start" : "end", .string), ArgumentSpec("count", .integer, token: "COUNT", optional: true)],
                    handler: { c, args in run(c, args, reverse: reverse) })
    }

    /// An interval bound: `(` exclusive, else as `StreamIDArgument.parse` (non-strict).
    static func bound(_ c: Client, _ bytes: UnsafeRawBufferPointer, missingSequence: UInt64) -> (StreamID, exclusive: Bool)? {
        if bytes.count > 1 && bytes[0] == 0x28 {
            guard let r = StreamIDArgument.parse(UnsafeRawBufferPointer(rebasing: bytes[1...]), missingSequence: missingSequence, strict: true) else {
                c.fail(StreamIDArgument.invalid); return nil
            }
            return (r.id, true)
        }
        guard let r = StreamIDArgument.parse(bytes, missingSequence: missingSequence, strict: false) else { c.fail(StreamIDArgument.invalid); return nil }
        return (r.id, false)
    }

    static func run(_ c: Client, _ args: Arguments, reverse: Bool) {
        guard let (s, startExclusive) = bound(c, args[reverse ? 3 : 2], missingSequence: 0) else { return }
        var start = s
        if startExclusive {
            guard let next = s.successor else { c.fail("ERR invalid start ID for the interval"); return }
            start = next
        }
        guard let (e, endExclusive) = bound(c, args[reverse ? 2 : 3], missingSequence: .max) else { return }
        var end = e
        if endExclusive {
            guard let previous = e.predecessor else { c.fail("ERR invalid end ID for the interval"); return }
            end = previous
        }
        var count = -1
        var j = 4
        while j < args.count {
            if args[j].equalsIgnoringCase("count") && j + 1 < args.count {
                guard let n = c.integerArgument(args[j + 1]) else { return }
                count = max(0, n)
                j += 2
            } else {
                c.fail(Errors.syntax); return
            }
        }
        c.readValue(args[1], as: StreamView.self) { v in
            guard let v = v else { c.reply.array(0); return }
            if count == 0 { c.reply.nullArray(); return }
            c.replyStreamRange(v.stream, from: start, to: end, reverse: reverse, count: count)
        }
    }

    static let xdel = CommandSpec(
        "xdel", arity: -3, flags: [.write, .fast], acl: ["@write", "@stream", "@fast"], keys: (1, 1, 1),
        group: "stream", since: "5.0.0", summary: "Returns the number of messages after removing them from a stream.",
        complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("id", .string, multiple: true)],
        handler: { c, args in
            c.removeStreamEntries(args[1], event: "xdel") { v in
                // Every ID is checked before any is deleted, as in Redis.
                var ids: [StreamID] = []
                for i in 2..<args.count {
                    guard let id = StreamIDArgument.strict(c, args[i]) else { return nil }
                    ids.append(id)
                }
                return v.change { s in ids.reduce(0) { $0 + (s.delete($1) ? 1 : 0) } }
            }
        })

    static let xsetid = CommandSpec(
        "xsetid", arity: -3, flags: [.write, .denyoom, .fast], acl: ["@write", "@stream", "@fast"], keys: (1, 1, 1),
        group: "stream", since: "5.0.0", summary: "An internal command for replicating stream values.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("last-id", .string),
                    ArgumentSpec("entries-added", .integer, token: "ENTRIESADDED", optional: true, since: "7.0.0"),
                    ArgumentSpec("max-deleted-id", .string, token: "MAXDELETEDID", optional: true, since: "7.0.0")],
        handler: { c, args in
            guard let id = StreamIDArgument.strict(c, args[2]) else { return }
            var entriesAdded = -1
            var maxDeleted = StreamID.zero
            var i = 3
            while i < args.count {
                let more = args.count - 1 - i
                if args[i].equalsIgnoringCase("entriesadded") && more > 0 {
                    guard let n = c.integerArgument(args[i + 1]) else { return }
                    if n < 0 { c.fail("ERR entries_added must be positive"); return }
                    entriesAdded = n
                } else if args[i].equalsIgnoringCase("maxdeletedid") && more > 0 {
                    guard let m = StreamIDArgument.strict(c, args[i + 1]) else { return }
                    if id < m { c.fail("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"); return }
                    maxDeleted = m
                } else {
                    c.fail(Errors.syntax); return
                }
                i += 2
            }
            let found = c.writeValue(args[1], as: StreamView.self, create: false) { v, k in
                let s = v.stream
                if s.length > 0 {
                    var top = StreamID.zero
                    s.forEach(from: .zero, to: .max, reverse: true) { last, _ in top = last; return false }
                    if id < top { c.fail("ERR The ID specified in XSETID is smaller than the target stream top item"); return }
                    if entriesAdded != -1 && s.length > entriesAdded {
                        c.fail("ERR The entries_added specified in XSETID is smaller than the target stream length"); return
                    }
                }
                s.lastID = id
                if entriesAdded != -1 { s.entriesAdded = UInt64(entriesAdded) }
                if maxDeleted != .zero { s.maxDeletedID = maxDeleted }
                c.reply.ok()
                // No keyModified: Redis 7.0's XSETID does not signal WATCH or tracking.
                c.dirty()
                c.keyspaceEvent(.stream, "xsetid", args[1])
            }
            if found == .missing { c.fail(Errors.noSuchKey) }
        })
}

import RESP
import Storage

/// `XADD key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value [field value ...]`,
/// `XTRIM key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]`
///
/// XADD appends an entry and replies with its ID (null with NOMKSTREAM on a
/// missing key), then trims. XTRIM replies with the entries removed. `~`
/// trims whole nodes only (at most LIMIT entries, by default 100 nodes'
/// worth), as Redis does; `=` (the default) trims exactly.
enum StreamAddCommand {
    struct TrimOptions {
        var strategy: StreamValue.Trim? = nil
        var approximate = false
        var limit = 0
        var noMakeStream = false
        var id: StreamID? = nil
        var sequenceGiven = true
    }

    /// Parses the options from `args[2]`; for XADD stops at the ID and
    /// returns its position. Redis's `streamParseAddOrTrimArgsOrReply`.
    static func parse(_ c: Client, _ args: Arguments, xadd: Bool) -> (TrimOptions, Int)? {
        var o = TrimOptions()
        var limitGiven = false
        var i = 2
        while i < args.count {
            let more = args.count - 1 - i
            let a = args[i]
            if xadd && a.count == 1 && a[0] == 0x2A { break }
            if (a.equalsIgnoringCase("maxlen") || a.equalsIgnoringCase("minid")) && more > 0 {
                if o.strategy != nil { c.fail("ERR syntax error, MAXLEN and MINID options at the same time are not compatible"); return nil }
                let isMaxLength = a.equalsIgnoringCase("maxlen")
                o.approximate = false
                let next = args[i + 1]
                if more >= 2 && next.count == 1 && next[0] == 0x7E { o.approximate = true; i += 1 }
                else if more >= 2 && next.count == 1 && next[0] == 0x3D { i += 1 }
                if isMaxLength {
                    guard let m = c.integerArgument(args[i + 1]) else { return nil }
                    if m < 0 { c.fail("ERR The MAXLEN argument must be >= 0."); return nil }
                    o.strategy = .maxLength(m)
                } else {
                    guard let id = StreamIDArgument.strict(c, args[i + 1]) else { return nil }
                    o.strategy = .minID(id)
                }
                i += 2
                continue
            } else if a.equalsIgnoringCase("limit") && more > 0 {
                guard let l = c.integerArgument(args[i + 1]) else { return nil }
                if l < 0 { c.fail("ERR The LIMIT argument must be >= 0."); return nil }
                o.limit = l
                limitGiven = true
                i += 2
                continue
            } else if xadd && a.equalsIgnoringCase("nomkstream") {
                o.noMakeStream = true
                i += 1
                continue
            } else if xadd {
                guard let r = StreamIDArgument.parse(a, missingSequence: 0, strict: true, allowAutoSequence: true) else {
                    c.fail(StreamIDArgument.invalid); return nil
                }
                o.id = r.id
                o.sequenceGiven = r.sequenceGiven
                break
            } else {
                c.fail(Errors.syntax); return nil
            }
        }
        if o.limit != 0 && o.strategy == nil { c.fail("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"); return nil }
        if !xadd && o.strategy == nil { c.fail("ERR syntax error, XTRIM must be called with a trimming strategy"); return nil }
        if limitGiven {
            if !o.approximate { c.fail("ERR syntax error, LIMIT cannot be used without the special ~ option"); return nil }
        } else if o.approximate {
            let entries = nodeLimits(c).entries
            o.limit = min(1_000_000, entries * 100 <= 0 ? 10_000 : entries * 100)
        }
        return (o, i)
    }

    /// `stream-node-max-entries` and `stream-node-max-bytes`.
    static func nodeLimits(_ c: Client) -> (entries: Int, bytes: Int) { c.server.config.streamNodeLimits }

    static let xadd = CommandSpec(
        "xadd", arity: -5, flags: [.write, .denyoom, .fast], acl: ["@write", "@stream", "@fast"], keys: (1, 1, 1),
        group: "stream", since: "5.0.0", summary: "Appends a new message to a stream. Creates the key if it doesn't exist.",
        complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0),
                    ArgumentSpec("nomkstream", .pureToken, token: "NOMKSTREAM", optional: true, since: "6.2.0"),
                    ArgumentSpec("trim", .block, optional: true, children: [
                        ArgumentSpec("strategy", .oneof, children: [ArgumentSpec("maxlen", .pureToken, token: "MAXLEN"),
                                                                    ArgumentSpec("minid", .pureToken, token: "MINID", since: "6.2.0")]),
                        ArgumentSpec("operator", .oneof, optional: true, children: [ArgumentSpec("equal", .pureToken, token: "="),
                                                                                    ArgumentSpec("approximately", .pureToken, token: "~")]),
                        ArgumentSpec("threshold", .string),
                        ArgumentSpec("count", .integer, token: "LIMIT", optional: true, since: "6.2.0")]),
                    ArgumentSpec("id-selector", .oneof, children: [ArgumentSpec("auto-id", .pureToken, token: "*"), ArgumentSpec("id", .string)]),
                    ArgumentSpec("data", .block, multiple: true, children: [ArgumentSpec("field", .string), ArgumentSpec("value", .string)])],
        handler: { c, args in
            guard let (o, idAt) = parse(c, args, xadd: true) else { return }
            let fieldsAt = idAt + 1
            if args.count - fieldsAt < 2 || (args.count - fieldsAt) % 2 == 1 { c.fail(Errors.arity("xadd")); return }
            if let id = o.id, o.sequenceGiven, id == .zero { c.fail("ERR The ID specified in XADD must be greater than 0-0"); return }
            let (nodeEntries, nodeBytes) = nodeLimits(c)
            let found = c.writeValue(args[1], as: StreamView.self, create: !o.noMakeStream) { v, k in
                let s = v.stream
                if s.lastID == .max { c.fail("ERR The stream has exhausted the last possible ID, unable to add more items"); return }
                var id: StreamID
                if let given = o.id {
                    if o.sequenceGiven { id = given }
                    else if given.ms == s.lastID.ms {
                        // Redis 7.0 reports a sequence overflow here with this (odd) text.
                        guard let next = s.lastID.successor, next.ms == given.ms else {
                            c.fail("ERR Elements are too large to be stored"); return
                        }
                        id = next
                    } else { id = given }
                } else {
                    let now = UInt64(max(0, c.server.clock.milliseconds))
                    id = now > s.lastID.ms ? StreamID(ms: now, seq: 0) : s.lastID.successor!
                }
                if id <= s.lastID { c.fail("ERR The ID specified in XADD is equal or smaller than the target stream top item"); return }
                v.change { $0.append(id, fieldCount: args.count - fieldsAt, field: { args[fieldsAt + $0] },
                                     maxEntries: nodeEntries, maxBytes: nodeBytes) }
                c.replyStreamID(id)
                c.keyModified(k)
                c.keyspaceEvent(.stream, "xadd", args[1])
                c.dirty()
                if let strategy = o.strategy, v.change({ $0.trim(strategy, approximate: o.approximate, limit: o.limit) }) > 0 {
                    c.keyspaceEvent(.stream, "xtrim", args[1])
                }
                c.signalKeyReady(args[1])
            }
            if found == .missing { c.reply.null() }
        })

    static let xtrim = CommandSpec(
        "xtrim", arity: -4, flags: [.write], acl: ["@write", "@stream", "@slow"], keys: (1, 1, 1),
        group: "stream", since: "5.0.0", summary: "Deletes messages from the beginning of a stream.",
        complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0),
                    ArgumentSpec("trim", .block, children: [
                        ArgumentSpec("strategy", .oneof, children: [ArgumentSpec("maxlen", .pureToken, token: "MAXLEN"),
                                                                    ArgumentSpec("minid", .pureToken, token: "MINID", since: "6.2.0")]),
                        ArgumentSpec("operator", .oneof, optional: true, children: [ArgumentSpec("equal", .pureToken, token: "="),
                                                                                    ArgumentSpec("approximately", .pureToken, token: "~")]),
                        ArgumentSpec("threshold", .string),
                        ArgumentSpec("count", .integer, token: "LIMIT", optional: true, since: "6.2.0")])],
        handler: { c, args in
            guard let (o, end) = parse(c, args, xadd: false) else { return }
            if end < args.count { c.fail(Errors.syntax); return }
            c.removeStreamEntries(args[1], event: "xtrim") { v in
                v.change { $0.trim(o.strategy!, approximate: o.approximate, limit: o.limit) }
            }
        })
}

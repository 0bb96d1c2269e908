import RESP
import Storage

/// `ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]`,
/// `ZINCRBY key increment member`
///
/// ZADD replies with the members added (with CH: added or changed); with
/// INCR, like ZINCRBY, with the new score (null when NX/XX/GT/LT skipped it).
enum SortedSetAddCommand {
    struct Options {
        var nx = false, xx = false, gt = false, lt = false, ch = false, incr = false
    }

    static let zadd = CommandSpec(
        "zadd", arity: -4, flags: [.write, .denyoom, .fast], acl: ["@write", "@sortedset", "@fast"], keys: (1, 1, 1),
        group: "sorted_set", since: "1.2.0", summary: "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0),
                    ArgumentSpec("condition", .oneof, optional: true, since: "3.0.2",
                                 children: [ArgumentSpec("nx", .pureToken, token: "NX"), ArgumentSpec("xx", .pureToken, token: "XX")]),
                    ArgumentSpec("comparison", .oneof, optional: true, since: "6.2.0",
                                 children: [ArgumentSpec("gt", .pureToken, token: "GT"), ArgumentSpec("lt", .pureToken, token: "LT")]),
                    ArgumentSpec("change", .pureToken, token: "CH", optional: true, since: "3.0.2"),
                    ArgumentSpec("increment", .pureToken, token: "INCR", optional: true, since: "3.0.2"),
                    ArgumentSpec("data", .block, multiple: true, children: [ArgumentSpec("score", .double), ArgumentSpec("member", .string)])],
        handler: { c, args in
            var o = Options()
            var i = 2
            while i < args.count {
                let a = args[i]
                if a.equalsIgnoringCase("nx") { o.nx = true }
                else if a.equalsIgnoringCase("xx") { o.xx = true }
                else if a.equalsIgnoringCase("gt") { o.gt = true }
                else if a.equalsIgnoringCase("lt") { o.lt = true }
                else if a.equalsIgnoringCase("ch") { o.ch = true }
                else if a.equalsIgnoringCase("incr") { o.incr = true }
                else { break }
                i += 1
            }
            let pairs = args.count - i
            if pairs == 0 || pairs % 2 != 0 { c.fail(Errors.syntax); return }
            if o.nx && o.xx { c.fail("ERR XX and NX options at the same time are not compatible"); return }
            if (o.gt && o.nx) || (o.lt && o.nx) || (o.gt && o.lt) {
                c.fail("ERR GT, LT, and/or NX options at the same time are not compatible")
                return
            }
            if o.incr && pairs > 2 { c.fail("ERR INCR option supports a single increment-element pair"); return }
            // Every score is checked before anything changes; `add` parses them again
            // (cheap for the usual integer scores) rather than allocating an array.
            var j = i
            while j < args.count {
                if DoubleFormat.parseDouble(args[j]) == nil { c.fail(Errors.notFloat); return }
                j += 2
            }
            add(c, args, key: args[1], firstPair: i, options: o)
        })

    static let zincrby = CommandSpec(
        "zincrby", arity: 4, flags: [.write, .denyoom, .fast], acl: ["@write", "@sortedset", "@fast"], keys: (1, 1, 1),
        group: "sorted_set", since: "1.2.0", summary: "Increments the score of a member in a sorted set.",
        complexity: "O(log(N)) where N is the number of elements in the sorted set.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("increment", .integer), ArgumentSpec("member", .string)],
        handler: { c, args in
            if DoubleFormat.parseDouble(args[2]) == nil { c.fail(Errors.notFloat); return }
            var o = Options()
            o.incr = true
            add(c, args, key: args[1], firstPair: 2, options: o)
        })

    /// Applies the (score, member) pairs from `firstPair` on, whose scores the caller checked.
    static func add(_ c: Client, _ args: Arguments, key: UnsafeRawBufferPointer, firstPair: Int, options o: Options) {
        var added = 0, updated = 0
        var result: Double? = nil
        var failed = false
        let limits = c.server.config.sortedSetLimits
        let found = c.writeValue(key, as: SortedSetView.self, create: !o.xx) { z, k in
            for n in 0..<(args.count - firstPair) / 2 {
                let score = DoubleFormat.parseDouble(args[firstPair + 2 * n])!
                let member = args[firstPair + 2 * n + 1]
                let old = z.score(of: member)
                if (o.nx && old != nil) || (o.xx && old == nil) { continue }
                var new = score
                if o.incr, let old = old {
                    new = old + score
                    if new.isNaN { c.fail("ERR resulting score is not a number (NaN)"); failed = true; break }
                }
                if let old = old {
                    if (o.lt && new >= old) || (o.gt && new <= old) { continue }
                    result = new
                    if new != old { z.set(member, score: new, old: old, limits: limits); updated += 1 }
                } else {
                    result = new
                    z.set(member, score: new, old: nil, limits: limits)
                    added += 1
                }
            }
            if added + updated > 0 {
                c.keyModified(k)
                c.keyspaceEvent(.zset, o.incr ? "zincr" : "zadd", key)
                c.dirty(added + updated)
                c.signalKeyReady(key)
            }
        }
        if failed || found == .wrongType { return }
        if o.incr {
            if let r = result { c.reply.double(r) } else { c.reply.null() }
        } else {
            c.reply.integer(o.ch ? added + updated : added)
        }
    }
}

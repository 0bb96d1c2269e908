import RESP
import Storage

/// `ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`,
/// `ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]`,
/// and the older `ZREVRANGE`, `ZRANGEBYSCORE`, `ZREVRANGEBYSCORE`,
/// `ZRANGEBYLEX`, `ZREVRANGEBYLEX`: one parser and one range walk, as in
/// Redis's `zrangeGenericCommand` (same option checks in the same order).
enum SortedSetRangeCommand {
    enum Kind { case rank, score, lex }

    static let rangeArguments: [ArgumentSpec] = [
        ArgumentSpec("start", .string), ArgumentSpec("stop", .string),
        ArgumentSpec("sortby", .oneof, optional: true, since: "6.2.0",
                     children: [ArgumentSpec("byscore", .pureToken, token: "BYSCORE"), ArgumentSpec("bylex", .pureToken, token: "BYLEX")]),
        ArgumentSpec("rev", .pureToken, token: "REV", optional: true, since: "6.2.0"),
        ArgumentSpec("limit", .block, token: "LIMIT", optional: true, since: "6.2.0",
                     children: [ArgumentSpec("offset", .integer), ArgumentSpec("count", .integer)]),
    ]

    static let zrange = CommandSpec(
        "zrange", arity: -4, flags: [.readonly], acl: ["@read", "@sortedset", "@slow"], keys: (1, 1, 1),
        group: "sorted_set", since: "1.2.0", summary: "Returns members in a sorted set within a range of indexes.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)] + rangeArguments + [ArgumentSpec("withscores", .pureToken, token: "WITHSCORES", optional: true)],
        handler: { c, args in run(c, args, keyAt: 1, store: false, kind: nil, reverse: nil) })

    static let zrangestore = CommandSpec(
        "zrangestore", arity: -5, flags: [.write, .denyoom], acl: ["@write", "@sortedset", "@slow"], keys: (1, 2, 1),
        group: "sorted_set", since: "6.2.0", summary: "Stores a range of members from sorted set in a key.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
        arguments: [ArgumentSpec("dst", .key, keySpecIndex: 0), ArgumentSpec("src", .key, keySpecIndex: 1)] + rangeArguments,
        handler: { c, args in run(c, args, keyAt: 2, store: true, kind: nil, reverse: nil) })

    static func legacy(_ name: String, since: String, summary: String, kind: Kind, reverse: Bool) -> CommandSpec {
        CommandSpec(name, arity: -4, flags: [.readonly], acl: ["@read", "@sortedset", "@slow"], keys: (1, 1, 1),
                    group: "sorted_set", since: since, summary: summary,
                    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned.",
                    arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec(kind == .rank ? "start" : (reverse ? "max" : "min"), .string),
                                ArgumentSpec(kind == .rank ? "stop" : (reverse ? "min" : "max"), .string)]
                        + (kind == .lex ? [] : [ArgumentSpec("withscores", .pureToken, token: "WITHSCORES", optional: true)])
                        + (kind == .rank ? [] : [ArgumentSpec("limit", .block, token: "LIMIT", optional: true,
                                                              children: [ArgumentSpec("offset", .integer), ArgumentSpec("count", .integer)])]),
                    handler: { c, args in run(c, args, keyAt: 1, store: false, kind: kind, reverse: reverse) })
    }

    static let zrevrange = legacy("zrevrange", since: "1.2.0", summary: "Returns members in a sorted set within a range of indexes in reverse order.", kind: .rank, reverse: true)
    static let zrangebyscore = legacy("zrangebyscore", since: "1.0.5", summary: "Returns members in a sorted set within a range of scores.", kind: .score, reverse: false)
    static let zrevrangebyscore = legacy("zrevrangebyscore", since: "2.2.0", summary: "Returns members in a sorted set within a range of scores in reverse order.", kind: .score, reverse: true)
    static let zrangebylex = legacy("zrangebylex", since: "2.8.9", summary: "Returns members in a sorted set within a lexicographical range.", kind: .lex, reverse: false)
    static let zrevrangebylex = legacy("zrevrangebylex", since: "2.8.9", summary: "Returns members in a sorted set within a lexicographical range in reverse order.", kind: .lex, reverse: true)

    static func run(_ c: Client, _ args: Arguments, keyAt k: Int, store: Bool, kind fixedKind: Kind?, reverse fixedReverse: Bool?) {
        var kind = fixedKind, reverse = fixedReverse
        var withScores = false, offset = 0, limit = -1
        var j = k + 3
        while j < args.count {
            let left = args.count - j - 1
            if !store && args[j].equalsIgnoringCase("withscores") {
                withScores = true
            } else if args[j].equalsIgnoringCase("limit") && left >= 2 {
                guard let o = c.integerArgument(args[j + 1]), let l = c.integerArgument(args[j + 2]) else { return }
                offset = o; limit = l
                j += 2
            } else if fixedReverse == nil && reverse == nil && args[j].equalsIgnoringCase("rev") {
                reverse = true
            } else if fixedKind == nil && kind == nil && args[j].equalsIgnoringCase("bylex") {
                kind = .lex
            } else if fixedKind == nil && kind == nil && args[j].equalsIgnoringCase("byscore") {
                kind = .score
            } else {
                c.fail(Errors.syntax)
                return
            }
            j += 1
        }
        let range = kind ?? .rank, rev = reverse ?? false
        if limit != -1 && range == .rank {
            c.fail("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"); return
        }
        if withScores && range == .lex { c.fail("ERR syntax error, WITHSCORES not supported in combination with BYLEX"); return }
        // Score and lex ranges are given as max, min when reversed.
        let (minAt, maxAt) = rev && range != .rank ? (k + 2, k + 1) : (k + 1, k + 2)
        var rankStart = 0, rankStop = 0
        var scoreMin: ScoreBound? = nil, scoreMax: ScoreBound? = nil
        var lexMin: LexBound? = nil, lexMax: LexBound? = nil
        switch range {
        case .rank:
            guard let s = c.integerArgument(args[minAt]), let e = c.integerArgument(args[maxAt]) else { return }
            rankStart = s; rankStop = e
        case .score:
            scoreMin = ScoreBound(args[minAt]); scoreMax = ScoreBound(args[maxAt])
            if scoreMin == nil || scoreMax == nil { c.fail(ScoreBound.error); return }
        case .lex:
            lexMin = LexBound(args[minAt]); lexMax = LexBound(args[maxAt])
            if lexMin == nil || lexMax == nil { c.fail(LexBound.error); return }
        }
        let query = Query(range: range, reverse: rev, withScores: withScores, offset: offset, limit: limit,
                          rankStart: rankStart, rankStop: rankStop,
                          scoreMin: scoreMin, scoreMax: scoreMax, lexMin: lexMin, lexMax: lexMax)
        if !store { c.readValue(args[k], as: SortedSetView.self) { z in walk(c, query, z, collect: nil) }; return }
        // Source and destination locked together: the copy is atomic.
        c.withKeys([args[1], args[2]]) { keys in
            // The selected members, as (member, score) copies.
            var selected: [([UInt8], Double)] = []
            let source = keys.key(1, read: true)
            if let slot = source.slot {
                guard source.table.pointee.entry(at: slot).type == .zset else { c.fail(Errors.wrongType); return }
                walk(c, query, SortedSetView(table: source.table, slot: slot)) { selected.append((Array($0), $1)) }
            }
            var destination = keys.key(0, touch: false)
            storeRange(c, &destination, selected)
        }
    }

    /// A parsed, checked range request. (Kept in one value so that the walk
    /// captures no mutable locals: capturing the parser's `var`s boxed them
    /// on the heap, about ten allocations per ZRANGE.)
    struct Query {
        let range: Kind, reverse: Bool, withScores: Bool, offset: Int, limit: Int
        let rankStart: Int, rankStop: Int
        let scoreMin: ScoreBound?, scoreMax: ScoreBound?
        let lexMin: LexBound?, lexMax: LexBound?
    }

    /// Replies with the selected elements of `z` (an empty array when it is
    /// missing) or, with `collect`, hands each to it instead and replies nothing.
    static func walk(_ c: Client, _ q: Query, _ z: SortedSetView?, collect: ((UnsafeRawBufferPointer, Double) -> Void)?) {
        let nested = c.protocolVersion == 3
        guard let z = z else { if collect == nil { c.reply.array(0) }; return }
        if q.range != .rank {
            // Score and lex ranges walk from their first element (their last,
            // reversed) as Redis does, with no ranks; the reply's length comes
            // first, so a reply walks twice: counting, then writing.
            func select(_ body: (UnsafeRawBufferPointer) -> Void) -> Int {
                if q.range == .score {
                    return walkRange(z, reverse: q.reverse, offset: q.offset, limit: q.limit,
                                     belowMin: { !q.scoreMin!.admits(element: $0, asMin: true) },
                                     aboveMax: { !q.scoreMax!.admits(element: $0, asMin: false) }, body)
                }
                return walkRange(z, reverse: q.reverse, offset: q.offset, limit: q.limit,
                                 belowMin: { !q.lexMin!.admits(ScoreKey.member($0), asMin: true) },
                                 aboveMax: { !q.lexMax!.admits(ScoreKey.member($0), asMin: false) }, body)
            }
            if let collect = collect { _ = select { e in collect(ScoreKey.member(e), ScoreKey.score(e)) }; return }
            let n = select { _ in }
            c.reply.array(q.withScores && !nested ? 2 * n : n)
            if n > 0 { _ = select { e in c.replyMember(ScoreKey.member(e), ScoreKey.score(e), withScores: q.withScores, nested: nested) } }
            return
        }
        // Ranks [first, end) in ascending order, then the walk.
        var ranks = 0..<0
        if let r = ListRange(start: q.rankStart, stop: q.rankStop, length: z.count) {
            // A reversed rank range counts from the top.
            ranks = q.reverse ? (z.count - 1 - r.last)..<(z.count - r.first) : r.first..<(r.last + 1)
        }
        let n = ranks.count
        if collect == nil { c.reply.array(q.withScores && !nested ? 2 * n : n) }
        if n == 0 { return }
        var left = n
        z.scan(from: q.reverse ? ranks.upperBound - 1 : ranks.lowerBound, reverse: q.reverse) { member, score in
            if let collect = collect { collect(member, score) } else { c.replyMember(member, score, withScores: q.withScores, nested: nested) }
            left -= 1
            return left > 0
        }
    }

    /// Calls `body` with the elements of a score or lex range in walk order
    /// (from the top with `reverse`), skipping `offset` of them and stopping
    /// after `limit` (negative: no limit); returns how many it called `body`
    /// with. `belowMin`/`aboveMax` say whether an element lies past either
    /// end of the range. A negative offset selects nothing, as in Redis.
    static func walkRange(_ z: SortedSetView, reverse: Bool, offset: Int, limit: Int,
                          belowMin: (UnsafeRawBufferPointer) -> Bool, aboveMax: (UnsafeRawBufferPointer) -> Bool,
                          _ body: (UnsafeRawBufferPointer) -> Void) -> Int {
        if offset < 0 || limit == 0 { return 0 }
        let first = reverse ? z.position(before: z.position(notBefore: { !aboveMax($0) })) : z.position(notBefore: belowMin)
        guard let first = first else { return 0 }
        var skip = offset, n = 0
        z.scan(from: first, reverse: reverse) { e in
            if reverse ? belowMin(e) : aboveMax(e) { return false }
            if skip > 0 { skip -= 1; return true }
            body(e)
            n += 1
            return limit < 0 || n < limit
        }
        return n
    }

    /// ZRANGESTORE's destination (and GEOSEARCHSTORE's): replaced by the
    /// selection (deleted when empty), whose members must be distinct.
    /// Replies with their number.
    static func storeRange(_ c: Client, _ k: inout LockedKey, _ selected: [([UInt8], Double)], event: String = "zrangestore") {
        let limits = c.server.config.sortedSetLimits
        let destination = k.key
        do {
            let existed = k.delete()
            if !selected.isEmpty {
                k.slot = k.table.pointee.insert(SortedSetView.newEntry(key: destination, lru: c.lruClock), hash: k.hash)
                k.keyCreated()
                let z = SortedSetView(table: k.table, slot: k.slot!)
                for (member, score) in selected { member.withUnsafeBytes { _ = z.set($0, score: score, old: nil, limits: limits) } }
                c.keyspaceEvent(.zset, event, destination)
                c.signalKeyReady(destination)
            } else if existed {
                c.keyspaceEvent(.generic, "del", destination)
            }
            if existed || !selected.isEmpty { c.keyModified(k); c.dirty() }
        }
        c.reply.integer(selected.count)
    }
}

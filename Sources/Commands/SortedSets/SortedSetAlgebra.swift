import RESP
import Storage

/// `ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]`,
/// `ZINTER …` (the same), `ZDIFF numkeys key [key ...] [WITHSCORES]`,
/// their `…STORE destination numkeys key …` forms (no WITHSCORES), and
/// `ZINTERCARD numkeys key [key ...] [LIMIT limit]`
///
/// Inputs may be sorted sets or plain sets (every member scored 1). As in
/// Redis's `zunionInterDiffGenericCommand`: the keys are checked for type
/// before the options are parsed; a weighted score that is NaN counts as
/// 0, and so does a sum that is NaN. Results come in score order.
enum SortedSetAlgebraCommand {
    enum Operation { case union, intersection, difference }
    enum Aggregate { case sum, min, max }

    static func make(_ name: String, _ op: Operation, store: Bool, since: String, summary: String) -> CommandSpec {
        var arguments: [ArgumentSpec] = []
        if store { arguments.append(ArgumentSpec("destination", .key, keySpecIndex: 0)) }
        arguments += [ArgumentSpec("numkeys", .integer), ArgumentSpec("key", .key, multiple: true, keySpecIndex: store ? 1 : 0)]
        if op != .difference {
            arguments += [ArgumentSpec("weight", .integer, token: "WEIGHTS", optional: true, multiple: true),
                          ArgumentSpec("aggregate", .oneof, token: "AGGREGATE", optional: true,
                                       children: [ArgumentSpec("sum", .pureToken, token: "SUM"), ArgumentSpec("min", .pureToken, token: "MIN"),
                                                  ArgumentSpec("max", .pureToken, token: "MAX")])]
        }
        if !store { arguments.append(ArgumentSpec("withscores", .pureToken, token: "WITHSCORES", optional: true)) }
        return CommandSpec(
            name, arity: store ? -4 : -3, flags: store ? [.write, .denyoom] : [.readonly],
            acl: store ? ["@write", "@sortedset", "@slow"] : ["@read", "@sortedset", "@slow"], keys: store ? (1, 1, 1) : (0, 0, 0),
            group: "sorted_set", since: since, summary: summary,
            complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
            arguments: arguments,
            handler: { c, args in run(c, args, op, name: name, store: store, cardinalityOnly: false) })
    }

    static let zunion = make("zunion", .union, store: false, since: "6.2.0", summary: "Returns the union of multiple sorted sets.")
    static let zinter = make("zinter", .intersection, store: false, since: "6.2.0", summary: "Returns the intersect of multiple sorted sets.")
    static let zdiff = make("zdiff", .difference, store: false, since: "6.2.0", summary: "Returns the difference between multiple sorted sets.")
    static let zunionstore = make("zunionstore", .union, store: true, since: "2.0.0", summary: "Stores the union of multiple sorted sets in a key.")
    static let zinterstore = make("zinterstore", .intersection, store: true, since: "2.0.0", summary: "Stores the intersect of multiple sorted sets in a key.")
    static let zdiffstore = make("zdiffstore", .difference, store: true, since: "6.2.0", summary: "Stores the difference of multiple sorted sets in a key.")

    static let zintercard = CommandSpec(
        "zintercard", arity: -3, flags: [.readonly], acl: ["@read", "@sortedset", "@slow"], keys: (0, 0, 0),
        group: "sorted_set", since: "7.0.0", summary: "Returns the number of members of the intersect of multiple sorted sets.",
        complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
        arguments: [ArgumentSpec("numkeys", .integer), ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0),
                    ArgumentSpec("limit", .integer, token: "LIMIT", optional: true)],
        handler: { c, args in run(c, args, .intersection, name: "zintercard", store: false, cardinalityOnly: true) })

    /// One input: a sorted set, a set (scores 1), or nothing.
    enum Source {
        case sorted(SortedSetView), plain(SetView), missing

        var count: Int {
            switch self {
            case .sorted(let z): return z.count
            case .plain(let s): return s.count
            case .missing: return 0
            }
        }

        func forEach(_ body: (UnsafeRawBufferPointer, Double) -> Void) {
            switch self {
            case .sorted(let z): z.scan(from: 0, reverse: false) { m, s in body(m, s); return true }
            case .plain(let s): s.forEach { body($0, 1) }
            case .missing: break
            }
        }

        func score(of member: UnsafeRawBufferPointer) -> Double? {
            switch self {
            case .sorted(let z): return z.score(of: member)
            case .plain(let s): return s.contains(member) ? 1 : nil
            case .missing: return nil
            }
        }
    }

    static func combine(_ a: Double, _ b: Double, _ aggregate: Aggregate) -> Double {
        switch aggregate {
        case .sum: let s = a + b; return s.isNaN ? 0 : s
        case .min: return Swift.min(a, b)
        case .max: return Swift.max(a, b)
        }
    }

    static func run(_ c: Client, _ args: Arguments, _ op: Operation, name: String, store: Bool, cardinalityOnly: Bool) {
        let numkeysAt = store ? 2 : 1
        guard let n = c.integerArgument(args[numkeysAt]) else { return }
        if n < 1 { c.fail("ERR at least 1 input key is needed for '\(name)' command"); return }
        if n > args.count - numkeysAt - 1 { c.fail(Errors.syntax); return }
        let sourceKeys = c.keyArguments(args, from: numkeysAt + 1, to: numkeysAt + 1 + n)
        let lockKeys = (store ? [args[1]] : []) + sourceKeys
        let first = store ? 1 : 0
        c.withKeys(lockKeys) { keys in
            var sources: [Source] = []
            for i in first..<keys.count {
                let k = keys.key(i, read: true)
                guard let slot = k.slot else { sources.append(.missing); continue }
                switch k.table.pointee.entry(at: slot).type {
                case .zset: sources.append(.sorted(SortedSetView(table: k.table, slot: slot)))
                case .set: sources.append(.plain(SetView(table: k.table, slot: slot)))
                default: c.fail(Errors.wrongType); return
                }
            }
            var weights = [Double](repeating: 1, count: n)
            var aggregate = Aggregate.sum
            var withScores = false
            var limit = 0
            var j = numkeysAt + 1 + n
            while j < args.count {
                let remaining = args.count - j
                if op != .difference && !cardinalityOnly && remaining >= n + 1 && args[j].equalsIgnoringCase("weights") {
                    for i in 0..<n {
                        guard let w = DoubleFormat.parseDouble(args[j + 1 + i]) else { c.fail("ERR weight value is not a float"); return }
                        weights[i] = w
                    }
                    j += n + 1
                } else if op != .difference && !cardinalityOnly && remaining >= 2 && args[j].equalsIgnoringCase("aggregate") {
                    if args[j + 1].equalsIgnoringCase("sum") { aggregate = .sum }
                    else if args[j + 1].equalsIgnoringCase("min") { aggregate = .min }
                    else if args[j + 1].equalsIgnoringCase("max") { aggregate = .max }
                    else { c.fail(Errors.syntax); return }
                    j += 2
                } else if !store && !cardinalityOnly && args[j].equalsIgnoringCase("withscores") {
                    withScores = true
                    j += 1
                } else if cardinalityOnly && remaining >= 2 && args[j].equalsIgnoringCase("limit") {
                    guard let l = Decimal.parse(args[j + 1]), l >= 0 else { c.fail("ERR LIMIT can't be negative"); return }
                    limit = l
                    j += 2
                } else {
                    c.fail(Errors.syntax)
                    return
                }
            }
            var result: [([UInt8], Double)] = []
            var cardinality = 0
            func weighted(_ s: Double, _ i: Int) -> Double { let v = s * weights[i]; return v.isNaN ? 0 : v }
            switch op {
            case .intersection:
                // Smallest input first, as Redis orders them.
                let order = (0..<n).sorted { sources[$0].count < sources[$1].count }
                let smallest = order[0]
                sources[smallest].forEach { member, score in
                    if cardinalityOnly && limit > 0 && cardinality >= limit { return }
                    var total = weighted(score, smallest)
                    for i in order.dropFirst() {
                        guard let s = sources[i].score(of: member) else { return }
                        total = combine(total, s * weights[i], aggregate)
                    }
                    if cardinalityOnly { cardinality += 1 } else { result.append((Array(member), total)) }
                }
            case .union:
                var index: [[UInt8]: Int] = [:]
                for i in 0..<n {
                    sources[i].forEach { member, score in
                        let m = Array(member)
                        let v = weighted(score, i)
                        if let at = index[m] { result[at].1 = combine(result[at].1, v, aggregate) }
                        else { index[m] = result.count; result.append((m, v)) }
                    }
                }
            case .difference:
                sources[0].forEach { member, score in
                    if !sources.dropFirst().contains(where: { $0.score(of: member) != nil }) { result.append((Array(member), score)) }
                }
            }
            if cardinalityOnly { c.reply.integer(cardinality); return }
            result.sort { a, b in a.1 != b.1 ? a.1 < b.1 : a.0.withUnsafeBytes { x in b.0.withUnsafeBytes { ScoreKey.compare(x, $0) < 0 } } }
            if !store {
                let nested = c.protocolVersion == 3
                c.reply.array(withScores && !nested ? 2 * result.count : result.count)
                for (member, score) in result { member.withUnsafeBytes { c.replyMember($0, score, withScores: withScores, nested: nested) } }
                return
            }
            var destination = keys.key(0, touch: false)
            let existed = destination.delete()
            if !result.isEmpty {
                let limits = c.server.config.sortedSetLimits
                destination.slot = destination.table.pointee.insert(SortedSetView.newEntry(key: args[1], lru: c.lruClock), hash: destination.hash)
                let z = SortedSetView(table: destination.table, slot: destination.slot!)
                for (member, score) in result { member.withUnsafeBytes { _ = z.set($0, score: score, old: nil, limits: limits) } }
                c.reply.integer(result.count)
                c.keyModified(destination)
                c.keyspaceEvent(.zset, op == .union ? "zunionstore" : op == .intersection ? "zinterstore" : "zdiffstore", args[1])
                c.signalKeyReady(args[1])
                c.dirty()
            } else {
                c.reply.integer(0)
                if existed {
                    c.keyModified(destination)
                    c.keyspaceEvent(.generic, "del", args[1])
                    c.dirty()
                }
            }
        }
    }
}

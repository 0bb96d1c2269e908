import RESP
import Storage

/// `ZREM key member [member ...]`, `ZREMRANGEBYRANK key start stop`,
/// `ZREMRANGEBYSCORE key min max`, `ZREMRANGEBYLEX key min max`
///
/// Reply with how many members went; a set left empty is deleted.
enum SortedSetRemoveCommand {
    static let zrem = CommandSpec(
        "zrem", arity: -3, flags: [.write, .fast], acl: ["@write", "@sortedset", "@fast"], keys: (1, 1, 1),
        group: "sorted_set", since: "1.2.0", summary: "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.",
        complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("member", .string, multiple: true)],
        handler: { c, args in
            c.removeElements(args, as: SortedSetView.self, notify: .zset, event: "zrem") { z, member in z.remove(member) }
        })

    enum Kind { case rank, score, lex }

    static func make(_ name: String, _ kind: Kind, since: String, summary: String, arguments: [ArgumentSpec]) -> CommandSpec {
        CommandSpec(name, arity: 4, flags: [.write], acl: ["@write", "@sortedset", "@slow"], keys: (1, 1, 1),
                    group: "sorted_set", since: since, summary: summary,
                    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
                    arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)] + arguments,
                    handler: { c, args in
                        // The range is parsed before the key is looked up, as in Redis.
                        var select: (SortedSetView) -> Range<Int>
                        switch kind {
                        case .rank:
                            guard let start = c.integerArgument(args[2]), let stop = c.integerArgument(args[3]) else { return }
                            select = { z in ListRange(start: start, stop: stop, length: z.count).map { $0.first..<($0.last + 1) } ?? 0..<0 }
                        case .score:
                            guard let min = ScoreBound(args[2]), let max = ScoreBound(args[3]) else { c.fail(ScoreBound.error); return }
                            select = { $0.ranks(min, max) }
                        case .lex:
                            guard let min = LexBound(args[2]), let max = LexBound(args[3]) else { c.fail(LexBound.error); return }
                            select = { $0.ranks(min, max) }
                        }
                        let found = c.writeValue(args[1], as: SortedSetView.self, create: false) { z, k in
                            let ranks = select(z)
                            z.removeRange(from: ranks.lowerBound, count: ranks.count)
                            if ranks.count > 0 {
                                c.keyModified(k)
                                c.keyspaceEvent(.zset, name, args[1])
                                c.dirty(ranks.count)
                            }
                            c.reply.integer(ranks.count)
                        }
                        if found == .missing { c.reply.integer(0) }
                    })
    }

    static let zremrangebyrank = make("zremrangebyrank", .rank, since: "2.0.0", summary: "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.",
                                      arguments: [ArgumentSpec("start", .integer), ArgumentSpec("stop", .integer)])
    static let zremrangebyscore = make("zremrangebyscore", .score, since: "1.2.0", summary: "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.",
                                       arguments: [ArgumentSpec("min", .double), ArgumentSpec("max", .double)])
    static let zremrangebylex = make("zremrangebylex", .lex, since: "2.8.9", summary: "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.",
                                     arguments: [ArgumentSpec("min", .string), ArgumentSpec("max", .string)])
}

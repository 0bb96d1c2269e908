import RESP
import Storage

/// `ZSCORE key member`, `ZMSCORE key member [member ...]`, `ZCARD key`,
/// `ZRANK key member`, `ZREVRANK key member`, `ZCOUNT key min max`,
/// `ZLEXCOUNT key min max`
///
/// A missing key reads as an empty sorted set.
enum SortedSetReadCommand {
    static func readOnly(_ name: String, arity: Int, since: String, summary: String, complexity: String = "O(1)",
                         arguments: [ArgumentSpec], _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: [.readonly, .fast], acl: ["@read", "@sortedset", "@fast"], keys: (1, 1, 1),
                    group: "sorted_set", since: since, summary: summary, complexity: complexity,
                    arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)] + arguments, handler: handler)
    }

    static let zscore = readOnly("zscore", arity: 3, since: "1.2.0", summary: "Returns the score of a member in a sorted set.",
                                 arguments: [ArgumentSpec("member", .string)]) { c, args in
        c.readValue(args[1], as: SortedSetView.self) { z in
            if let s = z?.score(of: args[2]) { c.reply.double(s) } else { c.reply.null() }
        }
    }

    static let zmscore = readOnly("zmscore", arity: -3, since: "6.2.0", summary: "Returns the score of one or more members in a sorted set.",
                                  complexity: "O(N) where N is the number of members being requested.",
                                  arguments: [ArgumentSpec("member", .string, multiple: true)]) { c, args in
        c.readValue(args[1], as: SortedSetView.self) { z in
            c.reply.array(args.count - 2)
            for i in 2..<args.count {
                if let s = z?.score(of: args[i]) { c.reply.double(s) } else { c.reply.null() }
            }
        }
    }

    static let zcard = readOnly("zcard", arity: 2, since: "1.2.0", summary: "Returns the number of members in a sorted set.",
                                arguments: []) { c, args in
        c.readValue(args[1], as: SortedSetView.self) { z in c.reply.integer(z?.count ?? 0) }
    }

    static let zrank = rank("zrank", reverse: false, summary: "Returns the index of a member in a sorted set ordered by ascending scores.")
    static let zrevrank = rank("zrevrank", reverse: true, summary: "Returns the index of a member in a sorted set ordered by descending scores.")

    static func rank(_ name: String, reverse: Bool, summary: String) -> CommandSpec {
        readOnly(name, arity: 3, since: reverse ? "2.0.0" : "2.0.0", summary: summary, complexity: "O(log(N))",
                 arguments: [ArgumentSpec("member", .string)]) { c, args in
            c.readValue(args[1], as: SortedSetView.self) { z in
                guard let z = z, let r = z.rank(of: args[2]) else { c.reply.null(); return }
                c.reply.integer(reverse ? z.count - 1 - r : r)
            }
        }
    }

    static let zcount = readOnly("zcount", arity: 4, since: "2.0.0", summary: "Returns the count of members in a sorted set that have scores within a range.",
                                 complexity: "O(log(N)) with N being the number of elements in the sorted set.",
                                 arguments: [ArgumentSpec("min", .double), ArgumentSpec("max", .double)]) { c, args in
        guard let min = ScoreBound(args[2]), let max = ScoreBound(args[3]) else { c.fail(ScoreBound.error); return }
        c.readValue(args[1], as: SortedSetView.self) { z in c.reply.integer(z?.ranks(min, max).count ?? 0) }
    }

    static let zlexcount = readOnly("zlexcount", arity: 4, since: "2.8.9", summary: "Returns the number of members in a sorted set within a lexicographical range.",
                                    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
                                    arguments: [ArgumentSpec("min", .string), ArgumentSpec("max", .string)]) { c, args in
        guard let min = LexBound(args[2]), let max = LexBound(args[3]) else { c.fail(LexBound.error); return }
        c.readValue(args[1], as: SortedSetView.self) { z in c.reply.integer(z?.ranks(min, max).count ?? 0) }
    }
}

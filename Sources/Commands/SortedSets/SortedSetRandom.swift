import RESP
import Storage

/// `ZRANDMEMBER key [count [WITHSCORES]]`
///
/// Without a count: one random member (null for a missing key). A positive
/// count gives distinct members (the whole set when it has no more than
/// that); a negative one may repeat members. In RESP3, WITHSCORES pairs are
/// two-element arrays with double scores.
enum SortedSetRandomCommand {
    static let spec = CommandSpec(
        "zrandmember", arity: -2, flags: [.readonly], acl: ["@read", "@sortedset", "@slow"], keys: (1, 1, 1),
        group: "sorted_set", since: "6.2.0", summary: "Returns one or more random members from a sorted set.",
        complexity: "O(N) where N is the number of members returned",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0),
                    ArgumentSpec("options", .block, optional: true, children: [
                        ArgumentSpec("count", .integer), ArgumentSpec("withscores", .pureToken, token: "WITHSCORES", optional: true)])],
        handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        if args.count == 2 {
            c.readValue(args[1], as: SortedSetView.self) { z in
                guard let z = z else { c.reply.null(); return }
                z.scan(from: Int(c.loop.nextRandom() % UInt64(z.count)), reverse: false) { m, _ in c.reply.bulk(m); return false }
            }
            return
        }
        guard let (requested, withScores) = c.randomCount(args, flag: "withscores") else { return }
        c.readValue(args[1], as: SortedSetView.self) { z in
            guard let z = z, requested != 0 else { c.reply.array(0); return }
            let size = z.count
            let nested = c.protocolVersion == 3
            let total = requested < 0 ? -requested : min(requested, size)
            c.reply.array(withScores && !nested ? total * 2 : total)
            if requested < 0 {
                for _ in 0..<total {
                    z.scan(from: Int(c.loop.nextRandom() % UInt64(size)), reverse: false) { m, s in
                        c.replyMember(m, s, withScores: withScores, nested: nested); return false
                    }
                }
                return
            }
            // Distinct members: every one, or a random subset by selection sampling.
            var needed = total
            var left = size
            z.scan(from: 0, reverse: false) { m, s in
                if requested >= size || c.loop.nextRandom() % UInt64(left) < UInt64(needed) {
                    c.replyMember(m, s, withScores: withScores, nested: nested)
                    needed -= 1
                }
                left -= 1
                return needed > 0
            }
        }
    }
}

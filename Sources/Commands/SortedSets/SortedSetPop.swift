import RESP
import Storage

/// `ZPOPMIN key [count]`, `ZPOPMAX key [count]`,
/// `ZMPOP numkeys key [key ...] <MIN | MAX> [COUNT count]`,
/// `BZPOPMIN key [key ...] timeout`, `BZPOPMAX key [key ...] timeout`,
/// `BZMPOP timeout numkeys key [key ...] <MIN | MAX> [COUNT count]`
///
/// Removes the lowest (highest) scored members. Reply shapes follow
/// Redis's `genericZpopCommand`: flat member/score pairs, or (ZMPOP,
/// RESP3 with a count) nested pairs, with the key first for the multi-key forms.
enum SortedSetPopCommand {
    struct Shape {
        var withKey: Bool
        var nested: Bool
        var nullWhenEmpty: Bool
    }

    static let zpopmin = pop("zpopmin", max: false, summary: "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.")
    static let zpopmax = pop("zpopmax", max: true, summary: "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.")

    static func pop(_ name: String, max: Bool, summary: String) -> CommandSpec {
        CommandSpec(name, arity: -2, flags: [.write, .fast], acl: ["@write", "@sortedset", "@fast"], keys: (1, 1, 1),
                    group: "sorted_set", since: "5.0.0", summary: summary,
                    complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
                    arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("count", .integer, optional: true)],
                    handler: { c, args in
                        if args.count > 3 { c.fail(Errors.syntax); return }
                        var count = -1
                        if args.count == 3 {
                            // One message for a bad number and a negative one, as in Redis.
                            guard let n = Decimal.parse(args[2]), n >= 0 else { c.fail("ERR value is out of range, must be positive"); return }
                            count = n
                        }
                        let shape = Shape(withKey: false, nested: c.protocolVersion == 3 && count != -1, nullWhenEmpty: false)
                        if popFirst(c, [args[1]], max: max, count: count, shape: shape) == .missing { c.reply.array(0) }
                    })
    }

    /// Pops from the first existing sorted set among `keys` (`.missing`:
    /// none exists, nothing replied).
    @discardableResult
    static func popFirst(_ c: Client, _ keys: [UnsafeRawBufferPointer], max: Bool, count: Int, shape: Shape) -> ContainerAccess {
        for key in keys {
            let result = c.writeValue(key, as: SortedSetView.self, create: false) { z, k in
                if count == 0 { c.reply.array(0); return }
                let n = min(count == -1 ? 1 : count, z.count)
                switch (shape.nested, shape.withKey) {
                case (false, false): c.reply.array(2 * n)
                case (true, false): c.reply.array(n)
                case (false, true): c.reply.array(2 * n + 1); c.reply.bulk(key)
                case (true, true): c.reply.array(2); c.reply.bulk(key); c.reply.array(n)
                }
                var left = n
                z.scan(from: max ? z.count - 1 : 0, reverse: max) { member, score in
                    if shape.nested { c.reply.array(2) }
                    c.reply.bulk(member)
                    c.reply.double(score)
                    left -= 1
                    return left > 0
                }
                z.removeRange(from: max ? z.count - n : 0, count: n)
                c.keyspaceEvent(.zset, max ? "zpopmax" : "zpopmin", key)
                c.keyModified(k)
                c.dirty(n)
            }
            if result == .missing { continue }
            return result
        }
        return .missing
    }

    static func mpopArguments(blocking: Bool) -> [ArgumentSpec] {
        (blocking ? [ArgumentSpec("timeout", .double)] : []) + [
            ArgumentSpec("numkeys", .integer), ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0),
            ArgumentSpec("where", .oneof, children: [ArgumentSpec("min", .pureToken, token: "MIN"), ArgumentSpec("max", .pureToken, token: "MAX")]),
            ArgumentSpec("count", .integer, token: "COUNT", optional: true),
        ]
    }

    /// `numkeys key... MIN|MAX [COUNT n]` from `at`.
    static func parseMulti(_ c: Client, _ args: Arguments, numkeysAt i: Int) -> (keys: [UnsafeRawBufferPointer], max: Bool, count: Int)? {
        guard let numkeys = Decimal.parse(args[i]), numkeys >= 1 else { c.fail("ERR numkeys should be greater than 0"); return nil }
        let whereAt = i + 1 + min(numkeys, args.count)
        if whereAt >= args.count { c.fail(Errors.syntax); return nil }
        let max: Bool
        if args[whereAt].equalsIgnoringCase("min") { max = false }
        else if args[whereAt].equalsIgnoringCase("max") { max = true }
        else { c.fail(Errors.syntax); return nil }
        var count = -1
        var j = whereAt + 1
        while j < args.count {
            if count == -1 && args[j].equalsIgnoringCase("count") && j + 1 < args.count {
                guard let n = Decimal.parse(args[j + 1]), n >= 1 else { c.fail("ERR count should be greater than 0"); return nil }
                count = n
                j += 2
            } else {
                c.fail(Errors.syntax)
                return nil
            }
        }
        return (c.keyArguments(args, from: i + 1, to: whereAt), max, count == -1 ? 1 : count)
    }

    static let zmpop = CommandSpec(
        "zmpop", arity: -4, flags: [.write], acl: ["@write", "@sortedset", "@slow"], keys: (0, 0, 0),
        group: "sorted_set", since: "7.0.0", summary: "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        arguments: mpopArguments(blocking: false),
        handler: { c, args in
            guard let r = parseMulti(c, args, numkeysAt: 1) else { return }
            if popFirst(c, r.keys, max: r.max, count: r.count, shape: Shape(withKey: true, nested: true, nullWhenEmpty: true)) == .missing {
                c.reply.nullArray()
            }
        })

    static let blockingFlags: CommandFlags = [.write, .noscript, .blocking, .fast]

    static let bzpopmin = blockingPop("bzpopmin", max: false, summary: "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.")
    static let bzpopmax = blockingPop("bzpopmax", max: true, summary: "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.")

    static func blockingPop(_ name: String, max: Bool, summary: String) -> CommandSpec {
        CommandSpec(name, arity: -3, flags: blockingFlags, acl: ["@write", "@sortedset", "@fast", "@blocking"], keys: (1, -2, 1),
                    group: "sorted_set", since: "5.0.0", summary: summary, complexity: "O(log(N)) with N being the number of elements in the sorted set.",
                    arguments: [ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0), ArgumentSpec("timeout", .double)],
                    handler: { c, args in
                        guard let deadline = c.blockingDeadline(args[args.count - 1]) else { return }
                        popOrBlock(c, c.keyArguments(args, from: 1, to: args.count - 1), max: max, count: -1,
                                   shape: Shape(withKey: true, nested: false, nullWhenEmpty: false), deadline: deadline)
                    })
    }

    static let bzmpop = CommandSpec(
        "bzmpop", arity: -5, flags: [.write, .blocking], acl: ["@write", "@sortedset", "@slow", "@blocking"], keys: (0, 0, 0),
        group: "sorted_set", since: "7.0.0", summary: "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        arguments: mpopArguments(blocking: true),
        handler: { c, args in
            guard let r = parseMulti(c, args, numkeysAt: 2), let deadline = c.blockingDeadline(args[1]) else { return }
            popOrBlock(c, r.keys, max: r.max, count: r.count, shape: Shape(withKey: true, nested: true, nullWhenEmpty: true), deadline: deadline)
        })

    static func popOrBlock(_ c: Client, _ keys: [UnsafeRawBufferPointer], max: Bool, count: Int, shape: Shape, deadline: Int64) {
        if popFirst(c, keys, max: max, count: count, shape: shape) != .missing { return }
        c.block(on: keys, deadlineMs: deadline) { proxy, key in
            guard proxy.keyType(key) == .zset else { return .exhausted }
            return popFirst(proxy, [key], max: max, count: count, shape: shape) == .done ? .served : .exhausted
        }
    }
}

import RESP
import Storage

/// `LSET key index element`, `LREM key count element`, `LTRIM key start stop`
enum ListEditCommand {
    /// Replaces the element at `index`; `ERR no such key` for a missing key.
    static let lset = CommandSpec(
        "lset", arity: 4, flags: [.write, .denyoom], acl: ["@write", "@list", "@slow"], keys: (1, 1, 1),
        group: "list", since: "1.0.0", summary: "Sets the value of an element in a list by its index.",
        complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("index", .integer), ArgumentSpec("element", .string)],
        handler: { c, args in
            let limits = c.server.config.listLimits
            let found = c.writeValue(args[1], as: ListView.self, create: false) { l, k in
                guard var index = c.integerArgument(args[2]) else { return }
                if index < 0 { index = l.count &+ index }
                guard index >= 0 && index < l.count else { c.fail("ERR index out of range"); return }
                l.replace(at: l.position(ofIndex: index), with: args[3], limits: limits)
                c.reply.ok()
                c.keyModified(k)
                c.keyspaceEvent(.list, "lset", args[1])
                c.dirty()
            }
            if found == .missing { c.fail(Errors.noSuchKey) }
        })

    /// Removes the first `count` elements equal to `element` (negative:
    /// from the tail; 0: all of them); replies with how many went.
    static let lrem = CommandSpec(
        "lrem", arity: 4, flags: [.write], acl: ["@write", "@list", "@slow"], keys: (1, 1, 1),
        group: "list", since: "1.0.0", summary: "Removes elements from a list. Deletes the list if the last element was removed.",
        complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("count", .integer), ArgumentSpec("element", .string)],
        handler: { c, args in
            guard let count = c.integerArgument(args[2]) else { return }
            let fromTail = count < 0
            let limit = count == Int.min ? Int.max : abs(count)
            let found = c.writeValue(args[1], as: ListView.self, create: false) { l, k in
                var positions: [ListView.Position] = []
                l.scan(from: fromTail ? l.count - 1 : 0, reverse: fromTail) { bytes, p in
                    if bytes.equals(args[3]) { positions.append(p) }
                    return limit == 0 || positions.count < limit
                }
                // Later positions first: removing one never moves an earlier one.
                let ordered = fromTail ? positions : positions.reversed()
                for p in ordered { l.delete(at: p) }
                if !positions.isEmpty {
                    c.keyModified(k)
                    c.keyspaceEvent(.list, "lrem", args[1])
                    c.dirty(positions.count)
                }
                c.reply.integer(positions.count)
            }
            if found == .missing { c.reply.integer(0) }
        })

    /// Keeps only the elements from `start` to `stop` (inclusive).
    static let ltrim = CommandSpec(
        "ltrim", arity: 4, flags: [.write], acl: ["@write", "@list", "@slow"], keys: (1, 1, 1),
        group: "list", since: "1.0.0", summary: "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
        complexity: "O(N) where N is the number of elements to be removed by the operation.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("start", .integer), ArgumentSpec("stop", .integer)],
        handler: { c, args in
            guard let start = c.integerArgument(args[2]), let stop = c.integerArgument(args[3]) else { return }
            let found = c.writeValue(args[1], as: ListView.self, create: false) { l, k in
                let length = l.count
                let range = ListRange(start: start, stop: stop, length: length)
                let front = range?.first ?? length
                let back = range.map { length - 1 - $0.last } ?? 0
                if front > 0 { l.remove(front, fromFront: true) }
                if back > 0 { l.remove(back, fromFront: false) }
                c.keyspaceEvent(.list, "ltrim", args[1])
                c.keyModified(k)
                c.dirty(front + back)
            }
            if found != .wrongType { c.reply.ok() }
        })
}

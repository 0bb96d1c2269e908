import RESP
import Storage

/// How a pop replies: a bare element (LPOP), an array (LPOP with count), the
/// key and one element (BLPOP), or the key and an array (LMPOP, BLMPOP).
enum PopReply { case element, elements, keyAndElement, keyAndElements }

extension Client {
    /// LEFT or RIGHT (true for LEFT), else a syntax error.
    func listSide(_ arg: UnsafeRawBufferPointer) -> Bool? {
        if arg.equalsIgnoringCase("left") { return true }
        if arg.equalsIgnoringCase("right") { return false }
        fail(Errors.syntax)
        return nil
    }

    /// Pops up to `count` elements from the head (or tail) of the list at
    /// `key` and replies in `shape`. `.missing` (nothing replied) when the
    /// key does not exist.
    @discardableResult
    func popList(_ key: UnsafeRawBufferPointer, atFront: Bool, count: Int, shape: PopReply) -> ContainerAccess {
        writeValue(key, as: ListView.self, create: false) { l, k in
            let n = min(count, l.count)
            switch shape {
            case .element: break
            case .elements: reply.array(n)
            case .keyAndElement: reply.array(2); reply.bulk(key)
            case .keyAndElements: reply.array(2); reply.bulk(key); reply.array(n)
            }
            var taken = 0
            l.scan(from: atFront ? 0 : l.count - 1, reverse: !atFront) { bytes, _ in
                reply.bulk(bytes)
                taken += 1
                return taken < n
            }
            l.remove(n, fromFront: atFront)
            keyspaceEvent(.list, atFront ? "lpop" : "rpop", key)
            keyModified(k)
            dirty(n)
        }
    }
}

/// `LPOP key [count]`, `RPOP key [count]`
///
/// Without a count: the first (last) element, null for a missing key. With
/// one: an array of up to `count` elements, a null array for a missing key.
enum ListPopCommand {
    static let lpop = make("lpop", atFront: true, summary: "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.")
    static let rpop = make("rpop", atFront: false, summary: "Returns and removes the last elements of a list. Deletes the list if the last element was popped.")

    static func make(_ name: String, atFront: Bool, summary: String) -> CommandSpec {
        CommandSpec(
            name, arity: -2, flags: [.write, .fast], acl: ["@write", "@list", "@fast"], keys: (1, 1, 1),
            group: "list", since: "1.0.0", summary: summary, complexity: "O(N) where N is the number of elements returned",
            arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("count", .integer, optional: true, since: "6.2.0")],
            handler: { c, args in
                if args.count > 3 { c.fail(Errors.arity(name)); return }
                var count = -1
                if args.count == 3 {
                    // One message for a bad number and a negative one, as in Redis.
                    guard let n = Decimal.parse(args[2]), n >= 0 else { c.fail("ERR value is out of range, must be positive"); return }
                    count = n
                }
                if count == 0 {
                    c.readValue(args[1], as: ListView.self) { l in if l == nil { c.reply.nullArray() } else { c.reply.array(0) } }
                    return
                }
                let found = c.popList(args[1], atFront: atFront, count: max(count, 1), shape: count < 0 ? .element : .elements)
                if found == .missing { if count < 0 { c.reply.null() } else { c.reply.nullArray() } }
            })
    }
}

/// `LMPOP numkeys key [key ...] <LEFT | RIGHT> [COUNT count]`
///
/// Pops from the first non-empty list among the keys; replies with its
/// name and the elements, or a null array when every list is empty.
enum ListMultiPopCommand {
    static let lmpop = CommandSpec(
        "lmpop", arity: -4, flags: [.write], acl: ["@write", "@list", "@slow"], keys: (0, 0, 0),
        group: "list", since: "7.0.0", summary: "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        arguments: arguments(blocking: false),
        handler: { c, args in
            guard let request = parse(c, args, numkeysAt: 1) else { return }
            for key in request.keys {
                switch c.popList(key, atFront: request.atFront, count: request.count, shape: .keyAndElements) {
                case .missing: continue
                case .done, .wrongType: return
                }
            }
            c.reply.nullArray()
        })

    static func arguments(blocking: Bool) -> [ArgumentSpec] {
        (blocking ? [ArgumentSpec("timeout", .double)] : []) + [
            ArgumentSpec("numkeys", .integer), ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0),
            ArgumentSpec("where", .oneof, children: [ArgumentSpec("left", .pureToken, token: "LEFT"), ArgumentSpec("right", .pureToken, token: "RIGHT")]),
            ArgumentSpec("count", .integer, token: "COUNT", optional: true),
        ]
    }

    struct Request {
        var keys: [UnsafeRawBufferPointer]
        var atFront: Bool
        var count: Int
    }

    /// Parses `numkeys key... LEFT|RIGHT [COUNT n]` from `numkeysAt`, with Redis's order of checks.
    static func parse(_ c: Client, _ args: Arguments, numkeysAt i: Int) -> Request? {
        // Redis gives one message for a bad number and one out of range.
        guard let numkeys = Decimal.parse(args[i]), numkeys >= 1 else { c.fail("ERR numkeys should be greater than 0"); return nil }
        let whereAt = i + 1 + min(numkeys, args.count)
        if whereAt >= args.count { c.fail(Errors.syntax); return nil }
        guard let atFront = c.listSide(args[whereAt]) else { return nil }
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
        return Request(keys: c.keyArguments(args, from: i + 1, to: whereAt), atFront: atFront, count: max(count, 1))
    }
}

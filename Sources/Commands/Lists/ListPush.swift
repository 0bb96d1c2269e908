import RESP
import Storage

/// `LPUSH key element [element ...]`, `RPUSH key element [element ...]`,
/// `LPUSHX key element [element ...]`, `RPUSHX key element [element ...]`
///
/// Pushes each element in turn at the head (L) or tail (R) and replies with
/// the new length; the X forms push only onto an existing list (else 0).
enum ListPushCommand {
    static let lpush = make("lpush", atFront: true, onlyExisting: false, since: "1.0.0",
                            summary: "Prepends one or more elements to a list. Creates the key if it doesn't exist.")
    static let rpush = make("rpush", atFront: false, onlyExisting: false, since: "1.0.0",
                            summary: "Appends one or more elements to a list. Creates the key if it doesn't exist.")
    static let lpushx = make("lpushx", atFront: true, onlyExisting: true, since: "2.2.0",
                             summary: "Prepends one or more elements to a list only when the list exists.")
    static let rpushx = make("rpushx", atFront: false, onlyExisting: true, since: "2.2.0",
                             summary: "Appends an element to a list only when the list exists.")

    static func make(_ name: String, atFront: Bool, onlyExisting: Bool, since: String, summary: String) -> CommandSpec {
        CommandSpec(
            name, arity: -3, flags: [.write, .denyoom, .fast], acl: ["@write", "@list", "@fast"], keys: (1, 1, 1),
            group: "list", since: since, summary: summary, complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
            arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("element", .string, multiple: true)],
            handler: { c, args in
                let limits = c.server.config.listLimits
                let found = c.writeValue(args[1], as: ListView.self, create: !onlyExisting) { l, k in
                    for i in 2..<args.count { l.push(args[i], atFront: atFront, limits: limits) }
                    c.reply.integer(l.count)
                    c.dirty(args.count - 2)
                    c.keyModified(k)
                    c.keyspaceEvent(.list, atFront ? "lpush" : "rpush", args[1])
                    c.signalKeyReady(args[1])
                }
                if found == .missing { c.reply.integer(0) }
            })
    }
}

/// `LINSERT key <BEFORE | AFTER> pivot element`
///
/// Inserts next to the first element equal to `pivot` (from the head);
/// replies with the new length, -1 when there is no such pivot, 0 for a
/// missing key.
enum ListInsertCommand {
    static let spec = CommandSpec(
        "linsert", arity: 5, flags: [.write, .denyoom], acl: ["@write", "@list", "@slow"], keys: (1, 1, 1),
        group: "list", since: "2.2.0", summary: "Inserts an element before or after another element in a list.",
        complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0),
                    ArgumentSpec("where", .oneof, children: [ArgumentSpec("before", .pureToken, token: "BEFORE"), ArgumentSpec("after", .pureToken, token: "AFTER")]),
                    ArgumentSpec("pivot", .string), ArgumentSpec("element", .string)],
        handler: { c, args in
            let after: Bool
            if args[2].equalsIgnoringCase("after") { after = true }
            else if args[2].equalsIgnoringCase("before") { after = false }
            else { c.fail(Errors.syntax); return }
            let limits = c.server.config.listLimits
            let found = c.writeValue(args[1], as: ListView.self, create: false) { l, k in
                var pivot: ListView.Position? = nil
                l.scan(from: 0, reverse: false) { bytes, p in
                    if bytes.equals(args[3]) { pivot = p; return false }
                    return true
                }
                guard let p = pivot else { c.reply.integer(-1); return }
                l.insert(args[4], at: p, after: after, limits: limits)
                c.keyModified(k)
                c.keyspaceEvent(.list, "linsert", args[1])
                c.dirty()
                c.reply.integer(l.count)
            }
            if found == .missing { c.reply.integer(0) }
        })
}

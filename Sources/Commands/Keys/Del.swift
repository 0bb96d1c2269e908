import RESP
import Storage

/// `DEL key [key ...]` and `UNLINK key [key ...]`
///
/// The number of keys removed (a repeated key counts once). An expired key
/// is expired first, so it does not count. UNLINK replies the same and frees
/// big containers on the background thread (as DEL does with
/// `lazyfree-lazy-user-del yes`); a string is one block, freed at once.
enum DelCommand {
    static let del = CommandSpec(
        "del", arity: -2, flags: [.write], acl: ["@keyspace", "@write", "@slow"], keys: (1, -1, 1),
        group: "generic", since: "1.0.0", summary: "Deletes one or more keys.",
        complexity: "O(N) where N is the number of keys that will be removed.",
        arguments: [ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0)], handler: run)

    static let unlink = CommandSpec(
        "unlink", arity: -2, flags: [.write, .fast], acl: ["@keyspace", "@write", "@fast"], keys: (1, -1, 1),
        group: "generic", since: "4.0.0", summary: "Asynchronously deletes one or more keys.",
        complexity: "O(1) for each key removed regardless of its size.",
        arguments: [ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        let lazily = args[0].equalsIgnoringCase("unlink") || c.server.config.lazyfreeLazyUserDel
        if args.count == 2 {
            c.withKey(args[1], touch: false) { k in
                let removed = k.delete(lazily: lazily)
                if removed { c.keyModified(k); c.keyspaceEvent(.generic, "del", args[1]); c.dirty() }
                c.reply.integer(removed ? 1 : 0)
            }
            return
        }
        c.withKeys(args, from: 1) { keys in
            var removed = 0
            for i in 0..<keys.count {
                var k = keys.key(i, touch: false)
                if k.delete(lazily: lazily) { removed += 1; c.keyModified(k); c.keyspaceEvent(.generic, "del", k.key) }
            }
            c.dirty(removed)
            c.reply.integer(removed)
        }
    }
}

/// `EXISTS key [key ...]` — counts every argument that exists (repeats count again).
enum ExistsCommand {
    static let spec = CommandSpec(
        "exists", arity: -2, flags: [.readonly, .fast], acl: ["@keyspace", "@read", "@fast"], keys: (1, -1, 1),
        group: "generic", since: "1.0.0", summary: "Determines whether one or more keys exist.",
        complexity: "O(N) where N is the number of keys to check.",
        arguments: [ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        c.withKeys(args, from: 1) { keys in
            var n = 0
            for i in 0..<keys.count where keys.key(i, touch: false).exists { n += 1 }
            c.reply.integer(n)
        }
    }
}

/// `TOUCH key [key ...]` — like EXISTS, but refreshes each key's access time.
enum TouchCommand {
    static let spec = CommandSpec(
        "touch", arity: -2, flags: [.readonly, .fast], acl: ["@keyspace", "@read", "@fast"], keys: (1, -1, 1),
        group: "generic", since: "3.2.1", summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed.",
        complexity: "O(N) where N is the number of keys that will be touched.",
        arguments: [ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        c.withKeys(args, from: 1) { keys in
            var n = 0
            for i in 0..<keys.count where keys.key(i, touch: true).exists { n += 1 }
            c.reply.integer(n)
        }
    }
}

/// `TYPE key` — `string`, `list`, … or `none`.
enum TypeCommand {
    static let spec = CommandSpec(
        "type", arity: 2, flags: [.readonly, .fast], acl: ["@keyspace", "@read", "@fast"], keys: (1, 1, 1),
        group: "generic", since: "1.0.0", summary: "Determines the type of value stored at a key.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        c.withKey(args[1], touch: false) { k in
            if let e = k.entry { c.reply.simple(e.type.name) } else { c.reply.simple("none") }
        }
    }
}

import RESP
import Storage

/// `MGET key [key ...]`
///
/// One reply per key: the value, or nil when missing or not a string (no WRONGTYPE).
enum MGetCommand {
    static let spec = CommandSpec(
        "mget", arity: -2, flags: [.readonly, .fast], acl: ["@read", "@string", "@fast"], keys: (1, -1, 1),
        group: "string", since: "1.0.0", summary: "Atomically returns the string values of one or more keys.",
        complexity: "O(N) where N is the number of keys to retrieve.",
        arguments: [ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        c.withKeys(args, from: 1) { keys in
            c.reply.array(keys.count)
            for i in 0..<keys.count {
                if let e = keys.key(i, read: true).entry, e.type == .string { c.reply.bulk(e.value) } else { c.reply.null() }
            }
        }
    }
}

/// `MSET key value [key value ...]` and `MSETNX key value [key value ...]`
///
/// MSETNX sets nothing (and replies 0) when any of the keys exists.
enum MSetCommand {
    static let spec = CommandSpec(
        "mset", arity: -3, flags: [.write, .denyoom], acl: ["@write", "@string", "@slow"], keys: (1, -1, 2),
        group: "string", since: "1.0.1", summary: "Atomically creates or modifies the string values of one or more keys.",
        complexity: "O(N) where N is the number of keys to set.",
        arguments: [ArgumentSpec("data", .block, multiple: true, children: [
            ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("value", .string)])],
        handler: { c, args in run(c, args, onlyIfNoneExist: false) })

    static let msetnx = CommandSpec(
        "msetnx", arity: -3, flags: [.write, .denyoom], acl: ["@write", "@string", "@slow"], keys: (1, -1, 2),
        group: "string", since: "1.0.1", summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.",
        complexity: "O(N) where N is the number of keys to set.",
        arguments: [ArgumentSpec("data", .block, multiple: true, children: [
            ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("value", .string)])],
        handler: { c, args in run(c, args, onlyIfNoneExist: true) })

    static func run(_ c: Client, _ args: Arguments, onlyIfNoneExist: Bool) {
        if args.count % 2 == 0 {
            c.fail(Errors.arity(onlyIfNoneExist ? "msetnx" : "mset"))
            return
        }
        c.withKeys(args, from: 1, step: 2) { keys in
            if onlyIfNoneExist {
                for i in 0..<keys.count where keys.key(i, touch: false).exists {
                    c.reply.integer(0)
                    return
                }
            }
            for i in 0..<keys.count {
                var k = keys.key(i)
                let value = args[2 + 2 * i]
                k.storeString(value, encoding: .classify(value), expiry: .clear, lru: c.lruClock)
                c.keyModified(k)
                c.keyspaceEvent(.string, "set", k.key)
            }
            c.dirty(keys.count)
            if onlyIfNoneExist { c.reply.integer(1) } else { c.reply.ok() }
        }
    }
}

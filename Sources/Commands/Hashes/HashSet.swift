import RESP
import Storage

/// `HSET key field value [field value ...]`, `HMSET key field value [field value ...]`,
/// `HSETNX key field value`
///
/// HSET replies with the number of new fields, HMSET with OK; HSETNX sets
/// only a missing field (1) and otherwise changes nothing (0).
enum HashSetCommand {
    static let hset = make("hset", since: "2.0.0", summary: "Creates or modifies the value of a field in a hash.") { c, added in
        c.reply.integer(added)
    }
    static let hmset = make("hmset", since: "2.0.0", summary: "Sets the values of multiple fields.") { c, _ in
        c.reply.ok()
    }

    static func make(_ name: String, since: String, summary: String, reply: @escaping (Client, Int) -> Void) -> CommandSpec {
        CommandSpec(
            name, arity: -4, flags: [.write, .denyoom, .fast], acl: ["@write", "@hash", "@fast"], keys: (1, 1, 1),
            group: "hash", since: since, summary: summary,
            arguments: [ArgumentSpec("key", .key, keySpecIndex: 0),
                        ArgumentSpec("data", .block, multiple: true, children: [ArgumentSpec("field", .string), ArgumentSpec("value", .string)])],
            handler: { c, args in
                if args.count % 2 != 0 { c.fail(Errors.arity(name)); return }
                let limits = c.server.config.hashLimits
                var added = 0
                c.writeValue(args[1], as: HashView.self, create: true) { h, k in
                    var i = 2
                    while i < args.count {
                        if h.set(args[i], args[i + 1], limits: limits) { added += 1 }
                        i += 2
                    }
                    c.dirty((args.count - 2) / 2)
                    c.keyModified(k)
                    c.keyspaceEvent(.hash, "hset", args[1])
                    reply(c, added)
                }
            })
    }

    static let hsetnx = CommandSpec(
        "hsetnx", arity: 4, flags: [.write, .denyoom, .fast], acl: ["@write", "@hash", "@fast"], keys: (1, 1, 1),
        group: "hash", since: "2.0.0", summary: "Sets the value of a field in a hash only when the field doesn't exist.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("field", .string), ArgumentSpec("value", .string)],
        handler: { c, args in
            let limits = c.server.config.hashLimits
            c.writeValue(args[1], as: HashView.self, create: true) { h, k in
                if h.get(args[2]) != nil { c.reply.integer(0); return }
                h.set(args[2], args[3], limits: limits)
                c.dirty()
                c.keyModified(k)
                c.keyspaceEvent(.hash, "hset", args[1])
                c.reply.integer(1)
            }
        })
}

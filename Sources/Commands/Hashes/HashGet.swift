import RESP
import Storage

/// `HGET key field`, `HMGET key field [field ...]`, `HEXISTS key field`,
/// `HSTRLEN key field`, `HLEN key`
///
/// A missing key reads as an empty hash.
enum HashGetCommand {
    static func readOnly(_ name: String, arity: Int, since: String, summary: String, fields: Bool, multiple: Bool = false,
                         _ handler: @escaping CommandHandler) -> CommandSpec {
        var arguments = [ArgumentSpec("key", .key, keySpecIndex: 0)]
        if fields { arguments.append(ArgumentSpec("field", .string, multiple: multiple)) }
        return CommandSpec(name, arity: arity, flags: [.readonly, .fast], acl: ["@read", "@hash", "@fast"], keys: (1, 1, 1),
                           group: "hash", since: since, summary: summary, arguments: arguments, handler: handler)
    }

    static let hget = readOnly("hget", arity: 3, since: "2.0.0", summary: "Returns the value of a field in a hash.", fields: true) { c, args in
        c.readValue(args[1], as: HashView.self) { h in
            if let v = h?.get(args[2]) { c.reply.bulk(v) } else { c.reply.null() }
        }
    }

    static let hmget = readOnly("hmget", arity: -3, since: "2.0.0", summary: "Returns the values of all fields in a hash.",
                                fields: true, multiple: true) { c, args in
        c.readValue(args[1], as: HashView.self) { h in
            c.reply.array(args.count - 2)
            for i in 2..<args.count {
                if let v = h?.get(args[i]) { c.reply.bulk(v) } else { c.reply.null() }
            }
        }
    }

    static let hexists = readOnly("hexists", arity: 3, since: "2.0.0", summary: "Determines whether a field exists in a hash.", fields: true) { c, args in
        c.readValue(args[1], as: HashView.self) { h in
            c.reply.integer(h?.get(args[2]) != nil ? 1 : 0)
        }
    }

    static let hstrlen = readOnly("hstrlen", arity: 3, since: "3.2.0", summary: "Returns the length of the value of a field.", fields: true) { c, args in
        c.readValue(args[1], as: HashView.self) { h in
            c.reply.integer(h?.get(args[2])?.count ?? 0)
        }
    }

    static let hlen = readOnly("hlen", arity: 2, since: "2.0.0", summary: "Returns the number of fields in a hash.", fields: false) { c, args in
        c.readValue(args[1], as: HashView.self) { h in
            c.reply.integer(h?.count ?? 0)
        }
    }
}

/// `HGETALL key`, `HKEYS key`, `HVALS key`
///
/// HGETALL is a map in RESP3 (a flat array in RESP2); the order is the
/// hash's own (insertion order while it is packed).
enum HashGetAllCommand {
    enum Part { case fields, values, both }

    static func make(_ name: String, since: String, summary: String, _ part: Part) -> CommandSpec {
        CommandSpec(name, arity: 2, flags: [.readonly], acl: ["@read", "@hash", "@slow"], keys: (1, 1, 1),
                    group: "hash", since: since, summary: summary,
                    arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)],
                    handler: { c, args in
                        c.readValue(args[1], as: HashView.self) { h in
                            let n = h?.count ?? 0
                            if part == .both { c.reply.map(n) } else { c.reply.array(n) }
                            h?.forEach { field, value in
                                if part != .values { c.reply.bulk(field) }
                                if part != .fields { c.reply.bulk(value) }
                            }
                        }
                    })
    }

    static let hgetall = make("hgetall", since: "2.0.0", summary: "Returns all fields and values in a hash.", .both)
    static let hkeys = make("hkeys", since: "2.0.0", summary: "Returns all fields in a hash.", .fields)
    static let hvals = make("hvals", since: "2.0.0", summary: "Returns all values in a hash.", .values)
}

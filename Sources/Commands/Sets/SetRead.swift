import RESP
import Storage

/// `SMEMBERS key`, `SISMEMBER key member`, `SMISMEMBER key member [member ...]`, `SCARD key`
///
/// SMEMBERS is a set in RESP3; an intset lists its members in ascending order.
enum SetReadCommand {
    static func readOnly(_ name: String, arity: Int, since: String, summary: String, members: Bool, multiple: Bool = false,
                         fast: Bool = true, _ handler: @escaping CommandHandler) -> CommandSpec {
        var arguments = [ArgumentSpec("key", .key, keySpecIndex: 0)]
        if members { arguments.append(ArgumentSpec("member", .string, multiple: multiple)) }
        return CommandSpec(name, arity: arity, flags: fast ? [.readonly, .fast] : [.readonly],
                           acl: ["@read", "@set", fast ? "@fast" : "@slow"], keys: (1, 1, 1),
                           group: "set", since: since, summary: summary, arguments: arguments, handler: handler)
    }

    static let smembers = readOnly("smembers", arity: 2, since: "1.0.0", summary: "Returns all members of a set.",
                                   members: false, fast: false) { c, args in
        c.readValue(args[1], as: SetView.self) { s in
            c.reply.set(s?.count ?? 0)
            s?.forEach { c.reply.bulk($0) }
        }
    }

    static let sismember = readOnly("sismember", arity: 3, since: "1.0.0", summary: "Determines whether a member belongs to a set.",
                                    members: true) { c, args in
        c.readValue(args[1], as: SetView.self) { s in c.reply.integer(s?.contains(args[2]) == true ? 1 : 0) }
    }

    static let smismember = readOnly("smismember", arity: -3, since: "6.2.0", summary: "Determines whether multiple members belong to a set.",
                                     members: true, multiple: true) { c, args in
        c.readValue(args[1], as: SetView.self) { s in
            c.reply.array(args.count - 2)
            for i in 2..<args.count { c.reply.integer(s?.contains(args[i]) == true ? 1 : 0) }
        }
    }

    static let scard = readOnly("scard", arity: 2, since: "1.0.0", summary: "Returns the number of members in a set.", members: false) { c, args in
        c.readValue(args[1], as: SetView.self) { s in c.reply.integer(s?.count ?? 0) }
    }
}

import RESP
import Storage

/// `SADD key member [member ...]`, `SREM key member [member ...]`
///
/// Reply with the number of members added or removed; the key goes with
/// its last member.
enum SetAddCommand {
    static let sadd = CommandSpec(
        "sadd", arity: -3, flags: [.write, .denyoom, .fast], acl: ["@write", "@set", "@fast"], keys: (1, 1, 1),
        group: "set", since: "1.0.0", summary: "Adds one or more members to a set. Creates the key if it doesn't exist.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("member", .string, multiple: true)],
        handler: { c, args in
            let limit = c.server.config.setMaxIntsetEntries
            c.writeValue(args[1], as: SetView.self, create: true) { s, k in
                var added = 0
                for i in 2..<args.count where s.add(args[i], maxIntsetEntries: limit) { added += 1 }
                if added > 0 {
                    c.dirty(added)
                    c.keyModified(k)
                    c.keyspaceEvent(.set, "sadd", args[1])
                }
                c.reply.integer(added)
            }
        })

    static let srem = CommandSpec(
        "srem", arity: -3, flags: [.write, .fast], acl: ["@write", "@set", "@fast"], keys: (1, 1, 1),
        group: "set", since: "1.0.0", summary: "Removes one or more members from a set. Deletes the set if the last member was removed.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("member", .string, multiple: true)],
        handler: { c, args in
            c.removeElements(args, as: SetView.self, notify: .set, event: "srem") { s, member in s.remove(member) }
        })
}

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

/// `SSCAN key cursor [MATCH pattern] [COUNT count]` (see HSCAN).
enum SetScanCommand {
    static let spec = CommandSpec(
        "sscan", arity: -3, flags: [.readonly], acl: ["@read", "@set", "@slow"], keys: (1, 1, 1),
        group: "set", since: "2.8.0", summary: "Iterates over members of a set.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("cursor", .integer),
                    ArgumentSpec("pattern", .pattern, token: "MATCH", optional: true),
                    ArgumentSpec("count", .integer, token: "COUNT", optional: true)],
        handler: { c, args in
            guard let options = ContainerScan.parse(c, args, from: 2) else { return }
            c.readValue(args[1], as: SetView.self) { s in
                var found: [[UInt8]] = []
                let next = s?.scan(cursor: options.cursor, count: options.count) { m in
                    if options.matches(m) { found.append(Array(m)) }
                } ?? 0
                ContainerScan.reply(c, next: next, found)
            }
        })
}

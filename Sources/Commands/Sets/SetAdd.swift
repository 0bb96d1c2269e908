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

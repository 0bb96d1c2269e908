import RESP
import Storage

/// `SPOP key [count]`, `SRANDMEMBER key [count]`
///
/// Without a count: one random member (null for a missing key), removed by
/// SPOP. With a count: SPOP removes up to `count` distinct members (the
/// whole set when it has no more); SRANDMEMBER returns distinct members for
/// a positive count and possibly repeated ones for a negative count.
enum SetRandomCommand {
    static let spop = CommandSpec(
        "spop", arity: -2, flags: [.write, .fast], acl: ["@write", "@set", "@fast"], keys: (1, 1, 1),
        group: "set", since: "1.0.0", summary: "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("count", .integer, optional: true, since: "3.2.0")],
        handler: spopRun)

    static let srandmember = CommandSpec(
        "srandmember", arity: -2, flags: [.readonly], acl: ["@read", "@set", "@slow"], keys: (1, 1, 1),
        group: "set", since: "1.0.0", summary: "Get one or multiple random members from a set",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("count", .integer, optional: true, since: "2.6.0")],
        handler: srandmemberRun)

    static func spopRun(_ c: Client, _ args: Arguments) {
        if args.count > 3 { c.fail(Errors.syntax); return }
        var count = -1
        if args.count == 3 {
            // Redis gives one message for both a bad number and a negative one.
            guard let n = Decimal.parse(args[2]), n >= 0 else { c.fail("ERR value is out of range, must be positive"); return }
            count = n
        }
        let found = c.writeValue(args[1], as: SetView.self, create: false) { s, k in
            if count == 0 { c.reply.set(0); return }
            let popping = count < 0 ? 1 : min(count, s.count)
            if count >= 0 { c.reply.set(popping) }
            for _ in 0..<popping {
                let member = s.withRandomMember(c.loop.nextRandom()) { Array($0) }
                c.reply.bulk(member)
                member.withUnsafeBytes { _ = s.remove($0) }
            }
            c.dirty(popping)
            c.keyModified(k)
            c.keyspaceEvent(.set, "spop", args[1])
        }
        if found == .missing { if count < 0 { c.reply.null() } else { c.reply.set(0) } }
    }

    static func srandmemberRun(_ c: Client, _ args: Arguments) {
        if args.count > 3 { c.fail(Errors.syntax); return }
        if args.count == 2 {
            c.readValue(args[1], as: SetView.self) { s in
                guard let s = s else { c.reply.null(); return }
                s.withRandomMember(c.loop.nextRandom()) { c.reply.bulk($0) }
            }
            return
        }
        guard let requested = c.integerArgument(args[2], in: -Int.max...Int.max,
                                                message: "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        else { return }
        if requested < -RandomRepeats.limit { c.fail(RandomRepeats.error); return }
        c.readValue(args[1], as: SetView.self) { s in
            guard let s = s, requested != 0 else { c.reply.array(0); return }
            let size = s.count
            if requested < 0 {
                c.reply.array(-requested)
                for _ in 0..<(-requested) { s.withRandomMember(c.loop.nextRandom()) { c.reply.bulk($0) } }
            } else if requested >= size {
                c.reply.array(size)
                s.forEach { c.reply.bulk($0) }
            } else {
                // Distinct members by selection sampling over the set's order.
                c.reply.array(requested)
                var needed = requested
                var left = size
                s.forEach { m in
                    if needed > 0 && c.loop.nextRandom() % UInt64(left) < UInt64(needed) { c.reply.bulk(m); needed -= 1 }
                    left -= 1
                }
            }
        }
    }
}

/// `SMOVE source destination member`
///
/// Moves a member between sets: 1 if it was in `source`, else 0. Both keys
/// must be sets (or missing); moving within one set changes nothing.
enum SetMoveCommand {
    static let spec = CommandSpec(
        "smove", arity: 4, flags: [.write, .fast], acl: ["@write", "@set", "@fast"], keys: (1, 2, 1),
        group: "set", since: "1.0.0", summary: "Moves a member from one set to another.",
        arguments: [ArgumentSpec("source", .key, keySpecIndex: 0), ArgumentSpec("destination", .key, keySpecIndex: 1),
                    ArgumentSpec("member", .string)],
        handler: { c, args in
            let limit = c.server.config.setMaxIntsetEntries
            c.withKeys([args[1], args[2]]) { keys in
                var source = keys.key(0)
                var destination = keys.key(1)
                guard let sourceSlot = source.slot else { c.reply.integer(0); return }
                if source.table.pointee.entry(at: sourceSlot).type != .set { c.fail(Errors.wrongType); return }
                if let d = destination.entry, d.type != .set { c.fail(Errors.wrongType); return }
                let from = SetView(table: source.table, slot: sourceSlot)
                if args[1].equals(args[2]) && source.db == destination.db {
                    c.reply.integer(from.contains(args[3]) ? 1 : 0); return
                }
                guard from.remove(args[3]) else { c.reply.integer(0); return }
                c.keyspaceEvent(.set, "srem", args[1])
                if from.count == 0 {
                    source.delete()
                    c.keyspaceEvent(.generic, "del", args[1])
                }
                if destination.slot == nil {
                    destination.slot = destination.table.pointee.insert(SetView.newEntry(key: args[2], lru: c.lruClock), hash: destination.hash)
                    destination.keyCreated()
                }
                if SetView(table: destination.table, slot: destination.slot!).add(args[3], maxIntsetEntries: limit) {
                    c.keyspaceEvent(.set, "sadd", args[2])
                }
                c.keyModified(source)
                c.keyModified(destination)
                c.dirty()
                c.reply.integer(1)
            }
        })
}

import RESP
import Storage

/// `SINTER key [key ...]`, `SUNION key [key ...]`, `SDIFF key [key ...]`,
/// their `…STORE destination key [key ...]` forms, and
/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`
///
/// Every key must be a set or missing (missing reads as empty). The replies
/// are sets in RESP3; a STORE replaces whatever `destination` held (and
/// deletes it when the result is empty) and replies with the result's size.
enum SetAlgebraCommand {
    enum Operation { case intersection, union, difference }

    static func make(_ name: String, _ op: Operation, store: Bool, since: String, summary: String) -> CommandSpec {
        var arguments: [ArgumentSpec] = []
        if store { arguments.append(ArgumentSpec("destination", .key, keySpecIndex: 0)) }
        arguments.append(ArgumentSpec("key", .key, multiple: true, keySpecIndex: store ? 1 : 0))
        return CommandSpec(
            name, arity: store ? -3 : -2, flags: store ? [.write, .denyoom] : [.readonly],
            acl: store ? ["@write", "@set", "@slow"] : ["@read", "@set", "@slow"], keys: (1, -1, 1),
            group: "set", since: since, summary: summary, arguments: arguments,
            handler: { c, args in run(c, args, op, store: store) })
    }

    static let sinter = make("sinter", .intersection, store: false, since: "1.0.0", summary: "Returns the intersect of multiple sets.")
    static let sunion = make("sunion", .union, store: false, since: "1.0.0", summary: "Returns the union of multiple sets.")
    static let sdiff = make("sdiff", .difference, store: false, since: "1.0.0", summary: "Returns the difference of multiple sets.")
    static let sinterstore = make("sinterstore", .intersection, store: true, since: "1.0.0", summary: "Stores the intersect of multiple sets in a key.")
    static let sunionstore = make("sunionstore", .union, store: true, since: "1.0.0", summary: "Stores the union of multiple sets in a key.")
    static let sdiffstore = make("sdiffstore", .difference, store: true, since: "1.0.0", summary: "Stores the difference of multiple sets in a key.")

    /// The sets named by `keys` (nil for missing ones), or nil after WRONGTYPE.
    static func sets(_ c: Client, _ keys: LockedKeys, from first: Int) -> [SetView?]? {
        var views: [SetView?] = []
        for i in first..<keys.count {
            let k = keys.key(i, read: true)
            guard let slot = k.slot else { views.append(nil); continue }
            if k.table.pointee.entry(at: slot).type != .set { c.fail(Errors.wrongType); return nil }
            views.append(SetView(table: k.table, slot: slot))
        }
        return views
    }

    /// The result's members, copied out (in the first set's order for an
    /// intersection or a difference; sources' order for a union).
    static func compute(_ op: Operation, _ views: [SetView?]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        switch op {
        case .intersection:
            guard !views.contains(where: { $0 == nil }) else { return [] }
            let sets = views.map { $0! }.sorted { $0.count < $1.count }
            sets[0].forEach { m in
                if sets.dropFirst().allSatisfy({ $0.contains(m) }) { out.append(Array(m)) }
            }
        case .union:
            var seen = Set<[UInt8]>()
            for case let s? in views {
                s.forEach { m in let a = Array(m); if seen.insert(a).inserted { out.append(a) } }
            }
        case .difference:
            guard let first = views[0] else { return [] }
            let others = views.dropFirst().compactMap { $0 }
            first.forEach { m in
                if !others.contains(where: { $0.contains(m) }) { out.append(Array(m)) }
            }
        }
        return out
    }

    /// Orders members as the set Redis would build from them iterates: an
    /// intset (every member an integer, few enough) ascending.
    static func inSetOrder(_ members: [[UInt8]], intsetLimit: Int) -> [[UInt8]] {
        guard members.count <= intsetLimit else { return members }
        var numbers: [(Int, [UInt8])] = []
        for m in members {
            guard let v = m.withUnsafeBytes({ StringEncoding.canonicalInteger($0) }) else { return members }
            numbers.append((v, m))
        }
        return numbers.sorted { $0.0 < $1.0 }.map { $0.1 }
    }

    static func run(_ c: Client, _ args: Arguments, _ op: Operation, store: Bool) {
        let limit = c.server.config.setMaxIntsetEntries
        c.withKeys(args, from: 1) { keys in
            guard let views = sets(c, keys, from: store ? 1 : 0) else { return }
            var result = compute(op, views)
            // A union or difference is built as a new set in Redis, then listed.
            if op != .intersection || store { result = inSetOrder(result, intsetLimit: limit) }
            if !store {
                c.reply.set(result.count)
                for m in result { c.reply.bulk(m) }
                return
            }
            var destination = keys.key(0, touch: false)
            let existed = destination.delete()
            if !result.isEmpty {
                destination.slot = destination.table.pointee.insert(SetView.newEntry(key: args[1], lru: c.lruClock), hash: destination.hash)
                let s = SetView(table: destination.table, slot: destination.slot!)
                for m in result { m.withUnsafeBytes { _ = s.add($0, maxIntsetEntries: limit) } }
                let event = op == .intersection ? "sinterstore" : op == .union ? "sunionstore" : "sdiffstore"
                c.keyspaceEvent(.set, event, args[1])
            } else if existed {
                c.keyspaceEvent(.generic, "del", args[1])
            }
            if existed || !result.isEmpty { c.keyModified(destination) }
            c.dirty()
            c.reply.integer(result.count)
        }
    }

    static let sintercard = CommandSpec(
        "sintercard", arity: -3, flags: [.readonly], acl: ["@read", "@set", "@slow"], keys: (0, 0, 0),
        group: "set", since: "7.0.0", summary: "Returns the number of members of the intersect of multiple sets.",
        arguments: [ArgumentSpec("numkeys", .integer), ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0),
                    ArgumentSpec("limit", .integer, token: "LIMIT", optional: true)],
        handler: { c, args in
            guard let n = Decimal.parse(args[1]), n > 0 else { c.fail("ERR numkeys should be greater than 0"); return }
            if n > args.count - 2 { c.fail("ERR Number of keys can't be greater than number of args"); return }
            var cap = 0
            var i = 2 + n
            while i < args.count {
                if args[i].equalsIgnoringCase("limit") && i + 1 < args.count {
                    guard let l = Decimal.parse(args[i + 1]), l >= 0 else { c.fail("ERR LIMIT can't be negative"); return }
                    cap = l
                    i += 2
                } else {
                    c.fail(Errors.syntax); return
                }
            }
            c.withKeys((0..<n).map { args[2 + $0] }) { keys in
                guard let views = sets(c, keys, from: 0) else { return }
                if views.contains(where: { $0 == nil }) { c.reply.integer(0); return }
                let sorted = views.map { $0! }.sorted { $0.count < $1.count }
                var count = 0
                sorted[0].forEach { m in
                    if cap > 0 && count >= cap { return }
                    if sorted.dropFirst().allSatisfy({ $0.contains(m) }) { count += 1 }
                }
                c.reply.integer(count)
            }
        })
}

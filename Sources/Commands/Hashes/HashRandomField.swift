import RESP
import Storage

/// `HRANDFIELD key [count [WITHVALUES]]`
///
/// Without a count: one random field (null for a missing key). A positive
/// count gives distinct fields (the whole hash when it has no more than
/// that); a negative one may repeat fields. In RESP3, WITHVALUES pairs are
/// two-element arrays.
enum HashRandomFieldCommand {
    static let spec = CommandSpec(
        "hrandfield", arity: -2, flags: [.readonly], acl: ["@read", "@hash", "@slow"], keys: (1, 1, 1),
        group: "hash", since: "6.2.0", summary: "Returns one or more random fields from a hash.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0),
                    ArgumentSpec("options", .block, optional: true, children: [
                        ArgumentSpec("count", .integer), ArgumentSpec("withvalues", .pureToken, token: "WITHVALUES", optional: true)])],
        handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        if args.count == 2 {
            c.readValue(args[1], as: HashView.self) { h in
                guard let h = h else { c.reply.null(); return }
                c.reply.bulk(h.pair(random: c.loop.nextRandom()).field)
            }
            return
        }
        guard let (requested, withValues) = c.randomCount(args, flag: "withvalues") else { return }
        c.readValue(args[1], as: HashView.self) { h in
            guard let h = h, requested != 0 else { c.reply.array(0); return }
            let size = h.count
            func emit(_ field: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
                if withValues && c.reply.isResp3 { c.reply.array(2) }
                c.reply.bulk(field)
                if withValues { c.reply.bulk(value) }
            }
            let total = requested < 0 ? -requested : min(requested, size)
            c.reply.array(withValues && !c.reply.isResp3 ? total * 2 : total)
            if requested < 0 {
                for _ in 0..<total { let p = h.pair(random: c.loop.nextRandom()); emit(p.field, p.value) }
            } else if requested >= size {
                h.forEach(emit)
            } else {
                // Distinct fields: a random subset, chosen by selection sampling
                // over the hash's order (every subset equally likely).
                var needed = total
                var left = size
                h.forEach { field, value in
                    if needed > 0 && c.loop.nextRandom() % UInt64(left) < UInt64(needed) {
                        emit(field, value)
                        needed -= 1
                    }
                    left -= 1
                }
            }
        }
    }
}

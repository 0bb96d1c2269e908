import RESP
import Storage

/// `XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]`,
/// `XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]`
///
/// Move pending entries idle for at least `min-idle-time` to `consumer`,
/// replying with the entries (or, JUSTID, their IDs). Pending entries whose
/// stream entry was deleted are dropped from the PEL; XAUTOCLAIM lists them
/// and returns the cursor to continue from (0-0: the end).
enum StreamClaimCommand {
    static func noGroup(_ c: Client, _ args: Arguments) {
        c.fail(bytes: Array("NOGROUP No such key '".utf8) + Array(args[1]) + Array("' or consumer group '".utf8)
            + Array(args[2]) + Array("'".utf8))
    }

    /// Locks the stream at `args[1]` and finds group `args[2]` (NOGROUP or WRONGTYPE replied otherwise).
    static func withGroup(_ c: Client, _ args: Arguments, _ body: (StreamView, StreamValue, StreamGroup) -> Void) {
        c.withKey(args[1]) { k in
            guard let slot = k.slot else { noGroup(c, args); return }
            if k.table.pointee.entry(at: slot).type != .stream { c.fail(Errors.wrongType); return }
            let v = StreamView(table: k.table, slot: slot)
            guard let g = v.stream.groups[Array(args[2])] else { noGroup(c, args); return }
            body(v, v.stream, g)
        }
    }

    /// `getLongLongFromObjectOrReply` with a custom message for both failures.
    static func number(_ c: Client, _ bytes: UnsafeRawBufferPointer, _ message: String) -> Int? {
        guard let n = Decimal.parse(bytes) else { c.fail(message); return nil }
        return n
    }

    static let xclaim = CommandSpec(
        "xclaim", arity: -6, flags: [.write, .fast], acl: ["@write", "@stream", "@fast"], keys: (1, 1, 1),
        group: "stream", since: "5.0.0", summary: "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.",
        complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("group", .string), ArgumentSpec("consumer", .string),
                    ArgumentSpec("min-idle-time", .string), ArgumentSpec("id", .string, multiple: true),
                    ArgumentSpec("ms", .integer, token: "IDLE", optional: true),
                    ArgumentSpec("unix-time-milliseconds", .unixTime, token: "TIME", optional: true),
                    ArgumentSpec("count", .integer, token: "RETRYCOUNT", optional: true),
                    ArgumentSpec("force", .pureToken, token: "FORCE", optional: true),
                    ArgumentSpec("justid", .pureToken, token: "JUSTID", optional: true),
                    ArgumentSpec("lastid", .string, token: "LASTID", optional: true)],
        handler: { c, args in
            withGroup(c, args) { v, s, g in
                guard var minIdle = number(c, args[4], "ERR Invalid min-idle-time argument for XCLAIM") else { return }
                minIdle = max(0, minIdle)
                var ids: [StreamID] = []
                var j = 5
                while j < args.count, let r = StreamIDArgument.parse(args[j], missingSequence: 0, strict: true) { ids.append(r.id); j += 1 }
                let now = c.server.clock.milliseconds
                var force = false, justID = false
                var deliveryTime: Int64 = -1
                var retryCount = -1
                var lastID = StreamID.zero
                while j < args.count {
                    let more = args.count - 1 - j
                    let o = args[j]
                    if o.equalsIgnoringCase("force") { force = true }
                    else if o.equalsIgnoringCase("justid") { justID = true }
                    else if o.equalsIgnoringCase("idle") && more > 0 {
                        j += 1
                        guard let idle = number(c, args[j], "ERR Invalid IDLE option argument for XCLAIM") else { return }
                        deliveryTime = now &- Int64(idle)
                    } else if o.equalsIgnoringCase("time") && more > 0 {
                        j += 1
                        guard let t = number(c, args[j], "ERR Invalid TIME option argument for XCLAIM") else { return }
                        deliveryTime = Int64(t)
                    } else if o.equalsIgnoringCase("retrycount") && more > 0 {
                        j += 1
                        guard let r = number(c, args[j], "ERR Invalid RETRYCOUNT option argument for XCLAIM") else { return }
                        retryCount = r
                    } else if o.equalsIgnoringCase("lastid") && more > 0 {
                        j += 1
                        guard let id = StreamIDArgument.strict(c, args[j]) else { return }
                        lastID = id
                    } else {
                        c.fail(bytes: Array("ERR Unrecognized XCLAIM option '".utf8) + Errors.cBytes(o, limit: 128) + Array("'".utf8))
                        return
                    }
                    j += 1
                }
                if lastID > g.lastID { g.lastID = lastID }
                if deliveryTime == -1 || deliveryTime < 0 || deliveryTime > now { deliveryTime = now }
                let name = Array(args[3])
                var claimed: StreamEntries = []
                v.change { _ in
                    var consumer: StreamConsumer? = nil
                    for id in ids {
                        let pending = g.pending[id]
                        let entry = s.entries(from: id, to: id, count: 1).first
                        guard let found = entry else {
                            if pending != nil { g.acknowledge(id); c.dirty() }
                            continue
                        }
                        if pending == nil && !force { continue }
                        if let p = pending, minIdle > 0, now - p.deliveryTimeMs < Int64(minIdle) { continue }
                        let owner = consumer ?? StreamReadGroupCommand.consumerInsideChange(c, g, name, key: args[1], now: now)
                        consumer = owner
                        let count = retryCount >= 0 ? retryCount : (pending?.deliveryCount ?? 1) + (justID ? 0 : 1)
                        g.deliver(id, to: owner, nowMs: deliveryTime, count: count)
                        claimed.append(justID ? (id, []) : found)
                        c.dirty()
                    }
                }
                c.reply.array(claimed.count)
                for e in claimed {
                    if justID { c.reply.bulk(e.id.text) } else { c.replyStreamEntries([e], counted: false) }
                }
            }
        })

    static let xautoclaim = CommandSpec(
        "xautoclaim", arity: -6, flags: [.write, .fast], acl: ["@write", "@stream", "@fast"], keys: (1, 1, 1),
        group: "stream", since: "6.2.0", summary: "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.",
        complexity: "O(1) if COUNT is small.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("group", .string), ArgumentSpec("consumer", .string),
                    ArgumentSpec("min-idle-time", .string), ArgumentSpec("start", .string),
                    ArgumentSpec("count", .integer, token: "COUNT", optional: true),
                    ArgumentSpec("justid", .pureToken, token: "JUSTID", optional: true)],
        handler: { c, args in
            guard var minIdle = number(c, args[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM") else { return }
            minIdle = max(0, minIdle)
            guard let (s0, exclusive) = StreamReadCommand.bound(c, args[5], missingSequence: 0) else { return }
            var start = s0
            if exclusive { guard let next = s0.successor else { c.fail("ERR invalid start ID for the interval"); return }; start = next }
            var count = 100, justID = false
            var j = 6
            while j < args.count {
                if args[j].equalsIgnoringCase("count") && j + 1 < args.count {
                    guard let n = Decimal.parse(args[j + 1]), n >= 1, n <= Int.max / 16 else { c.fail("ERR COUNT must be > 0"); return }
                    count = n
                    j += 2
                } else if args[j].equalsIgnoringCase("justid") {
                    justID = true
                    j += 1
                } else {
                    c.fail(Errors.syntax); return
                }
            }
            withGroup(c, args) { v, s, g in
                let now = c.server.clock.milliseconds
                let name = Array(args[3])
                let candidates = g.pendingIDs.filter { $0 >= start }
                var attempts = count * 10
                var left = count
                var examined = 0
                var claimed: StreamEntries = []
                var deleted: [StreamID] = []
                v.change { _ in
                    var consumer: StreamConsumer? = nil
                    while attempts > 0 && left > 0 && examined < candidates.count {
                        attempts -= 1
                        let id = candidates[examined]
                        examined += 1
                        guard let found = s.entries(from: id, to: id, count: 1).first else {
                            g.acknowledge(id)
                            deleted.append(id)
                            left -= 1
                            c.dirty()
                            continue
                        }
                        let p = g.pending[id]!
                        if minIdle > 0 && now - p.deliveryTimeMs < Int64(minIdle) { continue }
                        let owner = consumer ?? StreamReadGroupCommand.consumerInsideChange(c, g, name, key: args[1], now: now)
                        consumer = owner
                        g.deliver(id, to: owner, nowMs: now, count: p.deliveryCount + (justID ? 0 : 1))
                        claimed.append(justID ? (id, []) : found)
                        left -= 1
                        c.dirty()
                    }
                }
                let next = examined < candidates.count ? candidates[examined] : StreamID.zero
                c.reply.array(3)
                c.reply.bulk(next.text)
                if justID {
                    c.reply.array(claimed.count)
                    for e in claimed { c.reply.bulk(e.id.text) }
                } else {
                    c.replyStreamEntries(claimed)
                }
                c.reply.array(deleted.count)
                for id in deleted { c.reply.bulk(id.text) }
            }
        })
}

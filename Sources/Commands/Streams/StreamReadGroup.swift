import RESP
import Storage

/// `XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]`
///
/// `>` delivers entries the group has not delivered yet (added to the
/// consumer's pending entries unless NOACK) and may BLOCK; an ID replays
/// the consumer's own pending entries after it (deleted ones as [id, nil]),
/// counting a delivery each. The reply shapes are XREAD's.
enum StreamReadGroupCommand {
    static let spec = CommandSpec(
        "xreadgroup", arity: -7, flags: [.write, .blocking], acl: ["@write", "@stream", "@slow", "@blocking"], keys: (0, 0, 0),
        group: "stream", since: "5.0.0", summary: "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.",
        complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
        arguments: [ArgumentSpec("group-block", .block, token: "GROUP", children: [ArgumentSpec("group", .string), ArgumentSpec("consumer", .string)]),
                    ArgumentSpec("count", .integer, token: "COUNT", optional: true),
                    ArgumentSpec("milliseconds", .integer, token: "BLOCK", optional: true),
                    ArgumentSpec("noack", .pureToken, token: "NOACK", optional: true),
                    ArgumentSpec("streams", .block, token: "STREAMS", children: [
                        ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0), ArgumentSpec("id", .string, multiple: true)])],
        handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        guard let options = StreamXReadCommand.parseOptions(c, args, group: true) else { return }
        let (block, count, streamsAt, noAck, consumerName) = (options.block, options.count, options.streamsAt, options.noAck, options.consumer)
        guard let group = options.group else { c.fail("ERR Missing GROUP option for XREADGROUP"); return }
        let n = (args.count - streamsAt) / 2
        let keys = c.keyArguments(args, from: streamsAt, to: streamsAt + n)
        // nil: `>` (new entries); else the consumer's history after the ID.
        var history: [StreamID?] = []
        for j in 0..<n {
            var problem: String? = nil
            c.withKey(keys[j], read: true) { k in
                guard let slot = k.slot else { problem = "nogroup"; return }
                if k.table.pointee.entry(at: slot).type != .stream { problem = "type"; return }
                if StreamView(table: k.table, slot: slot).stream.groups[group] == nil { problem = "nogroup" }
            }
            if problem == "type" { c.fail(Errors.wrongType); return }
            if problem == "nogroup" {
                c.fail(bytes: Array("NOGROUP No such key '".utf8) + Array(keys[j]) + Array("' or consumer group '".utf8) + group
                    + Array("' in XREADGROUP with GROUP option".utf8))
                return
            }
            let idArg = args[streamsAt + n + j]
            if idArg.count == 1 && idArg[0] == 0x24 {
                c.fail("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
                return
            }
            if idArg.count == 1 && idArg[0] == 0x3E { history.append(nil); continue }
            guard let id = StreamIDArgument.strict(c, idArg) else { return }
            history.append(id)
        }
        var results: [(key: UnsafeRawBufferPointer, entries: StreamEntries, deleted: Set<StreamID>)] = []
        for (j, key) in keys.enumerated() {
            if let r = serve(c, key, group: group, consumer: consumerName, history: history[j], count: count, noAck: noAck, blocked: false) {
                results.append((key, r.entries, r.deleted))
            }
        }
        if !results.isEmpty { reply(c, results); return }
        guard let deadline = block else { c.reply.nullArray(); return }
        let limit = count == 0 ? 1000 : count
        c.block(on: keys, deadlineMs: deadline) { proxy, key in
            guard proxy.keyType(key) == .stream else { return .skipped }
            var gone = false
            let served = serve(proxy, key, group: group, consumer: consumerName, history: nil, count: limit, noAck: noAck, blocked: true, groupGone: &gone)
            if gone { proxy.fail("NOGROUP the consumer group this client was blocked on no longer exists"); return .served }
            guard let r = served else { return .skipped }
            reply(proxy, [(key, r.entries, r.deleted)])
            return .served
        }
    }

    /// Serves one key; nil when there is nothing to serve.
    static func serve(_ c: Client, _ key: UnsafeRawBufferPointer, group: [UInt8], consumer name: [UInt8], history: StreamID?,
                      count: Int, noAck: Bool, blocked: Bool) -> (entries: StreamEntries, deleted: Set<StreamID>)? {
        var gone = false
        return serve(c, key, group: group, consumer: name, history: history, count: count, noAck: noAck, blocked: blocked, groupGone: &gone)
    }

    static func serve(_ c: Client, _ key: UnsafeRawBufferPointer, group: [UInt8], consumer name: [UInt8], history: StreamID?,
                      count: Int, noAck: Bool, blocked: Bool, groupGone: inout Bool) -> (entries: StreamEntries, deleted: Set<StreamID>)? {
        var result: (StreamEntries, Set<StreamID>)? = nil
        var gone = false
        c.withKey(key) { k in
            guard let slot = k.slot, k.table.pointee.entry(at: slot).type == .stream else { return }
            let v = StreamView(table: k.table, slot: slot)
            let s = v.stream
            guard let g = s.groups[group] else { gone = true; return }
            let now = c.server.clock.milliseconds
            if let after = history {
                let consumer = consumerFor(c, v, g, name, key: key, now: now)
                var entries: StreamEntries = []
                var deleted = Set<StreamID>()
                let start = after.successor ?? .max
                for id in consumer.pendingIDs where id >= start {
                    if count > 0 && entries.count >= count { break }
                    let found = s.entries(from: id, to: id, count: 1)
                    if let e = found.first { entries.append(e); v.change { _ in g.touch(id, nowMs: now) } }
                    else { entries.append((id, [])); deleted.insert(id) }
                }
                c.dirty()
                result = (entries, deleted)
                return
            }
            // New entries: only when the stream has some past the group's position.
            guard s.lastID > g.lastID, blocked || s.length > 0, let start = g.lastID.successor else { return }
            let entries = s.entries(from: start, to: .max, count: count)
            if entries.isEmpty && !blocked { return }
            let consumer = consumerFor(c, v, g, name, key: key, now: now)
            v.change { s in
                for (id, _) in entries {
                    s.groupRead(g, upTo: id)
                    if !noAck { g.deliver(id, to: consumer, nowMs: now) }
                }
            }
            c.dirty()
            result = (entries, [])
        }
        groupGone = gone
        return result
    }

    /// The consumer `name` of the group, created (with its event) if new; its seen time refreshed.
    static func consumerFor(_ c: Client, _ v: StreamView, _ g: StreamGroup, _ name: [UInt8], key: UnsafeRawBufferPointer, now: Int64) -> StreamConsumer {
        if let existing = g.consumers[name] { existing.seenTimeMs = now; return existing }
        return v.change { _ in consumerInsideChange(c, g, name, key: key, now: now) }
    }

    /// `consumerFor` for a caller already inside `v.change`, which accounts
    /// for the new consumer's bytes: a second, nested change would count
    /// them twice (and `used_memory` would keep them after the key is gone).
    static func consumerInsideChange(_ c: Client, _ g: StreamGroup, _ name: [UInt8], key: UnsafeRawBufferPointer, now: Int64) -> StreamConsumer {
        if let existing = g.consumers[name] { existing.seenTimeMs = now; return existing }
        let created = StreamConsumer(name: name, seenTimeMs: now)
        g.consumers[name] = created
        c.dirty()
        c.keyspaceEvent(.stream, "xgroup-createconsumer", key)
        return created
    }

    static func reply(_ c: Client, _ results: [(key: UnsafeRawBufferPointer, entries: StreamEntries, deleted: Set<StreamID>)]) {
        if c.protocolVersion == 3 { c.reply.map(results.count) } else { c.reply.array(results.count) }
        for r in results {
            if c.protocolVersion != 3 { c.reply.array(2) }
            c.reply.bulk(r.key)
            c.reply.array(r.entries.count)
            for (id, strings) in r.entries {
                c.reply.array(2)
                c.reply.bulk(id.text)
                if r.deleted.contains(id) { c.reply.nullArray(); continue }
                c.reply.array(strings.count)
                for s in strings { c.reply.bulk(s) }
            }
        }
    }
}

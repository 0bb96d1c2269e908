import RESP
import Storage

/// `XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]`
///
/// The entries after each ID (`$`: after the stream's last ID now), at
/// most COUNT per stream (0: all); an array of [key, entries] in RESP2, a
/// map in RESP3, or a null array when nothing is newer. With BLOCK the
/// client waits (0: forever) until an XADD gives one of the streams an
/// entry past its ID, then gets that stream's new entries (COUNT, or at
/// most 1000). Every waiter on the stream is served, not just the first.
enum StreamXReadCommand {
    static let spec = CommandSpec(
        "xread", arity: -4, flags: [.readonly, .blocking], acl: ["@read", "@stream", "@slow", "@blocking"], keys: (0, 0, 0),
        group: "stream", since: "5.0.0", summary: "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.",
        complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
        arguments: [ArgumentSpec("count", .integer, token: "COUNT", optional: true),
                    ArgumentSpec("milliseconds", .integer, token: "BLOCK", optional: true),
                    ArgumentSpec("streams", .block, token: "STREAMS", children: [
                        ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0), ArgumentSpec("id", .string, multiple: true)])],
        handler: run)

    /// The options XREAD and XREADGROUP share, parsed in Redis's order
    /// (`group`: XREADGROUP, which also takes GROUP and NOACK).
    struct Options {
        var block: Int64? = nil
        var count = 0
        var streamsAt = 0
        var noAck = false
        var group: [UInt8]? = nil
        var consumer: [UInt8] = []
    }

    static func parseOptions(_ c: Client, _ args: Arguments, group: Bool) -> Options? {
        var o = Options()
        var i = 1
        while i < args.count {
            let more = args.count - i - 1
            let a = args[i]
            if a.equalsIgnoringCase("block") && more > 0 {
                // Redis refuses BLOCK from scripts outright, before any other check.
                if c.isScriptClient {
                    c.fail("ERR \(String(decoding: args[0], as: UTF8.self)) command is not allowed with BLOCK option from scripts")
                    return nil
                }
                guard let ms = Decimal.parse(args[i + 1]) else { c.fail("ERR timeout is not an integer or out of range"); return nil }
                if ms < 0 { c.fail("ERR timeout is negative"); return nil }
                o.block = ms == 0 ? 0 : c.server.clock.milliseconds &+ Int64(ms)
                i += 2
            } else if a.equalsIgnoringCase("count") && more > 0 {
                guard let n = c.integerArgument(args[i + 1]) else { return nil }
                o.count = max(0, n)
                i += 2
            } else if a.equalsIgnoringCase("streams") && more > 0 {
                o.streamsAt = i + 1
                if (args.count - o.streamsAt) % 2 != 0 {
                    c.fail("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
                    return nil
                }
                break
            } else if a.equalsIgnoringCase("group") && more >= 2 {
                if !group { c.fail("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."); return nil }
                o.group = Array(args[i + 1]); o.consumer = Array(args[i + 2])
                i += 3
            } else if a.equalsIgnoringCase("noack") {
                if !group { c.fail("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."); return nil }
                o.noAck = true
                i += 1
            } else {
                c.fail(Errors.syntax); return nil
            }
        }
        if o.streamsAt == 0 { c.fail(Errors.syntax); return nil }
        return o
    }

    static func run(_ c: Client, _ args: Arguments) {
        guard let options = parseOptions(c, args, group: false) else { return }
        let (block, count, streamsAt) = (options.block, options.count, options.streamsAt)
        let n = (args.count - streamsAt) / 2
        let keys = c.keyArguments(args, from: streamsAt, to: streamsAt + n)
        // Each ID, resolved per key in order (types checked as they come).
        var after: [StreamID] = []
        for j in 0..<n {
            let idArg = args[streamsAt + n + j]
            var last: StreamID? = nil
            var wrongType = false
            c.withKey(keys[j], read: true) { k in
                guard let slot = k.slot else { return }
                let e = k.table.pointee.entry(at: slot)
                if e.type != .stream { wrongType = true; return }
                last = StreamView(table: k.table, slot: slot).stream.lastID
            }
            if wrongType { c.fail(Errors.wrongType); return }
            if idArg.count == 1 && idArg[0] == 0x24 { after.append(last ?? .zero); continue }
            if idArg.count == 1 && idArg[0] == 0x3E {
                c.fail("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."); return
            }
            guard let id = StreamIDArgument.strict(c, idArg) else { return }
            after.append(id)
        }
        if reply(c, keys, after, count: count) { return }
        guard let deadline = block else { c.reply.nullArray(); return }
        let names = keys.map { Array($0) }
        let limit = count == 0 ? 1000 : count
        c.block(on: keys, deadlineMs: deadline) { proxy, key in
            guard let index = names.firstIndex(where: { $0.elementsEqual(key) }) else { return .skipped }
            return reply(proxy, [key], [after[index]], count: limit, onlyIfNewer: true) ? .served : .skipped
        }
    }

    /// Replies with the entries past each ID, if any stream has some.
    /// `onlyIfNewer`: the blocked form, which compares with the stream's last ID.
    ///
    /// Every key's shard stays locked while one pass finds the streams with
    /// something to return (for the reply's header) and a second writes
    /// their entries straight from the nodes.
    @discardableResult
    static func reply(_ c: Client, _ keys: [UnsafeRawBufferPointer], _ after: [StreamID], count: Int, onlyIfNewer: Bool = false) -> Bool {
        c.withKeys(keys) { locked in
            withUnsafeTemporaryAllocation(of: StreamValue?.self, capacity: keys.count) { found in
                var streams = 0
                for j in 0..<keys.count {
                    found.initializeElement(at: j, to: nil)
                    let k = locked.key(j, read: true)
                    guard let slot = k.slot, k.table.pointee.entry(at: slot).type == .stream else { continue }
                    let s = StreamView(table: k.table, slot: slot).stream
                    guard s.lastID > after[j], let start = after[j].successor else { continue }
                    // Served from a block, Redis replies even when the new entries were deleted since.
                    var any = onlyIfNewer
                    if !any { s.forEach(from: start, to: .max, reverse: false) { _, _ in any = true; return false } }
                    if any { found[j] = s; streams += 1 }
                }
                defer { _ = found.deinitialize() }
                if streams == 0 { return false }
                if c.protocolVersion == 3 { c.reply.map(streams) } else { c.reply.array(streams) }
                for j in 0..<keys.count {
                    guard let s = found[j] else { continue }
                    if c.protocolVersion != 3 { c.reply.array(2) }
                    c.reply.bulk(keys[j])
                    c.replyStreamRange(s, from: after[j].successor!, to: .max, count: count)
                }
                return true
            }
        }
    }
}

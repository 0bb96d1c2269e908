import RESP
import Storage

/// `XINFO STREAM key [FULL [COUNT count]]`, `XINFO GROUPS key`,
/// `XINFO CONSUMERS key group`, `XINFO HELP`
///
/// Maps in RESP3, flat arrays in RESP2, with Redis 7.0's fields.
/// `radix-tree-keys` counts Swiftlet's nodes; `radix-tree-nodes`, a detail
/// of Redis's radix tree, is estimated as one more (right for up to one
/// node; Redis's count depends on how the node IDs share prefixes).
enum StreamInfoCommand {
    static func sub(_ name: String, arity: Int, summary: String, arguments: [ArgumentSpec], _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: name == "help" ? [.loading, .stale] : [.readonly],
                    acl: name == "help" ? ["@stream", "@slow"] : ["@read", "@stream", "@slow"],
                    keys: name == "help" ? (0, 0, 0) : (2, 2, 1), group: "stream", since: "5.0.0", summary: summary,
                    arguments: arguments, handler: handler)
    }

    static let spec = CommandSpec(
        "xinfo", arity: -2, flags: [], acl: ["@slow"], group: "stream", since: "5.0.0", summary: "A container for stream introspection commands.",
        complexity: "Depends on subcommand.",
        subcommands: [
            sub("stream", arity: -3, summary: "Returns information about a stream.",
                arguments: [ArgumentSpec("key", .key, keySpecIndex: 0),
                            ArgumentSpec("full-block", .block, optional: true, children: [
                                ArgumentSpec("full", .pureToken, token: "FULL"), ArgumentSpec("count", .integer, token: "COUNT", optional: true)])], stream),
            sub("groups", arity: 3, summary: "Returns a list of the consumer groups of a stream.",
                arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)], groups),
            sub("consumers", arity: 4, summary: "Returns a list of the consumers in a consumer group.",
                arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("group", .string)], consumers),
            sub("help", arity: 2, summary: "Returns helpful text about the different subcommands.", arguments: []) { c, _ in
                c.replyHelp("XINFO", ["CONSUMERS <key> <groupname>", "    Show consumers of <groupname>.", "GROUPS <key>",
                                      "    Show the stream consumer groups.", "STREAM <key> [FULL [COUNT <count>]",
                                      "    Show information about the stream."])
            },
        ],
        handler: nil)

    /// Looks the stream up (ERR no such key / WRONGTYPE replied otherwise).
    static func withStream(_ c: Client, _ key: UnsafeRawBufferPointer, _ body: (StreamValue) -> Void) {
        c.withKey(key, read: true) { k in
            guard let slot = k.slot else { c.fail(Errors.noSuchKey); return }
            if k.table.pointee.entry(at: slot).type != .stream { c.fail(Errors.wrongType); return }
            body(StreamView(table: k.table, slot: slot).stream)
        }
    }

    static func syntaxError(_ c: Client, _ args: Arguments) {
        c.fail(bytes: Array("ERR unknown subcommand or wrong number of arguments for '".utf8) + Array(args[1])
            + Array("'. Try XINFO HELP.".utf8))
    }

    static func stream(_ c: Client, _ args: Arguments) {
        var full = false, count = 10
        let options = args.count - 3
        if options > 0 {
            if options != 1 && options != 3 || !args[3].equalsIgnoringCase("full") { syntaxError(c, args); return }
            full = true
            if options == 3 {
                if !args[4].equalsIgnoringCase("count") { syntaxError(c, args); return }
                guard let n = c.integerArgument(args[5]) else { return }
                count = n < 0 ? 10 : n
            }
        }
        withStream(c, args[2]) { s in
            c.reply.map(full ? 9 : 10)
            c.reply.bulk("length"); c.reply.integer(s.length)
            c.reply.bulk("radix-tree-keys"); c.reply.integer(s.nodeCount)
            c.reply.bulk("radix-tree-nodes"); c.reply.integer(s.nodeCount + 1)
            c.reply.bulk("last-generated-id"); c.reply.bulk(s.lastID.text)
            c.reply.bulk("max-deleted-entry-id"); c.reply.bulk(s.maxDeletedID.text)
            c.reply.bulk("entries-added"); c.reply.integer(Int(s.entriesAdded))
            c.reply.bulk("recorded-first-entry-id"); c.reply.bulk(s.firstID.text)
            if !full {
                c.reply.bulk("groups"); c.reply.integer(s.groups.count)
                c.reply.bulk("first-entry")
                if let e = s.entries(from: .zero, to: .max, count: 1).first { c.replyStreamEntries([e], counted: false) } else { c.reply.null() }
                c.reply.bulk("last-entry")
                if let e = s.entries(from: .zero, to: .max, reverse: true, count: 1).first { c.replyStreamEntries([e], counted: false) } else { c.reply.null() }
                return
            }
            c.reply.bulk("entries")
            c.replyStreamEntries(s.entries(from: .zero, to: .max, count: count))
            c.reply.bulk("groups")
            let groups = s.groupsByName
            c.reply.array(groups.count)
            for (name, g) in groups {
                c.reply.map(7)
                c.reply.bulk("name"); c.reply.bulk(name)
                c.reply.bulk("last-delivered-id"); c.reply.bulk(g.lastID.text)
                c.reply.bulk("entries-read"); replyEntriesRead(c, g)
                c.reply.bulk("lag"); replyLag(c, s, g)
                c.reply.bulk("pel-count"); c.reply.integer(g.pendingIDs.count)
                c.reply.bulk("pending")
                let shown = count == 0 ? g.pendingIDs : Array(g.pendingIDs.prefix(count))
                c.reply.array(shown.count)
                for id in shown {
                    let p = g.pending[id]!
                    c.reply.array(4)
                    c.reply.bulk(id.text); c.reply.bulk(p.consumer); c.reply.integer(Int(p.deliveryTimeMs)); c.reply.integer(p.deliveryCount)
                }
                c.reply.bulk("consumers")
                let consumers = g.consumersByName
                c.reply.array(consumers.count)
                for consumer in consumers {
                    c.reply.map(4)
                    c.reply.bulk("name"); c.reply.bulk(consumer.name)
                    c.reply.bulk("seen-time"); c.reply.integer(Int(consumer.seenTimeMs))
                    c.reply.bulk("pel-count"); c.reply.integer(consumer.pendingIDs.count)
                    c.reply.bulk("pending")
                    let mine = count == 0 ? consumer.pendingIDs : Array(consumer.pendingIDs.prefix(count))
                    c.reply.array(mine.count)
                    for id in mine {
                        let p = g.pending[id]!
                        c.reply.array(3)
                        c.reply.bulk(id.text); c.reply.integer(Int(p.deliveryTimeMs)); c.reply.integer(p.deliveryCount)
                    }
                }
            }
        }
    }

    static func replyEntriesRead(_ c: Client, _ g: StreamGroup) {
        if g.entriesRead != -1 { c.reply.integer(Int(g.entriesRead)) } else { c.reply.null() }
    }

    static func replyLag(_ c: Client, _ s: StreamValue, _ g: StreamGroup) {
        if let lag = s.lag(of: g) { c.reply.integer(Int(lag)) } else { c.reply.null() }
    }

    static func groups(_ c: Client, _ args: Arguments) {
        withStream(c, args[2]) { s in
            let groups = s.groupsByName
            c.reply.array(groups.count)
            for (name, g) in groups {
                c.reply.map(6)
                c.reply.bulk("name"); c.reply.bulk(name)
                c.reply.bulk("consumers"); c.reply.integer(g.consumers.count)
                c.reply.bulk("pending"); c.reply.integer(g.pendingIDs.count)
                c.reply.bulk("last-delivered-id"); c.reply.bulk(g.lastID.text)
                c.reply.bulk("entries-read"); replyEntriesRead(c, g)
                c.reply.bulk("lag"); replyLag(c, s, g)
            }
        }
    }

    static func consumers(_ c: Client, _ args: Arguments) {
        withStream(c, args[2]) { s in
            guard let g = s.groups[Array(args[3])] else {
                c.fail(bytes: Array("NOGROUP No such consumer group '".utf8) + Array(args[3]) + Array("' for key name '".utf8)
                    + Array(args[2]) + Array("'".utf8))
                return
            }
            let now = c.server.clock.milliseconds
            let consumers = g.consumersByName
            c.reply.array(consumers.count)
            for consumer in consumers {
                c.reply.map(3)
                c.reply.bulk("name"); c.reply.bulk(consumer.name)
                c.reply.bulk("pending"); c.reply.integer(consumer.pendingIDs.count)
                c.reply.bulk("idle"); c.reply.integer(Int(max(0, now - consumer.seenTimeMs)))
            }
        }
    }
}

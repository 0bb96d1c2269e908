import RESP
import Storage

/// `XGROUP CREATE key group <id | $> [MKSTREAM] [ENTRIESREAD entries-read]`,
/// `XGROUP SETID key group <id | $> [ENTRIESREAD entries-read]`,
/// `XGROUP DESTROY key group`, `XGROUP CREATECONSUMER key group consumer`,
/// `XGROUP DELCONSUMER key group consumer`, `XGROUP HELP`
///
/// The checks run in Redis's order: options, the key's type, the key's
/// existence (MKSTREAM creates it), the group's existence.
enum StreamGroupCommand {
    static func sub(_ name: String, arity: Int, summary: String, since: String = "5.0.0", arguments: [ArgumentSpec] = [],
                    _ handler: @escaping CommandHandler) -> CommandSpec {
        // Only the subcommands that create something are denyoom.
        CommandSpec(name, arity: arity, flags: name == "help" ? CommandSpec.helpFlags
                        : ["create", "createconsumer"].contains(name) ? [.write, .denyoom] : [.write],
                    acl: name == "help" ? ["@stream", "@slow"] : ["@write", "@stream", "@slow"],
                    keys: name == "help" ? (0, 0, 0) : (2, 2, 1), group: "stream", since: since, summary: summary,
                    arguments: arguments, handler: handler)
    }

    static let helpLines = [
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
    ]

    static let spec = CommandSpec(
        "xgroup", arity: -2, flags: [], acl: ["@slow"], group: "stream", since: "5.0.0", summary: "A container for consumer groups commands.",
        complexity: "Depends on subcommand.",
        subcommands: [
            sub("create", arity: -5, summary: "Creates a consumer group.",
                arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("group", .string), ArgumentSpec("id-selector", .string),
                            ArgumentSpec("mkstream", .pureToken, token: "MKSTREAM", optional: true),
                            ArgumentSpec("entries-read", .integer, token: "ENTRIESREAD", optional: true, since: "7.0.0")]) { c, args in
                run(c, args, .create)
            },
            sub("setid", arity: -5, summary: "Sets the last-delivered ID of a consumer group.",
                arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("group", .string), ArgumentSpec("id-selector", .string),
                            ArgumentSpec("entries-read", .integer, token: "ENTRIESREAD", optional: true, since: "7.0.0")]) { c, args in
                run(c, args, .setID)
            },
            sub("destroy", arity: 4, summary: "Destroys a consumer group.",
                arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("group", .string)]) { c, args in
                run(c, args, .destroy)
            },
            sub("createconsumer", arity: 5, summary: "Creates a consumer in a consumer group.", since: "6.2.0",
                arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("group", .string), ArgumentSpec("consumer", .string)]) { c, args in
                run(c, args, .createConsumer)
            },
            sub("delconsumer", arity: 5, summary: "Deletes a consumer from a consumer group.",
                arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("group", .string), ArgumentSpec("consumer", .string)]) { c, args in
                run(c, args, .deleteConsumer)
            },
            sub("help", arity: 2, summary: "Returns helpful text about the different subcommands.") { c, _ in
                c.replyHelp("XGROUP", helpLines)
            },
        ],
        handler: nil)

    enum Operation { case create, setID, destroy, createConsumer, deleteConsumer }

    static func subcommandSyntaxError(_ c: Client, _ args: Arguments) {
        c.fail(bytes: Array("ERR unknown subcommand or wrong number of arguments for '".utf8) + Array(args[1])
            + Array("'. Try XGROUP HELP.".utf8))
    }

    static func noGroup(_ c: Client, _ args: Arguments) {
        c.fail(bytes: Array("NOGROUP No such consumer group '".utf8) + Array(args[3]) + Array("' for key name '".utf8)
            + Array(args[2]) + Array("'".utf8))
    }

    static func run(_ c: Client, _ args: Arguments, _ op: Operation) {
        var makeStream = false
        var entriesRead: Int64 = -1
        var i = 5
        while i < args.count {
            if op == .create && args[i].equalsIgnoringCase("mkstream") {
                makeStream = true
                i += 1
            } else if (op == .create || op == .setID) && args[i].equalsIgnoringCase("entriesread") && i + 1 < args.count {
                guard let n = c.integerArgument(args[i + 1]) else { return }
                if n < 0 && n != -1 { c.fail("ERR value for ENTRIESREAD must be positive or -1"); return }
                entriesRead = Int64(n)
                i += 2
            } else {
                subcommandSyntaxError(c, args); return
            }
        }
        if op == .create && args.count > 8 || op == .setID && args.count != 5 && args.count != 7 { subcommandSyntaxError(c, args); return }
        let name = Array(args[3])
        // CREATE's ID is parsed before MKSTREAM creates the key, as in Redis:
        // a bad ID must leave no empty stream behind. (nil: `$` or invalid.)
        let createAtLast = op == .create && args[4].count == 1 && args[4][0] == 0x24
        let createID = op == .create && !createAtLast ? StreamIDArgument.parse(args[4], missingSequence: 0, strict: true)?.id : nil
        let badCreateID = op == .create && !createAtLast && createID == nil
        let found = c.writeValue(args[2], as: StreamView.self, create: makeStream && !badCreateID) { v, k in
            let s = v.stream
            let group = s.groups[name]
            if group == nil && (op == .setID || op == .createConsumer || op == .deleteConsumer) { noGroup(c, args); return }
            switch op {
            case .create, .setID:
                var id: StreamID
                if args[4].count == 1 && args[4][0] == 0x24 { id = s.lastID }
                else if op == .create { guard let p = createID else { c.fail(StreamIDArgument.invalid); return }; id = p }
                else {
                    guard let p = StreamIDArgument.parse(args[4], missingSequence: 0, strict: false) else { c.fail(StreamIDArgument.invalid); return }
                    id = p.id
                }
                if op == .create {
                    if group != nil { c.fail("BUSYGROUP Consumer Group name already exists"); return }
                    v.change { $0.groups[name] = StreamGroup(lastID: id, entriesRead: entriesRead) }
                    c.reply.ok()
                    c.dirty()
                    c.keyspaceEvent(.stream, "xgroup-create", args[2])
                } else {
                    group!.lastID = id
                    group!.entriesRead = entriesRead
                    c.reply.ok()
                    c.dirty()
                    c.keyspaceEvent(.stream, "xgroup-setid", args[2])
                }
            case .destroy:
                guard group != nil else { c.reply.integer(0); return }
                v.change { $0.groups[name] = nil }
                c.reply.integer(1)
                c.dirty()
                c.keyspaceEvent(.stream, "xgroup-destroy", args[2])
                // Clients blocked in XREADGROUP on this group learn it is gone.
                c.signalKeyReady(args[2])
            case .createConsumer:
                let consumer = Array(args[4])
                if group!.consumers[consumer] != nil { c.reply.integer(0); return }
                v.change { _ in group!.consumers[consumer] = StreamConsumer(name: consumer, seenTimeMs: c.server.clock.milliseconds) }
                c.reply.integer(1)
                c.dirty()
                c.keyspaceEvent(.stream, "xgroup-createconsumer", args[2])
            case .deleteConsumer:
                let pending = v.change { _ in group!.removeConsumer(Array(args[4])) }
                if let pending = pending {
                    c.dirty()
                    c.keyspaceEvent(.stream, "xgroup-delconsumer", args[2])
                    c.reply.integer(pending)
                } else {
                    c.reply.integer(0)
                }
            }
            // Redis signals a change (WATCH, tracking) only when MKSTREAM
            // created the key: group state is not the key's value.
            if k.created { c.keyModified(k) }
        }
        if found == .missing && badCreateID && makeStream {
            c.fail(StreamIDArgument.invalid)
        } else if found == .missing {
            c.fail("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
        }
    }
}

/// `XACK key group id [id ...]`
///
/// Removes the IDs from the group's pending entries; replies how many were pending.
enum StreamAckCommand {
    static let spec = CommandSpec(
        "xack", arity: -4, flags: [.write, .fast], acl: ["@write", "@stream", "@fast"], keys: (1, 1, 1),
        group: "stream", since: "5.0.0", summary: "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.",
        complexity: "O(1) for each message ID processed.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("group", .string), ArgumentSpec("id", .string, multiple: true)],
        handler: { c, args in
            let found = c.writeValue(args[1], as: StreamView.self, create: false) { v, _ in
                guard let g = v.stream.groups[Array(args[2])] else { c.reply.integer(0); return }
                var ids: [StreamID] = []
                for i in 3..<args.count {
                    guard let id = StreamIDArgument.strict(c, args[i]) else { return }
                    ids.append(id)
                }
                let acknowledged = v.change { _ in ids.reduce(0) { $0 + (g.acknowledge($1) ? 1 : 0) } }
                c.dirty(acknowledged)
                c.reply.integer(acknowledged)
            }
            if found == .missing { c.reply.integer(0) }
        })
}

/// `XPENDING key group [[IDLE min-idle-time] start end count [consumer]]`
///
/// The summary (count, lowest and highest pending ID, per-consumer counts),
/// or the pending entries in `start…end`: [id, consumer, idle ms, deliveries].
enum StreamPendingCommand {
    static let spec = CommandSpec(
        "xpending", arity: -3, flags: [.readonly], acl: ["@read", "@stream", "@slow"], keys: (1, 1, 1),
        group: "stream", since: "5.0.0", summary: "Returns the information and entries from a stream consumer group's pending entries list.",
        complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("group", .string),
                    ArgumentSpec("filters", .block, optional: true, children: [
                        ArgumentSpec("min-idle-time", .integer, token: "IDLE", optional: true, since: "6.2.0"),
                        ArgumentSpec("start", .string), ArgumentSpec("end", .string), ArgumentSpec("count", .integer),
                        ArgumentSpec("consumer", .string, optional: true)])],
        handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        if args.count != 3 && (args.count < 6 || args.count > 9) { c.fail(Errors.syntax); return }
        var start = StreamID.zero, end = StreamID.max, count = 0, minIdle = 0
        var consumerName: [UInt8]? = nil
        if args.count >= 6 {
            var at = 3
            if args[3].equalsIgnoringCase("idle") {
                guard let idle = c.integerArgument(args[4]) else { return }
                minIdle = idle
                if args.count < 8 { c.fail(Errors.syntax); return }
                at += 2
            }
            guard let n = c.integerArgument(args[at + 2]) else { return }
            count = max(0, n)
            guard let (s, startExclusive) = StreamReadCommand.bound(c, args[at], missingSequence: 0) else { return }
            start = s
            if startExclusive { guard let next = s.successor else { c.fail("ERR invalid start ID for the interval"); return }; start = next }
            guard let (e, endExclusive) = StreamReadCommand.bound(c, args[at + 1], missingSequence: .max) else { return }
            end = e
            if endExclusive { guard let previous = e.predecessor else { c.fail("ERR invalid end ID for the interval"); return }; end = previous }
            if at + 3 < args.count { consumerName = Array(args[at + 3]) }
        }
        let ok = c.readValue(args[1], as: StreamView.self) { v in
            guard let v = v, let g = v.stream.groups[Array(args[2])] else {
                c.fail(bytes: Array("NOGROUP No such key '".utf8) + Array(args[1]) + Array("' or consumer group '".utf8)
                    + Array(args[2]) + Array("'".utf8))
                return
            }
            if args.count == 3 {
                c.reply.array(4)
                c.reply.integer(g.pendingIDs.count)
                guard let first = g.pendingIDs.first, let last = g.pendingIDs.last else {
                    c.reply.null(); c.reply.null(); c.reply.nullArray(); return
                }
                c.reply.bulk(first.text)
                c.reply.bulk(last.text)
                let withPending = g.consumersByName.filter { !$0.pendingIDs.isEmpty }
                c.reply.array(withPending.count)
                for consumer in withPending {
                    c.reply.array(2)
                    c.reply.bulk(consumer.name)
                    c.reply.bulk(String(consumer.pendingIDs.count))
                }
                return
            }
            var ids = g.pendingIDs
            if let name = consumerName {
                guard let consumer = g.consumers[name] else { c.reply.array(0); return }
                ids = consumer.pendingIDs
            }
            let now = c.server.clock.milliseconds
            var rows: [(StreamID, StreamGroup.PendingEntry)] = []
            for id in ids where id >= start {
                if id > end || rows.count >= count { break }
                let entry = g.pending[id]!
                if minIdle > 0 && now - entry.deliveryTimeMs < Int64(minIdle) { continue }
                rows.append((id, entry))
            }
            c.reply.array(rows.count)
            for (id, entry) in rows {
                c.reply.array(4)
                c.reply.bulk(id.text)
                c.reply.bulk(entry.consumer)
                c.reply.integer(Int(now - entry.deliveryTimeMs))
                c.reply.integer(entry.deliveryCount)
            }
        }
        _ = ok
    }
}

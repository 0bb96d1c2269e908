import RESP
import Storage
import PubSub

/// `PUBLISH channel message` and `SPUBLISH shardchannel message`
///
/// Replies with the number of receivers: exact-channel subscribers first,
/// then each matching pattern's (a client subscribed both ways counts and
/// receives twice). Each frame is formatted once, whatever the fan-out.
enum PublishCommand {
    static let publish = CommandSpec(
        "publish", arity: 3, flags: [.pubsub, .loading, .stale, .fast, .mayReplicate], acl: ["@pubsub", "@fast"],
        group: "pubsub", since: "2.0.0", summary: "Posts a message to a channel.",
        complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        arguments: [ArgumentSpec("channel", .string), ArgumentSpec("message", .string)],
        handler: { c, args in c.reply.integer(send(c.server, channel: args[1], message: args[2], shard: false, fromLoop: c.loop.index)) })

    static let spublish = CommandSpec(
        "spublish", arity: 3, flags: [.pubsub, .loading, .stale, .fast, .mayReplicate], acl: ["@pubsub", "@fast"],
        keys: (1, 1, 1), group: "pubsub", since: "7.0.0", summary: "Post a message to a shard channel",
        complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        arguments: [ArgumentSpec("shardchannel", .string), ArgumentSpec("message", .string)],
        handler: { c, args in c.reply.integer(send(c.server, channel: args[1], message: args[2], shard: true, fromLoop: c.loop.index)) })

    /// Formats and delivers a message; returns the number of receivers.
    static func send(_ server: ServerContext, channel: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer,
                     shard: Bool, fromLoop: Int) -> Int {
        let (exact, patterns) = server.pubsub.receivers(of: channel, shard: shard)
        // Loaded once: reading the stored closure retains its context.
        let deliver = server.deliver
        var receivers = 0
        if !exact.isEmpty {
            let kind: StaticString = shard ? "smessage" : "message"
            let frame = PushFrame(BulkArray.encode(UnsafeRawBufferPointer(start: kind.utf8Start, count: kind.utf8CodeUnitCount),
                                                   channel, message))
            for s in exact { deliver(s, frame, fromLoop) }
            receivers += exact.count
        }
        for (pattern, subscribers) in patterns {
            let kind: StaticString = "pmessage"
            let frame = pattern.withUnsafeBytes {
                PushFrame(BulkArray.encode(UnsafeRawBufferPointer(start: kind.utf8Start, count: kind.utf8CodeUnitCount),
                                           $0, channel, message))
            }
            for s in subscribers { deliver(s, frame, fromLoop) }
            receivers += subscribers.count
        }
        return receivers
    }
}

/// `PUBSUB CHANNELS [pattern]`, `NUMSUB [channel ...]`, `NUMPAT`,
/// `SHARDCHANNELS [pattern]`, `SHARDNUMSUB [shardchannel ...]`, `HELP`
enum PubSubCommand {
    static func sub(_ name: String, arity: Int, summary: String, since: String, _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: name == "help" ? CommandSpec.helpFlags : [.pubsub, .loading, .stale], acl: name == "help" ? ["@slow"] : ["@pubsub", "@slow"], group: "pubsub",
                    since: since, summary: summary, handler: handler)
    }

    static let spec = CommandSpec(
        "pubsub", arity: -2, flags: [], acl: ["@slow"], group: "pubsub", since: "2.8.0",
        summary: "A container for Pub/Sub commands.", complexity: "Depends on subcommand.",
        subcommands: [
            sub("channels", arity: -2, summary: "Returns the active channels.", since: "2.8.0") { c, args in
                listChannels(c, args, shard: false)
            },
            sub("shardchannels", arity: -2, summary: "Returns the active shard channels.", since: "7.0.0") { c, args in
                listChannels(c, args, shard: true)
            },
            sub("numsub", arity: -2, summary: "Returns a count of subscribers to channels.", since: "2.8.0") { c, args in
                counts(c, args, shard: false)
            },
            sub("shardnumsub", arity: -2, summary: "Returns the count of subscribers of shard channels.", since: "7.0.0") { c, args in
                counts(c, args, shard: true)
            },
            sub("numpat", arity: 2, summary: "Returns a count of unique pattern subscriptions.", since: "2.8.0") { c, _ in
                c.reply.integer(c.server.pubsub.patternCount)
            },
            sub("help", arity: 2, summary: "Returns helpful text about the different subcommands.", since: "6.2.0") { c, _ in
                c.replyHelp("PUBSUB", [
                    "CHANNELS [<pattern>]", "    Return the currently active channels matching a <pattern> (default: '*').",
                    "NUMPAT", "    Return number of subscriptions to patterns.",
                    "NUMSUB [<channel> ...]", "    Return the number of subscribers for the specified channels, excluding",
                    "    pattern subscriptions(default: no channels).",
                    "SHARDCHANNELS [<pattern>]", "    Return the currently active shard level channels matching a <pattern> (default: '*').",
                    "SHARDNUMSUB [<shardchannel> ...]", "    Return the number of subscribers for the specified shard level channel(s)",
                ])
            },
        ], handler: nil)

    static func listChannels(_ c: Client, _ args: Arguments, shard: Bool) {
        if args.count > 3 {
            c.fail("ERR unknown subcommand or wrong number of arguments for '\(args[1].string)'. Try PUBSUB HELP.")
            return
        }
        let names = c.server.pubsub.activeChannels(matching: args.count == 3 ? Array(args[2]) : nil, shard: shard)
        c.reply.array(names.count)
        for n in names { c.reply.bulk(n) }
    }

    static func counts(_ c: Client, _ args: Arguments, shard: Bool) {
        // A flat array of name, count pairs in both protocols, as Redis 7.0 sends it.
        c.reply.array((args.count - 2) * 2)
        for i in 2..<max(2, args.count) {
            c.reply.bulk(args[i])
            c.reply.integer(c.server.pubsub.subscriberCount(of: Array(args[i]), shard: shard))
        }
    }
}

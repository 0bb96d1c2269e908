import RESP
import Storage
import PubSub

/// `SUBSCRIBE channel [channel ...]`, `UNSUBSCRIBE [channel ...]`,
/// `PSUBSCRIBE pattern [pattern ...]`, `PUNSUBSCRIBE [pattern ...]`,
/// `SSUBSCRIBE shardchannel [...]`, `SUNSUBSCRIBE [shardchannel ...]`
///
/// One confirmation frame per argument (`[kind, name, count]`), pushes in
/// RESP3. Unsubscribing from everything with nothing subscribed sends one
/// frame with a null name.
enum SubscribeCommand {
    static let flags: CommandFlags = [.pubsub, .noscript, .loading, .stale]

    static func make(_ name: String, arity: Int, kind: PubSubRegistry.Kind, subscribe: Bool, since: String,
                     summary: String, argument: String) -> CommandSpec {
        // Shard channels count as (not_key) keys in COMMAND INFO, for cluster routing.
        CommandSpec(name, arity: arity, flags: flags, acl: ["@pubsub", "@slow"], keys: kind == .shard ? (1, -1, 1) : (0, 0, 0),
                    group: "pubsub", since: since,
                    summary: summary, complexity: "O(N) where N is the number of channels or patterns.",
                    arguments: [ArgumentSpec(argument, kind == .pattern ? .pattern : .string, optional: !subscribe, multiple: true)],
                    handler: { c, args in
                        if subscribe { run(c, args, kind: kind, verb: name) } else { runUnsubscribe(c, args, kind: kind, verb: name) }
                    })
    }

    static let subscribe = make("subscribe", arity: -2, kind: .channel, subscribe: true, since: "2.0.0",
                                summary: "Listens for messages published to channels.", argument: "channel")
    static let unsubscribe = make("unsubscribe", arity: -1, kind: .channel, subscribe: false, since: "2.0.0",
                                  summary: "Stops listening to messages posted to channels.", argument: "channel")
    static let psubscribe = make("psubscribe", arity: -2, kind: .pattern, subscribe: true, since: "2.0.0",
                                 summary: "Listens for messages published to channels that match one or more patterns.", argument: "pattern")
    static let punsubscribe = make("punsubscribe", arity: -1, kind: .pattern, subscribe: false, since: "2.0.0",
                                   summary: "Stops listening to messages published to channels that match one or more patterns.", argument: "pattern")
    static let ssubscribe = make("ssubscribe", arity: -2, kind: .shard, subscribe: true, since: "7.0.0",
                                 summary: "Listens for messages published to shard channels.", argument: "shardchannel")
    static let sunsubscribe = make("sunsubscribe", arity: -1, kind: .shard, subscribe: false, since: "7.0.0",
                                   summary: "Stops listening to messages posted to shard channels.", argument: "shardchannel")

    static func subscriber(_ c: Client) -> PubSubRegistry.Subscriber {
        PubSubRegistry.Subscriber(clientId: c.id, loop: c.loop.index, fd: c.fd)
    }

    static func run(_ c: Client, _ args: Arguments, kind: PubSubRegistry.Kind, verb: String) {
        for i in 1..<args.count {
            let name = Array(args[i])
            let (_, count) = c.server.pubsub.subscribe(name, kind: kind, subscriber: subscriber(c))
            c.reply.push(3)
            c.reply.bulk(verb)
            c.reply.bulk(name)
            c.reply.integer(count)
        }
        refreshCounts(c)
    }

    static func runUnsubscribe(_ c: Client, _ args: Arguments, kind: PubSubRegistry.Kind, verb: String) {
        let registry = c.server.pubsub
        var names: [[UInt8]] = []
        if args.count == 1 { names = registry.subscriptions(of: c.id, kind: kind) } else {
            for i in 1..<args.count { names.append(Array(args[i])) }
        }
        if names.isEmpty {
            c.reply.push(3)
            c.reply.bulk(verb)
            c.reply.null()
            let counts = registry.counts(of: c.id)
            c.reply.integer(kind == .shard ? counts.shard : counts.channels + counts.patterns)
        }
        for name in names {
            let (_, count) = registry.unsubscribe(name, kind: kind, clientId: c.id)
            c.reply.push(3)
            c.reply.bulk(verb)
            c.reply.bulk(name)
            c.reply.integer(count)
        }
        refreshCounts(c)
    }

    /// Mirrors the registry's counts into the client (CLIENT LIST, subscribed mode).
    static func refreshCounts(_ c: Client) {
        let counts = c.server.pubsub.counts(of: c.id)
        c.channelCount = counts.channels
        c.patternCount = counts.patterns
        c.shardChannelCount = counts.shard
        c.subscriptionCount = counts.channels + counts.patterns + counts.shard
    }
}

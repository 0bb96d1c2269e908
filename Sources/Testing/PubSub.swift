import Swiftlet
import Commands

/// Pub/Sub: publishing to the server's channels and watching them (keyspace
/// notifications included) from a test.
extension TestServer {
    /// A message delivered to a ``TestServer/subscribe(to:)`` stream.
    ///
    /// ```swift
    /// var iterator = events.makeAsyncIterator()
    /// #expect(await iterator.next() == TestServer.PubSubMessage(channel: "news", message: "hello"))
    /// ```
    public struct PubSubMessage: Sendable, Hashable, CustomStringConvertible {
        /// The channel it was published to (for keyspace notifications,
        /// `__keyevent@0__:expired`, `__keyspace@0__:session` and the like).
        public let channel: String
        /// The payload (for keyevent notifications, the key; for keyspace
        /// notifications, the event name, such as `expired`). Decoded as
        /// UTF-8, invalid sequences replaced.
        public let message: String
        /// The pattern that matched, for pattern subscriptions
        /// (``TestServer/subscribe(toPatterns:)``); nil for channel subscriptions.
        public let pattern: String?

        public init(channel: String, message: String, pattern: String? = nil) {
            self.channel = channel
            self.message = message
            self.pattern = pattern
        }

        public var description: String {
            let text = TestServer.quoted(Array(message.utf8)) + " on " + TestServer.quoted(Array(channel.utf8))
            return pattern.map { text + " (pattern " + TestServer.quoted(Array($0.utf8)) + ")" } ?? text
        }
    }

    /// `PUBLISH channel message`, run in-process: how many subscribers
    /// received it (wire clients and ``subscribe(to:)`` streams alike; a
    /// client subscribed by channel and by a matching pattern counts twice).
    ///
    /// ```swift
    /// let receivers = try await server.publish("orders", #"{"id":7}"#)
    /// #expect(receivers == 1)   // the app's worker is listening
    /// ```
    ///
    /// Like every direct-access call it is not logged and never faulted.
    @discardableResult
    public func publish(_ channel: String, _ message: String) async throws -> Int {
        let reply = try run(["PUBLISH", channel, message])
        guard let receivers = reply.integer else { throw unexpected(reply, from: ["PUBLISH", channel]) }
        return receivers
    }

    /// Subscribes to `channels` and returns their messages, in the order the
    /// server sent them, as a stream.
    ///
    /// ```swift
    /// var options = TestServer.Options()
    /// options.config["notify-keyspace-events"] = "Ex"    // expired events, keyevent channels
    /// let server = try await TestServer.start(options)
    ///
    /// let expired = try await server.subscribe(to: "__keyevent@0__:expired")
    /// try await server.set("session", "abc", ttl: .seconds(5))
    /// await server.advanceClock(by: .seconds(6))
    /// for await event in expired {
    ///     #expect(event.message == "session")
    ///     break
    /// }
    /// ```
    ///
    /// The subscription is a real client: the fixture opens a connection to
    /// its own server (authenticating with `requirepass` when one is set),
    /// sends `SUBSCRIBE`, and returns only once the server has confirmed every
    /// channel. Anything published afterwards (by the app, by a wire client,
    /// by ``publish(_:_:)``, or by the server as a keyspace notification) is
    /// in the stream; a test can publish right after this returns. Messages
    /// wait in the stream, without limit, until the test reads them.
    ///
    /// The stream ends when the test stops reading it (the task iterating it
    /// is cancelled, or the stream is dropped: its connection is closed then),
    /// at ``stop()`` and ``restart()`` (both return after their streams have
    /// ended; subscribe again after a restart), and if the connection is
    /// killed (`CLIENT KILL`).
    ///
    /// The fixture's connection is not the app's: its commands are not in
    /// ``commandLog``, injected faults and ``dropAllConnections()`` leave it
    /// alone, and ``connectedClients`` does not list it. The server does
    /// count it: in `PUBLISH`'s receivers, `PUBSUB NUMSUB`, `CLIENT LIST`
    /// (named `swiftlet-testing`) and `INFO`.
    ///
    /// Waiting for a message that never comes waits for ever; give such
    /// tests a time limit (`@Test(.timeLimit(.minutes(1)))`).
    ///
    /// - Throws: ``TestServerError`` of kind ``TestServerError/Kind/connectionFailed``
    ///   when the server is stopped or closes the connection before
    ///   confirming, ``TestServerError/Kind/commandFailed`` when it answers
    ///   `AUTH` or `SUBSCRIBE` with an error, ``TestServerError/Kind/invalidArgument``
    ///   when no channel is given.
    public func subscribe(to channels: String...) async throws -> AsyncStream<PubSubMessage> {
        try await openSubscription(channels: channels, patterns: [], caller: "subscribe(to:)")
    }

    /// Subscribes to every channel matching the glob-style `patterns`
    /// (`PSUBSCRIBE`; `*`, `?`, `[a-z]`, `\` escapes) and returns their
    /// messages as a stream; each message's ``PubSubMessage/pattern`` says
    /// which pattern matched.
    ///
    /// ```swift
    /// let events = try await server.subscribe(toPatterns: "__keyspace@0__:session:*")
    /// ```
    ///
    /// Everything else is as for ``subscribe(to:)``.
    public func subscribe(toPatterns patterns: String...) async throws -> AsyncStream<PubSubMessage> {
        try await openSubscription(channels: [], patterns: patterns, caller: "subscribe(toPatterns:)")
    }

    /// Subscribes to channels and patterns at once, on one connection, and
    /// returns their messages as one stream. A message matching both a
    /// channel and a pattern arrives once for each, as in Redis.
    ///
    /// Everything else is as for ``subscribe(to:)``.
    public func subscribe(channels: [String], patterns: [String]) async throws -> AsyncStream<PubSubMessage> {
        try await openSubscription(channels: channels, patterns: patterns, caller: "subscribe(channels:patterns:)")
    }

    func openSubscription(channels: [String], patterns: [String], caller: String) async throws -> AsyncStream<PubSubMessage> {
        guard !channels.isEmpty || !patterns.isEmpty else {
            throw TestServerError(.invalidArgument, "\(caller): name at least one channel or pattern")
        }
        guard state.withLock({ $0.running }) else {
            throw TestServerError(.connectionFailed, "\(caller): the server is stopped")
        }
        var commands: [[[UInt8]]] = []
        var replies: [String] = []
        func add(_ name: String, _ arguments: [String], replies count: Int = 1) throws {
            guard let wire = wireName(name) else {
                throw TestServerError(.invalidConfiguration, "\(caller): rename-command removed \(name.uppercased()), which it needs")
            }
            commands.append([Array(wire.utf8)] + arguments.map { Array($0.utf8) })
            replies += Array(repeating: name.uppercased(), count: count)
        }
        if let password = server.configuration.requirepass { try add("auth", [password]) }
        if wireName("client") != nil { try add("client", ["SETNAME", "swiftlet-testing"]) }
        if !channels.isEmpty { try add("subscribe", channels, replies: channels.count) }
        if !patterns.isEmpty { try add("psubscribe", patterns, replies: patterns.count) }

        let request = Subscription.Request(host: TestServer.connectableHost(host), port: port,
                                           commands: commands, replies: replies, caller: caller)
        let (stream, continuation) = AsyncStream.makeStream(of: PubSubMessage.self, bufferingPolicy: .unbounded)
        let subscription = Subscription(request: request, continuation: continuation, fixture: fixture)
        // The consumer went away (or the reader finished): close the connection.
        continuation.onTermination = { _ in subscription.cancel() }
        try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Void, Error>) in
            subscription.start(ready)
        }
        return stream
    }

    /// The name a command has on this server after `rename-command`; nil if
    /// it was removed.
    func wireName(_ command: String) -> String? {
        var name = command.lowercased()
        for (from, to) in server.configuration.renamedCommands where from.lowercased() == name {
            name = to.lowercased()
        }
        return name.isEmpty ? nil : name
    }

    /// An address to connect to for a listening address (the wildcards
    /// become loopback).
    static func connectableHost(_ host: String) -> String {
        switch host {
        case "*", "0.0.0.0", "": return "127.0.0.1"
        case "::", "::*": return "::1"
        default: return host
        }
    }
}

import Sync
import Storage
import Synchronization

/// Who is subscribed to what: channels, glob patterns and shard channels,
/// each mapped to its subscribers in subscription order, plus each client's
/// own subscriptions (for counts, UNSUBSCRIBE without arguments, cleanup).
///
/// Knows nothing of RESP or sockets: PUBLISH asks it for the receivers and
/// the command layer formats and delivers the message. Thread-safe: one lock,
/// held only while the maps are read or changed.
public final class PubSubRegistry: @unchecked Sendable {
    /// A subscribed client: its id and the event loop that owns it.
    public struct Subscriber: Hashable, Sendable {
        public let clientId: Int
        public let loop: Int
        /// The connection handle the loop finds the client by.
        public let fd: Int32
        public init(clientId: Int, loop: Int, fd: Int32) { self.clientId = clientId; self.loop = loop; self.fd = fd }
    }

    public enum Kind: Sendable { case channel, pattern, shard }

    struct Subscriptions {
        var channels: [[UInt8]] = []
        var patterns: [[UInt8]] = []
        var shardChannels: [[UInt8]] = []
        var total: Int { channels.count + patterns.count + shardChannels.count }
    }

    struct State {
        var channels = NameMap<[Subscriber]>()
        var patterns = NameMap<[Subscriber]>()
        /// Patterns in the order they were first subscribed (delivery order).
        var patternOrder = PatternList()
        var shardChannels = NameMap<[Subscriber]>()
        var clients: [Int: Subscriptions] = [:]
    }

    private let state = Locked(State())

    public init() {}

    /// Subscribes; returns whether it was new and the client's count for the
    /// reply (`channels + patterns`, or shard channels for SSUBSCRIBE).
    public func subscribe(_ name: [UInt8], kind: Kind, subscriber: Subscriber) -> (added: Bool, count: Int) {
        state.withLock { s in
            var mine = s.clients[subscriber.clientId] ?? Subscriptions()
            var added = false
            switch kind {
            case .channel:
                if !mine.channels.contains(name) {
                    mine.channels.append(name)
                    s.channels[name] = (s.channels[name] ?? []) + [subscriber]
                    added = true
                }
            case .pattern:
                if !mine.patterns.contains(name) {
                    mine.patterns.append(name)
                    if s.patterns[name] == nil { s.patternOrder.append(name) }
                    s.patterns[name] = (s.patterns[name] ?? []) + [subscriber]
                    added = true
                }
            case .shard:
                if !mine.shardChannels.contains(name) {
                    mine.shardChannels.append(name)
                    s.shardChannels[name] = (s.shardChannels[name] ?? []) + [subscriber]
                    added = true
                }
            }
            s.clients[subscriber.clientId] = mine
            return (added, kind == .shard ? mine.shardChannels.count : mine.channels.count + mine.patterns.count)
        }
    }

    /// Unsubscribes; returns whether it was subscribed and the new count.
    public func unsubscribe(_ name: [UInt8], kind: Kind, clientId: Int) -> (removed: Bool, count: Int) {
        state.withLock { s in
            var mine = s.clients[clientId] ?? Subscriptions()
            var removed = false
            func drop(_ map: inout NameMap<[Subscriber]>) {
                let left = (map[name] ?? []).filter { $0.clientId != clientId }
                map[name] = left.isEmpty ? nil : left
            }
            switch kind {
            case .channel:
                if let i = mine.channels.firstIndex(of: name) { mine.channels.remove(at: i); drop(&s.channels); removed = true }
            case .pattern:
                if let i = mine.patterns.firstIndex(of: name) {
                    mine.patterns.remove(at: i)
                    drop(&s.patterns)
                    if s.patterns[name] == nil { s.patternOrder.remove(name) }
                    removed = true
                }
            case .shard:
                if let i = mine.shardChannels.firstIndex(of: name) { mine.shardChannels.remove(at: i); drop(&s.shardChannels); removed = true }
            }
            if mine.total == 0 { s.clients[clientId] = nil } else { s.clients[clientId] = mine }
            return (removed, kind == .shard ? mine.shardChannels.count : mine.channels.count + mine.patterns.count)
        }
    }

    /// A client's subscriptions of one kind, in subscription order.
    public func subscriptions(of clientId: Int, kind: Kind) -> [[UInt8]] {
        state.withLock { s in
            let mine = s.clients[clientId] ?? Subscriptions()
            switch kind {
            case .channel: return mine.channels
            case .pattern: return mine.patterns
            case .shard: return mine.shardChannels
            }
        }
    }

    /// (channels, patterns, shard channels) the client is subscribed to.
    public func counts(of clientId: Int) -> (channels: Int, patterns: Int, shard: Int) {
        state.withLock { s in
            let mine = s.clients[clientId] ?? Subscriptions()
            return (mine.channels.count, mine.patterns.count, mine.shardChannels.count)
        }
    }

    /// Forgets everything a client subscribed to (disconnect, RESET).
    public func removeClient(_ clientId: Int) {
        for kind in [Kind.channel, .pattern, .shard] {
            for name in subscriptions(of: clientId, kind: kind) { _ = unsubscribe(name, kind: kind, clientId: clientId) }
        }
    }

    /// The receivers of a message on `channel`: exact subscribers first (in
    /// subscription order), then each matching pattern's subscribers.
    public func receivers(of channel: UnsafeRawBufferPointer, shard: Bool = false)
        -> (exact: [Subscriber], patterns: [([UInt8], [Subscriber])]) {
        state.withLock { s in
            if shard { return (s.shardChannels.value(for: channel) ?? [], []) }
            var matched: [([UInt8], [Subscriber])] = []
            s.patternOrder.forEachMatch(of: channel) { i in
                let p = s.patternOrder.names[i]
                if let subs = s.patterns[p] { matched.append((p, subs)) }
            }
            return (s.channels.value(for: channel) ?? [], matched)
        }
    }

    /// Active channels (with at least one subscriber) matching `pattern` (nil: all).
    public func activeChannels(matching pattern: [UInt8]?, shard: Bool = false) -> [[UInt8]] {
        state.withLock { s in
            let names = (shard ? s.shardChannels : s.channels).names
            guard let p = pattern else { return names }
            return names.filter { name in p.withUnsafeBytes { pb in name.withUnsafeBytes { Glob.match(pb, $0) } } }
        }
    }

    public func subscriberCount(of channel: [UInt8], shard: Bool = false) -> Int {
        state.withLock { s in (shard ? s.shardChannels : s.channels)[channel]?.count ?? 0 }
    }

    /// Distinct patterns with subscribers (PUBSUB NUMPAT).
    public var patternCount: Int { state.withLock { $0.patterns.count } }
    public var channelCount: Int { state.withLock { $0.channels.count } }
    public var shardChannelCount: Int { state.withLock { $0.shardChannels.count } }
}

/// Subscribed patterns in delivery order, also packed end to end in one
/// buffer (`PackedStrings`): PUBLISH matches the channel against every
/// pattern, and reaching each through its own Array retained and released
/// it, three quarters of PUBLISH's CPU with 1000 patterns subscribed.
/// Changes (PSUBSCRIBE of a new pattern, PUNSUBSCRIBE of its last
/// subscriber) are rare next to publishes, so a removal simply repacks.
struct PatternList {
    private(set) var names: [[UInt8]] = []
    private var packed = PackedStrings()

    mutating func append(_ name: [UInt8]) {
        names.append(name)
        name.withUnsafeBytes { packed.append($0) }
    }

    mutating func remove(_ name: [UInt8]) {
        let kept = names.filter { $0 != name }
        self = PatternList()
        for n in kept { append(n) }
    }

    /// Calls `body` with the index (into `names`) of each pattern that
    /// matches `channel`, in delivery order.
    func forEachMatch(of channel: UnsafeRawBufferPointer, _ body: (Int) -> Void) {
        packed.forEach { i, pattern in
            if Glob.match(pattern, channel) { body(i) }
        }
    }
}

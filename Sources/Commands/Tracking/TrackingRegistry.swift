import Sync
import CSystem
import RESP
import Storage
import PubSub
import Synchronization

/// CLIENT TRACKING mode bits of a client (`Client.trackingOptions`).
public struct TrackingOptions: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let on = TrackingOptions(rawValue: 1 << 0)
    public static let broadcast = TrackingOptions(rawValue: 1 << 1)
    public static let optIn = TrackingOptions(rawValue: 1 << 2)
    public static let optOut = TrackingOptions(rawValue: 1 << 3)
    public static let noLoop = TrackingOptions(rawValue: 1 << 4)
    /// The REDIRECT client went away (TRACKINGINFO `broken_redirect`, CLIENT LIST `R`).
    public static let brokenRedirect = TrackingOptions(rawValue: 1 << 5)
}

/// Client-side caching, server side: who must hear that a key changed.
///
/// Default mode: a tracking client's reads record (key -> client id) in the
/// key's shard (`KeyInterest.tracked`, under the shard lock, atomically with
/// the read); a change to the key sends one `invalidate` to each recorded
/// client and forgets the key until it is read again.
///
/// BCAST mode: clients subscribe to key prefixes here; changed keys are
/// collected per prefix and sent in one message per prefix and client when
/// a loop finishes its batch (Redis does it before each event-loop sleep).
///
/// Messages go through `ServerContext.deliver`, that is through the target's
/// own loop, so they never interleave with a reply being written: a client
/// invalidated by its own write gets the reply first, as in Redis.
public final class TrackingRegistry: @unchecked Sendable {
    struct Prefix {
        var clients: [Int] = []
        /// Keys changed since the last broadcast, with the id of the last writer (NOLOOP).
        var changed: [[UInt8]: Int] = [:]
    }
    /// Guarded by `lock`.
    private var prefixes: [[UInt8]: Prefix] = [:]
    private let lock = Locked<Void>(())
    private let prefixCount = Atomic<Int>(0)
    @usableFromInline let pendingBroadcast = Atomic<Bool>(false)
    /// Clients with tracking on (INFO tracking_clients).
    public let clientCount = Atomic<Int>(0)
    /// Keys in the shards' tracking tables (INFO tracking_total_keys).
    public let totalKeys = Atomic<Int>(0)

    /// `tracking-table-max-keys` (0: no limit).
    public let maxKeys = Atomic<Int>(1_000_000)
    /// Rounds in a row that ended still over the limit: each one tries harder.
    private let overLimitRounds = Atomic<Int>(0)
    private let limitCursor = Atomic<Int>(0)

    public init() {}

    /// Whether `flushBroadcasts` or `enforceLimit` has anything to do. The
    /// loops ask before every sleep; inlined, the usual answer (no) costs
    /// two loads instead of two calls and two retains of the registry.
    @inlinable public var hasDeferredWork: Bool {
        pendingBroadcast.load(ordering: .relaxed) || isOverKeyLimit
    }

    /// More keys tracked than `tracking-table-max-keys` allows (0: no limit).
    @inlinable var isOverKeyLimit: Bool {
        let limit = maxKeys.load(ordering: .relaxed)
        return limit != 0 && totalKeys.load(ordering: .relaxed) > limit
    }

    /// Keeps the tracking table within `tracking-table-max-keys` by
    /// invalidating keys early (their readers just drop them), as Redis
    /// does before each command: up to 100 keys per round, more while the
    /// table stays over the limit. Called by the loops between batches.
    public func enforceLimit(server: ServerContext) {
        if !isOverKeyLimit { return }
        let limit = maxKeys.load(ordering: .relaxed)
        var effort = 100 * (overLimitRounds.load(ordering: .relaxed) + 1)
        let shards = server.keyspace.shards
        let start = limitCursor.add(1, ordering: .relaxed).oldValue
        for step in 0..<shards.count where effort > 0 {
            let shard = shards[(start &+ step) & (shards.count - 1)]
            shard.withLock {
                while effort > 0, let key = shard.interest.tracked.keys.first {
                    effort -= 1
                    key.withUnsafeBytes { k in
                        if let readers = shard.interest.untrack(k) {
                            keyLeftTable()
                            invalidate(k, readers: readers, writer: 0, server: server)
                        }
                    }
                    if totalKeys.load(ordering: .relaxed) <= limit { effort = 0 }
                }
            }
        }
        if totalKeys.load(ordering: .relaxed) <= limit {
            overLimitRounds.store(0, ordering: .relaxed)
        } else {
            overLimitRounds.add(1, ordering: .relaxed)
        }
    }

    /// Whether any client listens in BCAST mode.
    @inlinable public var broadcasting: Bool { prefixCountValue != 0 }
    @usableFromInline var prefixCountValue: Int { prefixCount.load(ordering: .relaxed) }

    public var prefixTotal: Int { prefixCount.load(ordering: .relaxed) }

    func keyEnteredTable() { totalKeys.add(1, ordering: .relaxed) }
    @usableFromInline func keyLeftTable() { totalKeys.add(-1, ordering: .relaxed) }

    // MARK: BCAST prefixes

    func subscribe(_ clientId: Int, prefixes list: [[UInt8]]) {
        lock.withLock { _ in
            for p in list {
                var entry = prefixes[p] ?? Prefix()
                if !entry.clients.contains(clientId) { entry.clients.append(clientId) }
                prefixes[p] = entry
            }
            prefixCount.store(prefixes.count, ordering: .relaxed)
        }
    }

    func unsubscribe(_ clientId: Int, prefixes list: [[UInt8]]) {
        lock.withLock { _ in
            for p in list {
                guard var entry = prefixes[p] else { continue }
                entry.clients.removeAll { $0 == clientId }
                prefixes[p] = entry.clients.isEmpty ? nil : entry
            }
            prefixCount.store(prefixes.count, ordering: .relaxed)
        }
    }

    func rememberForBroadcast(_ key: UnsafeRawBufferPointer, writer: Int) {
        lock.withLock { _ in
            var any = false
            for (p, var entry) in prefixes where p.count <= key.count && key.starts(with: p) {
                entry.changed[[UInt8](key)] = writer
                prefixes[p] = entry
                any = true
            }
            if any { pendingBroadcast.store(true, ordering: .relaxed) }
        }
    }

    /// Sends the keys collected for each prefix to its clients. Called by
    /// every loop between batches; cheap when there is nothing pending.
    public func flushBroadcasts(server: ServerContext) {
        if !pendingBroadcast.load(ordering: .relaxed) { return }
        var messages: [(client: Int, keys: [[UInt8]], writers: [Int])] = []
        lock.withLock { _ in
            pendingBroadcast.store(false, ordering: .relaxed)
            // Prefixes in byte order too: one message per prefix, in that order.
            for p in prefixes.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                guard var entry = prefixes[p], !entry.changed.isEmpty else { continue }
                // Keys in byte order, as Redis's radix tree lists them.
                let sorted = entry.changed.sorted { $0.key.lexicographicallyPrecedes($1.key) }
                let keys = sorted.map(\.key), writers = sorted.map(\.value)
                for id in entry.clients { messages.append((id, keys, writers)) }
                entry.changed.removeAll()
                prefixes[p] = entry
            }
        }
        for m in messages {
            guard let c = server.clients.client(id: m.client) else { continue }
            let options = TrackingOptions(rawValue: c.trackingOptions.load(ordering: .relaxed))
            var keys = m.keys
            if options.contains(.noLoop) {
                keys = zip(m.keys, m.writers).filter { $0.1 != c.id }.map(\.0)
                if keys.isEmpty { continue }
            }
            send(to: c, keysFrame: TrackingRegistry.keyArray(keys), server: server)
        }
    }

    // MARK: invalidation

    /// `key` changed: tell each default-mode client that had read it.
    func invalidate(_ key: UnsafeRawBufferPointer, readers: [Int], writer: Int, server: ServerContext) {
        var frame: [UInt8]? = nil
        for id in readers {
            guard let c = server.clients.client(id: id) else { continue }
            let options = TrackingOptions(rawValue: c.trackingOptions.load(ordering: .relaxed))
            // Tracking turned off, or switched to BCAST, since the read.
            if !options.contains(.on) || options.contains(.broadcast) { continue }
            if options.contains(.noLoop) && id == writer { continue }
            if frame == nil { frame = TrackingRegistry.keyArray([[UInt8](key)]) }
            send(to: c, keysFrame: frame, server: server)
        }
    }

    /// FLUSHALL / FLUSHDB: every tracking client drops everything (a null
    /// invalidation), and the tracking tables start empty.
    public func invalidateAll(server: ServerContext) {
        for shard in server.keyspace.shards {
            shard.withLock {
                let removed = shard.interest.tracked.count
                shard.interest.tracked.removeAll()
                shard.interest.trackedItems = 0
                if removed > 0 { totalKeys.add(-removed, ordering: .relaxed) }
            }
        }
        if clientCount.load(ordering: .relaxed) == 0 { return }
        for c in server.clients.snapshot() where c.trackingOptions.load(ordering: .relaxed) & TrackingOptions.on.rawValue != 0 {
            send(to: c, keysFrame: nil, server: server)
        }
    }

    /// Sends an invalidation to `c`, or to its REDIRECT client. `keysFrame`
    /// is the RESP array of keys; nil means "everything" (a null).
    ///
    /// A receiver on this thread's loop gets it at once, as Redis appends it
    /// at once: by the time the writer sees its reply, the reader's copy is
    /// already invalid. Only the client whose command is running waits
    /// (through its loop's outbox), so its reply comes first.
    func send(to c: Client, keysFrame: [UInt8]?, server: ServerContext) {
        var target = c
        let redirect = c.trackingRedirectId.load(ordering: .relaxed)
        if redirect != 0 {
            guard let r = server.clients.client(id: redirect) else {
                c.trackingOptions.bitwiseOr(TrackingOptions.brokenRedirect.rawValue, ordering: .relaxed)
                // Only a RESP3 connection can be told, with a push of its own.
                if c.publishedResp.load(ordering: .relaxed) == 3 {
                    let frame = Array("*2\r\n$21\r\ntracking-redir-broken\r\n:\(redirect)\r\n".utf8)
                    server.deliver(c.subscriberHandle, PushFrame(frame), -1)
                }
                return
            }
            target = r
        }
        let here = target.id == Int(cs_current_client()) ? -1 : Int(cs_current_loop())
        server.deliver(target.subscriberHandle,
                       PushFrame(invalidation: Invalidation(keys: keysFrame, redirected: redirect != 0)), here)
    }

    /// The RESP array of key names an invalidation carries.
    static func keyArray(_ keys: [[UInt8]]) -> [UInt8] { BulkArray.encode(keys) }
}

/// An invalidation on its way to a client. Its final form depends on the
/// receiving connection, known only on its own loop: a RESP3 `invalidate`
/// push, or in RESP2 a message on `__redis__:invalidate` when the receiver
/// is a REDIRECT target in subscribed mode (otherwise nothing).
public struct Invalidation: Sendable {
    /// The RESP array of keys, or nil for "all keys" (after a flush).
    public let keys: [UInt8]?
    public let redirected: Bool

    /// The bytes for a receiver speaking `protocolVersion`, nil if it cannot be told.
    public func frame(protocolVersion: Int, subscribed: Bool) -> [UInt8]? {
        if protocolVersion == 3 {
            return Array(">2\r\n$10\r\ninvalidate\r\n".utf8) + (keys ?? Array("_\r\n".utf8))
        }
        if redirected && subscribed {
            return Array("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n".utf8) + (keys ?? Array("$-1\r\n".utf8))
        }
        return nil
    }
}

extension Client {
    /// Where `ServerContext.deliver` finds this client.
    var subscriberHandle: PubSubRegistry.Subscriber {
        PubSubRegistry.Subscriber(clientId: id, loop: loop.index, fd: fd)
    }
}

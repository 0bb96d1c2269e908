import RESP
import Storage

/// A key group for multi-key commands (MGET, MSET, DEL, SUNION, RENAME…):
/// every key's hash, with the shards they live in locked in ascending order
/// for the duration of `Client.withKeys`' body.
///
/// Invariant: valid only inside that body (its storage is the loop's
/// `KeyScratch`, reused by the next command).
public struct LockedKeys {
    @usableFromInline let client: Client
    @usableFromInline let keys: UnsafeMutablePointer<UnsafeRawBufferPointer>
    @usableFromInline let hashes: UnsafeMutablePointer<UInt64>
    public let count: Int

    /// Looks up key number `i` (lazy expiry applied); the shard is already locked.
    @inlinable
    public func key(_ i: Int, db: Int? = nil, read: Bool = false, touch: Bool = true) -> LockedKey {
        let hash = hashes[i]
        let key = keys[i]
        let database = db ?? client.db
        return client.server.withKeyspace { keyspace in
            keyspace.withShard(for: hash) { shard in
                client.lookUp(keyspace, shard, db: database, key: key, hash: hash, read: read, touch: touch)
            }
        }
    }
}

/// Storage for one key group: keys, hashes and shard numbers. One per loop
/// (commands on a loop run one at a time), so multi-key commands allocate
/// nothing; a group formed while another is open (a command that nests
/// them) gets a temporary one.
///
/// Its fields are `@exclusivity(unchecked)`: only the loop's thread touches
/// them, and `inUse` already keeps two groups off one scratch; the dynamic
/// checks cost 5 runtime calls (~450 instructions) per MGET or MSET.
public final class KeyScratch {
    @exclusivity(unchecked) @usableFromInline var capacity = 0
    @exclusivity(unchecked) @usableFromInline var keys = UnsafeMutablePointer<UnsafeRawBufferPointer>.allocate(capacity: 0)
    @exclusivity(unchecked) @usableFromInline var hashes = UnsafeMutablePointer<UInt64>.allocate(capacity: 0)
    @exclusivity(unchecked) @usableFromInline var shards = UnsafeMutablePointer<Int>.allocate(capacity: 0)
    @exclusivity(unchecked) @usableFromInline var inUse = false

    public init() {}

    deinit {
        keys.deallocate(); hashes.deallocate(); shards.deallocate()
    }

    @usableFromInline func reserve(_ n: Int) {
        if n <= capacity { return }
        let size = max(n, capacity * 2, 16)
        keys.deallocate(); hashes.deallocate(); shards.deallocate()
        keys = .allocate(capacity: size)
        hashes = .allocate(capacity: size)
        shards = .allocate(capacity: size)
        capacity = size
    }
}

extension Client {
    /// Locks the shards of the keys `args[from]`, `args[from + step]`, …
    /// (up to `to`, exclusive) and runs `body` with them.
    @inlinable
    public func withKeys<R>(_ args: Arguments, from: Int, step: Int = 1, to: Int? = nil,
                            _ body: (LockedKeys) throws -> R) rethrows -> R {
        let end = to ?? args.count
        let count = end > from ? (end - from + step - 1) / step : 0
        return try withKeyGroup(count: count, fill: { keys in
            var i = from, n = 0
            while i < end { keys[n] = args[i]; n += 1; i += step }
        }, body)
    }

    /// Locks the shards of the given keys and runs `body` with them. The
    /// lazy-expiry pass covers the first `expiring` keys (all by default):
    /// a key the command looks up in another database (COPY ... DB) must
    /// not be expired in this one.
    public func withKeys<R>(_ keys: [UnsafeRawBufferPointer], expiring: Int? = nil,
                            _ body: (LockedKeys) throws -> R) rethrows -> R {
        try withKeyGroup(count: keys.count, expiring: expiring, fill: { out in
            for (n, key) in keys.enumerated() { out[n] = key }
        }, body)
    }

    @usableFromInline
    func withKeyGroup<R>(count: Int, expiring: Int? = nil, fill: (UnsafeMutablePointer<UnsafeRawBufferPointer>) -> Void,
                         _ body: (LockedKeys) throws -> R) rethrows -> R {
        let shared = loop.keyScratch
        let scratch = shared.inUse ? KeyScratch() : shared
        scratch.inUse = true
        defer { scratch.inUse = false }
        scratch.reserve(count)
        fill(scratch.keys)
        let keys = scratch.keys, hashes = scratch.hashes, shards = scratch.shards
        let database = db
        return try server.withKeyspace { keyspace in
            for i in 0..<count {
                let h = keyspace.hash(keys[i])
                hashes[i] = h
                shards[i] = keyspace.shardIndex(for: h)
            }
            let indices = UnsafeMutableBufferPointer(start: shards, count: count)
            keyspace.lockShards(indices)
            defer { keyspace.unlockShards(indices) }
            // With the shards locked the tables hold still: bring every
            // key's slot, then its entry, into cache before the lookups, so
            // the cache misses of all the keys overlap instead of queueing.
            for i in 0..<count { keyspace.prefetchSlotLocked(db: database, hash: hashes[i]) }
            for i in 0..<count { keyspace.prefetchEntryLocked(db: database, hash: hashes[i]) }
            // Lazy expiry for the whole group before the body looks anything
            // up. Removing an expired key shifts its neighbours back in the
            // table (or shrinks it), which would move the slots of keys the
            // body already holds as container views (SUNION's or ZUNION's
            // sources). The time is the batch's, so the body's own lookups
            // find nothing more to expire. (Redis expires each key as the
            // command reaches it; only the order of `expired` events for
            // several expired keys of one command can differ.)
            let now = loop.nowMs
            for i in 0..<min(count, expiring ?? count) {
                // By hash: `lockShards` sorted `shards`, which no longer lines up with the keys.
                let shard = keyspace.shard(for: hashes[i])
                // A table without TTL keys has nothing to expire: no second lookup.
                if shard.tables[database].expiringCount == 0 { continue }
                _ = keyspace.findLive(shard, db: database, key: keys[i], hash: hashes[i], now: now)
            }
            return try body(LockedKeys(client: self, keys: keys, hashes: hashes, count: count))
        }
    }
}

extension Client {
    /// Arguments at `from`, `from+step`, … as key views.
    public func keyArguments(_ args: Arguments, from: Int, step: Int = 1, to: Int? = nil) -> [UnsafeRawBufferPointer] {
        var out: [UnsafeRawBufferPointer] = []
        var i = from
        let end = to ?? args.count
        while i < end { out.append(args[i]); i += step }
        return out
    }
}

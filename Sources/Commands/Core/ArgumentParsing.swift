import RESP
import Storage

extension Client {
    /// Parses a `long long` argument or replies `value is not an integer or out of range`.
    @inlinable
    public func integerArgument(_ bytes: UnsafeRawBufferPointer) -> Int? {
        if let v = Decimal.parse(bytes) { return v }
        fail(Errors.notInteger)
        return nil
    }

    /// Parses an integer argument and checks its range, replying `message` when outside.
    public func integerArgument(_ bytes: UnsafeRawBufferPointer, in range: ClosedRange<Int>, message: String) -> Int? {
        guard let v = integerArgument(bytes) else { return nil }
        if !range.contains(v) { fail(message); return nil }
        return v
    }
}

/// A key group for multi-key commands: every key's hash, with the shards
/// they live in locked in ascending order for the duration of `body`.
public struct LockedKeys {
    @usableFromInline let client: Client
    @usableFromInline var hashes: [UInt64]
    @usableFromInline var keys: [UnsafeRawBufferPointer]

    /// Looks up key number `i` (lazy expiry applied); the shard is already locked.
    @inlinable
    public func key(_ i: Int, db: Int? = nil, read: Bool = false, touch: Bool = true) -> LockedKey {
        let keyspace = client.server.keyspace
        let hash = hashes[i]
        let shard = keyspace.shard(for: hash)
        let database = db ?? client.db
        let slot = keyspace.findLive(shard, db: database, key: keys[i], hash: hash, now: client.loop.nowMs)
        let locked = LockedKey(shard: shard, table: shard.tables + database, db: database, hash: hash, key: keys[i], slot: slot,
                               server: client.server)
        if client.loop.trackingReader != 0 { client.rememberRead(shard, keys[i]) }
        if let s = slot {
            if touch { client.touch(locked.table.pointee.entry(at: s)) }
            if read { shard.countLookup(hit: true) }
        } else if read {
            shard.countLookup(hit: false)
        }
        return locked
    }

    public var count: Int { keys.count }
}

extension Client {
    /// Locks the shards of the given keys (ascending order, each once) and runs `body`.
    public func withKeys<R>(_ keys: [UnsafeRawBufferPointer], _ body: (LockedKeys) throws -> R) rethrows -> R {
        let keyspace = server.keyspace
        let hashes = keys.map { keyspace.hash($0) }
        var shards = hashes.map { keyspace.shardIndex(for: $0) }
        keyspace.lockShards(&shards)
        defer { keyspace.unlockShards(shards) }
        return try body(LockedKeys(client: self, hashes: hashes, keys: keys))
    }

    /// Arguments at `from`, `from+step`, … as key views.
    public func keyArguments(_ args: Arguments, from: Int, step: Int = 1, to: Int? = nil) -> [UnsafeRawBufferPointer] {
        var out: [UnsafeRawBufferPointer] = []
        var i = from
        let end = to ?? args.count
        while i < end { out.append(args[i]); i += step }
        return out
    }
}

extension Client {
    /// Parses a C `int` argument like Redis's `getIntFromObjectOrReply`.
    public func intArgument(_ bytes: UnsafeRawBufferPointer, message: String? = nil) -> Int? {
        guard let v = Decimal.parse(bytes) else { fail(message ?? Errors.notInteger); return nil }
        if v < Int(Int32.min) || v > Int(Int32.max) {
            fail(message ?? "ERR value is out of range, must be between \(Int32.min) and \(Int32.max)")
            return nil
        }
        return v
    }
}

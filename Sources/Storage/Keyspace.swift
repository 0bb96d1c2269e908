import Synchronization
import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// Every database's keys, split into shards by key hash.
///
/// A key's shard is `hash & shardMask`; inside the shard, the database number
/// picks the table. Commands lock one shard for a single key, or several in
/// ascending order (`lockShards`) for multi-key commands.
public final class Keyspace: @unchecked Sendable {
    public let shards: [Shard]
    public let shardMask: Int
    public let databases: Int
    public let seed: UInt64
    public let clock: ServerClock
    /// Every database's key count per shard, readable without the locks.
    @usableFromInline let keyCounts: KeyCounts

    /// Called for every key removed by expiry (lazy or active), with the
    /// shard still locked. Set once at start-up, before any traffic.
    public var onExpired: ((_ shard: Shard, _ db: Int, _ key: UnsafeRawBufferPointer) -> Void)? = nil

    public init(databases: Int = 16, shardCount: Int = 64, clock: ServerClock, seed: UInt64? = nil) {
        precondition(shardCount > 0 && shardCount & (shardCount - 1) == 0, "shard count must be a power of two")
        self.databases = databases
        self.clock = clock
        var s = seed ?? 0
        if seed == nil { withUnsafeMutableBytes(of: &s) { cs_random_bytes($0.baseAddress, 8) } }
        self.seed = s
        shardMask = shardCount - 1
        let counts = KeyCounts(shards: shardCount, databases: databases)
        keyCounts = counts
        shards = (0..<shardCount).map { Shard(index: $0, databases: databases, seed: s, keyCounts: counts) }
        shardRefs = .allocate(capacity: shardCount)
        for (i, shard) in shards.enumerated() { (shardRefs + i).initialize(to: .passUnretained(shard)) }
    }

    deinit { shardRefs.deallocate() }

    /// The shards again, unmanaged, for the request path: `shards` keeps
    /// them alive as long as the keyspace, so reaching one through here
    /// needs no retain and release (loading a class reference out of an
    /// array costs that pair, and the request path did it several times).
    @usableFromInline let shardRefs: UnsafeMutablePointer<Unmanaged<Shard>>

    /// Runs `body` with `hash`'s shard (not locked), without retaining it.
    @inlinable @inline(__always)
    public func withShard<R>(for hash: UInt64, _ body: (Shard) throws -> R) rethrows -> R {
        try withShard(at: shardIndex(for: hash), body)
    }

    /// Runs `body` with shard `index` (not locked), without retaining it.
    @inlinable @inline(__always)
    public func withShard<R>(at index: Int, _ body: (Shard) throws -> R) rethrows -> R {
        try shardRefs[index]._withUnsafeGuaranteedRef { try body($0) }
    }

    /// Shard `index`'s tables, one per database (for code holding its lock).
    @inlinable @inline(__always)
    public func tables(ofShard index: Int) -> UnsafeMutablePointer<KeyTable> { withShard(at: index) { $0.tables } }

    @inlinable @inline(__always)
    public func hash(_ key: UnsafeRawBufferPointer) -> UInt64 { KeyHash.hash(key, seed: seed) }

    @inlinable @inline(__always)
    public func shard(for hash: UInt64) -> Shard { shards[Int(truncatingIfNeeded: hash) & shardMask] }

    @inlinable @inline(__always)
    public func shardIndex(for hash: UInt64) -> Int { Int(truncatingIfNeeded: hash) & shardMask }

    /// `key`'s shard as a bit of a shard mask (`withShardsLocked`).
    @inlinable @inline(__always)
    public func shardBit(of key: UnsafeRawBufferPointer) -> UInt64 { 1 << UInt64(shardIndex(for: hash(key))) }

    /// Bytes held by the data set (entries, tables, expiry indexes).
    public var datasetBytes: Int {
        // Unretained: the eviction check reads this after every write.
        var total = 0
        for i in 0..<shards.count { total += withShard(at: i) { $0.publishedBytes.load(ordering: .relaxed) } }
        return total
    }

    /// Keys in database `db`, expired-but-present ones included, read from
    /// the shards' published counts without taking their locks. With
    /// several event loops it is not a snapshot (nor was a sum taken one
    /// shard lock at a time).
    public func keyCount(db: Int) -> Int {
        var total = 0
        for i in 0..<shards.count { total &+= publishedCount(shard: i, db: db) }
        return total
    }

    @inlinable @inline(__always)
    public func publishedCount(shard index: Int, db: Int) -> Int {
        keyCounts.count(shard: index, db: db)
    }

    /// The shard holding the `position`-th key of database `db`, counting
    /// shard by shard through the published counts (the last non-empty
    /// shard when other loops removed keys since `position` was drawn; nil
    /// when the database is now empty).
    public func shard(holdingKeyAt position: Int, db: Int) -> Int? {
        var remaining = position
        var lastNonEmpty: Int? = nil
        for i in 0..<shards.count {
            let n = publishedCount(shard: i, db: db)
            if n == 0 { continue }
            if remaining < n { return i }
            remaining -= n
            lastNonEmpty = i
        }
        return lastNonEmpty
    }

    public func expiringCount(db: Int) -> Int {
        var total = 0
        for s in shards { s.lock(); total += s.tables[db].expiringCount; s.unlock() }
        return total
    }

    /// Sorts the shard indices and locks each once, in ascending order
    /// (the one order every multi-shard lock uses, so none deadlock).
    public func lockShards(_ group: UnsafeMutableBufferPointer<Int>) {
        var indices = group
        if indices.count <= 16 {
            // Insertion sort: groups are small, and `sort()` costs more here.
            for i in 1..<max(indices.count, 1) {
                let v = indices[i]
                var j = i
                while j > 0 && indices[j - 1] > v { indices[j] = indices[j - 1]; j -= 1 }
                indices[j] = v
            }
        } else if locksShardSubsets {
            // Shard numbers are below 64: one mask sorts and deduplicates
            // them in a pass (`sort()` was 17% of CPU for DEL of 20 keys).
            // The tail repeats the last shard, which the loops below skip.
            var mask: UInt64 = 0
            for i in indices { mask |= 1 << UInt64(i) }
            var n = 0
            mask.forEachSetBit { i in indices[n] = i; n += 1 }
            let last = indices[n - 1]
            while n < indices.count { indices[n] = last; n += 1 }
        } else {
            indices.sort()
        }
        var previous = -1
        for i in indices where i != previous { shardRefs[i]._withUnsafeGuaranteedRef { $0.lock() }; previous = i }
    }

    /// Unlocks what `lockShards` locked (`indices` as it left them: sorted).
    public func unlockShards(_ indices: UnsafeMutableBufferPointer<Int>) {
        var previous = -1
        for i in indices where i != previous { shardRefs[i]._withUnsafeGuaranteedRef { $0.unlock() }; previous = i }
    }

    /// Runs `body` on each shard in turn, each under its own lock (a sum
    /// this way is not a snapshot across shards). Unretained, like `lockAll`.
    public func forEachShardLocked(_ body: (Shard) throws -> Void) rethrows {
        for i in 0..<shards.count {
            try shardRefs[i]._withUnsafeGuaranteedRef { shard in try shard.withLock { try body(shard) } }
        }
    }

    // Through `shardRefs`: iterating `shards` retains and releases every
    // shard, which was 40% of EXEC's CPU (it locks them all).
    public func lockAll() {
        for i in 0..<shards.count { shardRefs[i]._withUnsafeGuaranteedRef { $0.lock() } }
    }

    public func unlockAll() {
        for i in (0..<shards.count).reversed() { shardRefs[i]._withUnsafeGuaranteedRef { $0.unlock() } }
    }

    /// Runs `body` holding every shard's lock (in ascending order, like any
    /// multi-shard lock), with this thread marked so that the shard locks
    /// taken inside `body` are no-ops: what `body` does is atomic with
    /// respect to every other thread. Nested calls (FLUSHALL inside EXEC)
    /// just run `body`.
    public func withAllShardsLocked<R>(_ body: () throws -> R) rethrows -> R {
        try withShardsLocked(.max, body)
    }

    /// Whether this thread holds shards through `withShardsLocked` (it is
    /// inside EXEC or a script).
    @inlinable public var heldByThisThread: Bool { cs_thread_held_shards() != 0 }

    /// Whether `withShardsLocked` can hold a subset of the shards (each
    /// needs its own bit in a 64-bit mask).
    @inlinable public var locksShardSubsets: Bool { shards.count <= 64 }

    /// Runs `body` holding the shards whose bits are set in `mask` (bit i:
    /// shard i; `.max`: every shard, whatever their number), taken in
    /// ascending order, with this thread marked so that their locks taken
    /// inside `body` are no-ops. Code inside `body` must not lock any other
    /// shard (`Shard.lock` asserts it): taken out of order, that lock can
    /// deadlock with another thread's group. A nested call runs `body` under the outer
    /// call's locks: the outer caller must hold everything the inner one
    /// needs (EXEC holds every shard for a transaction with FLUSHALL).
    @inlinable
    public func withShardsLocked<R>(_ mask: UInt64, _ body: () throws -> R) rethrows -> R {
        if cs_thread_held_shards() != 0 { return try body() }
        precondition(mask == .max || locksShardSubsets, "a subset of more than 64 shards")
        // Ascending, bit by bit (a transaction's few keys set few bits).
        if mask == .max { lockAll() } else { mask.forEachSetBit { i in shardRefs[i]._withUnsafeGuaranteedRef { $0.lock() } } }
        cs_set_thread_held_shards(mask)
        defer {
            cs_set_thread_held_shards(0)
            if mask == .max { unlockAll() } else { mask.forEachSetBit { i in shardRefs[i]._withUnsafeGuaranteedRef { $0.unlock() } } }
        }
        return try body()
    }
}

extension UInt64 {
    /// Calls `body` with the index of each set bit, lowest first (shard masks).
    @inlinable @inline(__always)
    func forEachSetBit(_ body: (Int) -> Void) {
        var bits = self
        while bits != 0 {
            body(bits.trailingZeroBitCount)
            bits &= bits &- 1
        }
    }
}

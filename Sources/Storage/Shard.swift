import Synchronization
import Sync
import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// Counters a shard keeps while its lock is held and publishes for readers
/// that do not take the lock (INFO, the maxmemory check).
public struct ShardStats {
    public var expiredKeys = 0
    public var keyspaceHits = 0
    public var keyspaceMisses = 0
    public init() {}
}

/// Bytes and keys of all of a shard's tables together.
public struct ShardTotals {
    public var bytes = 0
    public var keys = 0
}

/// Every database's key count in every shard, published for readers that
/// do not take the shard locks (DBSIZE, RANDOMKEY). One database's cells
/// are contiguous, so summing them reads a few cache lines instead of one
/// per shard. A class because the shards and the keyspace share it: a shard
/// still publishes into it while it is being freed.
public final class KeyCounts: @unchecked Sendable {
    @usableFromInline let cells: UnsafeMutablePointer<Atomic<Int>>
    @usableFromInline let shardCount: Int
    let total: Int

    init(shards: Int, databases: Int) {
        shardCount = shards
        total = shards * databases
        cells = .allocate(capacity: total)
        for i in 0..<total { (cells + i).initialize(to: Atomic(0)) }
    }

    deinit {
        cells.deinitialize(count: total)
        cells.deallocate()
    }

    @inlinable @inline(__always)
    func cell(shard: Int, db: Int) -> UnsafeMutablePointer<Atomic<Int>> { cells + db * shardCount + shard }

    /// Shard `shard`'s key count in database `db`.
    @inlinable @inline(__always)
    public func count(shard: Int, db: Int) -> Int { cell(shard: shard, db: db).pointee.load(ordering: .relaxed) }
}

/// A slice of the keyspace with its own lock: one `KeyTable` per database.
///
/// Invariant: `tables` and `stats` are read or written only between `lock()`
/// and `unlock()` (that is what makes the `@unchecked Sendable` sound).
/// Several shards are always locked in ascending index order, so two
/// multi-key commands can never deadlock.
public final class Shard: @unchecked Sendable {
    public let index: Int
    @usableFromInline let mutex: FutexLock
    /// One table per database, indexed by db number.
    public let tables: UnsafeMutablePointer<KeyTable>
    public let databases: Int
    /// Running totals of every table, updated by the tables themselves.
    public let totals: UnsafeMutablePointer<ShardTotals>
    @exclusivity(unchecked) public var stats = ShardStats()
    /// WATCHers and tracking readers of this shard's keys (guarded by the lock).
    @exclusivity(unchecked) public var interest = KeyInterest()

    // Other modules reach `stats` and `interest` through these @inlinable
    // members: Swift honours `@exclusivity(unchecked)` only in code compiled
    // from this module, so a direct `shard.stats.x += 1` elsewhere pays a
    // dynamic exclusivity check (swift_beginAccess) on every request.

    /// Counts a keyspace hit or miss (shard locked).
    @inlinable @inline(__always) public func countLookup(hit: Bool) {
        if hit { stats.keyspaceHits += 1 } else { stats.keyspaceMisses += 1 }
    }

    /// Nobody watches or tracks any key of this shard (shard locked).
    @inlinable @inline(__always) public var hasNoInterest: Bool { interest.isEmpty }
    /// `totals`, published at every unlock for lock-free readers.
    public let publishedBytes = Atomic<Int>(0)
    public let publishedKeys = Atomic<Int>(0)
    /// Each database's key count in every shard (`KeyCounts`), stored by
    /// the table serving it at every insert and removal.
    public let keyCounts: KeyCounts

    /// The cell where database `db`'s table in this shard publishes its count.
    @inlinable @inline(__always)
    public func countCell(db: Int) -> UnsafeMutablePointer<Atomic<Int>> { keyCounts.cell(shard: index, db: db) }

    init(index: Int, databases: Int, seed: UInt64, keyCounts: KeyCounts) {
        self.index = index
        self.databases = databases
        self.keyCounts = keyCounts
        mutex = FutexLock()
        totals = .allocate(capacity: 1)
        totals.initialize(to: ShardTotals())
        tables = .allocate(capacity: databases)
        for db in 0..<databases {
            (tables + db).initialize(to: KeyTable(seed: seed, totals: totals, countCell: countCell(db: db)))
        }
    }

    deinit {
        for db in 0..<databases { tables[db].removeAll() }
        tables.deinitialize(count: databases)
        tables.deallocate()
        totals.deallocate()
        mutex.deallocate()
    }

    /// This shard's bit in a thread's held-shards mask (`cs_thread_held_shards`).
    @inlinable public var heldBit: UInt64 { 1 << UInt64(index & 63) }

    /// Takes the shard's lock. A no-op on a thread that holds it for a
    /// group of commands (`Keyspace.withShardsLocked`, used by EXEC): the
    /// commands of a transaction go through the same locking code as
    /// everywhere else.
    ///
    /// Invariant: a thread that holds a group touches only the group's
    /// shards. Taking another shard's lock then, out of the group's order,
    /// can deadlock with a loop whose group holds that shard and waits for
    /// one of ours; debug builds stop at the first such lock instead.
    @inlinable @inline(__always) public func lock() {
        let held = cs_thread_held_shards()
        if held & heldBit != 0 { return }
        assert(held == 0, "shard \(index) locked by a thread holding shards \(held): a key missing from EXEC's shard mask")
        mutex.lock()
    }

    @inlinable @inline(__always) public func unlock() {
        publish()
        if cs_thread_held_shards() & heldBit != 0 { return }
        mutex.unlock()
    }

    @inlinable @inline(__always) func publish() {
        publishedBytes.store(totals.pointee.bytes, ordering: .relaxed)
        publishedKeys.store(totals.pointee.keys, ordering: .relaxed)
    }

    /// Runs `body` with the shard locked.
    @inlinable @inline(__always)
    public func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock()
        defer { unlock() }
        return try body()
    }
}

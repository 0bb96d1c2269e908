import CSystem
import Sync

/// Prefetching for pipelined requests. Looking a random key up costs two
/// dependent cache misses (its slot, then its entry) and they dominated a
/// SET profile (~30% of CPU on a 1M-key keyspace). While one request runs,
/// the event loop asks for the slot of the request two ahead and the entry
/// of the request one ahead, so their misses overlap useful work.
///
/// Both take the shard lock (briefly, without publishing): tables may be
/// resized by another loop, so even a peek must not race. Only if it is
/// free: a held shard is skipped (see `tryLockQuietly`).
extension Keyspace {
    /// Stage one: bring the key's home slot into cache.
    @inlinable @inline(__always)
    public func prefetchSlot(db: Int, hash h: UInt64) {
        withShard(for: h) { shard in
            guard shard.tryLockQuietly() else { return }
            shard.tables[db].prefetch(hash: h)
            shard.unlockQuietly()
        }
    }

    /// Stage two: read the (now cached) slots from home and bring the first
    /// entry whose stored hash bits match into cache.
    @inlinable @inline(__always)
    public func prefetchEntry(db: Int, hash h: UInt64, bytes: Int = 0) {
        withShard(for: h) { shard in
            guard shard.tryLockQuietly() else { return }
            shard.tables[db].prefetchEntry(hash: h, bytes: bytes)
            shard.unlockQuietly()
        }
    }
}

extension Keyspace {
    /// Stage one for a key whose shard the caller holds locked.
    @inlinable @inline(__always)
    public func prefetchSlotLocked(db: Int, hash: UInt64) {
        withShard(for: hash) { $0.tables[db].prefetch(hash: hash) }
    }

    /// Stage two for a key whose shard the caller holds locked.
    @inlinable @inline(__always)
    public func prefetchEntryLocked(db: Int, hash: UInt64) {
        withShard(for: hash) { $0.tables[db].prefetchEntry(hash: hash) }
    }
}

extension KeyTable {
    /// Prefetches the entry's first cache line, and its first `bytes` bytes
    /// (at most 4 KiB) when the caller expects a large entry: a 1 KiB value
    /// copied into a reply, or overwritten, is 16 more misses otherwise.
    @inlinable @inline(__always)
    public func prefetchEntry(hash: UInt64, bytes: Int = 0) {
        guard let slots = slots else { return }
        let tag = hash >> KeyTable.tagShift
        var i = home(ofHash: hash)
        for _ in 0..<4 {
            let s = slots[i]
            if s == 0 { return }
            if s >> KeyTable.tagShift == tag {
                let raw = KeyTable.entry(ofSlot: s).raw
                cs_prefetch(raw)
                var offset = 64
                let end = min(bytes, 4096)
                while offset < end { cs_prefetch(raw + offset); offset += 64 }
                return
            }
            i = (i &+ 1) & mask
        }
    }
}

extension Shard {
    /// Lock and unlock for read-only peeks: nothing changes, so nothing is published.
    /// A prefetch is only a hint: a shard held elsewhere (another loop's
    /// command, a script holding every shard, or this very thread serving
    /// other clients while its script runs) is skipped, never waited for.
    @inlinable @inline(__always) public func tryLockQuietly() -> Bool { mutex.tryLock() }
    @inlinable @inline(__always) public func unlockQuietly() { mutex.unlock() }
}

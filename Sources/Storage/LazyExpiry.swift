extension Keyspace {
    /// The slot of `key` if it exists and has not expired. An expired key is
    /// deleted on the spot (lazy expiry: no read ever sees an expired key).
    /// The shard must be locked.
    @inlinable
    public func findLive(_ shard: Shard, db: Int, key: UnsafeRawBufferPointer, hash: UInt64, now: Int64) -> Int? {
        let table = shard.tables + db
        guard let slot = table.pointee.find(key, hash: hash) else { return nil }
        let e = table.pointee.entry(at: slot)
        if e.hasExpiry && now > e.expireAt {
            expire(shard, db: db, slot: slot)
            return nil
        }
        return slot
    }

    /// Removes an expired key, counting it and telling the observer.
    @usableFromInline
    func expire(_ shard: Shard, db: Int, slot: Int) { expireSlot(shard, db: db, slot: slot) }

    /// Removes the key at `slot` because it expired (lazy, active or met by SCAN).
    public func expireSlot(_ shard: Shard, db: Int, slot: Int) {
        let table = shard.tables + db
        let e = table.pointee.detach(at: slot)
        shard.stats.expiredKeys += 1
        onExpired?(shard, db, e.key)
        KeyTable.free(e)
    }

    /// True when the entry is logically expired at `now` (without deleting it).
    @inlinable public static func isExpired(_ e: Entry, now: Int64) -> Bool {
        e.hasExpiry && now > e.expireAt
    }
}

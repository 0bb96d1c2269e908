import RESP
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// One key of the client's database, with its shard locked for as long as
/// the value lives (see `Client.withKey`).
public struct LockedKey {
    /// Unretained: the keyspace keeps every shard alive, and a LockedKey
    /// lives only inside `withKey`.
    public unowned(unsafe) let shard: Shard
    public let table: UnsafeMutablePointer<KeyTable>
    public let db: Int
    public let hash: UInt64
    public let key: UnsafeRawBufferPointer
    /// The key's slot, nil when absent (expired keys were already removed).
    ///
    /// Invariant: another key of the same table may be written while this
    /// one is held (RENAME inserts its destination, then removes its
    /// source), and that can move this key to another slot. So the slot is
    /// remembered with the table's layout generation and found again by key
    /// when the layout has changed since.
    @inlinable public var slot: Int? {
        get {
            guard let s = knownSlot else { return nil }
            if table.pointee.layoutGeneration == knownLayout { return s }
            return table.pointee.find(key, hash: hash)
        }
        set {
            knownSlot = newValue
            knownLayout = table.pointee.layoutGeneration
        }
    }
    @usableFromInline var knownSlot: Int?
    @usableFromInline var knownLayout: UInt32
    /// Set by `Client.writeValue` when it created the key for this command.
    public var created = false
    /// For the `new` keyspace event when a store creates the key.
    @usableFromInline unowned(unsafe) let server: ServerContext

    @inlinable
    public init(shard: Shard, table: UnsafeMutablePointer<KeyTable>, db: Int, hash: UInt64, key: UnsafeRawBufferPointer,
                slot: Int?, server: ServerContext) {
        self.shard = shard; self.table = table; self.db = db; self.hash = hash; self.key = key
        self.knownSlot = slot; self.knownLayout = table.pointee.layoutGeneration
        self.server = server
    }

    /// Fires `new` (Redis fires it when a key is added, before the command's own event).
    @inlinable public func keyCreated() {
        unretained { server, _ in server.keyspaceEvent(.newKey, "new", key, db: db) }
    }

    /// Runs `body` with `server` and `shard`, neither retained. A retain is
    /// an atomic instruction, and one right after the store that created or
    /// changed a key waits for that store's cache misses: the retains in
    /// `keyCreated` and `Client.keyModified` were 3.4% and 1.3% of server
    /// CPU for SETs of new keys at pipeline 16. Both outlive every LockedKey.
    @inlinable @inline(__always)
    public func unretained<T>(_ body: (ServerContext, Shard) -> T) -> T {
        Unmanaged.passUnretained(server)._withUnsafeGuaranteedRef { server in
            Unmanaged.passUnretained(shard)._withUnsafeGuaranteedRef { shard in body(server, shard) }
        }
    }

    @inlinable public var exists: Bool { slot != nil }
    @inlinable public var entry: Entry? { slot.map { table.pointee.entry(at: $0) } }

    /// Stores a string value, replacing whatever the key held. `lru` is the
    /// access word for a new key; an existing key keeps its own (already
    /// refreshed by the lookup), as Redis keeps LFU counts across overwrites.
    @inlinable
    public mutating func storeString(_ value: UnsafeRawBufferPointer, encoding: StringEncoding,
                                     expiry: ExpiryChange, lru: UInt32) {
        let current = slot  // read once: each read checks the table's layout
        let word = current.map { table.pointee.entry(at: $0).lru } ?? lru
        slot = table.pointee.storeString(key: key, hash: hash, slot: current, value: value,
                                         encoding: encoding, expiry: expiry, lru: word)
        if current == nil { keyCreated() }
    }

    /// Makes the key's string value at least `length` bytes long, the new
    /// bytes zero; a missing key first becomes an empty raw string
    /// (SETRANGE, SETBIT, BITFIELD). The caller has checked that an existing
    /// value is a string. Returns the entry and the value's length before,
    /// or nil (changing nothing) for a length beyond the machine's memory,
    /// which only a proto-max-bulk-len raised that far lets through: Redis
    /// then dies allocating it.
    public mutating func growString(to length: Int, lru: UInt32) -> (entry: Entry, oldLength: Int)? {
        if length > LockedKey.largestAllocation { return nil }
        if slot == nil { storeString(UnsafeRawBufferPointer(start: nil, count: 0), encoding: .raw, expiry: .clear, lru: lru) }
        let current = slot!
        let oldLength = table.pointee.entry(at: current).valueLength
        guard oldLength < length else { return (table.pointee.entry(at: current), oldLength) }
        let e = table.pointee.resizeValue(at: current, to: length)
        (e.valueStart + oldLength).initializeMemory(as: UInt8.self, repeating: 0, count: length - oldLength)
        return (e, oldLength)
    }

    /// The machine's physical memory: no value can be larger.
    static let largestAllocation = sysconf(Int32(_SC_PHYS_PAGES)) * sysconf(Int32(_SC_PAGESIZE))

    /// Deletes the key if present; returns whether it existed. `lazily`:
    /// a big container is freed on the background thread (UNLINK).
    @inlinable @discardableResult
    public mutating func delete(lazily: Bool = false) -> Bool {
        guard let s = slot else { return false }
        if lazily {
            ValueStore.freeLazily(table.pointee.detach(at: s), freer: server.backgroundFree)
        } else {
            table.pointee.remove(at: s)
        }
        slot = nil
        return true
    }

    /// Sets or clears the expiry of an existing key.
    @inlinable public mutating func setExpiry(_ at: Int64?) {
        if let s = slot { table.pointee.setExpiry(at: s, at) }
    }
}

extension Client {
    /// Locks `key`'s shard, runs lazy expiry on it, and calls `body`.
    /// Reads count keyspace hits and misses; `touch` refreshes the LRU clock.
    @inlinable
    public func withKey<R>(_ key: UnsafeRawBufferPointer, read: Bool = false, touch: Bool = true,
                           _ body: (inout LockedKey) throws -> R) rethrows -> R {
        try server.withKeyspace { keyspace in try withKey(keyspace, key, read: read, touch: touch, body) }
    }

    @inlinable @inline(__always)
    func withKey<R>(_ keyspace: Keyspace, _ key: UnsafeRawBufferPointer, read: Bool, touch: Bool,
                    _ body: (inout LockedKey) throws -> R) rethrows -> R {
        let hash = keyspace.hash(key)
        return try keyspace.withShard(for: hash) { shard in
            shard.lock()
            defer { shard.unlock() }
            var locked = lookUp(keyspace, shard, db: db, key: key, hash: hash, read: read, touch: touch)
            return try body(&locked)
        }
    }

    /// Looks `key` up in its shard, which the caller holds locked: lazy
    /// expiry, tracking of the read, the LRU/LFU touch and hit/miss counts.
    /// `withKey` and multi-key groups (`LockedKeys.key`) share it.
    @inlinable @inline(__always)
    func lookUp(_ keyspace: Keyspace, _ shard: Shard, db: Int, key: UnsafeRawBufferPointer, hash: UInt64,
                read: Bool, touch: Bool) -> LockedKey {
        let slot = keyspace.findLive(shard, db: db, key: key, hash: hash, now: loop.nowMs)
        let locked = LockedKey(shard: shard, table: shard.tables + db, db: db, hash: hash, key: key, slot: slot, server: server)
        if loop.trackingReader != 0 { rememberRead(shard, key) }
        if let s = slot {
            let e = locked.table.pointee.entry(at: s)
            // Key and value plus the largest header (24 bytes with an expiry).
            entrySizeHint = e.keyLength &+ e.valueLength &+ 24
            if touch { self.touch(e) }
            if read { shard.countLookup(hit: true) }
        } else if read {
            shard.countLookup(hit: false)
        }
        return locked
    }

    /// The access word for a key created now: the 24-bit LRU clock (`LRUClock`),
    /// or under an LFU policy the initial LFU word (counter 5, stamped now).
    @inlinable public var lruClock: UInt32 {
        if server.config.policyUsesLFU { return LFU.initialWord(loop.nowMs) }
        return LRUClock.at(loop.nowMs)
    }

    /// Refreshes a key's access data on lookup: the LRU clock, or under an
    /// LFU policy Redis's decay-then-probabilistic-increment of the counter.
    @inlinable public func touch(_ e: Entry) {
        if server.config.policyUsesLFU {
            touchLFU(e)
        } else {
            e.lru = LRUClock.at(loop.nowMs)
        }
    }

    @usableFromInline func touchLFU(_ e: Entry) {
        let config = server.config
        let decayed = LFU.decayed(e.lru, nowMs: loop.nowMs, decayTime: config.lfuDecayTime)
        let counter = LFU.increment(decayed, logFactor: config.lfuLogFactor, random: loop.nextRandomUnit())
        e.lru = LFU.word(counter: counter, nowMs: loop.nowMs)
    }

    /// Replies with a string entry's value, or the right error/null.
    /// Returns false (and replies WRONGTYPE) when the key holds another type.
    @inlinable @discardableResult
    public func replyString(_ entry: Entry?) -> Bool {
        guard let e = entry else { reply.null(); return true }
        if e.type != .string { fail(Errors.wrongType); return false }
        reply.bulk(e.value)
        return true
    }
}

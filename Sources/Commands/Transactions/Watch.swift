import RESP
import Storage
import Synchronization

/// `WATCH key [key ...]` and `UNWATCH`
///
/// Optimistic locking for MULTI/EXEC: EXEC answers a null array instead of
/// running the queue if any watched key changed (written, deleted, expired,
/// evicted, flushed, swapped) after WATCH — by anyone, this client included.
/// Each watched key is registered in its shard's `interest`, under the
/// shard lock, so the check and any concurrent write are ordered.
enum WatchCommand {
    static let watch = CommandSpec(
        "watch", arity: -2, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
        acl: ["@fast", "@transaction"], keys: (1, -1, 1), group: "transactions", since: "2.2.0",
        summary: "Monitors changes to keys to determine the execution of a transaction.",
        complexity: "O(1) for every key.",
        arguments: [ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0)], handler: run)

    static let unwatch = CommandSpec(
        "unwatch", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
        acl: ["@fast", "@transaction"], group: "transactions", since: "2.2.0",
        summary: "Forgets about watched keys of a transaction.", handler: { c, _ in
            c.unwatchAll()
            c.watchFlag.dirty.store(false, ordering: .relaxed)
            c.reply.ok()
        })

    static func run(_ c: Client, _ args: Arguments) {
        if c.inTransaction { c.fail("ERR WATCH inside MULTI is not allowed"); return }
        // Already doomed: watching more changes nothing.
        if c.watchFlag.dirty.load(ordering: .relaxed) { c.reply.ok(); return }
        for i in 1..<args.count { c.watch(args[i]) }
        c.reply.ok()
    }
}

extension Client {
    /// Registers `key` (in the selected database) as watched by this client.
    func watch(_ key: UnsafeRawBufferPointer) {
        let watched = WatchedKey(db: db, name: [UInt8](key))
        if watchedKeys.contains(watched) { return }
        let keyspace = server.keyspace
        let hash = keyspace.hash(key)
        let shard = keyspace.shard(for: hash)
        shard.withLock {
            // Watching does not expire the key; it notes whether it already
            // is, since its later removal by expiry is then no change.
            var expired = false
            if let slot = shard.tables[db].find(key, hash: hash) {
                expired = Keyspace.isExpired(shard.tables[db].entry(at: slot), now: loop.nowMs)
            }
            shard.interest.watch(watched, flag: watchFlag, expired: expired)
        }
        watchedKeys.append(watched)
    }

    /// Forgets every watched key (the dirty flag is left to the caller).
    public func unwatchAll() {
        if watchedKeys.isEmpty { return }
        let keyspace = server.keyspace
        for watched in watchedKeys {
            let shard = watched.name.withUnsafeBytes { keyspace.shard(for: keyspace.hash($0)) }
            shard.withLock { shard.interest.unwatch(watched, flag: watchFlag) }
        }
        watchedKeys.removeAll()
    }

    /// `unwatchAll` for a client going away, which must not stall its
    /// loop behind a script on another loop that holds every shard (for as
    /// long as it runs, if it runs away): its registrations are then left
    /// for the script's lane to remove when it ends. Nobody reads this
    /// client's flag any more, so a write meanwhile is harmless.
    func unwatchAllLeaving() {
        if watchedKeys.isEmpty { return }
        let engine = server.scripts
        guard engine.exclusive.load(ordering: .sequentiallyConsistent) && !server.keyspace.heldByThisThread else {
            unwatchAll()
            return
        }
        let flag = watchFlag
        engine.leftWatches.withLock { $0.append(contentsOf: watchedKeys.map { ($0, flag) }) }
        engine.hasLeftWatches.store(true, ordering: .sequentiallyConsistent)
        watchedKeys.removeAll()
        // The script may have ended, and looked for these, meanwhile.
        if !engine.exclusive.load(ordering: .sequentiallyConsistent) { server.removeLeftWatches(waiting: false) }
    }

    /// Whether a key that was live when watched has logically expired since
    /// (EXEC treats that as a change). Runs with every shard locked.
    func watchedKeyExpired() -> Bool {
        if watchedKeys.isEmpty { return false }
        let keyspace = server.keyspace
        let now = server.clock.milliseconds
        for watched in watchedKeys {
            let expired = watched.name.withUnsafeBytes { key -> Bool in
                let hash = keyspace.hash(key)
                let shard = keyspace.shard(for: hash)
                let table = shard.tables + watched.db
                guard let slot = table.pointee.find(key, hash: hash) else { return false }
                if !Keyspace.isExpired(table.pointee.entry(at: slot), now: now) { return false }
                let watcher = shard.interest.watched[watched]?.first { $0.flag === watchFlag }
                return watcher.map { !$0.expiredAtWatch } ?? false
            }
            if expired { return true }
        }
        return false
    }
}

extension ServerContext {
    /// Removes the registrations `Client.unwatchAllLeaving` left. With
    /// `waiting` false a shard someone holds (a script that started since)
    /// is skipped, and its registrations stay for the next lane.
    func removeLeftWatches(waiting: Bool) {
        let engine = scripts
        guard engine.hasLeftWatches.load(ordering: .sequentiallyConsistent) else { return }
        let left = engine.leftWatches.withLock { list -> [(WatchedKey, WatchFlag)] in
            engine.hasLeftWatches.store(false, ordering: .sequentiallyConsistent)
            defer { list.removeAll() }
            return list
        }
        var kept: [(WatchedKey, WatchFlag)] = []
        for (watched, flag) in left {
            let shard = watched.name.withUnsafeBytes { keyspace.shard(for: keyspace.hash($0)) }
            if waiting {
                shard.withLock { shard.interest.unwatch(watched, flag: flag) }
            } else if shard.tryLockQuietly() {
                shard.interest.unwatch(watched, flag: flag)
                shard.unlockQuietly()
            } else {
                kept.append((watched, flag))
            }
        }
        if !kept.isEmpty {
            engine.leftWatches.withLock { $0.append(contentsOf: kept) }
            engine.hasLeftWatches.store(true, ordering: .sequentiallyConsistent)
        }
    }
}

extension CommandSpec {
    /// Whether running this command for `client` adds or removes WATCH
    /// registrations, which live in the shards: WATCH, and UNWATCH, DISCARD
    /// and RESET for a client that watches keys.
    public func changesWatches(_ client: Client) -> Bool {
        switch name {
        case "watch": return true
        case "unwatch", "discard", "reset": return !client.watchedKeys.isEmpty
        default: return false
        }
    }
}

import RESP
import Storage

/// Redis's `signalModifiedKey`: every change to a key — a write, a delete,
/// an expiry, an eviction — is reported here so WATCH can doom transactions
/// and client-side caches can be invalidated.
extension ServerContext {
    /// `key` in `db` changed. The key's shard must be locked by the caller.
    /// `writer` is the client whose command made the change (nil for
    /// expiry and eviction), for tracking's NOLOOP.
    ///
    /// Costs one branch when nobody watches or tracks anything in the shard.
    @inlinable
    public func keyModified(_ shard: Shard, db: Int, key: UnsafeRawBufferPointer, writer: Int = 0) {
        if shard.hasNoInterest && !tracking.broadcasting { return }
        keyModifiedSlow(shard, db: db, key: key, writer: writer)
    }

    @usableFromInline
    func keyModifiedSlow(_ shard: Shard, db: Int, key: UnsafeRawBufferPointer, writer: Int) {
        if !shard.interest.watched.isEmpty {
            let present = shard.tables[db].find(key, hash: keyspace.hash(key)) != nil
            shard.interest.touchWatched(WatchedKey(db: db, name: [UInt8](key)), present: present)
        }
        if !shard.interest.tracked.isEmpty, let readers = shard.interest.untrack(key) {
            tracking.keyLeftTable()
            tracking.invalidate(key, readers: readers, writer: writer, server: self)
        }
        if tracking.broadcasting { tracking.rememberForBroadcast(key, writer: writer) }
    }

    /// Redis's `touchAllWatchedKeysInDb`: database `emptied` is about to be
    /// flushed, or swapped with `replacement`. Every watched key that exists
    /// in either (logically, as seen by its watcher) dooms its watchers.
    /// Call with every shard locked, before the change.
    public func databaseReplaced(_ emptied: Int, with replacement: Int?) {
        let now = clock.milliseconds
        for shard in keyspace.shards where !shard.interest.watched.isEmpty {
            for (watched, watchers) in shard.interest.watched where watched.db == emptied {
                let state = watched.name.withUnsafeBytes { key -> (inEmptied: Bool, inReplacement: Bool, replacementExpired: Bool) in
                    let hash = keyspace.hash(key)
                    let inEmptied = shard.tables[emptied].find(key, hash: hash) != nil
                    guard let r = replacement, let slot = shard.tables[r].find(key, hash: hash) else {
                        return (inEmptied, false, false)
                    }
                    return (inEmptied, true, Keyspace.isExpired(shard.tables[r].entry(at: slot), now: now))
                }
                if !state.inEmptied && !state.inReplacement { continue }
                var updated = watchers
                for i in updated.indices {
                    if updated[i].expiredAtWatch {
                        // Gone for good: no logical change. Still expired: none either.
                        if !state.inReplacement { updated[i].expiredAtWatch = false; continue }
                        if state.replacementExpired { continue }
                    } else if !state.inEmptied && state.replacementExpired {
                        // A missing key replaced by an expired one: still missing.
                        updated[i].expiredAtWatch = true
                        continue
                    }
                    updated[i].flag.dirty.store(true, ordering: .relaxed)
                }
                shard.interest.watched[watched] = updated
            }
        }
    }
}

extension Client {
    /// A command of this client changed the key `k` (its shard is locked).
    @inlinable public func keyModified(_ k: LockedKey) {
        k.unretained { server, shard in server.keyModified(shard, db: k.db, key: k.key, writer: id) }
    }

    /// The same for a key of another database (MOVE, COPY … DB), shard locked.
    @inlinable public func keyModified(_ key: UnsafeRawBufferPointer, db: Int) {
        let keyspace = server.keyspace
        server.keyModified(keyspace.shard(for: keyspace.hash(key)), db: db, key: key, writer: id)
    }
}

extension ServerContext {
    /// Wires transactions and client-side caching into the server's client
    /// lifecycle and flushes. Called once at start-up.
    public func installKeyInterest() {
        let cleanup: (Client) -> Void = { c in
            c.discardTransaction()
            c.disableTracking()
        }
        clientClosedHooks.append { c in
            c.unwatchAllLeaving()
            cleanup(c)
        }
        clientClosedHooks.append { c in c.abandonBlocking() }
        clientResetHooks.append(cleanup)
        // RESET or a disconnect ends MONITOR mode.
        let leaveMonitor: (Client) -> Void = { [unowned self] c in
            guard c.monitorMode.load(ordering: .relaxed) else { return }
            c.monitorMode.store(false, ordering: .relaxed)
            monitors.remove(clientId: c.id)
        }
        clientClosedHooks.append(leaveMonitor)
        clientResetHooks.append(leaveMonitor)
        flushed = { [unowned self] _ in tracking.invalidateAll(server: self) }
        let applyLimit: (String) -> Void = { [unowned self] value in
            tracking.maxKeys.store(Int(value) ?? 1_000_000, ordering: .relaxed)
        }
        applyLimit(config.string("tracking-table-max-keys") ?? "1000000")
        config.onChange("tracking-table-max-keys", applyLimit)
    }
}

import Synchronization

/// One client's WATCH state as the shards see it: set when a watched key
/// changes. Shared by every key the client watches.
public final class WatchFlag: @unchecked Sendable {
    public let dirty = Atomic<Bool>(false)
    public init() {}
}

/// A watched key: database and name.
public struct WatchedKey: Hashable {
    public let db: Int
    public let name: [UInt8]
    public init(db: Int, name: [UInt8]) { self.db = db; self.name = name }
}

/// One client watching one key.
public struct Watcher {
    public let flag: WatchFlag
    /// The key was already logically expired when WATCH ran: its deletion by
    /// expiry is then no change (Redis's `watchedKey.expired`).
    public var expiredAtWatch: Bool
    public init(flag: WatchFlag, expiredAtWatch: Bool) { self.flag = flag; self.expiredAtWatch = expiredAtWatch }
}

/// Who wants to hear about changes to the keys of one shard: clients that
/// WATCH them, and (client-side caching) clients that read them while
/// tracking. Lives in the shard and is guarded by its lock, so a write,
/// which already holds that lock, finds the interested clients without any
/// other synchronisation, and a read registers itself atomically with the
/// value it returns.
public struct KeyInterest {
    public var watched: [WatchedKey: [Watcher]] = [:]
    /// Key name (every database alike, as Redis's tracking table) -> ids of
    /// the clients that read it since its last invalidation.
    public var tracked: [[UInt8]: [Int]] = [:]
    /// Total (key, client) pairs in `tracked` (INFO tracking_total_items).
    public var trackedItems = 0
    public init() {}

    @inlinable public var isEmpty: Bool { watched.isEmpty && tracked.isEmpty }

    /// Adds `flag`'s client as a watcher of `key` unless it already is one.
    public mutating func watch(_ key: WatchedKey, flag: WatchFlag, expired: Bool) {
        var list = watched[key] ?? []
        if list.contains(where: { $0.flag === flag }) { return }
        list.append(Watcher(flag: flag, expiredAtWatch: expired))
        watched[key] = list
    }

    public mutating func unwatch(_ key: WatchedKey, flag: WatchFlag) {
        guard var list = watched[key] else { return }
        list.removeAll { $0.flag === flag }
        watched[key] = list.isEmpty ? nil : list
    }

    /// A watched key changed: marks its watchers dirty. `present` says
    /// whether the key exists after the change; a key that was expired at
    /// WATCH time and is now simply gone did not logically change.
    public mutating func touchWatched(_ key: WatchedKey, present: Bool) {
        guard var list = watched[key] else { return }
        for i in list.indices {
            if list[i].expiredAtWatch && !present {
                list[i].expiredAtWatch = false
                continue
            }
            list[i].flag.dirty.store(true, ordering: .relaxed)
        }
        watched[key] = list
    }

    /// Records that client `id` read `key` (default tracking mode).
    /// Returns whether a new key entered the table.
    @discardableResult
    public mutating func track(_ key: UnsafeRawBufferPointer, client id: Int) -> Bool {
        let name = [UInt8](key)
        if var ids = tracked[name] {
            if ids.contains(id) { return false }
            ids.append(id)
            tracked[name] = ids
            trackedItems += 1
            return false
        }
        tracked[name] = [id]
        trackedItems += 1
        return true
    }

    /// Removes `key` from the tracking table, returning who had read it.
    public mutating func untrack(_ key: UnsafeRawBufferPointer) -> [Int]? {
        guard let ids = tracked.removeValue(forKey: [UInt8](key)) else { return nil }
        trackedItems -= ids.count
        return ids
    }
}

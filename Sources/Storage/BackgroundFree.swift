#if canImport(Glibc)
import Glibc
#endif

/// A thread that frees detached tables (FLUSHALL ASYNC) and big containers
/// (UNLINK) so the event loops never pay for releasing millions of elements.
public final class BackgroundFree: @unchecked Sendable {
    private enum Work {
        case table(KeyTable)
        /// A container no entry refers to any more (this reference is the last).
        case container(Container)
    }
    // Invariant: `queue` is only touched with `mutex` held.
    private var queue: [Work] = []
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var thread: pthread_t? = nil
    private var stopping = false
    /// Bytes still waiting to be freed (INFO lazyfree_pending_objects is counted in tables).
    public private(set) var pendingTables = 0

    public init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    /// Redis's `LAZYFREE_THRESHOLD`: containers with more elements than this
    /// are freed in the background, smaller ones at once (cheaper than a
    /// hand-off).
    public static let threshold = 64

    /// Queues a table whose entries must be freed. Starts the thread on first use.
    public func free(_ table: KeyTable) { enqueue(.table(table)) }

    /// Queues a detached container for release.
    public func free(_ container: Container) { enqueue(.container(container)) }

    private func enqueue(_ work: Work) {
        pthread_mutex_lock(&mutex)
        queue.append(work)
        pendingTables += 1
        if thread == nil {
            let box = Unmanaged.passRetained(self).toOpaque()
            var t = pthread_t()
            pthread_create(&t, nil, { arg in
                let me = Unmanaged<BackgroundFree>.fromOpaque(arg!).takeRetainedValue()
                me.run()
                return nil
            }, box)
            pthread_detach(t)
            thread = t
        }
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    private func run() {
        while true {
            pthread_mutex_lock(&mutex)
            while queue.isEmpty && !stopping { pthread_cond_wait(&condition, &mutex) }
            if queue.isEmpty && stopping { pthread_mutex_unlock(&mutex); return }
            var work: Work? = queue.removeFirst()
            pthread_mutex_unlock(&mutex)
            if case .table(var table) = work { table.removeAll() }
            work = nil  // a container's last reference goes here, off the loops
            pthread_mutex_lock(&mutex)
            pendingTables -= 1
            pthread_mutex_unlock(&mutex)
        }
    }

    /// Lets the thread exit once the queue is drained.
    public func stop() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }
}

extension Keyspace {
    /// Empties database `db` (or every database when nil). With `async`, the
    /// old tables are freed on the background thread. All shards are locked
    /// in order while the tables are swapped out, so the flush is atomic.
    public func flush(db: Int?, async: Bool, freer: BackgroundFree) {
        lockAll()
        var detached: [KeyTable] = []
        for shard in shards {
            for d in 0..<databases where db == nil || db == d {
                if shard.tables[d].count == 0 && shard.tables[d].capacity == 0 { continue }
                var old = shard.tables[d]
                old.detachFromShard()
                detached.append(old)
                shard.tables[d] = KeyTable(seed: seed, totals: shard.totals, countCell: shard.countCell(db: d))
            }
        }
        unlockAll()
        for var t in detached {
            if async { freer.free(t) } else { t.removeAll() }
        }
    }

    /// Exchanges two databases in every shard (SWAPDB).
    public func swap(_ a: Int, _ b: Int) {
        lockAll()
        for shard in shards {
            let t = shard.tables[a]
            shard.tables[a] = shard.tables[b]
            shard.tables[b] = t
            // The count cells belong to the databases: each table now
            // publishes into the cell of the database it moved to.
            shard.tables[a].attach(countCell: shard.countCell(db: a))
            shard.tables[b].attach(countCell: shard.countCell(db: b))
        }
        unlockAll()
    }
}

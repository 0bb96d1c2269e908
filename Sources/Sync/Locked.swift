#if canImport(Glibc)
import Glibc
#endif

/// State guarded by a pthread mutex.
///
/// Why not `Synchronization.Mutex`: on Linux the thread sanitizer does not
/// see the synchronisation inside it and reports races on state that is only
/// ever touched under the lock (reproduced in a standalone program). A
/// pthread mutex is understood by the sanitizer and costs the same when
/// uncontended, so every lock in Swiftlet uses this type.
///
/// Invariant: `storage` is read or written only inside `withLock`.
public final class Locked<State>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let storage: UnsafeMutablePointer<State>

    public init(_ initial: State) {
        storage = .allocate(capacity: 1)
        storage.initialize(to: initial)
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    @inlinable @inline(__always)
    public func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&storage.pointee)
    }
}

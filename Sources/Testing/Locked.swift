#if canImport(Glibc)
import Glibc
#endif

/// A lock around a value, on a pthread mutex.
///
/// Not `Mutex` from Synchronization: on Linux it hands a contended lock
/// over inside the kernel (a priority-inheriting futex), which the thread
/// sanitizer cannot see, so it reports races between critical sections
/// that never overlap. The fixture's state is used from test tasks, event
/// loops (the command interceptor) and subscription reader threads at once;
/// a pthread mutex keeps `--sanitize=thread` runs of it meaningful.
final class Locked<Value>: @unchecked Sendable {
    // Both live outside the object, so no access to a stored property can
    // alias another (a zero-sized `Value` such as `Void` would share its
    // offset with the mutex pointer).
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let value: UnsafeMutablePointer<Value>

    init(_ initial: Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        value = .allocate(capacity: 1)
        value.initialize(to: initial)
    }

    deinit {
        value.deinitialize(count: 1)
        value.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}

import CSystem
import Synchronization

/// A lock in one 32-bit word (Drepper's third mutex in "Futexes Are
/// Tricky"): taken with one compare-and-swap when free, released with one
/// exchange, and the kernel involved only when a thread has to wait.
///
/// Why not a pthread mutex, as everywhere else (`Locked`): the shard locks
/// are taken at least once per command, up to once per key for multi-key
/// commands, and glibc's lock and unlock cost about 60 instructions a pair
/// through two calls and checks of the mutex type; inlined, this costs the
/// two atomic instructions and a few more. The thread sanitizer sees the
/// acquiring and releasing atomics, so it still checks what the lock guards.
///
/// Word states: 0 free, 1 held, 2 held and a thread may be waiting.
/// Invariant: only the holder stores 0; a waiter sleeps only while the word
/// is 2, so an unlock that finds 2 always wakes one.
public struct FutexLock: @unchecked Sendable {
    @usableFromInline let word: UnsafeMutablePointer<Atomic<UInt32>>

    public init() {
        word = .allocate(capacity: 1)
        word.initialize(to: Atomic(0))
    }

    /// Frees the word; the lock must be free and never used again.
    public func deallocate() {
        word.deinitialize(count: 1)
        word.deallocate()
    }

    @inlinable @inline(__always)
    public func lock() {
        if word.pointee.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged { return }
        lockContended()
    }

    /// Takes the lock if it is free; never waits.
    @inlinable @inline(__always)
    public func tryLock() -> Bool {
        word.pointee.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged
    }

    /// Marks the lock wanted (2) and sleeps until the exchange finds it free.
    @usableFromInline @inline(never)
    func lockContended() {
        while word.pointee.exchange(2, ordering: .acquiring) != 0 {
            cs_futex_wait(UnsafeMutableRawPointer(word), 2)
        }
    }

    @inlinable @inline(__always)
    public func unlock() {
        if word.pointee.exchange(0, ordering: .releasing) == 2 { wakeOne() }
    }

    @usableFromInline @inline(never)
    func wakeOne() { cs_futex_wake(UnsafeMutableRawPointer(word), 1) }
}

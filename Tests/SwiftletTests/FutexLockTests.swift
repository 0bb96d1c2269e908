import XCTest
import Foundation
import Sync

/// The shard lock on its own: threads that each add to a plain counter
/// under the lock lose no update, however often they collide (on two
/// cores, four threads keep the waiting path busy).
final class FutexLockTests: XCTestCase {
    final class Counter: @unchecked Sendable {
        // Guarded by `lock`: read and written only between lock() and unlock().
        var value = 0
        var inside = 0
        var overlaps = 0
        let lock = FutexLock()
        deinit { lock.deallocate() }
    }

    func testNoUpdateIsLostUnderContention() {
        let counter = Counter()
        let threads = 4, rounds = 200_000
        let done = DispatchGroup()
        for _ in 0..<threads {
            done.enter()
            Thread {
                for i in 0..<rounds {
                    counter.lock.lock()
                    counter.inside += 1
                    if counter.inside != 1 { counter.overlaps += 1 }
                    counter.value += 1
                    // Now and then hold the lock across a yield, so that
                    // others find it taken and have to sleep.
                    if i % 1024 == 0 { sched_yield() }
                    counter.inside -= 1
                    counter.lock.unlock()
                }
                done.leave()
            }.start()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 120), .success, "threads stuck (a lost wake-up?)")
        counter.lock.lock()
        XCTAssertEqual(counter.value, threads * rounds)
        XCTAssertEqual(counter.overlaps, 0, "two threads inside the lock at once")
        counter.lock.unlock()
    }
}

import XCTest
@testable import Storage

/// The evictor on a bare keyspace: which keys each policy picks.
final class EvictorUnitTests: XCTestCase {
    func testLFUPrefersLowCounters() {
        let clock = ServerClock(mode: .manual, startingAt: 1_800_000_000_000)
        let keyspace = Keyspace(databases: 1, shardCount: 64, clock: clock, seed: 1)
        let now = clock.milliseconds
        for i in 0..<10_000 {
            let key = Array("k:\(i)".utf8)
            key.withUnsafeBytes { kb in
                let h = keyspace.hash(kb)
                let shard = keyspace.shard(for: h)
                shard.lock()
                let word = LFU.minutes(now) << 8 | (i < 5000 ? 8 : 5)
                shard.tables[0].storeString(key: kb, hash: h, slot: nil, value: kb, encoding: .raw, expiry: .clear, lru: word)
                shard.unlock()
            }
        }
        let evictor = Evictor(keyspace: keyspace)
        var evicted: [String] = []
        evictor.onEvicted = { _, _, key in evicted.append(String(decoding: key, as: UTF8.self)) }
        let settings = EvictionSettings(policy: .lfu(volatileOnly: false), samples: 5, lfuDecayTime: 1)
        for _ in 0..<3000 { _ = evictor.evict(bytesToFree: 1, settings: settings, nowMs: now, deadlineUs: Int64.max) }
        let hot = evicted.filter { Int($0.dropFirst(2))! < 5000 }.count
        XCTAssertEqual(evicted.count, 3000)
        XCTAssertLessThan(hot, 30, "evicted \(hot) keys with a high counter")
    }

    /// LRU tells apart keys last used a fraction of a second apart: under
    /// load a cache turns over its cold keys within seconds, and a clock
    /// that ticked once a second would make them all look equally idle.
    func testLRUOrdersSubSecondAccesses() {
        let clock = ServerClock(mode: .manual, startingAt: 1_800_000_000_000)
        let keyspace = Keyspace(databases: 1, shardCount: 64, clock: clock, seed: 1)
        let now = clock.milliseconds
        // Half the keys were used 400 ms ago, half 100 ms ago: same second.
        for i in 0..<10_000 {
            let key = Array("k:\(i)".utf8)
            key.withUnsafeBytes { kb in
                let h = keyspace.hash(kb)
                let shard = keyspace.shard(for: h)
                shard.lock()
                let word = LRUClock.at(now - (i < 5000 ? 100 : 400))
                shard.tables[0].storeString(key: kb, hash: h, slot: nil, value: kb, encoding: .raw, expiry: .clear, lru: word)
                shard.unlock()
            }
        }
        let evictor = Evictor(keyspace: keyspace)
        var evicted: [String] = []
        evictor.onEvicted = { _, _, key in evicted.append(String(decoding: key, as: UTF8.self)) }
        let settings = EvictionSettings(policy: .lru(volatileOnly: false), samples: 5, lfuDecayTime: 1)
        for _ in 0..<3000 { _ = evictor.evict(bytesToFree: 1, settings: settings, nowMs: now, deadlineUs: Int64.max) }
        let recent = evicted.filter { Int($0.dropFirst(2))! < 5000 }.count
        XCTAssertEqual(evicted.count, 3000)
        XCTAssertLessThan(recent, 30, "evicted \(recent) keys used 100 ms ago before older ones")
    }
}

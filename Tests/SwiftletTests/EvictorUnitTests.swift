import XCTest
@testable import Storage

/// The evictor on a bare keyspace: which keys each policy picks.
final class EvictorUnitTests: XCTestCase {
    func testLFUPrefersLowCounters() {
        let hot = evictedFromFirstHalf(.lfu(volatileOnly: false)) { first, now in LFU.word(counter: first ? 8 : 5, nowMs: now) }
        XCTAssertLessThan(hot, 30, "evicted \(hot) keys with a high counter")
    }

    /// LRU tells apart keys last used a fraction of a second apart: under
    /// load a cache turns over its cold keys within seconds, and a clock
    /// that ticked once a second would make them all look equally idle.
    func testLRUOrdersSubSecondAccesses() {
        // Half the keys were used 400 ms ago, half 100 ms ago: same second.
        let recent = evictedFromFirstHalf(.lru(volatileOnly: false)) { first, now in LRUClock.at(now - (first ? 100 : 400)) }
        XCTAssertLessThan(recent, 30, "evicted \(recent) keys used 100 ms ago before older ones")
    }

    /// LRU stamps are 16 ms ticks that wrap after 37 hours; the sweep turns
    /// stamps idle over 12 hours into seconds, so a key idle 38 hours is
    /// still older than one idle 1 hour (unswept, it would look 0.7 hours idle).
    func testLRUOrdersKeysIdleLongerThanTheFineStampSpans() {
        let hour: Int64 = 3_600_000
        let recent = evictedFromFirstHalf(.lru(volatileOnly: false)) { first, now in
            let old = LRUClock.at(now - 38 * hour)
            return first ? LRUClock.coarsened(old, nowMs: now - 25 * hour) ?? old : LRUClock.at(now - hour)
        }
        XCTAssertGreaterThan(recent, 2970, "evicted only \(recent) keys idle 38 hours before keys idle 1 hour")
    }

    /// Idle times read from an LRU word are exact to the 16 ms tick while
    /// the stamp is fine, and to the second once the sweep (run at least
    /// every 9.1 hours, see `AccessSweep`) made it coarse, up to 90 days.
    func testLRUIdleTimeHoldsForNinetyDays() {
        forRandomAccesses(seed: 7, maxIdleMs: 90 * 86_400_000) { then, idle, random in
            var word = LRUClock.at(then)
            // Sweeps every 9.1 hours (a pass at hz 1), starting at a random phase.
            var sweep = then + Int64(random.next() % 32_760_000)
            while sweep <= then + idle {
                if let coarse = LRUClock.coarsened(word, nowMs: sweep) { word = coarse }
                sweep += 32_760_000
            }
            let measured = LRUClock.idleMilliseconds(word, nowMs: then + idle)
            let tolerance: Int64 = idle > LRUClock.coarsenAfterMs ? 1000 : LRUClock.resolutionMs
            XCTAssertLessThanOrEqual(abs(measured - idle), tolerance, "idle \(idle) ms read as \(measured)")
        }
    }

    /// A pooled candidate that was read after it was pooled is no longer a
    /// good victim: the pool waits through quiet spells with its candidates,
    /// and evicting them on their old idle times would take keys just used.
    func testPooledCandidatesReadSincePoolingAreKept() {
        let clock = ServerClock(mode: .manual, startingAt: 1_800_000_000_000)
        let keyspace = Keyspace(databases: 1, shardCount: 64, clock: clock, seed: 1)
        let now = clock.milliseconds
        // The first half idle 10 s, the rest 5 s.
        for i in 0..<10_000 { store(keyspace, "k:\(i)", word: LRUClock.at(now - (i < 5000 ? 10_000 : 5_000))) }
        let evictor = Evictor(keyspace: keyspace)
        var evicted: [String] = []
        evictor.onEvicted = { _, _, key in evicted.append(String(decoding: key, as: UTF8.self)) }
        let settings = EvictionSettings(policy: .lru(volatileOnly: false), samples: 5, lfuDecayTime: 1)
        // One eviction fills the pool with keys of the first half.
        _ = evictor.evict(bytesToFree: 1, settings: settings, nowMs: now, deadlineUs: Int64.max)
        XCTAssertLessThan(Int(evicted[0].dropFirst(2))!, 5000)
        // Every key of the first half is read now: the second half is the oldest.
        for i in 0..<5000 { touch(keyspace, "k:\(i)", word: LRUClock.at(now)) }
        evicted.removeAll()
        for _ in 0..<100 { _ = evictor.evict(bytesToFree: 1, settings: settings, nowMs: now, deadlineUs: Int64.max) }
        XCTAssertEqual(evicted.count, 100)
        let justRead = evicted.filter { Int($0.dropFirst(2))! < 5000 }
        XCTAssertEqual(justRead, [], "evicted keys read after they were pooled")
    }

    /// Under LFU, keys of equal frequency go oldest first: here every key
    /// has the initial counter, half were last used 30 s ago and half 2 s
    /// ago (Redis, whose stamp counts minutes, would pick among them at random).
    func testLFUBreaksTiesByRecency() {
        let recent = evictedFromFirstHalf(.lfu(volatileOnly: false)) { first, now in
            LFU.word(counter: LFU.initialValue, nowMs: now - (first ? 2_000 : 30_000))
        }
        XCTAssertLessThan(recent, 30, "evicted \(recent) keys used 2 s ago before equally frequent older ones")
    }

    /// The LFU stamp counts seconds in 16 bits; the elapsed minutes it gives
    /// are Redis's (minute numbers compared, not durations), and
    /// renormalizing an old stamp never changes the decayed counter.
    func testLFUStampKeepsRedisDecay() {
        forRandomAccesses(seed: 42, maxIdleMs: 5 * 3600 * 1000) { then, idleMs, random in
            let now = then + idleMs
            let counter = UInt32(random.next() % 256)
            let decayTime = Int(random.next() % 360)
            let word = LFU.word(counter: counter, nowMs: then)
            // Redis: (unixtime / 60) & 65535 at both times, compared.
            let redisElapsed = Int64((now / 1000 / 60) & 0xFFFF) - Int64((then / 1000 / 60) & 0xFFFF)
            XCTAssertEqual(LFU.elapsedMinutes(word, nowMs: now), redisElapsed)
            let redisDecayed = decayTime == 0 ? counter : UInt32(max(0, Int64(counter) - redisElapsed / Int64(decayTime)))
            XCTAssertEqual(LFU.decayed(word, nowMs: now, decayTime: decayTime), redisDecayed)
            // An idle key renormalized at `sweep` decays as before, later too.
            let sweep = then + LFU.renormalizeAfterSeconds * 1000 + Int64(random.next() % (3 * 3600 * 1000))
            guard let renormalized = LFU.renormalized(word, nowMs: sweep, decayTime: decayTime) else {
                XCTFail("a key idle 6 hours or more is renormalized"); return
            }
            XCTAssertLessThanOrEqual(LFU.idleSeconds(renormalized, nowMs: sweep), LFU.renormalizeAfterSeconds)
            for later in [sweep, sweep + 59_999, sweep + 3_600_000, sweep + 9 * 3_600_000] {
                XCTAssertEqual(LFU.decayed(renormalized, nowMs: later, decayTime: decayTime),
                               LFU.decayed(word, nowMs: later, decayTime: decayTime, ignoringWrap: then))
            }
        }
    }

    /// The cron's sweep reaches every key once per pass, whatever the table
    /// sizes, so no stamp is left to wrap.
    func testAccessSweepVisitsEveryKeyOncePerPass() {
        let clock = ServerClock(mode: .manual, startingAt: 1_800_000_000_000)
        let keyspace = Keyspace(databases: 2, shardCount: 8, clock: clock, seed: 3)
        let old = clock.milliseconds
        for i in 0..<5_000 { store(keyspace, "k:\(i)", word: LFU.word(counter: 20, nowMs: old), db: i % 2) }
        let now = old + 7 * 3_600_000
        var cursor: UInt64 = 0
        var visited = 0
        repeat {
            visited += keyspace.sweepAccess(shards: Array(0..<8), cursor: &cursor, nowMs: now, lfuDecayTime: 1)
        } while cursor != 0
        XCTAssertEqual(visited, 5_000)
        for shard in keyspace.shards {
            for db in 0..<2 {
                shard.tables[db].forEachSlot { slot in
                    let e = shard.tables[db].entry(at: slot)
                    XCTAssertEqual(LFU.decayed(e.lru, nowMs: now, decayTime: 1), 0)
                    XCTAssertLessThanOrEqual(LFU.idleSeconds(e.lru, nowMs: now), LFU.renormalizeAfterSeconds)
                }
            }
        }
    }

    /// Calls `body` 20,000 times with a random access time (within a day of
    /// 2027-01-15) and a random idle time below `maxIdleMs`, sharing the
    /// seeded generator for whatever else the case draws.
    private func forRandomAccesses(seed: UInt64, maxIdleMs: Int64,
                                   _ body: (_ then: Int64, _ idleMs: Int64, _ random: inout FastRandom) -> Void) {
        var random = FastRandom(seed: seed)
        for _ in 0..<20_000 {
            let then = 1_800_000_000_000 + Int64(random.next() % 86_400_000)
            let idle = Int64(random.next() % UInt64(maxIdleMs))
            body(then, idle, &random)
        }
    }

    /// Stores 10,000 keys, the first half with `word(true, now)` and the rest
    /// with `word(false, now)`, evicts 3,000 under `policy`, and returns how
    /// many of the first half went.
    private func evictedFromFirstHalf(_ policy: EvictionPolicy, word: (_ firstHalf: Bool, _ now: Int64) -> UInt32) -> Int {
        let clock = ServerClock(mode: .manual, startingAt: 1_800_000_000_000)
        let keyspace = Keyspace(databases: 1, shardCount: 64, clock: clock, seed: 1)
        let now = clock.milliseconds
        for i in 0..<10_000 { store(keyspace, "k:\(i)", word: word(i < 5000, now)) }
        let evicted = evict(keyspace, count: 3000, EvictionSettings(policy: policy, samples: 5, lfuDecayTime: 1), nowMs: now)
        XCTAssertEqual(evicted.count, 3000)
        return evicted.filter { Int($0.dropFirst(2))! < 5000 }.count
    }

    private func store(_ keyspace: Keyspace, _ name: String, word: UInt32, db: Int = 0) {
        storeKey(keyspace, name, word: word, db: db)
    }

    /// Rewrites a stored key's access word in place, as a read does.
    private func touch(_ keyspace: Keyspace, _ name: String, word: UInt32) {
        let key = Array(name.utf8)
        key.withUnsafeBytes { kb in
            let h = keyspace.hash(kb)
            let shard = keyspace.shard(for: h)
            shard.lock()
            if let slot = shard.tables[0].find(kb, hash: h) { shard.tables[0].entry(at: slot).lru = word }
            shard.unlock()
        }
    }

    private func evict(_ keyspace: Keyspace, count: Int, _ settings: EvictionSettings, nowMs: Int64) -> [String] {
        let evictor = Evictor(keyspace: keyspace)
        var evicted: [String] = []
        evictor.onEvicted = { _, _, key in evicted.append(String(decoding: key, as: UTF8.self)) }
        for _ in 0..<count { _ = evictor.evict(bytesToFree: 1, settings: settings, nowMs: nowMs, deadlineUs: Int64.max) }
        return evicted
    }
}

private extension LFU {
    /// Redis's decay for a key last touched at `then` (ms), by minute numbers
    /// without any wrap: what a stamp that never wrapped would give.
    static func decayed(_ word: UInt32, nowMs: Int64, decayTime: Int, ignoringWrap then: Int64) -> UInt32 {
        let counter = Int64(word & 0xFF)
        guard decayTime > 0 else { return UInt32(counter) }
        let elapsed = nowMs / 60_000 - then / 60_000
        return UInt32(max(0, counter - elapsed / Int64(decayTime)))
    }
}

/// Stores `name` (as its own value) straight into `keyspace`, with access word `word`.
func storeKey(_ keyspace: Keyspace, _ name: String, word: UInt32 = 0, db: Int = 0) {
    let key = Array(name.utf8)
    key.withUnsafeBytes { kb in
        let h = keyspace.hash(kb)
        let shard = keyspace.shard(for: h)
        shard.lock()
        shard.tables[db].storeString(key: kb, hash: h, slot: nil, value: kb, encoding: .raw, expiry: .clear, lru: word)
        shard.unlock()
    }
}

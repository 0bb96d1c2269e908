import Commands
import Storage
import CSystem
import Synchronization

/// The periodic work each event loop does `hz` times a second (Redis's
/// serverCron and the fast expiry cycle of beforeSleep): active expiry over
/// the shards the loop owns, the access sweep (`AccessSweep`), idle-client
/// timeouts, statistics sampling.
final class Cron: @unchecked Sendable {
    let server: ServerContext
    /// `server.tracking`, held here: read through `server` before every
    /// sleep, the registry was retained and released around the check.
    let tracking: TrackingRegistry
    /// Shards each loop expires: loop i owns shards i, i+n, i+2n…
    let ownedShards: [[Int]]
    /// Per-loop expiry bookkeeping. Invariant: `perLoop[i]` is touched only
    /// by loop i (the array itself never changes after init).
    final class LoopState {
        var lastFastCycleUs: Int64 = 0
        var lastCycleTimedOut = false
        var stalePercent: Double = 0
        /// `ServerStats.resets` when `stalePercent` last started from 0.
        var resetsSeen = 0
        /// Where this loop's access sweep continues (a position in hash space).
        var accessSweepCursor: UInt64 = 0
    }
    let perLoop: [LoopState]
    var lastOpsSampleMs: Int64 = 0
    var lastOpsCount = 0

    init(server: ServerContext, loopCount: Int) {
        self.server = server
        tracking = server.tracking
        let shardCount = server.keyspace.shards.count
        ownedShards = (0..<loopCount).map { loop in Array(stride(from: loop, to: shardCount, by: loopCount)) }
        perLoop = (0..<loopCount).map { _ in LoopState() }
    }

    /// `active-expire-effort` scaling of Redis's constants.
    var effort: Int { max(0, min(9, server.config.activeExpireEffort - 1)) }

    func tick(loop: Int, nowMs: Int64) {
        // A script holds every shard: leave the keyspace alone until it ends.
        if server.scripts.exclusive.load(ordering: .sequentiallyConsistent) {
            closeIdleClients(loop: loop, nowMs: nowMs)
            return
        }
        // During CLIENT PAUSE the dataset stays as it is: no active expiry
        // (nor eviction, `enforceMemoryLimit`), as in Redis.
        if server.activeExpireEnabled.load(ordering: .relaxed) && !server.isPaused(nowMs: nowMs) {
            let hz = max(1, server.config.hz)
            let percent = 25 + 2 * effort
            let budget = Int64(percent * 1_000_000 / hz / 100)
            runExpiry(loop: loop, nowMs: nowMs, budgetUs: budget)
        }
        server.keyspace.sweepAccess(shards: ownedShards[loop], cursor: &perLoop[loop].accessSweepCursor, nowMs: nowMs,
                                    lfuDecayTime: server.config.lfuDecayTimeIfLFU)
        if loop == 0 { sampleStatistics(nowMs: nowMs) }
        closeIdleClients(loop: loop, nowMs: nowMs)
    }

    /// The fast cycle: when the last cycle hit its time limit, spend up to
    /// ~1 ms between event-loop turns on expiry.
    func beforeSleep(loop: Int, nowMs: Int64) -> Int {
        var hint = -1
        // Each step below takes shards: none while a script holds them all
        // (checked only when a step has work, to keep idle turns cheap).
        if (tracking.hasDeferredWork || server.overMemoryLimit || perLoop[loop].lastCycleTimedOut)
            && server.scripts.exclusive.load(ordering: .sequentiallyConsistent) {
            return 1
        }
        if tracking.hasDeferredWork {
            tracking.flushBroadcasts(server: server)
            tracking.enforceLimit(server: server)
        }
        // Over maxmemory (e.g. after CONFIG SET lowered it): evict in
        // time-boxed steps between event-loop turns, not in one long stall.
        // (Nothing is evicted during CLIENT PAUSE: no early wake-ups then.)
        if server.overMemoryLimit && !server.isPaused(nowMs: nowMs) {
            _ = server.enforceMemoryLimit(nowMs: nowMs)
            if server.overMemoryLimit { hint = 1 }
        }
        let expiryHint = fastExpiry(loop: loop, nowMs: nowMs)
        if hint < 0 { return expiryHint }
        return expiryHint < 0 ? hint : min(hint, expiryHint)
    }

    func fastExpiry(loop: Int, nowMs: Int64) -> Int {
        guard server.activeExpireEnabled.load(ordering: .relaxed) else { return -1 }
        // The expiry wheel reclaims every due key unless a cycle runs out
        // of time, so only a timed-out cycle leaves work for a fast one
        // (Redis also runs them when its sampling finds many stale keys).
        guard perLoop[loop].lastCycleTimedOut, !server.isPaused(nowMs: nowMs) else { return -1 }
        let duration = Int64(1000 + 250 * effort)
        let now = cs_monotonic_us()
        if now - perLoop[loop].lastFastCycleUs < duration * 2 { return Int(duration * 2 / 1000) + 1 }
        perLoop[loop].lastFastCycleUs = now
        runExpiry(loop: loop, nowMs: nowMs, budgetUs: duration)
        return Int(duration * 2 / 1000) + 1
    }

    func runExpiry(loop: Int, nowMs: Int64, budgetUs: Int64) {
        let start = cs_monotonic_us()
        let result = server.keyspace.activeExpire(
            shards: ownedShards[loop], now: nowMs, keysPerLoop: 20 + 5 * effort,
            acceptableStale: 10 - effort, deadlineUs: start + budgetUs)
        let elapsed = cs_monotonic_us() - start
        server.stats.expireCycleMicroseconds.add(Int(elapsed), ordering: .relaxed)
        perLoop[loop].lastCycleTimedOut = result.hitTimeLimit
        if result.hitTimeLimit { server.stats.expiredTimeCapReached.add(1, ordering: .relaxed) }
        let current = result.sampled > 0 ? Double(result.expired) * 100 / Double(result.sampled) : 0
        // CONFIG RESETSTAT zeroes the average itself, as Redis's does.
        let resets = server.stats.resets.load(ordering: .relaxed)
        if perLoop[loop].resetsSeen != resets { perLoop[loop].resetsSeen = resets; perLoop[loop].stalePercent = 0 }
        perLoop[loop].stalePercent = current * 0.05 + perLoop[loop].stalePercent * 0.95
        if loop == 0 { server.stats.expiredStalePercent.store(Int(perLoop[loop].stalePercent * 100), ordering: .relaxed) }
    }

    func sampleStatistics(nowMs: Int64) {
        _ = server.notePeak(server.usedMemory)
        let processed = server.loops.reduce(0) { $0 + $1.commandsProcessed.current }
        if lastOpsSampleMs == 0 {
            lastOpsSampleMs = nowMs; lastOpsCount = processed
        } else if nowMs - lastOpsSampleMs >= 1000 {
            let ops = (processed - lastOpsCount) * 1000 / Int(max(1, nowMs - lastOpsSampleMs))
            server.instantaneousOps.store(max(0, ops), ordering: .relaxed)
            lastOpsSampleMs = nowMs; lastOpsCount = processed
        }
    }

    /// `timeout`: close clients idle longer than that many seconds. As in
    /// Redis, subscribers, monitors and clients that wait by design (blocked,
    /// or held by CLIENT PAUSE) are left alone.
    func closeIdleClients(loop: Int, nowMs: Int64) {
        let limit = server.config.timeout
        guard limit > 0 else { return }
        let paused = server.isPaused(nowMs: nowMs)
        for c in server.clients.snapshot() where c.loop.index == loop && c.subscriptionCount == 0
            && !c.monitorMode.load(ordering: .relaxed) && !c.isBlocked.load(ordering: .relaxed)
            && !(paused && c.waitingForPause.load(ordering: .relaxed)) {
            if nowMs - c.lastInteractionMs.load(ordering: .relaxed) > Int64(limit) * 1000 {
                server.log(.verbose, "Closing idle client")
                c.kill()
            }
        }
    }
}

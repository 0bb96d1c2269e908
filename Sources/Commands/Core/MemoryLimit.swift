import Storage
import CSystem

/// Enforcing `maxmemory` (REDIS-NOTES §1a): before a command runs while
/// `used_memory` is over the limit, keys are evicted by the configured
/// policy within a time budget; a command flagged `denyoom` is refused with
/// the OOM error when nothing more can be evicted.
extension ServerContext {
    /// The eviction settings in force.
    public var evictionSettings: EvictionSettings {
        let policy: EvictionPolicy
        switch config.maxmemoryPolicy {
        case .noeviction: policy = .noeviction
        case .allkeysLRU: policy = .lru(volatileOnly: false)
        case .volatileLRU: policy = .lru(volatileOnly: true)
        case .allkeysLFU: policy = .lfu(volatileOnly: false)
        case .volatileLFU: policy = .lfu(volatileOnly: true)
        case .allkeysRandom: policy = .random(volatileOnly: false)
        case .volatileRandom: policy = .random(volatileOnly: true)
        case .volatileTTL: policy = .ttl
        }
        return EvictionSettings(policy: policy, samples: max(1, config.maxmemorySamples), lfuDecayTime: config.lfuDecayTime)
    }

    /// Redis's `evictionTimeLimitUs`: `maxmemory-eviction-tenacity` 0…10
    /// gives 50 µs steps, above that it grows 15% per step, 100 is unlimited.
    public var evictionTimeLimitUs: Int64 {
        let tenacity = config.maxmemoryEvictionTenacity
        if tenacity <= 10 { return Int64(50 * tenacity) }
        if tenacity < 100 {
            var limit = 500.0
            for _ in 0..<(tenacity - 10) { limit *= 1.15 }
            return Int64(limit)
        }
        return Int64.max / 2
    }

    /// Evicts toward `maxmemory` within the time budget. Returns false when
    /// memory is over the limit and nothing more can be evicted.
    /// During CLIENT PAUSE nothing is evicted (and so nothing is refused
    /// for memory): the dataset stays as it is, as in Redis.
    public func enforceMemoryLimit(nowMs: Int64) -> Bool {
        let limit = config.maxmemory
        if limit == 0 { return true }
        let used = usedMemory
        if used <= limit { return true }
        if isPaused(nowMs: nowMs) { return true }
        let budget = evictionTimeLimitUs
        let (outcome, count) = evictor.evict(bytesToFree: used - limit, settings: evictionSettings, nowMs: nowMs,
                                             deadlineUs: cs_monotonic_us() + budget)
        if count > 0 { stats.evictedKeys.add(count, ordering: .relaxed) }
        return outcome != .failed
    }

    /// True while memory is over `maxmemory` (the cron keeps evicting in steps).
    public var overMemoryLimit: Bool {
        let limit = config.maxmemory
        return limit != 0 && usedMemory > limit
    }
}

import Storage
import Synchronization

/// The eviction policies of `maxmemory-policy`, in Redis's table order.
/// Printing one gives its Redis spelling ("allkeys-lru").
public enum MaxmemoryPolicy: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `allCases` builds a new array on every call; the hot path indexes this one.
    public static let byIndex: [MaxmemoryPolicy] = Array(allCases)

    case volatileLRU = "volatile-lru"
    case volatileLFU = "volatile-lfu"
    case volatileRandom = "volatile-random"
    case volatileTTL = "volatile-ttl"
    case allkeysLRU = "allkeys-lru"
    case allkeysLFU = "allkeys-lfu"
    case allkeysRandom = "allkeys-random"
    case noeviction

    /// Only keys with a TTL are candidates for eviction.
    public var onlyVolatileKeys: Bool {
        switch self {
        case .volatileLRU, .volatileLFU, .volatileRandom, .volatileTTL: return true
        case .allkeysLRU, .allkeysLFU, .allkeysRandom, .noeviction: return false
        }
    }

    /// Key access tracking should keep LFU counters rather than LRU clocks.
    public var usesLFU: Bool { self == .volatileLFU || self == .allkeysLFU }

    public var description: String { rawValue }
}

/// Lock-free copies of the settings read on every command or every tick.
/// `Configuration` refreshes them whenever the text value changes; readers
/// see either the old or the new value, never a torn one.
@usableFromInline final class ConfigurationHotValues: Sendable {
    let port = Atomic<Int>(6379)
    let databases = Atomic<Int>(16)
    let hz = Atomic<Int>(10)
    let ioThreads = Atomic<Int>(1)
    let maxmemory = Atomic<Int>(0)
    let maxmemoryPolicy = Atomic<Int>(MaxmemoryPolicy.allCases.firstIndex(of: .noeviction)!)
    /// `maxmemoryPolicy.usesLFU`, read on every key lookup (touch): a
    /// plain flag, since mapping the index back to the enum reads a global array.
    @usableFromInline let policyUsesLFU = Atomic<Bool>(false)
    let maxmemorySamples = Atomic<Int>(5)
    let maxmemoryEvictionTenacity = Atomic<Int>(10)
    @usableFromInline let protoMaxBulkLen = Atomic<Int>(512 * 1024 * 1024)
    @usableFromInline let clientQueryBufferLimit = Atomic<Int>(1024 * 1024 * 1024)
    let maxclients = Atomic<Int>(10000)
    let timeout = Atomic<Int>(0)
    let tcpKeepalive = Atomic<Int>(300)
    let tcpBacklog = Atomic<Int>(511)
    let protectedMode = Atomic<Bool>(true)
    let loglevel = Atomic<Int>(2)
    let activeExpireEffort = Atomic<Int>(1)
    let lfuLogFactor = Atomic<Int>(10)
    let lfuDecayTime = Atomic<Int>(1)
    let notifyKeyspaceEvents = Atomic<Int>(0)
    let lazyfreeLazyUserDel = Atomic<Bool>(false)
    let lazyfreeLazyUserFlush = Atomic<Bool>(false)
    let lazyfreeLazyExpire = Atomic<Bool>(false)
    let lazyfreeLazyEviction = Atomic<Bool>(false)
    let slowlogLogSlowerThan = Atomic<Int>(10000)
    let slowlogMaxLen = Atomic<Int>(128)
    let latencyMonitorThreshold = Atomic<Int>(0)
    let hashMaxListpackEntries = Atomic<Int>(512)
    let hashMaxListpackValue = Atomic<Int>(64)
    let setMaxIntsetEntries = Atomic<Int>(512)
    let listMaxListpackSize = Atomic<Int>(-2)
    let zsetMaxListpackEntries = Atomic<Int>(128)
    let zsetMaxListpackValue = Atomic<Int>(64)
    let streamNodeMaxEntries = Atomic<Int>(100)
    let streamNodeMaxBytes = Atomic<Int>(4096)
    let hllSparseMaxBytes = Atomic<Int>(3000)

    static let logLevels = ["debug", "verbose", "notice", "warning"]

    /// Mirrors a directive's new canonical value; other directives are ignored.
    func update(_ name: String, _ value: String) {
        func integer() -> Int {
            // Canonical values are plain decimals; memory sizes may exceed
            // Int.max (unsigned in Redis), which is "no limit" in practice.
            if let v = Int(value) { return v }
            if let v = UInt64(value) { return v > UInt64(Int.max) ? Int.max : Int(v) }
            return 0
        }
        switch name {
        case "port": port.store(integer(), ordering: .relaxed)
        case "databases": databases.store(integer(), ordering: .relaxed)
        case "hz": hz.store(integer(), ordering: .relaxed)
        case "io-threads": ioThreads.store(integer(), ordering: .relaxed)
        case "maxmemory": maxmemory.store(integer(), ordering: .relaxed)
        case "maxmemory-policy":
            let policy = MaxmemoryPolicy(rawValue: value) ?? .noeviction
            maxmemoryPolicy.store(MaxmemoryPolicy.allCases.firstIndex(of: policy)!, ordering: .relaxed)
            policyUsesLFU.store(policy.usesLFU, ordering: .relaxed)
        case "maxmemory-samples": maxmemorySamples.store(integer(), ordering: .relaxed)
        case "maxmemory-eviction-tenacity": maxmemoryEvictionTenacity.store(integer(), ordering: .relaxed)
        case "proto-max-bulk-len": protoMaxBulkLen.store(integer(), ordering: .relaxed)
        case "client-query-buffer-limit": clientQueryBufferLimit.store(integer(), ordering: .relaxed)
        case "maxclients": maxclients.store(integer(), ordering: .relaxed)
        case "timeout": timeout.store(integer(), ordering: .relaxed)
        case "tcp-keepalive": tcpKeepalive.store(integer(), ordering: .relaxed)
        case "tcp-backlog": tcpBacklog.store(integer(), ordering: .relaxed)
        case "protected-mode": protectedMode.store(value == "yes", ordering: .relaxed)
        case "loglevel": loglevel.store(Self.logLevels.firstIndex(of: value) ?? 2, ordering: .relaxed)
        case "active-expire-effort": activeExpireEffort.store(integer(), ordering: .relaxed)
        case "lfu-log-factor": lfuLogFactor.store(integer(), ordering: .relaxed)
        case "lfu-decay-time": lfuDecayTime.store(integer(), ordering: .relaxed)
        case "notify-keyspace-events":
            notifyKeyspaceEvents.store(KeyspaceEventClasses.mask(value) ?? 0, ordering: .relaxed)
        case "lazyfree-lazy-user-del": lazyfreeLazyUserDel.store(value == "yes", ordering: .relaxed)
        case "lazyfree-lazy-user-flush": lazyfreeLazyUserFlush.store(value == "yes", ordering: .relaxed)
        case "lazyfree-lazy-expire": lazyfreeLazyExpire.store(value == "yes", ordering: .relaxed)
        case "lazyfree-lazy-eviction": lazyfreeLazyEviction.store(value == "yes", ordering: .relaxed)
        case "slowlog-log-slower-than": slowlogLogSlowerThan.store(integer(), ordering: .relaxed)
        case "slowlog-max-len": slowlogMaxLen.store(integer(), ordering: .relaxed)
        case "latency-monitor-threshold": latencyMonitorThreshold.store(integer(), ordering: .relaxed)
        case "hash-max-listpack-entries": hashMaxListpackEntries.store(integer(), ordering: .relaxed)
        case "hash-max-listpack-value": hashMaxListpackValue.store(integer(), ordering: .relaxed)
        case "set-max-intset-entries": setMaxIntsetEntries.store(integer(), ordering: .relaxed)
        case "list-max-listpack-size": listMaxListpackSize.store(integer(), ordering: .relaxed)
        case "zset-max-listpack-entries": zsetMaxListpackEntries.store(integer(), ordering: .relaxed)
        case "zset-max-listpack-value": zsetMaxListpackValue.store(integer(), ordering: .relaxed)
        case "stream-node-max-entries": streamNodeMaxEntries.store(integer(), ordering: .relaxed)
        case "stream-node-max-bytes": streamNodeMaxBytes.store(integer(), ordering: .relaxed)
        case "hll-sparse-max-bytes": hllSparseMaxBytes.store(integer(), ordering: .relaxed)
        default: break
        }
    }
}

/// Typed views of the settings other subsystems use. The numeric and
/// boolean ones are lock-free; strings are read under the lock.
extension Configuration {
    public var port: Int { hot.port.load(ordering: .relaxed) }
    /// The `bind` addresses; empty when the server should listen nowhere
    /// (`bind ""`).
    public var bind: [String] {
        let value = string("bind") ?? ""
        return value.isEmpty ? [] : value.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    }
    public var databases: Int { hot.databases.load(ordering: .relaxed) }
    /// `set-max-intset-entries`: when a set of integers leaves its packed form.
    public var setMaxIntsetEntries: Int { hot.setMaxIntsetEntries.load(ordering: .relaxed) }
    /// `hash-max-listpack-entries` / `-value`: when a hash leaves its packed form.
    public var hashLimits: HashView.Limits {
        HashView.Limits(maxPackedEntries: hot.hashMaxListpackEntries.load(ordering: .relaxed),
                         maxPackedValue: hot.hashMaxListpackValue.load(ordering: .relaxed))
    }
    /// `list-max-listpack-size`: how big one packed run of a list may grow.
    public var listLimits: ListLimits { ListLimits(fill: hot.listMaxListpackSize.load(ordering: .relaxed)) }
    /// `zset-max-listpack-entries` / `-value`: when a sorted set leaves its packed form.
    public var sortedSetLimits: SortedSetView.Limits {
        SortedSetView.Limits(maxPackedEntries: hot.zsetMaxListpackEntries.load(ordering: .relaxed),
                             maxPackedValue: hot.zsetMaxListpackValue.load(ordering: .relaxed))
    }
    /// `hll-sparse-max-bytes`: how long a sparse HyperLogLog may grow before it turns dense.
    public var hllSparseMaxBytes: Int { hot.hllSparseMaxBytes.load(ordering: .relaxed) }
    /// `stream-node-max-entries` / `-bytes`: when a stream starts a new node.
    public var streamNodeLimits: (entries: Int, bytes: Int) {
        (hot.streamNodeMaxEntries.load(ordering: .relaxed), hot.streamNodeMaxBytes.load(ordering: .relaxed))
    }
    /// Server cron frequency, already clamped to 1...500 like Redis.
    public var hz: Int { hot.hz.load(ordering: .relaxed) }
    public var ioThreads: Int { hot.ioThreads.load(ordering: .relaxed) }
    /// Bytes; 0 means no limit. Values above Int.max read as Int.max.
    public var maxmemory: Int { hot.maxmemory.load(ordering: .relaxed) }
    public var maxmemoryPolicy: MaxmemoryPolicy { MaxmemoryPolicy.byIndex[hot.maxmemoryPolicy.load(ordering: .relaxed)] }
    /// Whether the policy keeps LFU counters (allkeys-lfu, volatile-lfu).
    @inlinable public var policyUsesLFU: Bool { hot.policyUsesLFU.load(ordering: .relaxed) }
    /// `lfu-decay-time` while the access words are LFU words, nil while
    /// they are LRU stamps (what `Keyspace.renormalizeAccess` takes).
    public var lfuDecayTimeIfLFU: Int? { policyUsesLFU ? lfuDecayTime : nil }
    public var maxmemorySamples: Int { hot.maxmemorySamples.load(ordering: .relaxed) }
    public var maxmemoryEvictionTenacity: Int { hot.maxmemoryEvictionTenacity.load(ordering: .relaxed) }
    @inlinable public var protoMaxBulkLen: Int { hot.protoMaxBulkLen.load(ordering: .relaxed) }
    @inlinable public var clientQueryBufferLimit: Int { hot.clientQueryBufferLimit.load(ordering: .relaxed) }
    public var maxclients: Int { hot.maxclients.load(ordering: .relaxed) }
    /// Idle client timeout in seconds; 0 disables it.
    public var timeout: Int { hot.timeout.load(ordering: .relaxed) }
    public var tcpKeepalive: Int { hot.tcpKeepalive.load(ordering: .relaxed) }
    public var tcpBacklog: Int { hot.tcpBacklog.load(ordering: .relaxed) }
    /// The default user's password, nil when none is set.
    public var requirepass: String? {
        let value = string("requirepass") ?? ""
        return value.isEmpty ? nil : value
    }
    public var protectedMode: Bool { hot.protectedMode.load(ordering: .relaxed) }
    /// "debug", "verbose", "notice" or "warning".
    public var loglevel: String { ConfigurationHotValues.logLevels[hot.loglevel.load(ordering: .relaxed)] }
    /// The log file path; "" means standard output.
    public var logfile: String { string("logfile") ?? "" }
    public var activeExpireEffort: Int { hot.activeExpireEffort.load(ordering: .relaxed) }
    public var lfuLogFactor: Int { hot.lfuLogFactor.load(ordering: .relaxed) }
    public var lfuDecayTime: Int { hot.lfuDecayTime.load(ordering: .relaxed) }
    /// The canonical class string, e.g. "AKE".
    public var notifyKeyspaceEvents: String { string("notify-keyspace-events") ?? "" }
    /// The same setting as Redis's bit mask (the bits of `NotifyClass`), for
    /// the per-write check.
    public var notifyKeyspaceEventMask: Int { hot.notifyKeyspaceEvents.load(ordering: .relaxed) }
    public var lazyfreeLazyUserDel: Bool { hot.lazyfreeLazyUserDel.load(ordering: .relaxed) }
    /// FLUSHALL / FLUSHDB without ASYNC or SYNC free memory in the background.
    public var lazyfreeLazyUserFlush: Bool { hot.lazyfreeLazyUserFlush.load(ordering: .relaxed) }
    public var lazyfreeLazyExpire: Bool { hot.lazyfreeLazyExpire.load(ordering: .relaxed) }
    public var lazyfreeLazyEviction: Bool { hot.lazyfreeLazyEviction.load(ordering: .relaxed) }
    /// Microseconds; -1 disables the slow log, 0 logs everything.
    public var slowlogLogSlowerThan: Int { hot.slowlogLogSlowerThan.load(ordering: .relaxed) }
    public var slowlogMaxLen: Int { hot.slowlogMaxLen.load(ordering: .relaxed) }
    /// Milliseconds; 0 disables latency monitoring.
    public var latencyMonitorThreshold: Int { hot.latencyMonitorThreshold.load(ordering: .relaxed) }
}

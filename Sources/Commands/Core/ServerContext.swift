import Sync
import RESP
import Storage
import Synchronization
import CSystem
import PubSub
#if canImport(Glibc)
import Glibc
#endif

/// How SHUTDOWN asked the server to stop.
public enum ShutdownRequest: Sendable { case save, nosave, plain }

/// Log levels, in Redis's order and with its marker characters.
public enum LogLevel: Int, Sendable, Comparable {
    case debug = 0, verbose, notice, warning
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
    public var marker: Character {
        switch self { case .debug: return "."; case .verbose: return "-"; case .notice: return "*"; case .warning: return "#" }
    }
    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "verbose": self = .verbose
        case "notice": self = .notice
        case "warning": self = .warning
        default: return nil
        }
    }
}

/// Server-wide counters that any loop may bump (atomic adds; none is per request).
public final class ServerStats: @unchecked Sendable {
    public let connectionsReceived = Atomic<Int>(0)
    public let rejectedConnections = Atomic<Int>(0)
    public let dirty = Atomic<Int>(0)
    public let expiredStalePercent = Atomic<Int>(0)   // x100, like Redis
    /// CONFIG RESETSTATs so far (the cron's averages start again from 0).
    public let resets = Atomic<Int>(0)
    public let expiredTimeCapReached = Atomic<Int>(0)
    public let expireCycleMicroseconds = Atomic<Int>(0)
    public let evictedKeys = Atomic<Int>(0)
    public let peakMemory = Atomic<Int>(0)
    public init() {}
}

/// Everything commands may reach: the keyspace, configuration, clients,
/// statistics and the hooks the server module installs. One per server.
///
/// The `var` hooks are installed before the loops start and only read after,
/// so they skip dynamic exclusivity checks.
public final class ServerContext: @unchecked Sendable {
    public let keyspace: Keyspace
    /// `keyspace`, unmanaged, for the request path (see `withKeyspace`).
    @usableFromInline let keyspaceRef: Unmanaged<Keyspace>

    /// Runs `body` with the keyspace without retaining it: `keyspace` keeps
    /// it alive as long as the server, and the retain/release pair the
    /// compiler adds around calls that take it was measurable per request.
    @inlinable @inline(__always)
    public func withKeyspace<R>(_ body: (Keyspace) throws -> R) rethrows -> R {
        try keyspaceRef._withUnsafeGuaranteedRef { try body($0) }
    }
    public let config: Configuration
    public let clock: ServerClock
    public let commands: CommandTable
    public let clients = ClientRegistry()
    public let stats = ServerStats()
    public let slowlog = SlowLog()
    /// `client-output-buffer-limit`, parsed (normal and pubsub classes).
    /// Read on every delivery to a subscriber, so kept in atomics (no lock).
    public var outputLimits: OutputLimits {
        get { OutputLimits(normal: outputLimit(pubsub: false), pubsub: outputLimit(pubsub: true)) }
        set {
            normalLimit.hard.store(newValue.normal.hard, ordering: .relaxed)
            normalLimit.soft.store(newValue.normal.soft, ordering: .relaxed)
            normalLimit.seconds.store(newValue.normal.seconds, ordering: .relaxed)
            pubsubLimit.hard.store(newValue.pubsub.hard, ordering: .relaxed)
            pubsubLimit.soft.store(newValue.pubsub.soft, ordering: .relaxed)
            pubsubLimit.seconds.store(newValue.pubsub.seconds, ordering: .relaxed)
        }
    }
    /// Stored inline (not as objects) so reading them retains nothing.
    @usableFromInline let normalLimit = AtomicLimit()
    @usableFromInline let pubsubLimit = AtomicLimit()

    /// The limit of one class.
    @inlinable public func outputLimit(pubsub: Bool) -> OutputLimits.Limit {
        pubsub ? pubsubLimit.value : normalLimit.value
    }
    /// Channel and pattern subscriptions.
    public let pubsub = PubSubRegistry()
    /// Clients in MONITOR mode (`Server/Monitor.swift`).
    public let monitors = MonitorRegistry()
    /// The EVAL machinery: VM, script cache, running script.
    public let scripts = ScriptEngine()
    /// Client-side caching: prefixes, invalidation delivery, counts.
    public let tracking = TrackingRegistry()
    /// Sends a pre-formatted push frame to a subscriber (installed by the
    /// server module). `fromLoop` is the caller's loop, or -1 if unknown.
    @exclusivity(unchecked) public var deliver: (PubSubRegistry.Subscriber, PushFrame, Int) -> Void = { _, _, _ in }
    /// Chooses and removes keys when `used_memory` exceeds `maxmemory`.
    public let evictor: Evictor
    /// The default user: passwords (`requirepass`, ACL SETUSER), on/off.
    public let access = AccessControl()
    @exclusivity(unchecked) public private(set) var loops: [LoopContext] = []
    public let startTimeMs: Int64
    public let runId: String
    public let version = SwiftletVersion.current
    /// DEBUG SET-ACTIVE-EXPIRE.
    public let activeExpireEnabled = Atomic<Bool>(true)
    /// Unix time (s) of the last successful save; Swiftlet never saves, so start-up time.
    public let lastSave: Int64
    /// The TCP port actually bound (after port 0 was resolved).
    public let boundPort = Atomic<Int>(0)
    /// Installed by the server module.
    @exclusivity(unchecked) public var requestShutdown: @Sendable (ShutdownRequest) -> Void = { _ in }
    @exclusivity(unchecked) public var log: @Sendable (LogLevel, String) -> Void = { _, _ in }
    /// Process resident set size in bytes (INFO memory), installed by the server module.
    @exclusivity(unchecked) public var residentBytes: @Sendable () -> Int = { 0 }
    /// Called before every command when set (the test fixture's fault
    /// injection and command log). Install before the server starts.
    @exclusivity(unchecked) public var intercept: ((Client, Arguments) -> InterceptAction)? = nil
    /// Run by RESET for subsystems that keep per-client state (pub/sub, MULTI, tracking).
    @exclusivity(unchecked) public var clientResetHooks: [(Client) -> Void] = []
    /// Run when a client disconnects (pub/sub, tracking, blocked-client cleanup).
    @exclusivity(unchecked) public var clientClosedHooks: [(Client) -> Void] = []
    /// CLIENT PAUSE: until when (ms, server clock), and whether only writes wait.
    public let pausedUntilMs = Atomic<Int64>(0)
    public let pauseWritesOnly = Atomic<Bool>(false)

    /// Whether a CLIENT PAUSE is in force at `nowMs`.
    @inlinable public func isPaused(nowMs: Int64) -> Bool { pausedUntilMs.load(ordering: .relaxed) > nowMs }
    /// Path of the running executable (INFO executable).
    @exclusivity(unchecked) public var executablePath = ""
    /// Blocked clients by key (BLPOP and friends).
    public let blocking = BlockingRegistry()
    /// Posts the reply that ends a wait to the waiter's loop; installed by the server module.
    @exclusivity(unchecked) public var wakeBlocked: (BlockedWaiter, [UInt8]) -> Void = { _, _ in }
    /// Returns once every event loop but `except` (the caller's) has
    /// finished the turn it was in (or was waiting): a script about to take
    /// every shard calls it after raising `scripts.exclusive`, so no loop
    /// is left waiting on a shard. Calls `whileWaiting` about every
    /// millisecond while it waits.
    @exclusivity(unchecked) public var quiesceLoops: (_ except: Int, _ whileWaiting: () -> Void) -> Void = { _, _ in }
    /// Serves loop `loop`'s other connections while the command of the
    /// connection on `fd` runs on: a script past busy-reply-threshold calls
    /// it from its hook, on the loop's own thread. Installed by the server module.
    @exclusivity(unchecked) public var serveWhileBusy: (_ loop: Int, _ fd: Int32) -> Void = { _, _ in }
    /// Clients waiting in a blocking command or a pause (INFO blocked_clients).
    public let blockedClients = Atomic<Int>(0)
    /// Ops/sec over the last second, sampled by the server cron.
    public let instantaneousOps = Atomic<Int>(0)
    /// Channel/pattern counts for INFO stats, installed by the pub/sub layer.
    @exclusivity(unchecked) public var pubsubCounts: () -> (channels: Int, patterns: Int, shardChannels: Int) = { (0, 0, 0) }
    /// CONFIG REWRITE, installed by the server module; returns an error text or nil.
    @exclusivity(unchecked) public var rewriteConfig: () -> String? = { "ERR The server is running without a config file" }
    /// Frees flushed tables off the event loops.
    public let backgroundFree = BackgroundFree()
    /// Called after FLUSHDB (db) / FLUSHALL (nil), for tracking invalidation.
    @exclusivity(unchecked) public var flushed: ((Int?) -> Void)? = nil
    /// Enabled keyspace notification classes (`notify-keyspace-events`), as a `NotifyClass` raw value.
    public let notifyMask = Atomic<Int>(0)
    /// Where keyspace events go when enabled.
    @exclusivity(unchecked) public var eventSink: KeyspaceEventSink? = nil
    /// Extra bytes the networking layer holds for clients (query and reply buffers).
    public let clientBufferBytes = Atomic<Int>(0)

    public init(config: Configuration, clock: ServerClock, commands: CommandTable, shardCount: Int = 64) {
        self.config = config
        self.clock = clock
        self.commands = commands
        self.keyspace = Keyspace(databases: config.databases, shardCount: shardCount, clock: clock)
        self.keyspaceRef = .passUnretained(keyspace)
        self.evictor = Evictor(keyspace: keyspace)
        startTimeMs = clock.milliseconds
        lastSave = startTimeMs / 1000
        var bytes = [UInt8](repeating: 0, count: 20)
        bytes.withUnsafeMutableBytes { cs_random_bytes($0.baseAddress, 20) }
        runId = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        access.setRequirePass(config.requirepass ?? "")
        config.onChange("requirepass") { [unowned self] value in self.access.setRequirePass(value) }
        evictor.onEvicted = { [unowned self] shard, db, key in
            self.keyspaceEvent(.evicted, "evicted", key, db: db)
            self.keyModified(shard, db: db, key: key)
        }
    }

    /// Creates the per-loop contexts. Called once before the loops start.
    public func makeLoops(_ count: Int) -> [LoopContext] {
        loops = (0..<count).map { LoopContext(index: $0, commandCount: commands.byId.count) }
        return loops
    }

    /// `used_memory`: the data set, client buffers and a fixed base for the
    /// server's own structures.
    public var usedMemory: Int {
        keyspace.datasetBytes + clientBufferBytes.load(ordering: .relaxed) + baseOverhead
    }

    /// Records `used` as the peak if it is one; returns the peak.
    public func notePeak(_ used: Int) -> Int {
        var peak = stats.peakMemory.load(ordering: .relaxed)
        while used > peak {
            let (exchanged, original) = stats.peakMemory.compareExchange(expected: peak, desired: used, ordering: .relaxed)
            if exchanged { return used }
            peak = original
        }
        return peak
    }

    /// MEMORY PURGE: hand free pages back to the OS.
    public func purgeMemory() { _ = malloc_trim(0) }

    /// The LFU counter of an entry as OBJECT FREQ reports it (decayed, not updated).
    public func frequency(of e: Entry) -> Int {
        Int(LFU.decayed(e.lru, nowMs: clock.milliseconds, decayTime: config.lfuDecayTime))
    }

    /// Memory the server holds before any key or client (tables, command metadata).
    public var baseOverhead: Int { 900 * 1024 }
}

/// A message for another client, formatted once (RESP2 array form; the
/// delivering loop turns the leading `*` into `>` for RESP3 clients).
public final class PushFrame: @unchecked Sendable {
    public let bytes: [UInt8]
    /// Set for client-side caching invalidations, whose bytes depend on the
    /// receiver (`bytes` is then empty).
    public let invalidation: Invalidation?
    /// Set for the reply that ends a blocked client's wait (bytes already
    /// in the receiver's protocol): the connection then resumes its input.
    public let endsWait: Bool
    public init(_ bytes: [UInt8], endsWait: Bool = false) { self.bytes = bytes; self.invalidation = nil; self.endsWait = endsWait }
    public init(invalidation: Invalidation) { self.bytes = []; self.invalidation = invalidation; self.endsWait = false }
}

/// One class's output limit in atomics: read by every delivery, written by CONFIG SET.
public struct AtomicLimit: ~Copyable, @unchecked Sendable {
    public let hard = Atomic<Int>(0), soft = Atomic<Int>(0), seconds = Atomic<Int>(0)
    init() {}
    @inlinable public var value: OutputLimits.Limit {
        OutputLimits.Limit(hard: hard.load(ordering: .relaxed), soft: soft.load(ordering: .relaxed),
                           seconds: seconds.load(ordering: .relaxed))
    }
}

/// Output buffer limits by client class: bytes (0 = none) and seconds over soft.
public struct OutputLimits: Sendable {
    public struct Limit: Sendable {
        public var hard = 0, soft = 0, seconds = 0
        public init(hard: Int = 0, soft: Int = 0, seconds: Int = 0) { self.hard = hard; self.soft = soft; self.seconds = seconds }
    }
    public var normal = Limit()
    public var pubsub = Limit(hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, seconds: 60)

    public init(normal: Limit, pubsub: Limit) { self.normal = normal; self.pubsub = pubsub }

    /// Parses CONFIG GET's form: `normal 0 0 0 slave … pubsub 33554432 8388608 60`.
    public init(_ text: String = "") {
        let parts = text.split(separator: " ").map(String.init)
        var i = 0
        while i + 3 < parts.count {
            let limit = Limit(hard: Int(parts[i + 1]) ?? 0, soft: Int(parts[i + 2]) ?? 0, seconds: Int(parts[i + 3]) ?? 0)
            if parts[i] == "normal" { normal = limit } else if parts[i] == "pubsub" { pubsub = limit }
            i += 4
        }
    }
}

/// What an interceptor did with a command (see `ServerContext.intercept`).
public enum InterceptAction: Sendable {
    /// Run the command normally.
    case proceed
    /// The interceptor wrote the reply itself (or chose to send none).
    case handled
}

/// Swiftlet's own version and the Redis version it reports for compatibility.
public enum SwiftletVersion {
    public static let current = "0.1.0"
    /// What INFO `redis_version` and HELLO `version` say: clients gate features on it.
    public static let redisCompatible = "7.0.15"
}

/// The set of connected clients, for CLIENT LIST/KILL and INFO clients.
public final class ClientRegistry: @unchecked Sendable {
    public let lock = Locked<Void>(())
    private var byId: [Int: Client] = [:]
    private let nextId = Atomic<Int>(1)

    public init() {}

    public func allocateId() -> Int { nextId.add(1, ordering: .relaxed).oldValue }

    public func add(_ c: Client) { lock.withLock { _ in byId[c.id] = c } }
    public func remove(_ c: Client) { _ = lock.withLock { _ in byId.removeValue(forKey: c.id) } }

    public var count: Int { lock.withLock { _ in byId.count } }

    /// A snapshot of the clients, sorted by id.
    public func snapshot() -> [Client] {
        lock.withLock { _ in byId.values.sorted { $0.id < $1.id } }
    }

    public func client(id: Int) -> Client? { lock.withLock { _ in byId[id] } }
}

/// SLOWLOG entries (guarded by a lock: only slow commands reach it).
public final class SlowLog: @unchecked Sendable {
    public struct Entry: Sendable {
        public let id: Int
        public let timestamp: Int64
        public let microseconds: Int
        public let arguments: [[UInt8]]
        public let peer: String
        public let name: String
    }
    private let lock = Locked<(entries: [Entry], nextId: Int)>(([], 0))
    public init() {}

    public func add(timestamp: Int64, microseconds: Int, arguments: [[UInt8]], peer: String, name: String, maxLength: Int) {
        lock.withLock { state in
            state.entries.insert(Entry(id: state.nextId, timestamp: timestamp, microseconds: microseconds,
                                       arguments: arguments, peer: peer, name: name), at: 0)
            state.nextId += 1
            if state.entries.count > maxLength { state.entries.removeLast(state.entries.count - maxLength) }
        }
    }
    public func entries(_ count: Int) -> [Entry] { lock.withLock { Array($0.entries.prefix(count)) } }
    public var length: Int { lock.withLock { $0.entries.count } }
    public func reset() { lock.withLock { $0.entries.removeAll() } }
}

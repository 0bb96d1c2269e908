import Sync
import Storage
import Synchronization

/// A counter written by one thread and read by any: a relaxed load and store
/// instead of an atomic add, because only the owning loop ever writes it.
public struct SingleWriterCounter: ~Copyable {
    public let value = Atomic<Int>(0)
    /// What `value` was at the last `reset`: CONFIG RESETSTAT, from any
    /// loop, must not write `value` (its owner's load-add-store could put
    /// back what the reset removed), and must take effect at once (Redis
    /// counts the next command from zero).
    public let resetAt = Atomic<Int>(0)
    public init() {}
    @inlinable @inline(__always) public func add(_ n: Int) {
        value.store(value.load(ordering: .relaxed) &+ n, ordering: .relaxed)
    }
    @inlinable public var current: Int { max(0, value.load(ordering: .relaxed) &- resetAt.load(ordering: .relaxed)) }
    /// Counts from zero again (any thread).
    public func reset() { resetAt.store(value.load(ordering: .relaxed), ordering: .relaxed) }
}

/// Per-command statistics of one loop (INFO commandstats).
public final class CommandCounters: @unchecked Sendable {
    public let calls = SingleWriterCounter()
    /// Time spent, in `CycleClock` cycles (converted when INFO reports it).
    public let cycles = SingleWriterCounter()
    public let rejected = SingleWriterCounter()
    public let failed = SingleWriterCounter()
    init() {}
}

/// State one event loop shares with the commands it runs: its statistics and
/// a cached clock reading. Only its own thread writes it.
public final class LoopContext: @unchecked Sendable {
    public let index: Int
    /// `CycleClock.rate`, copied: reading the lazy global checks its
    /// once-token on every command.
    public let cyclesPerMicrosecond = CycleClock.rate
    public let commandCounters: [CommandCounters]

    /// Runs `body` with command `id`'s counters, unretained (the loop
    /// keeps them; this runs for every command).
    @inlinable @inline(__always)
    public func withCounters<R>(_ id: Int, _ body: (CommandCounters) -> R) -> R {
        commandCounters.withUnsafeBufferPointer { Unmanaged.passUnretained($0[id]) }._withUnsafeGuaranteedRef(body)
    }
    /// Storage for multi-key commands' key groups (see `Client.withKeys`).
    public let keyScratch = KeyScratch()
    public let commandsProcessed = SingleWriterCounter()
    public let dirty = SingleWriterCounter()
    public let netInputBytes = SingleWriterCounter()
    public let netOutputBytes = SingleWriterCounter()
    /// Socket reads and writes (INFO total_reads_processed and
    /// total_writes_processed): each read that brought bytes or found the
    /// peer gone, each flush of a client's replies.
    public let readsProcessed = SingleWriterCounter()
    public let writesProcessed = SingleWriterCounter()
    /// Error replies by error code (`ERR`, `WRONGTYPE`…), INFO errorstats.
    /// Guarded by `errorLock`: rare, so a lock is fine.
    @exclusivity(unchecked) public var errorCounts: [String: Int] = [:]
    public let errorLock = Locked<Void>(())
    public let totalErrorReplies = SingleWriterCounter()

    /// Counts from zero again: CONFIG RESETSTAT, from any thread, at once.
    public func resetCounters() {
        for k in commandCounters {
            k.calls.reset(); k.cycles.reset(); k.rejected.reset(); k.failed.reset()
        }
        commandsProcessed.reset()
        netInputBytes.reset()
        netOutputBytes.reset()
        readsProcessed.reset()
        writesProcessed.reset()
        errorLock.withLock { _ in
            totalErrorReplies.reset()
            errorCounts = [:]
        }
    }

    /// `CycleClock` reading at the end of the last command (0: none yet this batch).
    @exclusivity(unchecked) @usableFromInline var _lastCycles: UInt64 = 0
    @inlinable public var lastCycles: UInt64 {
        @inline(__always) get { _lastCycles }
        @inline(__always) set { _lastCycles = newValue }
    }

    /// xorshift state for cheap per-loop randomness (LFU increments, sampling).
    @exclusivity(unchecked) public var randomState: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// A pseudo-random 64-bit number.
    @inlinable public func nextRandom() -> UInt64 {
        var x = randomState
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        randomState = x
        return x
    }

    /// A pseudo-random Double in [0, 1).
    @inlinable public func nextRandomUnit() -> Double {
        Double(nextRandom() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Id of the tracking client whose read-only command is running (0:
    /// none): key lookups then record it in the tracking table.
    @exclusivity(unchecked) public var trackingReader = 0

    /// Keys given data by the running command that clients block on
    /// (served after the command, see Blocking.swift).
    @exclusivity(unchecked) public var readyKeys: [BlockKey] = []
    /// Waiters of this loop's clients, for their timeouts.
    @exclusivity(unchecked) public var blockedWaiters: [BlockedWaiter] = []
    @exclusivity(unchecked) public var nextBlockedDeadline: Int64 = .max
    @exclusivity(unchecked) var proxy: Client? = nil
    /// The client this loop's scripts run their commands as (built on
    /// first use, reused: scripts run one at a time).
    @exclusivity(unchecked) var scriptClient: Client? = nil

    /// Wall clock (ms) as of the start of the current batch of requests
    /// (see `ServerHandler.beginBatch` for how fresh it is kept).
    @exclusivity(unchecked) @usableFromInline var _nowMs: Int64 = 0
    /// `CycleClock` reading when `nowMs` was last read from the wall clock.
    /// Behind inlinable accessors like `nowMs`: read by the server module
    /// every loop turn, where a public stored property would get a dynamic
    /// exclusivity check (`@exclusivity(unchecked)` does not cross modules).
    @exclusivity(unchecked) @usableFromInline var _wallClockReadAt: UInt64 = 0
    @inlinable public var wallClockReadAt: UInt64 {
        @inline(__always) get { _wallClockReadAt }
        @inline(__always) set { _wallClockReadAt = newValue }
    }
    @inlinable public var nowMs: Int64 {
        @inline(__always) get { _nowMs }
        @inline(__always) set { _nowMs = newValue }
    }

    public init(index: Int, commandCount: Int) {
        self.index = index
        randomState ^= UInt64(truncatingIfNeeded: index &+ 1) &* 0xBF58_476D_1CE4_E5B9
        commandCounters = (0..<commandCount).map { _ in CommandCounters() }
    }

    public func countError(_ code: String) {
        totalErrorReplies.add(1)
        errorLock.withLock { _ in errorCounts[code, default: 0] += 1 }
    }
}

import Lua
import RESP
import Storage
import Sync
import Synchronization
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A script compiled into the EVAL VM, by the SHA-1 of its body.
struct CachedScript {
    let body: [UInt8]
    let function: LuaFunction
    let flags: ScriptFlags
}

/// The shebang's `flags=`; `declared` is false for a script without a
/// shebang (Redis's compatibility mode).
struct ScriptFlags: Equatable {
    var declared = false
    var noWrites = false, allowOOM = false, allowStale = false, noCluster = false, allowCrossSlot = false
}

/// What a running script needs to call commands: set for the duration of
/// one script, read by `redis.call` and friends.
final class ScriptRun {
    let client: Client
    let sha: [UInt8]
    let readOnly: Bool
    let flags: ScriptFlags
    /// Memory was over `maxmemory` when the script started: writes are
    /// refused until the script has written (compatibility mode).
    let overMemory: Bool
    var wrote = false
    var resp = 2
    init(client: Client, sha: [UInt8], readOnly: Bool, flags: ScriptFlags, overMemory: Bool) {
        self.client = client; self.sha = sha; self.readOnly = readOnly
        self.flags = flags; self.overMemory = overMemory
    }
}

/// Thrown by the hook to end a killed script through every `pcall`.
struct ScriptKilled: Error {}

/// Redis's EVAL machinery: one Lua VM for every EVAL script (cjson settings
/// and the random stream persist across scripts, as in Redis), the script
/// cache, and the state of the running script.
///
/// Locking: a script runs holding every shard (it may touch keys it did
/// not declare), then this engine's lock; SCRIPT LOAD, EXISTS and FLUSH
/// take only the engine's lock. Never the other way round.
public final class ScriptEngine: @unchecked Sendable {
    let lock = Locked<Void>(())
    // Invariant: the fields below are used only with `lock` held.
    var vm: LuaState?
    var scripts: [[UInt8]: CachedScript] = [:]
    var run: ScriptRun?
    /// Redis's `redisLrand48` state: process-wide, never reset (not even by
    /// SCRIPT FLUSH), shared by every script.
    var randomState: UInt64 = 0x1234_ABCD_330E

    /// Set from before a script-thread job takes every shard until it
    /// has let them go: event loops then hold their clients' commands (or
    /// answer BUSY) instead of waiting on a shard.
    public let exclusive = Atomic<Bool>(false)
    /// Set while a script runs (for SCRIPT KILL and BUSY), with its start.
    public let running = Atomic<Bool>(false)
    let startedMs = Atomic<Int64>(0)
    let killRequested = Atomic<Bool>(false)
    let runningWrote = Atomic<Bool>(false)

    public init() {}

    // MARK: The script thread

    /// Jobs for the script thread, in arrival order.
    let jobs = Locked<[() -> Void]>([])
    let jobReady = DispatchSemaphore(value: 0)
    let workerStarted = Atomic<Bool>(false)
    /// The script thread's own loop context (statistics, key scratch) for
    /// the commands its scripts run.
    var workerLoop: LoopContext?

    /// Runs `job` on the script thread: EVAL hands scripts there so that
    /// its event loop stays free to hold other commands, answer BUSY and
    /// take SCRIPT KILL while a script runs.
    func submit(_ server: ServerContext, _ job: @escaping () -> Void) {
        jobs.withLock { $0.append(job) }
        if !workerStarted.exchange(true, ordering: .acquiringAndReleasing) {
            workerLoop = LoopContext(index: -1, commandCount: server.commands.byId.count)
            let jobs = self.jobs, ready = self.jobReady
            // The thread keeps the engine and the server alive until it ends
            // (`stop`): a script still running when the server stops must
            // not find them gone.
            startScriptThread { [server, self] in
                var windowStart: UInt64 = 0, ran = 0
                while true {
                    ready.wait()
                    guard let next = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else {
                        self.exclusive.store(false, ordering: .releasing)
                        return  // stopped
                    }
                    // One exclusive window serves the scripts that queue up
                    // meanwhile (a quiescence handshake per script cost
                    // more than most scripts), up to 1 ms or 64 scripts, so
                    // that held commands of other clients get their turn.
                    if !self.exclusive.load(ordering: .relaxed) {
                        self.exclusive.store(true, ordering: .sequentiallyConsistent)
                        server.quiesceLoops()
                        windowStart = CycleClock.now
                        ran = 0
                    }
                    next()
                    ran += 1
                    let more = jobs.withLock { !$0.isEmpty }
                    if !more || ran >= 64 || CycleClock.microseconds(Int(truncatingIfNeeded: CycleClock.now &- windowStart)) >= 1000 {
                        self.exclusive.store(false, ordering: .releasing)
                    }
                }
            }
        }
        jobReady.signal()
    }

    /// Ends the script thread (the server stops): it wakes to an empty queue.
    public func stop() {
        guard workerStarted.load(ordering: .acquiring) else { return }
        jobs.withLock { $0.removeAll() }
        jobReady.signal()
    }

    /// How a command that arrives while a script holds the keyspace is
    /// treated: held until the script ends; after `busy-reply-threshold`,
    /// refused with BUSY unless it may run while busy (SCRIPT KILL…).
    public enum Admission { case run, hold, busy }

    public func admission(_ spec: CommandSpec?, nowMs: Int64, busyThresholdMs: Int) -> Admission {
        guard let spec else { return .run }  // unknown commands are answered without the keyspace
        if spec.flags.contains(.allowBusy) { return .run }
        if running.load(ordering: .acquiring) && nowMs - startedMs.load(ordering: .relaxed) >= Int64(busyThresholdMs) {
            return .busy
        }
        return .hold
    }

    public var cachedScriptCount: Int { lock.withLock { _ in scripts.count } }

    /// The next value of Redis's `math.random`: a 48-bit `drand48` step,
    /// its top 31 bits, as `(v % 2^31-1) / (2^31-1)`.
    func nextRandom() -> Double {
        randomState = (0x5_DEEC_E66D &* randomState &+ 0xB) & 0xFFFF_FFFF_FFFF
        let v = randomState >> 17
        return Double(v % 2_147_483_647) / 2_147_483_647
    }

    func seedRandom(_ n: Int) {
        let seed = UInt64(truncatingIfNeeded: Int32(truncatingIfNeeded: n))
        randomState = 0x330E | (seed & 0xFFFF) << 16 | ((seed >> 16) & 0xFFFF) << 32
    }

    /// The VM, built on first use.
    func machine(_ server: ServerContext) -> LuaState {
        if let vm { return vm }
        let state = ScriptEnvironment.make(engine: self, server: server)
        vm = state
        return state
    }

    /// SCRIPT FLUSH: forget every script and build a fresh VM on next use.
    func flush() {
        scripts.removeAll()
        vm = nil
    }
}

/// A thread with a stack deep enough for Lua's call depth limit (the
/// interpreter recurses on the native stack).
func startScriptThread(_ body: @escaping () -> Void) {
    final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    pthread_attr_setstacksize(&attributes, 64 << 20)
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    let rc = pthread_create(&thread, &attributes, { arg in
        Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
        return nil
    }, box)
    pthread_attr_destroy(&attributes)
    precondition(rc == 0, "cannot start the script thread")
    pthread_detach(thread)
}

extension CommandTable {
    /// The command (or subcommand) a request names, for the admission of
    /// commands while a script runs; nil when unknown.
    public func lookupForAdmission(_ args: Arguments) -> CommandSpec? {
        guard let top = lookup(args[0]) else { return nil }
        if !top.subcommands.isEmpty && args.count >= 2 { return top.subcommand(args[1]) ?? top }
        return top
    }
}

extension Configuration {
    /// `busy-reply-threshold` (alias `lua-time-limit`), in milliseconds.
    public var busyReplyThreshold: Int { Int(string("busy-reply-threshold") ?? "5000") ?? 5000 }
}

import Lua
import RESP
import Storage
import Sync
import Synchronization
import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// A script compiled into the EVAL VM, by the SHA-1 of its body.
struct CachedScript {
    let body: [UInt8]
    let function: LuaFunction
    let flags: ScriptFlags
}

/// A script's SHA-1 as the cache's key: its 40 lower-case hex digits in
/// five words, hashed as five integers (a byte array of the digits was
/// hashed byte by byte, twice per EVAL).
struct ScriptKey: Hashable {
    let words: (UInt64, UInt64, UInt64, UInt64, UInt64)

    /// The key of a client's SHA-1 (any case); nil when it is not 40 bytes
    /// long, which names no script.
    init?(_ digits: UnsafeRawBufferPointer) {
        guard digits.count == 40 else { return nil }
        words = withUnsafeTemporaryAllocation(byteCount: 40, alignment: 8) { lower in
            for i in 0..<40 { lower[i] = digits[i] >= 65 && digits[i] <= 90 ? digits[i] + 32 : digits[i] }
            let w = { (i: Int) in lower.load(fromByteOffset: 8 * i, as: UInt64.self) }
            return (w(0), w(1), w(2), w(3), w(4))
        }
    }

    init?(_ digits: [UInt8]) {
        guard let key = digits.withUnsafeBytes({ ScriptKey($0) }) else { return nil }
        self = key
    }

    static func == (l: ScriptKey, r: ScriptKey) -> Bool {
        l.words.0 == r.words.0 && l.words.1 == r.words.1 && l.words.2 == r.words.2 && l.words.3 == r.words.3 && l.words.4 == r.words.4
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0); hasher.combine(words.1); hasher.combine(words.2); hasher.combine(words.3); hasher.combine(words.4)
    }
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
    /// The script's SHA-1, or the function's name (FCALL): what logs and
    /// error replies call it.
    let name: [UInt8]
    let readOnly: Bool
    let flags: ScriptFlags
    /// Memory was over `maxmemory` when the script started: writes are
    /// refused until the script has written (compatibility mode).
    let overMemory: Bool
    var wrote = false
    var resp = 2
    /// For the hook: when the script started, and whose loop serves its
    /// other clients once it runs long (all but the one on `busyFd`, on
    /// loop `loopIndex`; nil: not on a loop).
    var startedMs: Int64 = 0
    var busyFd: Int32? = nil
    var loopIndex = -1
    var timedOut = false
    /// The run's number (`ScriptEngine.runningId`).
    var id = 0
    init(client: Client, name: [UInt8], readOnly: Bool, flags: ScriptFlags, overMemory: Bool) {
        self.client = client; self.name = name; self.readOnly = readOnly
        self.flags = flags; self.overMemory = overMemory
    }
}

/// Thrown by the hook to end a killed script through every `pcall`.
struct ScriptKilled: Error {}

/// Thrown by the hook when a library's code has run for longer than
/// FUNCTION LOAD allows.
struct FunctionLoadTimeout: Error {}

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
    var scripts: [ScriptKey: CachedScript] = [:] { didSet { cachedScripts.store(scripts.count, ordering: .relaxed) } }
    var run: ScriptRun?
    /// FUNCTION LOAD's VM and the libraries loaded into it.
    var functionsVM: FunctionsVM?
    var libraries = FunctionLibraries()
    /// The library FUNCTION LOAD is running the code of (where
    /// `redis.register_function` puts functions), and when it must stop.
    var loading: FunctionLibrary?
    var loadDeadlineMs: Int64 = 0
    /// Redis's `redisLrand48` state: process-wide, never reset (not even by
    /// SCRIPT FLUSH), shared by every script.
    var randomState: UInt64 = 0x1234_ABCD_330E

    /// Set from before a script takes every shard until it has let them
    /// go: the one flag a loop's script raises (compare-and-swap, so one
    /// script runs at a time), and every other loop then holds its clients'
    /// commands (or answers BUSY) instead of waiting on a shard.
    public let exclusive = Atomic<Bool>(false)
    /// Set while a script runs (for SCRIPT KILL and BUSY), with its start.
    public let running = Atomic<Bool>(false)
    let startedMs = Atomic<Int64>(0)
    /// Each script run's number (from 1), and the number of the run SCRIPT
    /// or FUNCTION KILL asked to end: a kill that races with the end of
    /// one script and the start of the next cannot end the next.
    let runningId = Atomic<Int>(0)
    let killTarget = Atomic<Int>(0)
    var runs = 0
    let runningWrote = Atomic<Bool>(false)
    /// The server stops (SHUTDOWN NOSAVE, or the embedder's stop): the
    /// running script ends at its next hook, writes or not.
    let abortRequested = Atomic<Bool>(false)
    /// WATCH registrations of clients that left while a script held every
    /// shard (`Client.unwatchAllLeaving`): removed when the lane is free.
    let leftWatches = Locked<[(WatchedKey, WatchFlag)]>([])
    let hasLeftWatches = Atomic<Bool>(false)
    /// The running script is a function (FCALL): BUSY names FUNCTION KILL.
    let runningFunction = Atomic<Bool>(false)
    /// What FUNCTION STATS reports while a function runs, readable while
    /// the running script holds `lock`.
    /// The command's arguments are a view of the FCALL's request, which
    /// stays where it is while the function runs: read them only under
    /// this lock, which the FCALL takes to clear the record before it ends.
    let runningFunctionInfo = Locked<(name: [UInt8], command: Arguments, startedMs: Int64)?>(nil)
    /// The loaded libraries and functions, for FUNCTION STATS and INFO
    /// while a script holds `lock`.
    let libraryCount = Atomic<Int>(0), functionCount = Atomic<Int>(0)

    /// Ends any script that has run this long (ms), writes or not, as if
    /// killed; 0 (the default): never. Not a Redis setting: the fuzz
    /// harness runs scripts in-process, where nobody could send SCRIPT
    /// KILL, and a generated endless loop must not stall it.
    public var scriptTimeLimitMs: Int64 = 0

    public init() {}

    /// Ends a running script at its next hook, whatever it did: the server
    /// stops and the script's loop must come back to stop with it.
    public func abortForShutdown() {
        abortRequested.store(true, ordering: .releasing)
    }

    /// The server starts (again: an embedder may restart it): scripts run
    /// to their end.
    public func serverStarted() {
        abortRequested.store(false, ordering: .releasing)
    }

    /// Redis's answer to commands other than SCRIPT KILL, SHUTDOWN NOSAVE
    /// and a few others while a script runs past busy-reply-threshold.
    public static let busyReply = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    /// The same while a function (FCALL) runs.
    public static let functionBusyReply = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    /// The BUSY reply for the script running now.
    public var currentBusyReply: String {
        runningFunction.load(ordering: .acquiring) ? Self.functionBusyReply : Self.busyReply
    }

    /// Whether a script has run past busy-reply-threshold (Redis's
    /// "timed out" script), when only a few commands are served.
    public func isBusy(nowMs: Int64, busyThresholdMs: Int) -> Bool {
        running.load(ordering: .acquiring) && nowMs - startedMs.load(ordering: .relaxed) >= Int64(busyThresholdMs)
    }

    /// How a command that arrives while a script holds the keyspace is
    /// treated, as Redis treats it: nothing is served until the script has
    /// run past busy-reply-threshold (the command is held); then commands
    /// that may run while busy (SCRIPT KILL...) run and the rest are refused
    /// with BUSY. Unknown commands and subcommands and wrong argument
    /// counts are answered at once: Redis checks them first, and they need
    /// no keyspace.
    public enum Admission { case run, hold, busy }

    public func admission(_ spec: CommandSpec?, argumentCount: Int, nowMs: Int64, busyThresholdMs: Int) -> Admission {
        guard let spec, spec.accepts(argumentCount) else { return .run }
        if !isBusy(nowMs: nowMs, busyThresholdMs: busyThresholdMs) { return .hold }
        return spec.flags.contains(.allowBusy) ? .run : .busy
    }

    /// INFO's number_of_cached_scripts, readable without the lock (INFO may
    /// run inside a script, which holds it).
    public let cachedScripts = Atomic<Int>(0)

    static let keysName = LuaString("KEYS"), argvName = LuaString("ARGV")

    /// The VM's hook, every 100,000 steps of a script: past
    /// busy-reply-threshold the loop's other clients are served (BUSY,
    /// SCRIPT KILL), as Redis does from its hook; a kill or the server's
    /// stop ends the script.
    func hook(_ server: ServerContext) throws {
        guard let run else {
            if loading != nil && cs_monotonic_us() / 1000 > loadDeadlineMs { throw FunctionLoadTimeout() }
            return
        }
        if scriptTimeLimitMs > 0 && server.clock.milliseconds - run.startedMs > scriptTimeLimitMs { throw ScriptKilled() }
        if let fd = run.busyFd {
            if !run.timedOut {
                let elapsed = server.clock.milliseconds - run.startedMs
                if elapsed >= Int64(server.config.busyReplyThreshold) {
                    run.timedOut = true
                    server.log(.warning, "Slow script detected: still in execution after \(elapsed) milliseconds. You can try killing the script using the SCRIPT KILL command. Script name is: \(String(decoding: run.name, as: UTF8.self)).")
                }
            }
            if run.timedOut {
                // Commands run meanwhile name their own clients for tracking,
                // and move the loop's clock; the script's time stands still
                // (as in Redis: keys do not expire under a running script).
                let client = cs_current_client(), loop = run.client.loop, now = loop.nowMs
                server.serveWhileBusy(run.loopIndex, fd)
                cs_set_current_client(client)
                loop.nowMs = now
            }
        }
        if killTarget.load(ordering: .relaxed) == run.id || abortRequested.load(ordering: .relaxed) { throw ScriptKilled() }
    }

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

extension Configuration {
    /// `busy-reply-threshold` (alias `lua-time-limit`), in milliseconds.
    public var busyReplyThreshold: Int { Int(string("busy-reply-threshold") ?? "5000") ?? 5000 }
}

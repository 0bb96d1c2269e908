import RESP
import Storage
import Sync
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Blocking commands (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, …), Redis's
/// `blocked.c` across event loops.
///
/// A command that finds nothing to take registers a `BlockedWaiter` for its
/// keys and returns; its connection stops running further requests. A
/// command that adds to a key (LPUSH, LMOVE's destination, ZADD, XADD,
/// RENAME…) marks the key ready; after the whole command (after EXEC for a
/// transaction) the loop that ran it serves the key's waiters in the order
/// they blocked: it runs each waiter's pop with a proxy client (the
/// waiter's database and protocol) and posts the reply to the waiter's loop,
/// which writes it and resumes the connection. So, as in Redis, a client
/// that pushes sees the waiter already served by its next command.
///
/// No lost wake-ups: a waiter first registers, then re-checks its own keys
/// as ready ones. A push that came before the registration is found by the
/// re-check; one after it sees the waiter in the registry (the shard lock
/// orders the push and the re-check).
///
/// One outcome per waiter: serving claims the waiter (state 0 → 1) and
/// ends it (→ 2) only if it served; timeout, CLIENT UNBLOCK and disconnect
/// end it (0 → 2) and wait out a claim in progress.
public struct BlockKey: Hashable, Sendable {
    public let db: Int
    public let name: [UInt8]
    public init(db: Int, name: [UInt8]) { self.db = db; self.name = name }
}

/// What a serve attempt did.
public enum ServeResult {
    /// A reply was written (data, or an error such as a WRONGTYPE destination).
    case served
    /// This waiter cannot take from the key now; later ones may.
    case skipped
    /// The key has nothing for anyone now.
    case exhausted
}

public final class BlockedWaiter: @unchecked Sendable {
    public let clientId: Int
    public let loopIndex: Int
    public let fd: Int32
    public let db: Int
    public let keys: [BlockKey]
    public let protocolVersion: Int
    /// Server-clock ms when the wait times out; 0: never.
    public let deadlineMs: Int64
    let state = Atomic<Int>(0)
    /// Tries to take from `key` for the waiter, replying through `proxy`.
    let serve: (_ proxy: Client, _ key: UnsafeRawBufferPointer) -> ServeResult
    /// The reply on timeout (null array for lists, sorted sets and streams).
    let timeoutReply: (ReplyBuffer) -> Void

    init(client: Client, keys: [BlockKey], deadlineMs: Int64,
         timeoutReply: @escaping (ReplyBuffer) -> Void, serve: @escaping (Client, UnsafeRawBufferPointer) -> ServeResult) {
        clientId = client.id
        loopIndex = client.loop.index
        fd = client.fd
        db = client.db
        protocolVersion = client.protocolVersion
        self.keys = keys
        self.deadlineMs = deadlineMs
        self.timeoutReply = timeoutReply
        self.serve = serve
    }

    /// Not a wait: the command could not run yet, and the loop is to hold
    /// its request and run it again (an EVAL that found another loop's
    /// script running). A handler sets it as the client's `blockedWaiter`;
    /// the loop's handler clears it before anything else sees it.
    public static let retryLater = BlockedWaiter()

    private init() {
        clientId = -1; loopIndex = -1; fd = -1; db = 0; keys = []; protocolVersion = 2; deadlineMs = 0
        timeoutReply = { _ in }
        serve = { _, _ in .skipped }
    }

    func claim() -> Bool { state.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged }

    /// Ends the wait for good; false when it had already ended (served).
    func end() -> Bool {
        while true {
            let (ended, old) = state.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing)
            if ended { return true }
            if old == 2 { return false }
            sched_yield()  // a serve attempt is running on another loop
        }
    }
}

/// Who waits for which key, in blocking order. One lock: blocking is rare
/// next to the commands that only check `count`.
public final class BlockingRegistry: @unchecked Sendable {
    struct State {
        var byKey: [BlockKey: [BlockedWaiter]] = [:]
        var byClient: [Int: BlockedWaiter] = [:]
    }
    let state = Locked<State>(State())
    /// Waiters registered; writers skip the ready-key bookkeeping while 0.
    public let count = Atomic<Int>(0)
    public init() {}

    func add(_ w: BlockedWaiter) {
        state.withLock { s in
            s.byClient[w.clientId] = w
            for k in w.keys where !(s.byKey[k]?.contains { $0 === w } ?? false) { s.byKey[k, default: []].append(w) }
        }
        count.add(1, ordering: .relaxed)
    }

    func remove(_ w: BlockedWaiter) {
        let removed = state.withLock { s -> Bool in
            guard s.byClient[w.clientId] === w else { return false }
            s.byClient[w.clientId] = nil
            for k in w.keys {
                s.byKey[k]?.removeAll { $0 === w }
                if s.byKey[k]?.isEmpty == true { s.byKey[k] = nil }
            }
            return true
        }
        if removed { count.add(-1, ordering: .relaxed) }
    }

    func waiters(_ key: BlockKey) -> [BlockedWaiter] { state.withLock { $0.byKey[key] ?? [] } }
    func waiter(clientId: Int) -> BlockedWaiter? { state.withLock { $0.byClient[clientId] } }
}

extension Client {
    /// A command added data to `key` (list push, sorted-set add, stream
    /// add, key created by RENAME/COPY/MOVE…): its waiters are served after
    /// the command. One relaxed load when nobody blocks.
    @inlinable public func signalKeyReady(_ key: UnsafeRawBufferPointer, db: Int? = nil) {
        if server.blocking.count.load(ordering: .relaxed) == 0 { return }
        markReady(BlockKey(db: db ?? self.db, name: Array(key)))
    }

    @usableFromInline func markReady(_ key: BlockKey) {
        if !loop.readyKeys.contains(key) { loop.readyKeys.append(key) }
    }

    /// BLPOP and friends: parses a timeout in seconds (a float), Redis's
    /// `getTimeoutFromObjectOrReply`. Returns the deadline (0: none).
    public func blockingDeadline(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard let seconds = DoubleFormat.parseLongDouble(bytes) else { fail("ERR timeout is not a float or out of range"); return nil }
        let ms = (seconds * 1000).rounded(.up)
        // Redis converts to long long: beyond its range (infinity included)
        // x86 yields LLONG_MIN, hence "negative".
        if ms < 0 || ms >= 9.223372036854775807e18 { fail("ERR timeout is negative"); return nil }
        if ms == 0 { return 0 }
        let now = server.clock.milliseconds
        return Int64(ms) > Int64.max - now ? Int64.max : now + Int64(ms)
    }

    /// Blocks this client on `keys` until `serve` succeeds for one of them,
    /// the deadline passes, or CLIENT UNBLOCK. Inside MULTI (and other
    /// contexts that cannot block) the command times out at once instead.
    public func block(on keys: [UnsafeRawBufferPointer], deadlineMs: Int64,
                      timeoutReply: @escaping (ReplyBuffer) -> Void = { $0.nullArray() },
                      serve: @escaping (Client, UnsafeRawBufferPointer) -> ServeResult) {
        if denyBlocking { timeoutReply(reply); return }
        let w = BlockedWaiter(client: self, keys: keys.map { BlockKey(db: db, name: Array($0)) }, deadlineMs: deadlineMs,
                              timeoutReply: timeoutReply, serve: serve)
        server.blocking.add(w)
        blockedWaiter = w
        isBlocked.store(true, ordering: .relaxed)
        server.blockedClients.add(1, ordering: .relaxed)
        loop.blockedWaiters.append(w)
        if deadlineMs != 0 { loop.nextBlockedDeadline = min(loop.nextBlockedDeadline, deadlineMs) }
        for k in w.keys { markReady(k) }  // the re-check (see the type's comment)
    }

    /// Serves the waiters of every key marked ready by the last command.
    /// Serving BLMOVE may mark its destination ready: handled in the same pass.
    public func serveReadyKeys() {
        let loop = self.loop
        while !loop.readyKeys.isEmpty {
            let key = loop.readyKeys.removeFirst()
            let proxy = loop.blockingProxy(server)
            for w in server.blocking.waiters(key) {
                guard w.claim() else { continue }
                proxy.select(w.db)
                proxy.protocolVersion = w.protocolVersion
                let result = key.name.withUnsafeBytes { w.serve(proxy, $0) }
                if result != .served {
                    w.state.store(0, ordering: .releasing)
                    if result == .exhausted { break }
                    continue
                }
                w.state.store(2, ordering: .releasing)
                server.blocking.remove(w)
                let out = proxy.reply
                let bytes = [UInt8](UnsafeRawBufferPointer(start: out.base + out.sent, count: out.pending))
                out.count = 0
                out.sent = 0
                server.wakeBlocked(w, bytes)
            }
        }
    }

    /// The wait ended and its reply was written here (on the client's own
    /// loop): the connection may run its next requests.
    public func finishBlocking() {
        guard let w = blockedWaiter else { return }
        blockedWaiter = nil
        isBlocked.store(false, ordering: .relaxed)
        // Answered now: Redis counts the reply as interaction, so `timeout`
        // does not close a client the moment its long wait ends.
        lastInteractionMs.store(loop.nowMs, ordering: .relaxed)
        server.blockedClients.add(-1, ordering: .relaxed)
        loop.blockedWaiters.removeAll { $0 === w }
    }

    /// The connection closed while blocked: the wait ends unanswered.
    func abandonBlocking() {
        guard let w = blockedWaiter else { return }
        if w.end() { server.blocking.remove(w) }
        finishBlocking()
    }
}

extension ServerContext {
    /// Times out this loop's waiters whose deadline passed; returns how long
    /// the loop may sleep before the next one is due (-1: none).
    ///
    /// A waiter is due once the clock is past its deadline's millisecond, as
    /// in Redis (`timeout < now`): deadlines and the clock are whole
    /// milliseconds, so answering at the deadline's own millisecond could
    /// come up to 1 ms before the timeout the client asked for.
    public func expireBlocked(_ loop: LoopContext, nowMs: Int64) -> Int {
        if loop.blockedWaiters.isEmpty { return -1 }
        if nowMs > loop.nextBlockedDeadline {
            var next = Int64.max
            for w in loop.blockedWaiters where w.deadlineMs != 0 {
                if w.deadlineMs < nowMs {
                    if w.end() { endWait(w) { w.timeoutReply($0) } }
                } else {
                    next = min(next, w.deadlineMs)
                }
            }
            loop.nextBlockedDeadline = next
        }
        return loop.nextBlockedDeadline == .max ? -1 : Int(min(Int64(Int32.max), max(0, loop.nextBlockedDeadline + 1 - nowMs)))
    }

    /// CLIENT UNBLOCK: ends client `id`'s wait with the timeout reply, or
    /// with `-UNBLOCKED` (`error`). Returns whether the client was blocked.
    public func unblock(clientId id: Int, error: Bool) -> Bool {
        guard let w = blocking.waiter(clientId: id), w.end() else { return false }
        endWait(w) { out in
            if error { out.error("UNBLOCKED client unblocked via CLIENT UNBLOCK") } else { w.timeoutReply(out) }
        }
        return true
    }

    /// Removes an ended waiter and sends it `reply`, written for its protocol.
    func endWait(_ w: BlockedWaiter, _ reply: (ReplyBuffer) -> Void) {
        blocking.remove(w)
        let out = ReplyBuffer(capacity: 64)
        out.protocolVersion = w.protocolVersion
        reply(out)
        wakeBlocked(w, [UInt8](UnsafeRawBufferPointer(start: out.base, count: out.count)))
    }
}

extension LoopContext {
    /// The client serving runs as: this loop's, in the waiter's database and protocol.
    func blockingProxy(_ server: ServerContext) -> Client {
        if let p = proxy { return p }
        let p = Client(id: 0, server: server, loop: self, reply: ReplyBuffer(capacity: 1024), fd: -1,
                       address: "", localAddress: "", isLocal: true)
        p.denyBlocking = true
        proxy = p
        return p
    }
}

import Sync
import CSystem
import RESP
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One thread, one epoll instance: accepts connections from its listeners,
/// reads requests, hands them to the handler, writes replies.
///
/// Invariant: every `Connection` and session in `slots` is touched only by
/// this loop's thread. Other threads talk to the loop through `submit`, which
/// queues a closure and wakes the loop with an eventfd.
private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Starts a pthread running `body` (threads need no Foundation), with a
/// stack of `stackBytes` (0: the system's default).
public func startThread(stackBytes: Int = 0, _ body: @escaping () -> Void) -> pthread_t {
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var t = pthread_t()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    if stackBytes > 0 { pthread_attr_setstacksize(&attributes, stackBytes) }
    let rc = pthread_create(&t, &attributes, { arg in
        Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue().run()
        return nil
    }, box)
    pthread_attr_destroy(&attributes)
    precondition(rc == 0, "cannot start a thread")
    return t
}

/// Hands out connection ids shared by all loops of a server.
final class IdGenerator: @unchecked Sendable {
    private let value = Atomic<Int>(1)
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

public final class EventLoop<Handler: ConnectionHandler>: @unchecked Sendable {
    public let index: Int
    /// False only while the loop waits for the kernel; `waits` counts the
    /// waits. Another thread that needs every loop to have finished what it
    /// was doing (a script about to take every shard) watches these.
    public let awake = Atomic<Bool>(true)
    public let waits = Atomic<UInt64>(0)
    let handler: Handler
    let epoll: Int32
    let wakeFd: Int32
    /// Unchecked: the dispatch pass of every turn reads it.
    @exclusivity(unchecked) var listeners: [Int32] = []
    /// Connections by fd. Each holds its session (retained) as an untyped
    /// reference: a typed `(Connection, Handler.Session)` tuple here made every
    /// access go through generic metadata, since this module cannot specialise
    /// for the server's handler.
    @exclusivity(unchecked) var slots: [Connection?] = []
    @exclusivity(unchecked) var waiting: [Int32] = []
    private let mailbox = Locked<[() -> Void]>([])
    /// Messages for this loop's connections posted by other loops: (fd, connection id, payload).
    private let outbox = Locked<[(Int32, Int, AnyObject)]>([])
    /// Connections written to outside their own request processing; flushed
    /// before the loop sleeps.
    @exclusivity(unchecked) var pendingFlush = FdList()
    /// Connections closed during this loop turn, with their sessions still
    /// retained; released when the turn ends. Invariant: a connection (and
    /// its session) taken out of `slots` lives until the end of the turn,
    /// so code reached from a slot may use both unretained even if what it
    /// calls closes the connection (see `withConnection`).
    @exclusivity(unchecked) var closedThisTurn: [Connection] = []
    private let stopRequested = Atomic<Bool>(false)
    var thread: pthread_t? = nil
    var tickIntervalMs: Int
    @exclusivity(unchecked) var nextTickMs: Int64 = 0
    private let finished = Atomic<Bool>(false)
    public var tcpKeepAlive: Int = 300
    static var wakeToken: UInt64 { UInt64.max }
    static var listenerTokenBase: UInt64 { UInt64.max - 1024 }
    /// An event with nothing left to dispatch (ring completions handled in the read pass).
    static var noToken: UInt64 { UInt64.max - 1 }
    private let connectionIds: IdGenerator
    /// The backend asked for; `run` settles it on the loop's own thread
    /// (an io_uring must be created by the thread that drives it).
    let backend: IOBackend
    /// The loop's io_uring while it runs on one; nil: epoll.
    @exclusivity(unchecked) var ring: OpaquePointer? = nil
    private let ringStarted = Atomic<Int>(0)
    /// Set while `serveWhileBusy` runs: it is not re-entrant.
    @exclusivity(unchecked) var servingWhileBusy = false
    /// Work `serveWhileBusy` left for the end of the turn (see there): a
    /// wake-up, and bytes received for the running connection.
    @exclusivity(unchecked) var afterBusy = false
    @exclusivity(unchecked) var wakeAfterBusy = false
    @exclusivity(unchecked) var heldWhileBusy: (fd: Int32, id: Int, bytes: [UInt8]) = (-1, -1, [])
    /// Connections whose ring receive was stopped while their command ran
    /// long (`Connection.receiveStopped`), to ask again after it.
    @exclusivity(unchecked) var stoppedReceives: [(fd: Int32, id: Int)] = []
    /// The connection whose command runs while `serveWhileBusy` serves the
    /// others (-1: none): its replies wait until the command is done.
    @exclusivity(unchecked) var busyFd: Int32 = -1
    /// Receive buffers lent to connections this ring turn: `lentTo[k]`
    /// borrows `buffersToRecycle[k]` for k < `turnLent`.
    @exclusivity(unchecked) var turnLent = 0

    /// `connectionIds` is shared by all loops so ids are unique server-wide.
    init(index: Int, handler: Handler, hz: Int, connectionIds: IdGenerator, backend: IOBackend = .epoll) {
        self.index = index
        self.backend = backend
        self.handler = handler
        self.connectionIds = connectionIds
        epoll = cs_epoll_create()
        wakeFd = cs_eventfd()
        tickIntervalMs = max(1, 1000 / max(hz, 1))
        _ = cs_epoll_ctl(epoll, EPOLL_CTL_ADD, wakeFd, cs_EPOLLIN_(), EventLoop.wakeToken)
    }

    deinit {
        Glibc.close(epoll)
        Glibc.close(wakeFd)
        turnRead.deallocate(); turnId.deallocate(); turnHash.deallocate()
        events.deallocate(); tokens.deallocate()
        completionTags.deallocate(); completionResults.deallocate(); completionFlags.deallocate()
        lentTo.deallocate(); buffersToRecycle.deallocate()
    }

    func addListener(_ fd: Int32) {
        listeners.append(fd)
        _ = cs_epoll_ctl(epoll, EPOLL_CTL_ADD, fd, cs_EPOLLIN_(), EventLoop.listenerTokenBase + UInt64(listeners.count - 1))
    }

    /// Runs `work` on this loop's thread (from any thread).
    public func submit(_ work: @escaping () -> Void) {
        mailbox.withLock { $0.append(work) }
        var one: UInt64 = 1
        _ = write(wakeFd, &one, 8)
    }

    func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        var one: UInt64 = 1
        _ = write(wakeFd, &one, 8)
    }

    var isFinished: Bool { finished.load(ordering: .acquiring) }

    /// Whether this loop runs on an io_uring (false: epoll). Waits for the
    /// loop's thread to have decided.
    public var usesRing: Bool {
        while ringStarted.load(ordering: .acquiring) == 0 { sched_yield() }
        return ringStarted.load(ordering: .acquiring) == 2
    }

    /// Scripts run on the loop's thread, and the Lua interpreter recurses
    /// on the native stack: 20,000 nested Lua calls (Lua's own limit) need
    /// tens of megabytes. Only the pages a deep script touches become
    /// resident.
    static var threadStackBytes: Int { 64 << 20 }

    func start() {
        thread = startThread(stackBytes: EventLoop.threadStackBytes) { [self] in self.run() }
    }

    func join() {
        if let t = thread { pthread_join(t, nil); thread = nil }
    }

    // MARK: the loop

    func run() {
        cs_set_current_loop(Int32(index))
        // One monotonic read per turn, taken after the turn's work: it both
        // decides whether the tick is due and sizes the next wait (at
        // pipeline 1 a turn is about one request, and a second read per
        // turn was 0.5% of server CPU).
        var nowMs = cs_monotonic_us() / 1000
        nextTickMs = nowMs + Int64(tickIntervalMs)
        if backend != .epoll { startRing() }
        ringStarted.store(ring == nil ? 1 : 2, ordering: .releasing)
        while !stopRequested.load(ordering: .acquiring) {
            var timeout = Int(max(0, nextTickMs - nowMs))
            let hint = handler.beforeSleep(loop: index)
            if hint >= 0 { timeout = min(timeout, hint) }
            if !waiting.isEmpty { timeout = min(timeout, 5) }
            // A long command run by `finishAfterBusy` left more for after it.
            if afterBusy { timeout = 0 }
            // Only this thread writes `waits`: a load and a store, no atomic add.
            waits.store(waits.load(ordering: .relaxed) &+ 1, ordering: .releasing)
            awake.store(false, ordering: .releasing)
            if let ring {
                // One system call: what this turn queued goes in, what the
                // kernel finished comes out.
                _ = cs_uring_enter(ring, Int32(timeout))
                awake.store(true, ordering: .sequentiallyConsistent)
                let n = cs_uring_reap(ring, completionTags, completionResults, completionFlags, 256)
                if n > 0 { runRingTurn(count: Int(n)) }
            } else {
                let n = cs_epoll_wait(epoll, events, tokens, 256, Int32(timeout))
                awake.store(true, ordering: .sequentiallyConsistent)
                if n > 0 { runTurn(count: Int(n)) }
            }
            if afterBusy { finishAfterBusy() }
            if !waiting.isEmpty { retryWaiting() }
            if !pendingFlush.isEmpty { flushPending() }
            if !closedThisTurn.isEmpty { releaseClosed() }
            nowMs = cs_monotonic_us() / 1000
            if nowMs >= nextTickMs {
                handler.tick(loop: index)
                nextTickMs = nowMs + Int64(tickIntervalMs)
            }
        }
        drainMailbox()
        // Messages other loops posted before the stop are still delivered.
        drainOutbox()
        // Shutdown: write what is queued, then close everything.
        for case let connection? in slots {
            flush(connection, session(of: connection), final: true)
            closeConnection(connection.fd)
        }
        releaseClosed()
        stopRing()
        // A loop that has stopped is never waited for (quiesceLoops).
        awake.store(false, ordering: .sequentiallyConsistent)
        finished.store(true, ordering: .releasing)
    }

    /// What `epoll_wait` reported this turn, event i: its event bits and
    /// token (a fd, or a listener or wake token). Allocated once (as local
    /// arrays they cost two uniqueness checks per turn).
    let events = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
    let tokens = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
    /// What the ring completed this turn, completion i: its tag, result and
    /// flags (see `runRingTurn`).
    let completionTags = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
    let completionResults = UnsafeMutablePointer<Int32>.allocate(capacity: 256)
    let completionFlags = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
    /// Connections whose input is a receive buffer this turn, and the
    /// buffers to give back to the ring once the turn is over.
    let lentTo = UnsafeMutablePointer<Unmanaged<Connection>>.allocate(capacity: 256)
    let buffersToRecycle = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
    /// Per-event scratch for one turn (see `runTurn`), allocated once.
    /// `turnRead[i]`: bytes read for event i in the read pass (0: none, or
    /// read but the connection may not run now); `turnId[i]`: the
    /// connection those bytes belong to; `turnHash[i]`: the hash of its
    /// first request's key, when that is worth prefetching.
    let turnRead = UnsafeMutablePointer<Int>.allocate(capacity: 256)
    let turnId = UnsafeMutablePointer<Int>.allocate(capacity: 256)
    let turnHash = UnsafeMutablePointer<UInt64?>.allocate(capacity: 256)

    /// Handles one epoll batch in three passes: read every ready
    /// connection; bring the first request's key into cache for each (its
    /// slot, then its entry, across all connections at once); run them in
    /// event order. At pipeline 1 each connection holds one request, so
    /// the per-connection pipeline prefetch (`runRequests`) has nothing to
    /// overlap: the misses of the batch's lookups overlap here instead.
    @inline(__always)
    func runTurn(count: Int) {
        for i in 0..<count {
            turnRead[i] = 0
            turnHash[i] = nil
            let token = tokens[i]
            guard token < EventLoop.listenerTokenBase,
                  events[i] & (cs_EPOLLIN_() | cs_EPOLLHUP_() | cs_EPOLLERR_()) != 0 else { continue }
            withConnection(Int32(truncatingIfNeeded: token)) { connection, session in
                noteInput(i, of: count, connection, session, bytes: readInput(connection))
            }
        }
        finishTurn(count: count)
    }

    /// After a turn's read pass: for event i, `bytes` new input bytes of
    /// `connection` are in its buffer. Records them for the run pass and
    /// brings the slot of its first request's key into cache.
    @inline(__always)
    func noteInput(_ i: Int, of count: Int, _ connection: Connection, _ session: Handler.Session, bytes: Int) {
        // The pending request runs first (retryWaiting, or the end of the wait).
        guard bytes > 0, !connection.waiting, !connection.blocked else { return }
        turnRead[i] = bytes
        turnId[i] = connection.id
        guard count > 1 else { return }
        // The first request is parsed here, for its key, and the run pass
        // starts from that parse (a peek here and a parse there cost a GET
        // about 180 instructions more).
        let start = UnsafeRawPointer(connection.input + connection.inputStart)
        if connection.parsedAhead == 0 {
            connection.parser.authenticated = connection.authenticated
            guard case .request(let length) = connection.parser.parse(start, available: connection.inputEnd - connection.inputStart)
            else { return }  // the run pass parses it again and gets the same answer
            connection.parsedAhead = length
        }
        let args = connection.parser.arguments(in: start)
        guard args.count > 1, let hash = handler.prefetchHash(session, command: args[0], key: args[1]) else { return }
        turnHash[i] = hash
        handler.prefetch(session, hash: hash, stage: 1)
    }

    /// The prefetch and run passes of a turn whose input was read.
    @inline(__always)
    func finishTurn(count: Int) {
        if count > 1 {
            for i in 0..<count {
                guard let hash = turnHash[i] else { continue }
                withConnection(Int32(truncatingIfNeeded: tokens[i])) { _, session in
                    handler.prefetch(session, hash: hash, stage: 2)
                }
            }
        }
        for i in 0..<count where tokens[i] != EventLoop.noToken {
            dispatch(events[i], tokens[i], bytesRead: turnRead[i], connectionId: turnId[i])
        }
    }

    /// Handles one event whose input, if any, was already read (`bytesRead`
    /// bytes for connection `connectionId`).
    @inline(__always)
    func dispatch(_ events: UInt32, _ token: UInt64, bytesRead: Int, connectionId: Int) {
        if token == EventLoop.wakeToken {
            var value: UInt64 = 0
            _ = read(wakeFd, &value, 8)
            drainMailbox()
            drainOutbox()
            return
        }
        if token >= EventLoop.listenerTokenBase {
            acceptAll(listeners[Int(token - EventLoop.listenerTokenBase)])
            return
        }
        withConnection(Int32(truncatingIfNeeded: token)) { connection, session in
            // The id check: the fd may have been closed and reused since the read.
            if bytesRead > 0 && connection.id == connectionId && !connection.closed {
                process(connection, session, bytesRead: bytesRead)
            }
            if events & cs_EPOLLOUT_() != 0, !connection.closed { writable(connection, session) }
        }
    }

    /// The socket can take more: writes what is queued, and once the client
    /// has read enough of its replies runs its waiting requests.
    func writable(_ connection: Connection, _ session: Handler.Session) {
        let written = flush(connection, session, final: false)
        if !connection.closed { handler.wrote(session, connection, bytes: written) }
        if connection.outputPaused && !connection.closed && connection.output.pending <= Connection.outputResumeBytes {
            connection.outputPaused = false
            process(connection, session, bytesRead: 0)
        }
    }

    /// Runs `body` with the open connection on `fd` and its session, neither
    /// retained (a retain/release pair per event and per flush was measurable
    /// at pipeline 1). Safe because of `closedThisTurn`'s invariant.
    @inline(__always)
    func withConnection(_ fd: Int32, _ body: (Connection, Handler.Session) -> Void) {
        guard Int(fd) < slots.count, let slot = slots[Int(fd)].map(Unmanaged.passUnretained) else { return }
        slot._withUnsafeGuaranteedRef { connection in
            connection.session.unsafelyUnwrapped._withUnsafeGuaranteedRef { session in
                body(connection, unsafeDowncast(session, to: Handler.Session.self))
            }
        }
    }

    /// Lets go of the connections closed this turn, and of their sessions.
    func releaseClosed() {
        for connection in closedThisTurn {
            connection.session?.release()
            connection.session = nil
        }
        closedThisTurn.removeAll(keepingCapacity: true)
    }

    /// Delivers `payload` to connection (`fd`, `id`) from any thread; the
    /// loop hands it to the handler and flushes. Order per sender is kept.
    public func post(fd: Int32, id: Int, payload: AnyObject) {
        let wasEmpty = outbox.withLock { box -> Bool in
            let empty = box.isEmpty
            box.append((fd, id, payload))
            return empty
        }
        if wasEmpty {
            var one: UInt64 = 1
            _ = write(wakeFd, &one, 8)
        }
    }

    /// Delivers `payload` now; only from this loop's own thread.
    public func deliverNow(fd: Int32, id: Int, payload: AnyObject) {
        withConnection(fd) { connection, session in
            guard connection.id == id, !connection.closed else { return }
            if handler.deliver(session, connection, payload) && connection.blocked {
                connection.blocked = false
                process(connection, session, bytesRead: 0)
                return
            }
            if !connection.flushScheduled { connection.flushScheduled = true; pendingFlush.append(fd) }
        }
    }

    func drainOutbox() {
        let items = outbox.withLock { box -> [(Int32, Int, AnyObject)] in
            let taken = box
            box.removeAll(keepingCapacity: true)
            return taken
        }
        for (fd, id, payload) in items { deliverNow(fd: fd, id: id, payload: payload) }
    }

    func flushPending() {
        // By index: flushing may schedule more (a close delivers to other
        // clients); those are appended and flushed too.
        var i = 0
        while i < pendingFlush.count {
            let fd = pendingFlush[i]
            i += 1
            // The running connection's replies wait for its command (see busyFd).
            if fd == busyFd { continue }
            withConnection(fd) { connection, session in
                connection.flushScheduled = false
                let written = flush(connection, session, final: false)
                if !connection.closed { handler.wrote(session, connection, bytes: written) }
            }
        }
        pendingFlush.removeAll()
        if busyFd >= 0, Int(busyFd) < slots.count, let running = slots[Int(busyFd)], running.flushScheduled {
            pendingFlush.append(busyFd)
        }
    }

    func drainMailbox() {
        let work = mailbox.withLock { box -> [() -> Void] in
            let items = box
            box.removeAll()
            return items
        }
        for w in work { w() }
    }

    // MARK: accepting

    func acceptAll(_ listener: Int32) {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = cs_accept(listener, &storage, &length)
            if fd < 0 { return }
            adopt(fd, peer: &storage)
        }
    }

    /// Sets up an accepted socket and starts serving it (or refuses it).
    func adopt(_ fd: Int32, peer storage: inout sockaddr_storage) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
        if tcpKeepAlive > 0 {
            setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, 4)
            var idle = Int32(tcpKeepAlive)
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, 4)
            var interval = Int32(max(1, tcpKeepAlive / 3))
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &interval, 4)
            var count: Int32 = 3
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, &count, 4)
        }
        let peer = SocketAddress.describe(&storage)
        let local = SocketAddress.local(of: fd)
        let connection = Connection(fd: fd, id: connectionIds.next(),
                                    peer: peer, local: local)
        guard let session = handler.open(connection, loop: index) else {
            // Refused: send what the handler wrote, then close.
            _ = connection.output.base.withMemoryRebound(to: UInt8.self, capacity: connection.output.count) {
                write(fd, $0, connection.output.count)
            }
            Glibc.close(fd)
            return
        }
        while slots.count <= Int(fd) { slots.append(nil) }
        connection.session = Unmanaged<AnyObject>.passRetained(session)
        slots[Int(fd)] = connection
        if let ring {
            armReceive(ring, connection)
        } else {
            _ = cs_epoll_ctl(epoll, EPOLL_CTL_ADD, fd, cs_EPOLLIN_(), UInt64(fd))
        }
    }

    // MARK: reading and processing

    /// Reads what the socket holds into the input buffer; returns the byte
    /// count (0 when nothing came, or the peer closed and so did we).
    func readInput(_ c: Connection) -> Int {
        if c.closed { return 0 }
        c.reserveInput(c.inputCapacity - c.inputEnd < 4096 ? 16 * 1024 : 1)
        // recv/send rather than read/write: the socket calls skip the VFS
        // layer (about 180 ns less per request and reply on this kernel).
        let n = cs_recv(c.fd, c.input + c.inputEnd, c.inputCapacity - c.inputEnd)
        if n == 0 { c.closedByPeer = true; closeConnection(c.fd); return 0 }
        if n < 0 {
            let e = cs_errno()
            if e == EAGAIN || e == EWOULDBLOCK || e == EINTR { return 0 }
            c.closedByPeer = true
            closeConnection(c.fd)
            return 0
        }
        c.inputEnd += n
        return n
    }

    /// Parses and runs every complete request in the input buffer, then
    /// writes; pauses while the client leaves too many replies unread.
    func process(_ c: Connection, _ session: Handler.Session, bytesRead: Int) {
        handler.beginBatch(loop: index)
        var written = 0
        while true {
            runRequests(c, session)
            c.shrinkInputIfIdle()
            guard c.outputPaused || c.closeAfterReply else {
                // Replies are written once every ready connection has run
                // (as Redis writes in beforeSleep).
                if !c.flushScheduled && c.output.pending > 0 { c.flushScheduled = true; pendingFlush.append(c.fd) }
                break
            }
            written += flush(c, session, final: false)
            // Paused, but the socket took everything: no EPOLLOUT will come.
            guard c.outputPaused, !c.closed, c.output.pending <= Connection.outputResumeBytes else { break }
            c.outputPaused = false
        }
        if !c.closed { handler.endBatch(session, c, read: bytesRead, written: written) }
    }

    /// Runs the complete requests in the input buffer, up to a request that
    /// must wait, a close, or too much unwritten output.
    @inline(__always)
    func runRequests(_ c: Connection, _ session: Handler.Session) {
        var stop = false
        // The input buffer does not move while this runs (it grows only
        // when a request is incomplete, which ends the loop).
        var peekedAfter: (offset: Int, length: Int, hash: UInt64?)? = nil
        while !stop && !c.closeAfterReply {
            let available = c.inputEnd - c.inputStart
            if available == 0 { break }
            if c.output.pending > Connection.outputPauseBytes { c.outputPaused = true; break }
            let start = c.input + c.inputStart
            let parsed: RequestParser.Result
            if c.parsedAhead > 0 {
                parsed = .request(length: c.parsedAhead)
                c.parsedAhead = 0
            } else {
                c.parser.authenticated = c.authenticated
                parsed = c.parser.parse(UnsafeRawPointer(start), available: available)
            }
            switch parsed {
            case .request(let length):
                let args = c.parser.arguments(in: UnsafeRawPointer(start))
                // Two-stage prefetch over the requests already in the buffer:
                // the entry of the next one, the slot of the one after. The
                // one after is peeked once: it is the next one of the next turn.
                let rest = available - length
                let nextOffset = c.inputStart + length
                if rest > 0, let next = peekedAfter?.offset == nextOffset
                    ? (length: peekedAfter!.length, hash: peekedAfter!.hash) : peekHash(session, c.input + nextOffset, available: rest) {
                    if let hash = next.hash { handler.prefetch(session, hash: hash, stage: 2) }
                    peekedAfter = nil
                    if rest > next.length, let after = peekHash(session, c.input + nextOffset + next.length, available: rest - next.length) {
                        peekedAfter = (nextOffset + next.length, after.length, after.hash)
                        if let hash = after.hash { handler.prefetch(session, hash: hash, stage: 1) }
                    }
                }
                switch handler.execute(session, args, c) {
                case .done:
                    c.inputStart += length
                case .close:
                    c.inputStart += length
                    c.closeAfterReply = true
                case .wait:
                    if !c.waiting { c.waiting = true; waiting.append(c.fd) }
                    stop = true
                case .blocked:
                    c.inputStart += length
                    c.blocked = true
                    stop = true
                }
            case .skip(let length):
                c.inputStart += length
            case .incomplete(let expected):
                // Grow towards a large announced bulk by doubling, not all at
                // once: a header alone must not make the server allocate 512 MB.
                // Small requests only need compaction (done before each read).
                let have = c.inputEnd - c.inputStart
                if expected > c.inputCapacity {
                    let target = min(expected, c.inputCapacity * 2)
                    if target > have { c.reserveInput(target - have) }
                }
                stop = true
            case .error(let error):
                handler.protocolError(session, error)
                c.output.muted = false
                c.output.error(error.message)
                c.closeAfterReply = true
                stop = true
            }
        }
    }

    /// The length of the complete request at `start`, and its key's hash
    /// when it is worth prefetching; nil when no complete request is there.
    @inline(__always)
    func peekHash(_ session: Handler.Session, _ start: UnsafeMutableRawPointer, available: Int) -> (length: Int, hash: UInt64?)? {
        guard let request = RequestParser.peek(UnsafeRawPointer(start), available: available) else { return nil }
        return (request.length, request.second.flatMap { handler.prefetchHash(session, command: request.first, key: $0) })
    }

    func retryWaiting() {
        let pending = waiting
        waiting.removeAll()
        for fd in pending {
            guard Int(fd) < slots.count, let connection = slots[Int(fd)] else { continue }
            connection.waiting = false
            process(connection, session(of: connection), bytesRead: 0)
        }
    }

    // MARK: writing

    /// Writes queued replies. Arms EPOLLOUT when the socket is full; closes
    /// the connection once everything is written if it asked to close.
    @discardableResult
    func flush(_ c: Connection, _ session: Handler.Session, final: Bool) -> Int {
        // Closed: its fd may belong to another connection by now.
        if c.closed { return 0 }
        let out = c.output
        var total = 0
        while out.sent < out.count {
            let n = cs_send(c.fd, out.base + out.sent, out.count - out.sent, Int32(MSG_NOSIGNAL))
            if n > 0 { out.sent += n; total += n; continue }
            let e = cs_errno()
            if n < 0 && e == EINTR { continue }
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) {
                if !c.writeArmed && !final {
                    c.writeArmed = true
                    if let ring {
                        armWritable(ring, c)
                    } else {
                        _ = cs_epoll_ctl(epoll, EPOLL_CTL_MOD, c.fd, cs_EPOLLIN_() | cs_EPOLLOUT_(), UInt64(c.fd))
                    }
                }
                return total
            }
            if !final { closeConnection(c.fd) }
            return total
        }
        out.compact()
        // On a ring the readiness request is one-shot: its completion clears writeArmed.
        if c.writeArmed && !final && ring == nil {
            c.writeArmed = false
            _ = cs_epoll_ctl(epoll, EPOLL_CTL_MOD, c.fd, cs_EPOLLIN_(), UInt64(c.fd))
        }
        if c.closeAfterReply && !final { closeConnection(c.fd) }
        return total
    }

    /// Closes the connection on `fd` if it is still connection `id` (nil: any).
    /// Closes a connection at once; replies still queued are dropped (a
    /// killed client, or one over its output limit, may never read them).
    public func close(connectionId id: Int) {
        for case let connection? in slots where connection.id == id {
            closeConnection(connection.fd)
            return
        }
    }

    func closeConnection(_ fd: Int32) {
        guard Int(fd) < slots.count, let connection = slots[Int(fd)] else { return }
        closedThisTurn.append(connection)
        slots[Int(fd)] = nil
        connection.closed = true
        if let ring {
            disarm(ring, connection)
        } else {
            _ = cs_epoll_ctl(epoll, EPOLL_CTL_DEL, fd, 0, 0)
        }
        Glibc.close(fd)
        handler.closed(session(of: connection), connection)
    }

    /// Every live connection with its session (for shutdown and cron work on this thread).
    public func forEachConnection(_ body: (Connection, Handler.Session) -> Void) {
        for case let connection? in slots { body(connection, session(of: connection)) }
    }

    /// The handler's session for a live connection (set when it was accepted).
    @inline(__always)
    func session(of connection: Connection) -> Handler.Session {
        unsafeDowncast(connection.session!.takeUnretainedValue(), to: Handler.Session.self)
    }
}

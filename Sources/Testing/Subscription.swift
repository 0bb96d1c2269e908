import Sync
import Networking
import Commands
#if canImport(Glibc)
import Glibc
#endif

/// The connections the fixture opens to its own server (one per
/// ``TestServer/subscribe(to:)`` stream). They are the fixture's, not the
/// app's: the command log does not record their commands, injected faults
/// (errors, latency, dropped connections) skip them, and
/// ``TestServer/connectedClients`` does not list them.
///
/// A fixture connection is known by its address (the local end of the
/// fixture's socket, which is the server's view of the peer) while it is
/// open, and by its server-side client id from its first command on (ids are
/// never reused, so a closing connection stays recognised).
final class FixtureConnections: Sendable {
    struct State {
        var addresses: Set<String> = []
        var clientIds: Set<Int> = []
        /// Connected subscriptions whose reader has not ended yet.
        var subscriptions: [ObjectIdentifier: Subscription] = [:]
    }

    let state = Locked(State())

    /// Whether `client` is one of the fixture's own connections.
    func owns(_ client: Client) -> Bool {
        owns(id: client.id, address: client.address)
    }

    func owns(id: Int, address: String) -> Bool {
        state.withLock { s in
            if s.clientIds.contains(id) { return true }
            guard s.addresses.contains(address) else { return false }
            s.clientIds.insert(id)
            return true
        }
    }

    /// Called by a reader once its socket is connected, before it sends anything.
    func adopt(_ subscription: Subscription, address: String) {
        state.withLock { s in
            s.addresses.insert(address)
            s.subscriptions[ObjectIdentifier(subscription)] = subscription
        }
    }

    /// Called by a reader when its socket is closed.
    func release(_ subscription: Subscription, address: String?) {
        state.withLock { s in
            if let address { s.addresses.remove(address) }
            s.subscriptions[ObjectIdentifier(subscription)] = nil
        }
    }

    /// The subscriptions connected now (`stop` and `restart` wait for them to end).
    var connected: [Subscription] {
        state.withLock { Array($0.subscriptions.values) }
    }
}

/// One ``TestServer/subscribe(to:)`` stream: a RESP2 connection to the
/// fixture's server and a dedicated thread that reads it.
///
/// The thread connects, sends the whole request pipelined (`AUTH`,
/// `CLIENT SETNAME`, `SUBSCRIBE`, `PSUBSCRIBE`), and resumes the waiting
/// `subscribe` call once every confirmation has arrived (or with the error
/// that stopped it). From then on every `message`/`pmessage` frame becomes a
/// stream element, until the connection ends: the server closed it (stop,
/// restart, `CLIENT KILL`) or the stream's consumer went away (``cancel()``,
/// from the stream's `onTermination`, shuts the socket down, which wakes the
/// blocked read). Only the reader thread closes the socket; then it finishes
/// the stream, and ``ended()`` returns.
final class Subscription: Sendable {
    struct Request: Sendable {
        let host: String
        let port: Int
        /// Commands sent pipelined, in order.
        let commands: [[[UInt8]]]
        /// What each expected reply answers, in order (`AUTH`, `SUBSCRIBE`, …):
        /// one per command before the subscriptions, one per subscribed name.
        let replies: [String]
        /// The public method, for error messages (`subscribe(to:)`).
        let caller: String
    }

    struct State {
        /// The socket, while the reader owns it (-1 before and after).
        var fd: Int32 = -1
        var cancelled = false
        var ended = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let request: Request
    let continuation: AsyncStream<TestServer.PubSubMessage>.Continuation
    let fixture: FixtureConnections
    let state = Locked(State())

    /// How long the server may take to confirm the subscription.
    static let handshakeTimeoutMs = 30_000

    init(request: Request, continuation: AsyncStream<TestServer.PubSubMessage>.Continuation,
         fixture: FixtureConnections) {
        self.request = request
        self.continuation = continuation
        self.fixture = fixture
    }

    /// Starts the reader thread; `ready` is resumed once the server has
    /// confirmed every subscription, or with the error that prevented it.
    func start(_ ready: CheckedContinuation<Void, Error>) {
        let started = Subscription.spawn { [self] in run(ready) }
        if !started {
            continuation.finish()
            ready.resume(throwing: TestServerError(.connectionFailed, "\(request.caller): cannot start a reader thread"))
        }
    }

    /// Ends the stream from the consumer's side: shuts the socket down so
    /// the blocked reader wakes up, sees the end and cleans up. Safe to call
    /// at any time, from any thread, more than once.
    func cancel() {
        state.withLock { s in
            s.cancelled = true
            if s.fd >= 0 { _ = shutdown(s.fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Returns once the reader has closed the socket and finished the stream.
    func ended() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.ended { return true }
                s.waiters.append(waiter)
                return false
            }
            if done { waiter.resume() }
        }
    }

    /// Waits for `subscriptions` to end after their server stopped. The
    /// server closing their connections ends them; should one still be open
    /// after `grace` (it cannot, unless something is badly wrong), it is
    /// cancelled rather than left to hang the caller.
    static func awaitEnd(of subscriptions: [Subscription], grace: Duration = .seconds(10)) async {
        guard !subscriptions.isEmpty else { return }
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for s in subscriptions { await s.ended() }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: grace)
                return false
            }
            if await group.next() == false {
                for s in subscriptions { s.cancel() }
            }
            group.cancelAll()
        }
    }

    // MARK: The reader thread

    private func run(_ ready: CheckedContinuation<Void, Error>) {
        var pendingReady: CheckedContinuation<Void, Error>? = ready
        var address: String? = nil
        var failure: TestServerError? = nil
        do {
            let fd = try openSocket()
            try connectSocket(fd)
            let local = Subscription.localAddress(fd)
            address = local
            // Known to the fault injector before its first command arrives.
            fixture.adopt(self, address: local)
            try sendAll(fd, request.commands.flatMap(Subscription.encode))
            try readLoop(fd, ready: &pendingReady)
        } catch let error as TestServerError {
            failure = error
        } catch {
            failure = TestServerError(.connectionFailed, "\(request.caller): \(error)")
        }

        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if s.fd >= 0 { Glibc.close(s.fd) }
            s.fd = -1
            s.ended = true
            let waiters = s.waiters
            s.waiters = []
            return waiters
        }
        fixture.release(self, address: address)
        // Not under the lock: finishing runs `onTermination`, which cancels.
        continuation.finish()
        if let pendingReady {
            pendingReady.resume(throwing: failure ?? TestServerError(
                .connectionFailed, "\(request.caller): the connection ended before the subscription was confirmed"))
        }
        for waiter in waiters { waiter.resume() }
    }

    private func fail(_ what: String) -> TestServerError {
        TestServerError(.connectionFailed, "\(request.caller): \(what)")
    }

    private func openSocket() throws -> Int32 {
        let family = request.host.contains(":") ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw fail("socket() failed: \(Subscription.lastError())") }
        let accepted = state.withLock { s -> Bool in
            if s.cancelled { return false }
            s.fd = fd
            return true
        }
        guard accepted else {
            Glibc.close(fd)
            throw fail("cancelled before it connected")
        }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    private func connectSocket(_ fd: Int32) throws {
        let target = "\(request.host):\(request.port)"
        var rc: Int32
        if request.host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(truncatingIfNeeded: request.port).bigEndian
            guard inet_pton(AF_INET6, request.host, &address.sin6_addr) == 1 else {
                throw fail("cannot connect to \(target): not an IPv6 address")
            }
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(truncatingIfNeeded: request.port).bigEndian
            guard inet_pton(AF_INET, request.host, &address.sin_addr) == 1 else {
                throw fail("cannot connect to \(target): not an IPv4 address")
            }
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if rc != 0 {
            let reason = Subscription.lastError()
            throw fail("cannot connect to \(target): \(reason) (is the server stopped?)")
        }
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw fail("the connection failed while subscribing: \(Subscription.lastError())") }
            offset += n
        }
    }

    /// Reads frames until the connection ends: confirmations first (then
    /// `ready` is resumed and set to nil), messages throughout.
    private func readLoop(_ fd: Int32, ready: inout CheckedContinuation<Void, Error>?) throws {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var awaited = request.replies[...]
        let deadline = Subscription.monotonicMs() + Int64(Subscription.handshakeTimeoutMs)
        while true {
            // Every complete frame in the buffer.
            var decoder = ReplyDecoder(bytes: buffer)
            while let reply = try decodeNext(&decoder) {
                if let message = Subscription.message(from: reply) {
                    if case .terminated = continuation.yield(message) { return }
                } else if let what = awaited.first {
                    if case .error(let text) = reply {
                        throw TestServerError(.commandFailed, "\(request.caller): \(what) failed: \(text)", serverError: text)
                    }
                    awaited = awaited.dropFirst()
                    if awaited.isEmpty, let waiting = ready {
                        ready = nil
                        waiting.resume()
                    }
                }
                // Anything else after the handshake (there is nothing else) is ignored.
            }
            if decoder.position > 0 { buffer.removeFirst(decoder.position) }

            // More bytes: without a time limit once subscribed (the
            // connection ending or `cancel` wakes the read).
            var timeout: Int32 = -1
            if ready != nil {
                let left = deadline - Subscription.monotonicMs()
                guard left > 0 else {
                    throw fail("the server did not confirm \(request.replies.last ?? "the subscription") within \(Subscription.handshakeTimeoutMs / 1000) s")
                }
                timeout = Int32(left)
            }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let polled = poll(&p, 1, timeout)
            if polled < 0 {
                if errno == EINTR { continue }
                throw fail("poll failed: \(Subscription.lastError())")
            }
            if polled == 0 { continue }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if n <= 0 {
                if ready == nil { return }  // a normal end: the server closed it, or `cancel`
                throw fail(state.withLock { $0.cancelled }
                           ? "cancelled before the subscription was confirmed"
                           : "the server closed the connection before confirming the subscription")
            }
            buffer += chunk[0..<n]
        }
    }

    private func decodeNext(_ decoder: inout ReplyDecoder) throws -> TestServer.Reply? {
        do {
            return try decoder.next()
        } catch {
            throw fail("could not read the server's reply: \(error)")
        }
    }

    // MARK: Helpers

    /// A `message` or `pmessage` frame (RESP2 array or RESP3 push), or nil.
    static func message(from reply: TestServer.Reply) -> TestServer.PubSubMessage? {
        let items: [TestServer.Reply]
        switch reply {
        case .array(let a), .push(let a): items = a
        default: return nil
        }
        guard let kind = items.first?.string?.lowercased() else { return nil }
        func text(_ i: Int) -> String { items[i].string ?? "" }
        if kind == "message" && items.count == 3 {
            return TestServer.PubSubMessage(channel: text(1), message: text(2), pattern: nil)
        }
        if kind == "pmessage" && items.count == 4 {
            return TestServer.PubSubMessage(channel: text(2), message: text(3), pattern: text(1))
        }
        return nil
    }

    /// A command as a RESP array of bulk strings.
    static func encode(_ arguments: [[UInt8]]) -> [UInt8] {
        var out = Array("*\(arguments.count)\r\n".utf8)
        for a in arguments {
            out += Array("$\(a.count)\r\n".utf8)
            out += a
            out += [13, 10]
        }
        return out
    }

    /// The socket's local end as the server prints its peers (`127.0.0.1:53412`, `[::1]:53412`).
    static func localAddress(_ fd: Int32) -> String { SocketAddress.local(of: fd) }

    static func lastError() -> String { String(cString: strerror(errno)) }

    static func monotonicMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    private final class ThreadBody {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// The name reader threads show in `top -H`, debuggers and
    /// `/proc/self/task/*/comm` (otherwise they inherit their creator's,
    /// a concurrency pool thread's).
    static let threadName = "swiftlet-sub"

    static func nameThisThread() {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = threadName.withCString { write(fd, $0, strlen($0)) }
        Glibc.close(fd)
    }

    /// Runs `body` on a new detached thread named ``threadName``; false if
    /// the thread could not be created.
    static func spawn(_ body: @escaping @Sendable () -> Void) -> Bool {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { argument in
            let body = Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue()
            Subscription.nameThisThread()
            body.run()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}

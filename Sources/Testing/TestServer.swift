import Sync
import Swiftlet
import Commands
import Storage

/// A real Swiftlet server running inside the test's process: a Redis 7.0
/// compatible endpoint on `127.0.0.1` and a port of its own, with time under
/// the test's control.
///
/// ```swift
/// import SwiftletTesting
///
/// let server = try await TestServer.start()     // or: try await withTestServer { server in … }
/// let app = MyApp(redisURL: server.url)           // "redis://127.0.0.1:<port>"
///
/// try await server.set("session", "abc", ttl: .seconds(5))
/// await server.advanceClock(by: .seconds(6))
/// #expect(try await server.get("session") == nil)
/// await server.stop()
/// ```
///
/// What it gives a test:
/// - **Isolation.** Each server has its own keyspace, configuration and
///   ephemeral port; nothing is global, so every test can have its own and
///   tests can run in parallel. Starting and stopping one takes well under a
///   millisecond once the process is warm.
/// - **A virtual clock** (unless ``Options/clock`` is ``ClockKind/real``):
///   the server reads no other time, so ``advanceClock(by:)`` makes TTLs pass,
///   runs active expiry, and ages LRU/LFU counters without sleeping.
/// - **Direct state access** (``set(_:_:ttl:)``, ``get(_:)``, ``keys(matching:)``,
///   ``dump(limit:)``, …) through the server's own command dispatcher, so it means
///   exactly what the same command over the wire means.
/// - **Fault injection** (``failNextCommands(_:withError:commands:)``,
///   ``dropAllConnections()``, ``setLatency(_:commands:)``, …) and
///   **observation** (``commandLog``, ``connectedClients``).
/// - **Pub/Sub** (``subscribe(to:)``, ``publish(_:_:)``): channel messages
///   and keyspace notifications (`notify-keyspace-events` in
///   ``Options/config``) as an `AsyncStream`, over a real connection.
///
/// Every method is safe to call from any task. Direct-access calls are not
/// seen by wire clients' `CLIENT LIST` or by the command log; they do count as
/// key accesses (they update LRU/LFU like a client's `GET` would).
public final class TestServer: Sendable, CustomStringConvertible {
    /// The port the server listens on; it stays the same across ``restart()``.
    public let port: Int
    /// The address it listens on (``Options/host``).
    public let host: String
    /// The options it was started with.
    public let options: Options

    let server: SwiftletServer
    let faults: FaultInjector
    /// The fixture's own connections (``subscribe(to:)`` streams).
    let fixture: FixtureConnections
    let state: Locked<State>
    /// Serialises `stop` and `restart` (the server's start/stop are not
    /// meant to run concurrently); never taken by the server's own threads.
    let lifecycle = Locked<Void>(())

    struct State {
        var running = true
        /// The database direct-access calls use (``select(db:)``).
        var database = 0
        /// Sub-millisecond parts of `advanceClock` durations not yet applied
        /// (the server's clock counts milliseconds).
        var pendingAttoseconds: Int64 = 0
    }

    /// `redis://127.0.0.1:<port>`, for clients configured by URL. The
    /// password, if any, is not included (it is ``Options/password``).
    public var url: String {
        host.contains(":") ? "redis://[\(host)]:\(port)" : "redis://\(host):\(port)"
    }

    public var description: String { "TestServer(\(url))" }

    private init(server: SwiftletServer, faults: FaultInjector, options: Options) {
        self.server = server
        self.faults = faults
        self.fixture = faults.fixture
        self.options = options
        self.port = server.port
        self.host = options.host
        self.state = Locked(State())
    }

    /// Starts a server with `options` (by default: 127.0.0.1, a free port
    /// chosen by the kernel, a virtual clock at the current wall time, no
    /// password, 16 databases).
    ///
    /// - Throws: ``TestServerError`` of kind ``TestServerError/Kind/invalidConfiguration``
    ///   when a directive or value is refused (the message quotes it), or
    ///   ``TestServerError/Kind/startFailed`` when the address cannot be bound.
    public static func start(_ options: Options = Options()) async throws -> TestServer {
        let configuration = Configuration()
        let text = options.configurationText
        do {
            try configuration.load(arguments: ["-"], readFile: Configuration.readFileFromDisk, standardInput: { text })
        } catch {
            let detail = "\(error)".split(separator: "\n").filter { !$0.hasPrefix("*** FATAL") }.joined(separator: "; ")
            throw TestServerError(.invalidConfiguration, "TestServer options were refused: \(detail)")
        }
        let clock = options.clock.isVirtual
            ? ServerClock(mode: .manual, startingAt: options.clock.startMilliseconds)
            : ServerClock(mode: .real)
        let server = SwiftletServer(configuration: configuration, clock: clock)
        let faults = FaultInjector(logLimit: options.commandLogLimit, fixture: FixtureConnections())
        // Installed before the loops start, as `intercept` requires. It
        // captures the injector only, so the server is freed with the fixture.
        server.context.intercept = { client, arguments in faults.intercept(client, arguments) }
        do {
            try server.start(port: options.port, bind: [options.host])
        } catch {
            throw TestServerError(.startFailed, "TestServer could not listen on \(options.host):\(options.port): \(error)")
        }
        return TestServer(server: server, faults: faults, options: options)
    }

    /// Stops the server: connections are closed (after their queued replies
    /// are written) and the port is released. Calling it again does nothing.
    /// Open ``subscribe(to:)`` streams have ended when it returns (after the
    /// messages they had received).
    ///
    /// The data stays readable through the direct-access methods, and
    /// ``restart()`` brings the server back on the same port.
    public func stop() async {
        let ending = lifecycle.withLock { _ -> [Subscription] in
            state.withLock { $0.running = false }
            server.stop()
            return fixture.connected
        }
        await Subscription.awaitEnd(of: ending)
    }

    /// Stops and starts the server again on the same port, keeping its data,
    /// configuration, clock, injected faults and command log. Clients are
    /// disconnected, as when a real Redis restarts; use it to test reconnects.
    /// Open ``subscribe(to:)`` streams have ended when it returns; subscribe
    /// again to watch the restarted server.
    ///
    /// Works on a stopped server too (it just starts it).
    ///
    /// - Throws: ``TestServerError/Kind/startFailed`` if another process took
    ///   the port while it was free.
    public func restart() async throws {
        var ending: [Subscription] = []
        let started = lifecycle.withLock { _ -> Result<Void, TestServerError> in
            server.stop()
            // Connected to the server just stopped (the new one is not
            // listening yet), so the stop closed them and they are ending.
            ending = fixture.connected
            do {
                try server.start(port: port, bind: [host])
            } catch {
                state.withLock { $0.running = false }
                return .failure(TestServerError(.startFailed, "TestServer could not listen on \(host):\(port) again: \(error)"))
            }
            state.withLock { $0.running = true }
            return .success(())
        }
        await Subscription.awaitEnd(of: ending)
        try started.get()
    }

    /// Whether the server is accepting connections (false after ``stop()``).
    public var isRunning: Bool {
        get async { state.withLock { $0.running } }
    }

    deinit {
        // A fixture that was never stopped still releases its port and threads.
        server.stop()
    }

    // MARK: Time

    /// Moves the virtual clock forward by `duration`, then runs active
    /// expiry at once, exactly as the server's cron would at that time.
    ///
    /// Everything that reads time follows: keys whose TTL has passed are gone
    /// both for ``get(_:)`` and for wire clients (as in Redis, a key expires
    /// once the clock is *past* its expiry time: advance a 5 s TTL by 5 s
    /// and `PTTL` says 0; by 5.001 s and the key is gone), `TTL`/`PTTL` count down,
    /// `OBJECT IDLETIME` grows, LFU counters decay, idle clients beyond
    /// `timeout` are closed at the next cron tick. Nothing sleeps.
    ///
    /// The clock counts whole milliseconds; smaller parts of `duration` are
    /// kept and added once they make a millisecond.
    ///
    /// - Precondition: the server has a virtual clock (the default) and
    ///   `duration` is not negative.
    public func advanceClock(by duration: Duration) async {
        precondition(options.clock.isVirtual,
                     "advanceClock(by:) needs a virtual clock; this TestServer was started with clock: .real")
        precondition(duration >= .zero, "advanceClock(by:) cannot move time backwards (\(duration))")
        let (seconds, attoseconds) = duration.components
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let milliseconds = state.withLock { s -> Int64 in
            let total = s.pendingAttoseconds + attoseconds
            s.pendingAttoseconds = total % perMillisecond
            return seconds * 1000 + total / perMillisecond
        }
        // Access stamps wrap (LFU's after 18 hours, LRU's after 37) and the
        // cron's sweep renormalizes them long before that; a jump of hours
        // gets the same by moving in steps.
        let step = LFU.renormalizeAfterSeconds * 1000
        var remaining = milliseconds
        while remaining > 0 {
            let move = min(remaining, step)
            server.clock.advance(byMilliseconds: move)
            remaining -= move
            server.renormalizeAccessWords()
        }
        server.expireDueKeys()
    }

    /// The server's current time, in milliseconds since the Unix epoch (what
    /// `TIME` reports; with a virtual clock, it moves only with ``advanceClock(by:)``).
    public var unixTimeMilliseconds: Int64 {
        get async { server.clock.milliseconds }
    }
}

/// Runs `body` with a freshly started ``TestServer`` and stops the server
/// when `body` returns or throws.
///
/// ```swift
/// @Test func sessionExpires() async throws {
///     try await withTestServer { server in
///         try await server.set("session", "abc", ttl: .seconds(30))
///         await server.advanceClock(by: .seconds(31))
///         #expect(try await server.get("session") == nil)
///     }
/// }
/// ```
public func withTestServer<T>(
    _ options: TestServer.Options = TestServer.Options(),
    isolation: isolated (any Actor)? = #isolation,
    _ body: (TestServer) async throws -> T
) async throws -> T {
    let server = try await TestServer.start(options)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

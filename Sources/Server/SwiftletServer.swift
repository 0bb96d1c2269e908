import Sync
import Commands
import Networking
import Storage
import Synchronization
import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// The whole server as a library: configure, start on a port (0 picks a free
/// one), stop. The `swiftlet-server` executable and the test fixture are thin
/// layers over this type.
///
/// ```swift
/// let config = Configuration()
/// _ = config.set([("port", "0")])
/// let server = SwiftletServer(configuration: config)
/// try server.start()
/// print(server.port)
/// server.stop()
/// ```
public final class SwiftletServer: @unchecked Sendable {
    public let configuration: Configuration
    public let context: ServerContext
    public let clock: ServerClock
    let network = NetworkServer<ServerHandler>()
    var handler: ServerHandler?
    let logger: Logger
    /// The private client behind `call` (in-process commands).
    let inProcess: InProcessClient
    private let state = Locked<(running: Bool, shutdown: ShutdownRequest?)>((false, nil))
    private var shutdownWaiters = pthread_cond_t()
    private var shutdownMutex = pthread_mutex_t()

    /// The port the server listens on (meaningful after `start`).
    public var port: Int { network.port }

    public init(configuration: Configuration = Configuration(), clock: ServerClock = ServerClock(),
                commands: [CommandSpec] = CommandCatalog.all()) {
        self.configuration = configuration
        self.clock = clock
        let table = CommandTable(commands)
        for (from, to) in configuration.renamedCommands { _ = table.rename(from, to: to) }
        context = ServerContext(config: configuration, clock: clock, commands: table)
        inProcess = InProcessClient(server: context)
        logger = Logger(path: configuration.logfile, level: LogLevel(name: configuration.loglevel) ?? .notice)
        pthread_mutex_init(&shutdownMutex, nil)
        pthread_cond_init(&shutdownWaiters, nil)
        let logger = self.logger
        context.log = { level, message in logger.log(level, message) }
        context.residentBytes = { ProcessStats.residentBytes() }
        context.executablePath = ProcessStats.executablePath()
        context.rewriteConfig = { [configuration] in ConfigRewrite.run(configuration) }
        context.installPubSub()
        context.installKeyInterest()
        let context = self.context
        configuration.onChange("maxmemory") { [unowned context] value in
            guard let limit = Int(value), limit != 0 else { return }
            let used = context.usedMemory
            if limit < used {
                context.log(.warning, "WARNING: the new maxmemory value set via CONFIG SET (\(limit)) is smaller than the current memory usage (\(used)). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.")
            }
        }
        // The form of the access words (LRU or LFU) follows the policy family.
        let accessWordsAreLFU = Locked(configuration.maxmemoryPolicy.usesLFU)
        configuration.onChange("maxmemory-policy") { [unowned context, configuration] _ in
            context.evictor.clearPool()
            let lfu = configuration.maxmemoryPolicy.usesLFU
            accessWordsAreLFU.withLock { wereLFU in
                guard wereLFU != lfu else { return }
                wereLFU = lfu
                context.keyspace.resetAccessWords(toLFU: lfu, nowMs: context.clock.milliseconds)
            }
        }
    }

    /// How the event loops wait for sockets (see `IOBackend`); read by `start`.
    public var ioBackend: IOBackend = .fromEnvironment
    /// Whether the loops run on io_uring (after `start`).
    public var usesRing: Bool { network.loops.first?.usesRing ?? false }

    /// Binds the listening sockets and starts the event loops. `port` and
    /// `bind` override the configuration (port 0 picks a free port).
    public func start(port overridePort: Int? = nil, bind overrideBind: [String]? = nil) throws {
        cs_ignore_sigpipe()
        _ = CycleClock.rate  // calibrate before traffic
        context.scripts.serverStarted()
        let loopCount = max(1, configuration.ioThreads)
        let loops = context.makeLoops(loopCount)
        let handler = ServerHandler(server: context, loops: loops)
        self.handler = handler
        context.requestShutdown = { [weak self] request in self?.shutdownRequested(request) }
        // The hooks go in before the loops run: a client may connect, and
        // publish or be killed, the moment the first loop starts.
        try network.start(handler: handler, loopCount: loopCount, addresses: overrideBind ?? configuration.bind,
                          port: overridePort ?? configuration.port, backlog: configuration.tcpBacklog, hz: configuration.hz,
                          tcpKeepAlive: configuration.tcpKeepalive, backend: ioBackend) { eventLoops in
            self.installLoopHooks(handler, eventLoops)
        }
        context.boundPort.store(network.port, ordering: .relaxed)
        state.withLock { $0.running = true; $0.shutdown = nil }
    }

    /// Connects the server context to the loops: delivery of messages and
    /// wake-ups to a client's own loop, and closing a client from any thread.
    private func installLoopHooks(_ handler: ServerHandler, _ eventLoops: [EventLoop<ServerHandler>]) {
        // Unretained views of the loops (kept alive by `eventLoops`, captured
        // below): a fan-out calls this once per subscriber, and retaining the
        // target loop each time was measurable.
        let targets = eventLoops.map { Unmanaged.passUnretained($0) }
        context.deliver = { subscriber, frame, fromLoop in
            guard subscriber.loop >= 0 && subscriber.loop < targets.count else { return }
            withExtendedLifetime(eventLoops) {
                targets[subscriber.loop]._withUnsafeGuaranteedRef { target in
                    // Same loop (the publisher's thread): write at once, so a client
                    // subscribed to its own channel sees the message before PUBLISH's reply.
                    if subscriber.loop == fromLoop {
                        target.deliverNow(fd: subscriber.fd, id: subscriber.clientId, payload: frame)
                    } else {
                        target.post(fd: subscriber.fd, id: subscriber.clientId, payload: frame)
                    }
                }
            }
        }
        context.quiesceLoops = { except, whileWaiting in
            // One loop (the default): the caller is the only one.
            if eventLoops.count == 1 && except == 0 { return }
            let marks = eventLoops.map { $0.waits.load(ordering: .acquiring) }
            var lastServed = CycleClock.now
            for (i, loop) in eventLoops.enumerated() where i != except {
                while loop.awake.load(ordering: .sequentiallyConsistent) && loop.waits.load(ordering: .acquiring) == marks[i] {
                    sched_yield()
                    if CycleClock.microseconds(Int(truncatingIfNeeded: CycleClock.now &- lastServed)) >= 1000 {
                        whileWaiting()
                        lastServed = CycleClock.now
                    }
                }
            }
        }
        context.serveWhileBusy = { loop, fd in
            guard loop >= 0 && loop < eventLoops.count else { return }
            eventLoops[loop].serveWhileBusy(runningFd: fd)
        }
        context.wakeBlocked = { waiter, bytes in
            guard waiter.loopIndex >= 0 && waiter.loopIndex < eventLoops.count else { return }
            eventLoops[waiter.loopIndex].post(fd: waiter.fd, id: waiter.clientId, payload: PushFrame(bytes, endsWait: true))
        }
        handler.closeOnLoop = { loop, id in
            let target = eventLoops[loop]
            target.submit { target.close(connectionId: id) }
        }
    }

    /// Stops the loops after writing queued replies and closing connections.
    public func stop() {
        let wasRunning = state.withLock { s -> Bool in
            let r = s.running
            s.running = false
            return r
        }
        guard wasRunning else { return }
        // A script still running holds its loop: it ends at its next hook.
        context.scripts.abortForShutdown()
        network.stop()
        // The hooks hold the loops, and the loops hold the handler, which
        // holds the context that holds the hooks: without this, every
        // stopped server kept its loops, and their epoll and eventfd
        // descriptors, for the life of the process.
        context.deliver = { _, _, _ in }
        context.wakeBlocked = { _, _ in }
        context.quiesceLoops = { _, _ in }
        context.serveWhileBusy = { _, _ in }
        handler?.closeOnLoop = { _, _ in }
        pthread_mutex_lock(&shutdownMutex)
        pthread_cond_broadcast(&shutdownWaiters)
        pthread_mutex_unlock(&shutdownMutex)
    }

    deinit {
        stop()
        context.backgroundFree.stop()
    }

    /// SHUTDOWN from a client or a signal: recorded here; the loops cannot
    /// join themselves, so stopping happens on another thread.
    func shutdownRequested(_ request: ShutdownRequest) {
        let first = state.withLock { s -> Bool in
            if s.shutdown != nil { return false }
            s.shutdown = request
            return true
        }
        guard first else { return }
        pthread_mutex_lock(&shutdownMutex)
        pthread_cond_broadcast(&shutdownWaiters)
        pthread_mutex_unlock(&shutdownMutex)
        if !waiterPresent.load(ordering: .relaxed) {
            _ = startThread { [self] in self.stop() }
        }
    }

    private let waiterPresent = Atomic<Bool>(false)

    /// Blocks until SHUTDOWN is requested (or `stop` is called), then stops
    /// the server. Returns what was requested (nil after a plain `stop`).
    @discardableResult
    public func waitForShutdown() -> ShutdownRequest? {
        waiterPresent.store(true, ordering: .relaxed)
        pthread_mutex_lock(&shutdownMutex)
        while state.withLock({ $0.running && $0.shutdown == nil }) {
            pthread_cond_wait(&shutdownWaiters, &shutdownMutex)
        }
        pthread_mutex_unlock(&shutdownMutex)
        let request = state.withLock { $0.shutdown }
        stop()
        return request
    }

    /// Asks the server to shut down as if a client sent SHUTDOWN (signals use this).
    public func requestShutdown(_ request: ShutdownRequest = .plain) {
        shutdownRequested(request)
    }

    public func log(_ level: LogLevel, _ message: String) { logger.log(level, message) }
}

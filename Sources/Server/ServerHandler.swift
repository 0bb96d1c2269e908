import Commands
import Networking
import RESP
import Storage
import CSystem
import Synchronization

/// Connects the networking layer to the command layer: one `Client` per
/// connection, requests to the dispatcher, periodic work to the cron.
final class ServerHandler: ConnectionHandler, @unchecked Sendable {
    typealias Session = Client

    let server: ServerContext
    let dispatcher: Dispatcher
    let loops: [LoopContext]
    let cron: Cron
    /// Set once the network server exists (before any connection).
    var submitToLoop: (Int, @escaping () -> Void) -> Void = { _, _ in }
    var closeOnLoop: (Int, Int) -> Void = { _, _ in }

    init(server: ServerContext, loops: [LoopContext]) {
        self.server = server
        self.dispatcher = Dispatcher(server: server)
        self.loops = loops
        self.cron = Cron(server: server, loopCount: loops.count)
    }

    static let deniedText = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."

    func open(_ connection: Connection, loop: Int) -> Client? {
        server.stats.connectionsReceived.add(1, ordering: .relaxed)
        if server.clients.count >= server.config.maxclients {
            connection.output.error("ERR max number of clients reached")
            server.stats.rejectedConnections.add(1, ordering: .relaxed)
            return nil
        }
        // Redis counts only 127.0.0.1 and ::1 as local (127.0.0.2 is refused).
        let local = SocketAddress.isLoopback(connection.peerAddress)
        if server.config.protectedMode && server.access.hasNoPassword && !local {
            connection.output.error(ServerHandler.deniedText)
            server.stats.rejectedConnections.add(1, ordering: .relaxed)
            return nil
        }
        let client = Client(id: connection.id, server: server, loop: loops[loop], reply: connection.output,
                            fd: connection.fd, address: connection.peerAddress, localAddress: connection.localAddress,
                            isLocal: local)
        let id = connection.id
        let close = closeOnLoop
        client.requestClose = { close(loop, id) }
        connection.authenticated = client.authenticated
        connection.parser.limits.maxBulkLength = server.config.protoMaxBulkLen
        server.clients.add(client)
        server.clientBufferBytes.add(connection.bufferBytes, ordering: .relaxed)
        client.publishedBufferBytes = connection.bufferBytes
        return client
    }

    @inline(__always)
    func execute(_ client: Client, _ arguments: Arguments, _ connection: Connection) -> ExecutionResult {
        if client.killed.load(ordering: .relaxed) { return .close }
        let loop = client.loop
        // A script (on another loop, or this one's serving while busy)
        // holds, or is about to hold, every shard: hold the command rather
        // than wait on a shard, or answer BUSY once the script has run past
        // busy-reply-threshold.
        if server.scripts.exclusive.load(ordering: .sequentiallyConsistent) {
            let spec = server.commands.lookupRequest(arguments)
            switch server.scripts.admission(spec, argumentCount: arguments.count, nowMs: loop.nowMs,
                                            busyThresholdMs: server.config.busyReplyThreshold) {
            case .run:
                // WATCH's registrations live in the shards the script holds:
                // on another loop than the script's, the command waits for it.
                if let spec, spec.changesWatches(client), !server.keyspace.heldByThisThread { return .wait }
            case .hold: return .wait
            case .busy:
                dispatcher.rejectBusy(client, arguments)
                return .done
            }
        }
        client.lastInteractionMs.store(loop.nowMs, ordering: .relaxed)
        dispatcher.execute(client, arguments)
        if let waiter = client.blockedWaiter {
            if waiter === BlockedWaiter.retryLater { client.blockedWaiter = nil; return .wait }
            return .blocked
        }
        // The parser's size caps for unauthenticated clients follow Redis's
        // authRequired, which a password set or removed meanwhile changes.
        connection.authenticated = client.authenticated || !server.access.authRequired
        // client-output-buffer-limit for the client's own replies (off by
        // default for normal clients), checked per command as Redis does.
        let limits = server.outputLimit(pubsub: client.subscriptionCount > 0)
        if (limits.hard | limits.soft) != 0 && client.outputOverLimit(pending: connection.output.pending, limits: limits) {
            overLimit(client, connection, connection.output.pending)
            return .close
        }
        return client.closeAfterReply ? .close : .done
    }

    /// Appends a pub/sub frame to a subscriber's output (on its own loop),
    /// then applies `client-output-buffer-limit pubsub`: a subscriber that
    /// stops reading is disconnected instead of growing memory.
    func deliver(_ client: Client, _ connection: Connection, _ payload: AnyObject) -> Bool {
        // Closing: whatever arrives now would never be read.
        if client.killed.load(ordering: .relaxed) { return false }
        let frame = unsafeDowncast(payload, to: PushFrame.self)
        let out = connection.output
        if frame.endsWait {
            frame.bytes.withUnsafeBytes { out.append($0) }
            client.finishBlocking()
            return true
        }
        if let invalidation = frame.invalidation {
            guard let bytes = invalidation.frame(protocolVersion: out.protocolVersion,
                                                 subscribed: client.subscriptionCount > 0) else { return false }
            bytes.withUnsafeBytes { out.append($0) }
            enforceOutputLimit(client, connection)
            return false
        }
        frame.bytes.withUnsafeBytes { bytes in
            if out.protocolVersion == 3 && bytes.first == 0x2A {
                out.append(0x3E)
                out.append(UnsafeRawBufferPointer(rebasing: bytes[1...]))
            } else {
                out.append(bytes)
            }
        }
        enforceOutputLimit(client, connection)
        return false
    }

    /// Redis's output buffer limit check for the client's class.
    func enforceOutputLimit(_ client: Client, _ connection: Connection) {
        let pending = connection.output.pending
        client.outputBufferBytes.store(pending, ordering: .relaxed)
        // A subscriber that never reads never ends a batch: count its
        // growing buffer in used_memory here, as deliveries grow it. Only
        // past 64 KB unwritten: a subscriber that keeps up never gets
        // there, and the check per delivered message is measurable.
        if pending > 64 * 1024 { publishBufferBytes(client, connection) }
        // Read here, where `server` needs no retain (it would in Client).
        let limits = server.outputLimit(pubsub: client.subscriptionCount > 0)
        if client.outputOverLimit(pending: pending, limits: limits) { overLimit(client, connection, pending) }
    }

    func overLimit(_ client: Client, _ connection: Connection, _ pending: Int) {
        if client.killed.load(ordering: .relaxed) { return }
        server.log(.warning, "Client id=\(client.id) addr=\(client.address) scheduled to be closed ASAP for overcoming of output buffer limits.")
        // Drop what is queued: the point is to stop holding memory for it.
        connection.output.sent = connection.output.count
        connection.output.compact()
        client.kill()
    }

    @inline(__always)
    func prefetchHash(_ client: Client, command: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) -> UInt64? {
        client.prefetchHash(command, key: key)
    }

    @inline(__always)
    func prefetch(_ client: Client, hash: UInt64, stage: Int) {
        client.prefetch(hash: hash, stage: stage)
    }

    func protocolError(_ client: Client, _ error: ProtocolError) {
        let code = error.message.prefix(while: { $0 != " " })
        client.loop.countError(String(code))
    }

    func closed(_ client: Client, _ connection: Connection) {
        if connection.closedByPeer { client.loop.readsProcessed.add(1) }
        server.clients.remove(client)
        server.clientBufferBytes.add(-client.publishedBufferBytes, ordering: .relaxed)
        server.clientClosedHooks.forEach { $0(client) }
    }

    /// Runs `body` with loop `loop`'s context, unretained: `loops` keeps
    /// every context for the server's life.
    @inline(__always)
    func withContext<R>(_ loop: Int, _ body: (LoopContext) -> R) -> R {
        loops.withUnsafeBufferPointer { Unmanaged.passUnretained($0[loop]) }._withUnsafeGuaranteedRef(body)
    }

    @inline(__always)
    func beginBatch(loop: Int) {
        withContext(loop) { context in
            let cycles = CycleClock.now
            context.lastCycles = cycles
            refreshClock(context, cycles: cycles)
        }
    }

    /// Brings `context.nowMs` up to date, reading the wall clock only when
    /// the TSC says 0.1 ms has passed since the last read. At pipeline 1 a
    /// batch is one request, and the wall clock (a vDSO call in this VM,
    /// ~30 ns) cost more than the lookup; the previous reading stands well
    /// inside the 1 ms resolution of expiry. A manual (test) clock is
    /// always read.
    @inline(__always)
    func refreshClock(_ context: LoopContext, cycles: UInt64) {
        if cycles &- context.wallClockReadAt >= wallClockRefreshCycles || server.clock.mode == .manual {
            context.nowMs = server.clock.milliseconds
            context.wallClockReadAt = cycles
        }
    }

    /// 0.1 ms in TSC cycles (see `beginBatch`).
    let wallClockRefreshCycles = UInt64(CycleClock.rate * 100)

    func endBatch(_ client: Client, _ connection: Connection, read: Int, written: Int) {
        let loop = client.loop
        loop.netInputBytes.add(read)
        loop.netOutputBytes.add(written)
        if read > 0 { loop.readsProcessed.add(1) }
        if written > 0 { loop.writesProcessed.add(1) }
        publishBufferBytes(client, connection)
        connection.parser.limits.maxBulkLength = server.config.protoMaxBulkLen
        client.queryBufferBytes.store(connection.queryBufferLength, ordering: .relaxed)
        client.queryBufferFree.store(connection.queryBufferFree, ordering: .relaxed)
        client.outputBufferBytes.store(connection.output.pending, ordering: .relaxed)
        if connection.queryBufferLength > server.config.clientQueryBufferLimit {
            server.log(.warning, "Closing client that reached max query buffer length: id=\(client.id) addr=\(client.address) qbuf=\(connection.queryBufferLength)")
            connection.closeAfterReply = true
            client.kill()
        }
    }

    /// Moves the connection's buffer capacity into `used_memory` when it changed.
    @inline(__always)
    func publishBufferBytes(_ client: Client, _ connection: Connection) {
        let bytes = connection.bufferBytes
        if bytes != client.publishedBufferBytes {
            server.clientBufferBytes.add(bytes - client.publishedBufferBytes, ordering: .relaxed)
            client.publishedBufferBytes = bytes
        }
    }

    func wrote(_ client: Client, _ connection: Connection, bytes: Int) {
        client.loop.netOutputBytes.add(bytes)
        client.loop.writesProcessed.add(1)
        client.outputBufferBytes.store(connection.output.pending, ordering: .relaxed)
        publishBufferBytes(client, connection)  // a backlog drained outside a batch
    }

    func tick(loop: Int) {
        let context = loops[loop]
        context.nowMs = server.clock.milliseconds
        cron.tick(loop: loop, nowMs: context.nowMs)
    }

    func beforeSleep(loop: Int) -> Int {
        withContext(loop) { context in
            refreshClock(context, cycles: CycleClock.now)
            let now = context.nowMs
            let hint = cron.beforeSleep(loop: loop, nowMs: now)
            let blocked = server.expireBlocked(context, nowMs: now)
            return blocked < 0 ? hint : hint < 0 ? blocked : min(hint, blocked)
        }
    }
}

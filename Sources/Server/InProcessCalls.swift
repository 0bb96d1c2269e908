import Sync
import Commands
import RESP
import Storage
import Synchronization

/// Running commands from inside the process, without a socket: embedders
/// and the test fixture use this for direct state access. A call goes
/// through the same dispatcher as a wire command (same semantics, same
/// locks), on the caller's thread, with a private client that is not listed
/// by CLIENT LIST and not counted in INFO.
final class InProcessClient: @unchecked Sendable {
    // Invariant: `client`, `loop` and `spans` are used only with `lock` held.
    let lock = Locked<Void>(())
    let loop: LoopContext
    let client: Client
    let dispatcher: Dispatcher

    init(server: ServerContext) {
        loop = LoopContext(index: -1, commandCount: server.commands.byId.count)
        client = Client(id: 0, server: server, loop: loop, reply: ReplyBuffer(capacity: 4096), fd: -1,
                        address: "internal:0", localAddress: "internal:0", isLocal: true)
        client.authenticated = true
        dispatcher = Dispatcher(server: server)
        client.denyBlocking = true  // nothing would ever answer a blocked in-process call
    }

    /// Runs one command and returns the raw RESP bytes of its reply.
    func call(_ arguments: [[UInt8]], db: Int, protocolVersion: Int) -> [UInt8] {
        lock.withLock { _ in
            let server = client.server
            loop.nowMs = server.clock.milliseconds
            loop.lastCycles = CycleClock.now
            client.select(db)
            client.protocolVersion = protocolVersion
            client.replyMode = .on
            client.reply.muted = false
            var owned = OwnedArguments(arguments)
            owned.withArguments { dispatcher.execute(client, $0) }
            let reply = client.reply
            let out = Array(UnsafeRawBufferPointer(start: reply.base + reply.sent, count: reply.count - reply.sent))
            reply.sent = reply.count
            reply.compact()
            return out
        }
    }
}

extension SwiftletServer {
    /// Runs a command in-process (no socket) and returns its RESP reply bytes.
    /// Safe from any thread; commands are atomic exactly as over the wire.
    public func call(_ arguments: [[UInt8]], db: Int = 0, protocolVersion: Int = 2) -> [UInt8] {
        inProcess.call(arguments, db: db, protocolVersion: protocolVersion)
    }

    /// `call` with string arguments.
    public func call(_ arguments: [String], db: Int = 0, protocolVersion: Int = 2) -> [UInt8] {
        call(arguments.map { Array($0.utf8) }, db: db, protocolVersion: protocolVersion)
    }

    /// Renormalizes every key's access word now (the cron does it a slice
    /// per tick, see `AccessSweep`); a virtual clock that jumps hours at
    /// once calls it after steps of at most `LFU.renormalizeAfterSeconds`.
    public func renormalizeAccessWords() {
        let keyspace = context.keyspace
        keyspace.renormalizeAccess(shards: Array(0..<keyspace.shards.count), from: 0, width: 0, nowMs: clock.milliseconds,
                                   lfuDecayTime: context.config.lfuDecayTimeIfLFU)
    }

    /// Expires every key whose time has come, now, on the caller's thread
    /// (instead of waiting for the next cron tick): a virtual clock's
    /// `advance` followed by this makes active expiry deterministic.
    public func expireDueKeys() {
        let keyspace = context.keyspace
        _ = keyspace.activeExpire(shards: Array(0..<keyspace.shards.count), now: clock.milliseconds,
                                  keysPerLoop: Int(Int32.max), acceptableStale: 0, deadlineUs: Int64.max)
    }
}

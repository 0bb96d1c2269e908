import RESP
import Storage
import CSystem
import Synchronization

/// Turns one parsed request into a command execution: lookup, arity and
/// permission checks with Redis's rejection texts, the handler call, and the
/// statistics that INFO commandstats/errorstats and SLOWLOG report.
public final class Dispatcher: @unchecked Sendable {
    public let server: ServerContext

    public init(server: ServerContext) { self.server = server }

    @inlinable
    public func execute(_ client: Client, _ args: Arguments) {
        let reply = client.reply
        let modeBefore = client.replyMode
        // CLIENT REPLY OFF/SKIP: the command runs, its reply is dropped.
        switch modeBefore {
        case .on: break
        case .off: reply.muted = true
        case .skipNext: client.replyMode = .skipping; reply.muted = true
        case .skipping: break
        }
        client.commandFailed = false
        // Lets code far from the client (tracking) know whose command runs.
        cs_set_current_client(client.id)
        if let intercept = server.intercept, intercept(client, args) != .proceed {
            // An embedder (the test fixture) answered or dropped the command.
        } else {
            run(client, args)
        }
        // Held to run again (CLIENT PAUSE, another loop's script): as if it
        // had not been seen yet (a CLIENT REPLY SKIP still applies to it).
        if let waiter = client.blockedWaiter, waiter === BlockedWaiter.retryLater {
            client.replyMode = modeBefore
            reply.muted = modeBefore == .off
            return
        }
        // Clients blocked on keys this command gave data to (after EXEC as a whole).
        if !client.loop.readyKeys.isEmpty { client.serveReadyKeys() }
        if client.replyMode == .skipping {
            client.replyMode = .on
            reply.muted = false
        }
        // CLIENT CACHING applies to the next command, or to a whole MULTI.
        if client.trackingCachingGiven && !client.inTransaction && !args[0].equalsIgnoringCase("client") {
            client.trackingCachingGiven = false
        }
    }

    @usableFromInline func run(_ client: Client, _ args: Arguments) {
        // CLIENT LIST's `cmd=` is the last command looked up, as Redis's
        // `lastcmd`: NULL after an unknown one, and EXEC (not its queued
        // commands) while a transaction runs.
        guard let found = client.recentCommand.lookup(args[0], in: server.commands) else {
            client.lastCommandId.store(-1, ordering: .relaxed)
            client.fail(bytes: Errors.unknownCommand(args))
            client.flagTransaction()
            return
        }
        found._withUnsafeGuaranteedRef { top in
            if !top.subcommands.isEmpty && args.count >= 2 {
                guard let sub = top.subcommand(args[1]) else {
                    client.lastCommandId.store(-1, ordering: .relaxed)
                    reject(top, client, bytes: Errors.unknownSubcommand(args[1], args[0]))
                    return
                }
                run(sub, top: top, client, args)
            } else {
                run(top, top: top, client, args)
            }
        }
    }

    /// Checks and runs `spec` (`top` itself, or one of its subcommands).
    @inline(__always)
    func run(_ spec: CommandSpec, top: CommandSpec, _ client: Client, _ args: Arguments) {
        client.lastCommandId.store(spec.id, ordering: .relaxed)
        if !spec.accepts(args.count) {
            reject(spec, client, Errors.arity(spec.fullName))
            return
        }
        if !client.authenticated && !spec.flags.contains(.noAuth) && server.access.authRequired {
            reject(spec, client, Errors.noAuth)
            return
        }
        if client.inTransaction && spec.flags.contains(.noMulti) {
            reject(spec, client, "ERR Command not allowed inside a transaction")
            return
        }
        // maxmemory: evict first; refuse commands that may grow memory when
        // nothing more can go (reads, DEL and EXPIRE keep working). Inside
        // MULTI every queued command counts, since the queue itself grows;
        // EXEC counts when it would run a command that may grow memory.
        if server.config.maxmemory != 0 && !server.enforceMemoryLimit(nowMs: client.loop.nowMs)
            && refusedWhenOutOfMemory(spec, client, args) {
            reject(spec, client, Errors.oom)
            return
        }
        // RESP2 clients with subscriptions may only manage them (RESP3 may run anything).
        if client.inRESP2SubscribedMode && !Dispatcher.allowedWhileSubscribed.contains(top.name) {
            reject(spec, client, "ERR Can't execute '\(spec.fullName)': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
            return
        }
        // A monitor is a replica to Redis, kept away from the keyspace.
        if !server.monitors.isEmpty && client.monitorMode.load(ordering: .relaxed)
            && !client.commandFlags(spec, args).isDisjoint(with: [.readonly, .write, .mayReplicate]) {
            reject(spec, client, "ERR Replica can't interact with the keyspace")
            return
        }
        // CLIENT PAUSE, once every check that could refuse the command has
        // passed (Redis's order). Monitors are replicas to Redis, which a
        // pause never holds, and in-process calls have no loop to wait on.
        if server.isPaused(nowMs: client.loop.nowMs) && client.fd >= 0 && !client.monitorMode.load(ordering: .relaxed)
            && mustWaitForPause(spec, client, args) {
            client.waitingForPause.store(true, ordering: .relaxed)
            client.blockedWaiter = BlockedWaiter.retryLater
            return
        }
        if client.inTransaction && !top.runsInsideTransaction {
            client.queue(spec, args)
            return
        }
        guard spec.handler != nil else {
            client.fail(bytes: Errors.unknownSubcommand(args.count > 1 ? args[1] : args[0], args[0]))
            return
        }
        Dispatcher.call(spec, client, args)
    }

    /// Runs a command that passed every check: the handler, then the
    /// statistics INFO commandstats and SLOWLOG report. EXEC calls this for
    /// each queued command, as Redis's `call()`.
    public static func call(_ spec: CommandSpec, _ client: Client, _ args: Arguments) {
        let loop = client.loop
        let server = client.server
        // One timestamp per command: the end of one is the start of the next
        // (the loop stamps the start of each batch). Reading the TSC twice per
        // command cost ~4% of CPU on a GET benchmark.
        // (A start kept here, not re-read from the loop: a script serving
        // other clients while busy runs their batches in between.)
        var start = loop.lastCycles
        if start == 0 { start = CycleClock.now }
        if client.trackingOptions.load(ordering: .relaxed) != 0 {
            client.callTracked(spec, args)
        } else {
            spec.invoke(client, args)
        }
        // Held to run again (another loop's script started meanwhile): it
        // counts when it runs.
        if client.blockedWaiter === BlockedWaiter.retryLater { return }
        let end = CycleClock.now
        let cycles = Int(truncatingIfNeeded: end &- start)
        loop.lastCycles = end
        loop.withCounters(spec.id) { counters in
            counters.calls.add(1)
            counters.cycles.add(cycles)
            if client.commandFailed { counters.failed.add(1) }
        }
        loop.commandsProcessed.add(1)
        if !server.monitors.isEmpty && spec.flags.intersection([.admin, .skipMonitor]).isEmpty {
            MonitorCommand.feed(client, spec, args)
        }
        let threshold = server.config.slowlogLogSlowerThan
        if threshold >= 0 && Double(cycles) >= Double(threshold) * loop.cyclesPerMicrosecond && !spec.flags.contains(.skipSlowlog) {
            let elapsed = CycleClock.microseconds(cycles)
            server.slowlog.add(timestamp: server.clock.milliseconds / 1000, microseconds: elapsed,
                               arguments: SlowLog.trim(args, redacting: SlowLog.secretArguments(spec, args)), peer: client.address,
                               name: client.name ?? "", maxLength: server.config.slowlogMaxLen)
        }
    }

    /// During CLIENT PAUSE ALL every command waits; during PAUSE WRITE
    /// only commands that may write or replicate (PUBLISH, EVAL...), with
    /// the flags of what EVAL or FCALL would run, and EXEC when it would
    /// run such a command (the flags of its queue).
    func mustWaitForPause(_ spec: CommandSpec, _ client: Client, _ args: Arguments) -> Bool {
        if !server.pauseWritesOnly.load(ordering: .relaxed) { return true }
        return !client.commandFlags(spec, args).isDisjoint(with: [.write, .mayReplicate])
    }

    /// Whether `spec` must be refused when memory cannot be brought under maxmemory.
    func refusedWhenOutOfMemory(_ spec: CommandSpec, _ client: Client, _ args: Arguments) -> Bool {
        if client.commandFlags(spec, args).contains(.denyoom) { return true }
        guard client.transaction != nil, !spec.isExec else { return false }
        switch spec.name {
        case "discard", "quit", "reset": return spec.parent != nil
        default: return true
        }
    }

    static let allowedWhileSubscribed: Set<String> = [
        "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset",
    ]

    /// Refuses a command before it runs (Redis's `rejectCommand`): counts it,
    /// dooms an open transaction, and answers the error — wrapped in
    /// EXECABORT when the refused command is EXEC itself.
    func reject(_ spec: CommandSpec, _ client: Client, bytes message: [UInt8]) {
        client.loop.commandCounters[spec.id].rejected.add(1)
        // An EVAL fed to MONITOR before it was held, refused on its retry:
        // the client's next EVAL is fed again.
        client.monitorFedForRetry = false
        client.flagTransaction()
        if spec.isExec {
            // Redis quotes the reason without its generic `ERR ` code (a
            // specific code such as OOM stays).
            let reason = message.starts(with: Array("ERR ".utf8)) ? Array(message.dropFirst(4)) : message
            client.discardTransaction()
            client.fail(bytes: Array("EXECABORT Transaction discarded because of: ".utf8) + reason)
        } else {
            client.fail(bytes: message)
        }
    }

    /// Refuses a request with BUSY while a script runs long, as Redis's
    /// `rejectCommand` does: counted as rejected, an open transaction
    /// doomed, EXEC itself answered with EXECABORT.
    public func rejectBusy(_ client: Client, _ args: Arguments) {
        let text = server.scripts.currentBusyReply
        guard let spec = server.commands.lookupRequest(args) else { client.fail(text); return }
        reject(spec, client, text)
    }

    func reject(_ spec: CommandSpec, _ client: Client, _ message: String) {
        reject(spec, client, bytes: Array(message.utf8))
    }
}

extension SlowLog {
    /// Redis keeps at most 32 arguments and 128 bytes of each (SLOWLOG_ENTRY_MAX_*).
    /// Arguments in `redacting` become "(redacted)", as Redis hides them.
    static func trim(_ args: Arguments, redacting: Set<Int> = []) -> [[UInt8]] {
        var out: [[UInt8]] = []
        let n = min(args.count, 32)
        for i in 0..<n {
            if i == 31 && args.count > 32 {
                out.append(Array("... (\(args.count - 31) more arguments)".utf8))
                break
            }
            if redacting.contains(i) { out.append(Array("(redacted)".utf8)); continue }
            let a = args[i]
            if a.count > 128 {
                out.append(Array(a[0..<128]) + Array("... (\(a.count - 128) more bytes)".utf8))
            } else {
                out.append(Array(a))
            }
        }
        return out
    }

    /// Which arguments carry secrets, as Redis redacts them: every argument
    /// of AUTH, the credentials after HELLO's AUTH, ACL SETUSER's user and
    /// rules, and the values of sensitive directives in CONFIG SET.
    static func secretArguments(_ spec: CommandSpec, _ args: Arguments) -> Set<Int> {
        switch spec.fullName {
        case "auth":
            // Redis redacts once it has checked the number of arguments.
            return args.count <= 3 ? Set(1..<args.count) : []
        case "hello":
            // Redis redacts AUTH's pair as its option parser reaches it: not
            // after a bad protocol version, an unknown option or a SETNAME
            // it refuses.
            if args.count >= 2 {
                guard let version = Decimal.parse(args[1]), version == 2 || version == 3 else { return [] }
            }
            var hidden = Set<Int>()
            var i = 2
            while i < args.count {
                let more = args.count - 1 - i
                if args[i].equalsIgnoringCase("auth") && more >= 2 {
                    hidden.insert(i + 1); hidden.insert(i + 2); i += 3
                } else if args[i].equalsIgnoringCase("setname") && more >= 1 && ClientCommand.validName(args[i + 1]) {
                    i += 2
                } else {
                    break
                }
            }
            return hidden
        case "acl|setuser":
            return Set(2..<max(2, args.count))
        case "config|set":
            var hidden = Set<Int>()
            var i = 2
            while i + 1 < args.count {
                if Configuration.isSensitive(args[i].string.lowercased()) { hidden.insert(i + 1) }
                i += 2
            }
            return hidden
        default:
            return []
        }
    }
}

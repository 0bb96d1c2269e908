import RESP
import Storage
import CSystem

/// Turns one parsed request into a command execution: lookup, arity and
/// permission checks with Redis's rejection texts, the handler call, and the
/// statistics that INFO commandstats/errorstats and SLOWLOG report.
public final class Dispatcher: @unchecked Sendable {
    public unowned(unsafe) let server: ServerContext

    public init(server: ServerContext) { self.server = server }

    @inlinable
    public func execute(_ client: Client, _ args: Arguments) {
        let reply = client.reply
        // CLIENT REPLY OFF/SKIP: the command runs, its reply is dropped.
        switch client.replyMode {
        case .on: break
        case .off: reply.muted = true
        case .skipNext: client.replyMode = .skipping; reply.muted = true
        case .skipping: break
        }
        client.commandFailed = false
        if let intercept = server.intercept, intercept(client, args) != .proceed {
            // An embedder (the test fixture) answered or dropped the command.
        } else {
            run(client, args)
        }
        if client.replyMode == .skipping {
            client.replyMode = .on
            reply.muted = false
        }
    }

    @usableFromInline func run(_ client: Client, _ args: Arguments) {
        guard let top = server.commands.lookup(args[0]) else {
            client.fail(bytes: Errors.unknownCommand(args))
            return
        }
        var spec = top
        if !top.subcommands.isEmpty && args.count >= 2 {
            guard let sub = top.subcommand(args[1]) else {
                client.fail(bytes: Errors.unknownSubcommand(args[1], args[0]))
                reject(top, client)
                return
            }
            spec = sub
        }
        if !spec.accepts(args.count) {
            client.fail(Errors.arity(spec.fullName))
            reject(spec, client)
            return
        }
        if !client.authenticated && !spec.flags.contains(.noAuth) {
            client.fail(Errors.noAuth)
            reject(spec, client)
            return
        }
        // maxmemory: evict first; refuse commands that may grow memory when
        // nothing more can go (reads, DEL and EXPIRE keep working).
        if server.config.maxmemory != 0 && !server.enforceMemoryLimit(nowMs: client.loop.nowMs)
            && spec.flags.contains(.denyoom) {
            client.fail(Errors.oom)
            reject(spec, client)
            return
        }
        // RESP2 clients with subscriptions may only manage them (RESP3 may run anything).
        if client.inRESP2SubscribedMode && !Dispatcher.allowedWhileSubscribed.contains(top.name) {
            client.fail("ERR Can't execute '\(spec.fullName)': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
            reject(spec, client)
            return
        }
        guard let handler = spec.handler else {
            client.fail(bytes: Errors.unknownSubcommand(args.count > 1 ? args[1] : args[0], args[0]))
            return
        }
        let loop = client.loop
        // Set before running: CLIENT LIST shows the command in progress as `cmd=`.
        client.lastCommandId.store(spec.id, ordering: .relaxed)
        // One timestamp per command: the end of one is the start of the next
        // (the loop stamps the start of each batch). Reading the TSC twice per
        // command cost ~4% of CPU on a GET benchmark.
        let start = loop.lastCycles
        if start == 0 { loop.lastCycles = CycleClock.now }
        handler(client, args)
        let end = CycleClock.now
        let cycles = Int(truncatingIfNeeded: end &- (start == 0 ? loop.lastCycles : start))
        loop.lastCycles = end
        let counters = loop.commandCounters[spec.id]
        counters.calls.add(1)
        counters.cycles.add(cycles)
        if client.commandFailed { counters.failed.add(1) }
        loop.commandsProcessed.add(1)
        let threshold = server.config.slowlogLogSlowerThan
        if threshold >= 0 && Double(cycles) >= Double(threshold) * CycleClock.rate && !spec.flags.contains(.skipSlowlog) {
            let elapsed = CycleClock.microseconds(cycles)
            server.slowlog.add(timestamp: server.clock.milliseconds / 1000, microseconds: elapsed,
                               arguments: SlowLog.trim(args), peer: client.address,
                               name: client.name ?? "", maxLength: server.config.slowlogMaxLen)
        }
    }

    static let allowedWhileSubscribed: Set<String> = [
        "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset",
    ]

    func reject(_ spec: CommandSpec, _ client: Client) {
        client.loop.commandCounters[spec.id].rejected.add(1)
    }
}

extension SlowLog {
    /// Redis keeps at most 32 arguments and 128 bytes of each (SLOWLOG_ENTRY_MAX_*).
    static func trim(_ args: Arguments) -> [[UInt8]] {
        var out: [[UInt8]] = []
        let n = min(args.count, 32)
        for i in 0..<n {
            if i == 31 && args.count > 32 {
                out.append(Array("... (\(args.count - 31) more arguments)".utf8))
                break
            }
            let a = args[i]
            if a.count > 128 {
                out.append(Array(a[0..<128]) + Array("... (\(a.count - 128) more bytes)".utf8))
            } else {
                out.append(Array(a))
            }
        }
        return out
    }
}

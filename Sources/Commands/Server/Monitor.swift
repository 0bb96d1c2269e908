import RESP
import Storage
import Sync
import Synchronization
import PubSub
#if canImport(Glibc)
import Glibc
#endif

/// `MONITOR`
///
/// Makes the connection a monitor: from then on it receives, as a status
/// reply, every command any client runs, once it has run, in Redis's
/// format: `+<seconds>.<microseconds> [<db> <ip:port>] "arg" "arg" ...`
/// (arguments as the client sent them, quoted and escaped as Redis's
/// `sdscatrepr` does, the database as it is after the command). As in Redis:
/// - commands flagged `admin` (CONFIG, CLIENT LIST, DEBUG, …) and commands
///   refused before they run (unknown, wrong arity, …) are not shown;
/// - the credentials of AUTH and HELLO show as `(redacted)`;
/// - a transaction shows as MULTI, its commands when EXEC runs them, then EXEC;
/// - a monitor may not touch the keyspace ("Replica can't interact with the
///   keyspace"), leaves the mode with RESET or by disconnecting, and gets no
///   reply at all to a second MONITOR.
enum MonitorCommand {
    static let spec = CommandSpec(
        "monitor", arity: 1, flags: [.admin, .noscript, .loading, .stale], acl: ["@admin", "@slow", "@dangerous"],
        group: "server", since: "1.0.0", summary: "Listen for all requests received by the server in real time",
        complexity: "", handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        if c.denyBlocking { c.fail("ERR MONITOR isn't allowed for DENY BLOCKING client"); return }
        // Redis ignores it, without a reply, from a client that already is one.
        if c.monitorMode.load(ordering: .relaxed) { return }
        c.monitorMode.store(true, ordering: .relaxed)
        c.server.monitors.add(PubSubRegistry.Subscriber(clientId: c.id, loop: c.loop.index, fd: c.fd))
        c.reply.ok()
    }

    /// Sends the command `client` just ran to every monitor. Called after
    /// each command while any monitor exists (`Dispatcher.call`).
    static func feed(_ client: Client, _ spec: CommandSpec, _ args: Arguments) {
        var now = timeval()
        gettimeofday(&now, nil)
        var line: [UInt8] = [UInt8(ascii: "+")]
        line += Array(String(now.tv_sec).utf8)
        line.append(UInt8(ascii: "."))
        let micros = Int(now.tv_usec)
        for divisor in [100_000, 10_000, 1_000, 100, 10, 1] { line.append(UInt8(ascii: "0") + UInt8(micros / divisor % 10)) }
        line.append(contentsOf: " [".utf8)
        line += Array(String(client.db).utf8)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: client.address.utf8)
        line.append(contentsOf: "] ".utf8)
        let hidden = SlowLog.secretArguments(spec, args)
        for i in 0..<args.count {
            if i > 0 { line.append(UInt8(ascii: " ")) }
            if hidden.contains(i) { Repr.append(redacted, to: &line) } else { Repr.append(args[i], to: &line) }
        }
        line.append(contentsOf: "\r\n".utf8)
        let frame = PushFrame(line)
        let deliver = client.server.deliver
        for monitor in client.server.monitors.all() { deliver(monitor, frame, client.loop.index) }
    }

    static let redacted: [UInt8] = Array("(redacted)".utf8)
}

/// The clients in MONITOR mode, on every loop. `isEmpty` is read after
/// every command, so the count is an atomic; the list is read only while
/// it is not empty.
public final class MonitorRegistry: @unchecked Sendable {
    @usableFromInline let count = Atomic<Int>(0)
    let list = Locked<[PubSubRegistry.Subscriber]>([])

    public init() {}

    @inlinable public var isEmpty: Bool { count.load(ordering: .relaxed) == 0 }

    func add(_ monitor: PubSubRegistry.Subscriber) {
        list.withLock { $0.append(monitor); count.store($0.count, ordering: .relaxed) }
    }

    func remove(clientId: Int) {
        list.withLock { monitors in
            monitors.removeAll { $0.clientId == clientId }
            count.store(monitors.count, ordering: .relaxed)
        }
    }

    func all() -> [PubSubRegistry.Subscriber] { list.withLock { $0 } }
}

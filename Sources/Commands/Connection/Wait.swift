import RESP

/// `WAIT numreplicas timeout`
///
/// Waits until `numreplicas` replicas have acknowledged this connection's
/// writes, or `timeout` milliseconds (0: forever); replies with how many did.
/// Swiftlet has no replicas, so the answer is always 0, as a Redis master
/// without replicas gives it: at once when no replica is asked for (or the
/// client cannot block, inside MULTI), else when the timeout passes. The
/// wait is an ordinary blocked wait on no keys, so CLIENT UNBLOCK and a
/// disconnect end it as they end BLPOP's.
enum WaitCommand {
    static let spec = CommandSpec(
        "wait", arity: 3, flags: [.noscript], acl: ["@slow", "@connection"], group: "generic", since: "3.0.0",
        summary: "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
        complexity: "O(1)",
        arguments: [ArgumentSpec("numreplicas", .integer), ArgumentSpec("timeout", .integer)],
        handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        guard let wanted = c.integerArgument(args[1]) else { return }
        guard let timeoutMs = Decimal.parse(args[2]) else { c.fail("ERR timeout is not an integer or out of range"); return }
        if timeoutMs < 0 { c.fail("ERR timeout is negative"); return }
        let acknowledged = 0
        if acknowledged >= wanted { c.reply.integer(acknowledged); return }
        let now = c.server.clock.milliseconds
        let deadline = timeoutMs == 0 ? 0 : (timeoutMs > Int(Int64.max - now) ? Int64.max : now + Int64(timeoutMs))
        // `block` answers at once (the timeout reply) where the client cannot block.
        c.block(on: [], deadlineMs: deadline, timeoutReply: { $0.integer(acknowledged) }) { _, _ in .skipped }
    }
}

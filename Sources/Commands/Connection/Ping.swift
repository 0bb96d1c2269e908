import RESP
import Storage

/// `PING [message]` and `ECHO message`
enum PingCommand {
    static let ping = CommandSpec(
        "ping", arity: -1, flags: [.fast, .sentinel], acl: ["@fast", "@connection"],
        group: "connection", since: "1.0.0", summary: "Returns the server's liveliness response.",
        arguments: [ArgumentSpec("message", .string, optional: true)], handler: run)

    static let echo = CommandSpec(
        "echo", arity: 2, flags: [.loading, .stale, .fast], acl: ["@fast", "@connection"],
        group: "connection", since: "1.0.0", summary: "Returns the given string.",
        arguments: [ArgumentSpec("message", .string)], handler: { c, args in c.reply.bulk(args[1]) })

    static func run(_ c: Client, _ args: Arguments) {
        if args.count > 2 { c.fail(Errors.arity("ping")); return }
        if c.inRESP2SubscribedMode {
            c.reply.array(2)
            c.reply.bulk("pong")
            if args.count == 2 { c.reply.bulk(args[1]) } else { c.reply.bulk("") }
            return
        }
        if args.count == 2 { c.reply.bulk(args[1]) } else { c.reply.simple("PONG") }
    }
}

/// `QUIT` — replies OK and closes once the reply is written; requests
/// pipelined after it are not run.
enum QuitCommand {
    static let spec = CommandSpec(
        "quit", arity: -1, flags: [.allowBusy, .noAuth, .fast, .loading, .stale, .noscript],
        acl: ["@fast", "@connection"], group: "connection", since: "1.0.0",
        summary: "Closes the connection.", handler: { c, _ in
            c.reply.ok()
            c.closeAfterReply = true
        })
}

/// `RESET` — back to a fresh connection's state: db 0, RESP2, no name,
/// replies on, and (with a password set) unauthenticated.
enum ResetCommand {
    static let spec = CommandSpec(
        "reset", arity: 1, flags: [.noAuth, .fast, .loading, .stale, .noscript, .allowBusy],
        acl: ["@fast", "@connection"], group: "connection", since: "6.2.0",
        summary: "Resets the connection.", handler: { c, _ in
            c.select(0)
            c.protocolVersion = 2
            c.server.clients.lock.withLock { _ in c.name = nil }
            c.replyMode = .on
            c.reply.muted = false
            c.noEvict = false
            c.server.clientResetHooks.forEach { $0(c) }
            c.authenticated = c.server.access.connectsAuthenticated
            c.user = "default"
            c.reply.simple("RESET")
        })
}

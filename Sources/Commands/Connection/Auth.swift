import RESP
import Storage

/// `AUTH [username] password` and `HELLO [protover [AUTH username password] [SETNAME clientname]]`
///
/// Swiftlet has one user, `default` (see `AccessControl`): its passwords
/// come from `requirepass` and `ACL SETUSER`; with none (`nopass`) any
/// password is accepted, as in Redis.
enum AuthCommand {
    static let spec = CommandSpec(
        "auth", arity: -2, flags: [.noscript, .loading, .stale, .fast, .noAuth, .sentinel, .allowBusy],
        acl: ["@fast", "@connection"], group: "connection", since: "1.0.0",
        summary: "Authenticates the connection.",
        arguments: [ArgumentSpec("username", .string, optional: true, since: "6.0.0"), ArgumentSpec("password", .string)],
        handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        if args.count > 3 { c.fail(Errors.syntax); return }
        if args.count == 2 && c.server.access.hasNoPassword {
            c.fail("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
            return
        }
        let user = args.count == 3 ? args[1].string : "default"
        let password = args[args.count - 1]
        if authenticate(c, user: user, password: password, command: args[0].string) { c.reply.ok() } else { c.fail(Errors.wrongPass) }
    }

    /// Checks credentials (see `AccessControl.check`) and, when they are
    /// right, marks the client authenticated as that user.
    /// `command` is the command as typed, for ACL LOG's `object`.
    static func authenticate(_ c: Client, user: String, password: UnsafeRawBufferPointer, command: String) -> Bool {
        guard c.server.access.check(username: user, password: password) else {
            c.server.access.recordFailedAuth(username: user, object: command, clientInfo: ClientCommand.describe(c),
                                             nowMs: c.server.clock.milliseconds,
                                             maxLength: Int(c.server.config.string("acllog-max-len") ?? "") ?? 128)
            return false
        }
        c.authenticated = true
        c.user = user
        return true
    }

    static let hello = CommandSpec(
        "hello", arity: -1, flags: [.noscript, .loading, .stale, .fast, .noAuth, .sentinel, .allowBusy],
        acl: ["@fast", "@connection"], group: "connection", since: "6.0.0",
        summary: "Handshakes with the Redis server.",
        arguments: [ArgumentSpec("arguments", .block, optional: true, children: [
            ArgumentSpec("protover", .integer),
            ArgumentSpec("username-password", .block, token: "AUTH", optional: true, children: [
                ArgumentSpec("username", .string), ArgumentSpec("password", .string)]),
            ArgumentSpec("clientname", .string, token: "SETNAME", optional: true),
        ])], handler: runHello)

    static func runHello(_ c: Client, _ args: Arguments) {
        var version = 0
        if args.count >= 2 {
            guard let v = Decimal.parse(args[1]) else { c.fail("ERR Protocol version is not an integer or out of range"); return }
            if v < 2 || v > 3 { c.fail("NOPROTO unsupported protocol version"); return }
            version = v
        }
        var credentials: (String, UnsafeRawBufferPointer)? = nil
        var name: UnsafeRawBufferPointer? = nil
        var j = 2
        while j < args.count {
            let more = args.count - 1 - j
            if args[j].equalsIgnoringCase("auth") && more >= 2 {
                credentials = (args[j + 1].string, args[j + 2]); j += 3
            } else if args[j].equalsIgnoringCase("setname") && more >= 1 {
                name = args[j + 1]; j += 2
            } else {
                c.fail("ERR Syntax error in HELLO option '\(Errors.cString(args[j], limit: 1 << 20))'"); return
            }
        }
        if let (user, password) = credentials, !authenticate(c, user: user, password: password, command: args[0].string) {
            c.fail(Errors.wrongPass); return
        }
        if !c.authenticated && c.server.access.authRequired {
            c.fail("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
            return
        }
        if let n = name, !ClientCommand.setName(c, n) { return }
        if version != 0 { c.protocolVersion = version }
        c.reply.map(7)
        c.reply.bulk("server"); c.reply.bulk("redis")
        c.reply.bulk("version"); c.reply.bulk(SwiftletVersion.redisCompatible)
        c.reply.bulk("proto"); c.reply.integer(c.protocolVersion)
        c.reply.bulk("id"); c.reply.integer(c.id)
        c.reply.bulk("mode"); c.reply.bulk("standalone")
        c.reply.bulk("role"); c.reply.bulk("master")
        c.reply.bulk("modules"); c.reply.array(0)
    }
}

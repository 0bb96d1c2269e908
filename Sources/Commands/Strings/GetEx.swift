import RESP
import Storage

/// `GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]`
///
/// GET that also changes the TTL. The key is looked up before the time is
/// validated, so a missing key replies nil even for an invalid time; an
/// absolute time already past deletes the key (event `del`).
enum GetExCommand {
    static let spec = CommandSpec(
        "getex", arity: -2, flags: [.write, .fast], acl: ["@write", "@string", "@fast"], keys: (1, 1, 1),
        group: "string", since: "6.2.0", summary: "Returns the string value of a key after setting its expiration time.",
        arguments: [
            ArgumentSpec("key", .key, keySpecIndex: 0),
            ArgumentSpec("expiration", .oneof, optional: true, children: [
                ArgumentSpec("seconds", .integer, token: "EX"), ArgumentSpec("milliseconds", .integer, token: "PX"),
                ArgumentSpec("unix-time-seconds", .unixTime, token: "EXAT"),
                ArgumentSpec("unix-time-milliseconds", .unixTime, token: "PXAT"),
                ArgumentSpec("persist", .pureToken, token: "PERSIST"),
            ]),
        ], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        guard let o = StringOptions.parse(args, from: 2, for: .getex, c) else { return }
        c.withKey(args[1], read: true) { k in
            guard let e = k.entry else { c.reply.null(); return }
            if e.type != .string { c.fail(Errors.wrongType); return }
            var at: Int64? = nil
            if let i = o.expiryArgument {
                guard let t = c.absoluteExpiry(args[i], seconds: o.inSeconds, relative: o.relative, command: "getex") else { return }
                at = t
            }
            c.reply.bulk(e.value)
            if o.absolute, let t = at, t <= c.loop.nowMs {
                k.delete()
                c.keyspaceEvent(.generic, "del", args[1])
                c.dirty()
                c.keyModified(k)
            } else if let t = at {
                k.setExpiry(t)
                c.keyspaceEvent(.generic, "expire", args[1])
                c.dirty()
                c.keyModified(k)
            } else if o.persist && e.hasExpiry {
                k.setExpiry(nil)
                c.keyspaceEvent(.generic, "persist", args[1])
                c.dirty()
                c.keyModified(k)
            }
        }
    }
}

import RESP
import Storage

/// `EXPIRE key seconds [NX | XX | GT | LT]`, `PEXPIRE key milliseconds [...]`,
/// `EXPIREAT key unix-time-seconds [...]`, `PEXPIREAT key unix-time-milliseconds [...]`
///
/// Order of checks as in Redis: options, then the time (overflow →
/// `invalid expire time`), then the key. A time already past deletes the
/// key (event `del`, not counted as expired).
enum ExpireCommand {
    static func make(_ name: String, since: String, seconds: Bool, relative: Bool, argName: String, summary: String) -> CommandSpec {
        CommandSpec(
            name, arity: -3, flags: [.write, .fast], acl: ["@keyspace", "@write", "@fast"], keys: (1, 1, 1),
            group: "generic", since: since, summary: summary,
            arguments: [
                ArgumentSpec("key", .key, keySpecIndex: 0),
                ArgumentSpec(argName, relative ? .integer : .unixTime),
                ArgumentSpec("condition", .oneof, optional: true, since: "7.0.0", children: [
                    ArgumentSpec("nx", .pureToken, token: "NX"), ArgumentSpec("xx", .pureToken, token: "XX"),
                    ArgumentSpec("gt", .pureToken, token: "GT"), ArgumentSpec("lt", .pureToken, token: "LT"),
                ]),
            ],
            handler: { c, args in run(c, args, name: name, seconds: seconds, relative: relative) })
    }

    static let expire = make("expire", since: "1.0.0", seconds: true, relative: true, argName: "seconds", summary: "Sets the expiration time of a key in seconds.")
    static let pexpire = make("pexpire", since: "2.6.0", seconds: false, relative: true, argName: "milliseconds", summary: "Sets the expiration time of a key in milliseconds.")
    static let expireat = make("expireat", since: "1.2.0", seconds: true, relative: false, argName: "unix-time-seconds", summary: "Sets the expiration time of a key to a Unix timestamp.")
    static let pexpireat = make("pexpireat", since: "2.6.0", seconds: false, relative: false, argName: "unix-time-milliseconds", summary: "Sets the expiration time of a key to a Unix milliseconds timestamp.")

    static func run(_ c: Client, _ args: Arguments, name: String, seconds: Bool, relative: Bool) {
        var nx = false, xx = false, gt = false, lt = false
        for j in 3..<max(3, args.count) {
            let o = args[j]
            if o.equalsIgnoringCase("nx") { nx = true }
            else if o.equalsIgnoringCase("xx") { xx = true }
            else if o.equalsIgnoringCase("gt") { gt = true }
            else if o.equalsIgnoringCase("lt") { lt = true }
            else { c.fail("ERR Unsupported option \(Errors.cString(o, limit: 1 << 20))"); return }
        }
        if nx && (xx || gt || lt) { c.fail("ERR NX and XX, GT or LT options at the same time are not compatible"); return }
        if gt && lt { c.fail("ERR GT and LT options at the same time are not compatible"); return }
        guard var when = c.integerArgument(args[2]) else { return }
        if seconds {
            if when > Int.max / 1000 || when < Int.min / 1000 { c.fail(Errors.invalidExpire(name)); return }
            when *= 1000
        }
        if relative {
            let base = Int(c.loop.nowMs)
            if when > Int.max - base { c.fail(Errors.invalidExpire(name)); return }
            when += base
        }
        c.withKey(args[1], touch: false) { k in
            guard let e = k.entry else { c.reply.integer(0); return }
            let current = e.expiry
            if nx && current != nil { c.reply.integer(0); return }
            if xx && current == nil { c.reply.integer(0); return }
            if gt && (current == nil || Int64(when) <= current!) { c.reply.integer(0); return }
            if lt && current != nil && Int64(when) >= current! { c.reply.integer(0); return }
            if when <= Int(c.loop.nowMs) {
                k.delete()
                c.keyspaceEvent(.generic, "del", args[1])
            } else {
                k.setExpiry(Int64(when))
                c.keyspaceEvent(.generic, "expire", args[1])
            }
            c.dirty()
            c.keyModified(k)
            c.reply.integer(1)
        }
    }
}

/// `TTL key`, `PTTL key`, `EXPIRETIME key`, `PEXPIRETIME key`
///
/// -2 for a missing key, -1 without an expiry. TTL rounds to the nearest second.
enum TTLCommand {
    enum Kind { case ttl, pttl, expiretime, pexpiretime }

    static func make(_ name: String, since: String, kind: Kind, summary: String) -> CommandSpec {
        CommandSpec(
            name, arity: 2, flags: [.readonly, .fast], acl: ["@keyspace", "@read", "@fast"], keys: (1, 1, 1),
            group: "generic", since: since, summary: summary,
            arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)],
            handler: { c, args in run(c, args, kind) })
    }

    static let ttl = make("ttl", since: "1.0.0", kind: .ttl, summary: "Returns the expiration time in seconds of a key.")
    static let pttl = make("pttl", since: "2.6.0", kind: .pttl, summary: "Returns the expiration time in milliseconds of a key.")
    static let expiretime = make("expiretime", since: "7.0.0", kind: .expiretime, summary: "Returns the expiration time of a key as a Unix timestamp.")
    static let pexpiretime = make("pexpiretime", since: "7.0.0", kind: .pexpiretime, summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.")

    static func run(_ c: Client, _ args: Arguments, _ kind: Kind) {
        c.withKey(args[1], read: true, touch: false) { k in
            guard let e = k.entry else { c.reply.integer(-2); return }
            guard let at = e.expiry else { c.reply.integer(-1); return }
            switch kind {
            case .ttl: c.reply.integer(Int((max(0, at &- c.loop.nowMs) &+ 500) / 1000))
            case .pttl: c.reply.integer(Int(max(0, at &- c.loop.nowMs)))
            case .expiretime: c.reply.integer(Int((at &+ 500) / 1000))
            case .pexpiretime: c.reply.integer(Int(at))
            }
        }
    }
}

/// `PERSIST key` — 1 when a TTL was removed, else 0.
enum PersistCommand {
    static let spec = CommandSpec(
        "persist", arity: 2, flags: [.write, .fast], acl: ["@keyspace", "@write", "@fast"], keys: (1, 1, 1),
        group: "generic", since: "2.2.0", summary: "Removes the expiration time of a key.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        c.withKey(args[1], touch: false) { k in
            guard let e = k.entry, e.hasExpiry else { c.reply.integer(0); return }
            k.setExpiry(nil)
            c.keyspaceEvent(.generic, "persist", args[1])
            c.dirty()
            c.keyModified(k)
            c.reply.integer(1)
        }
    }
}

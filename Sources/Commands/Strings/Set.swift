import RESP
import Storage

/// `SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]`
///
/// Also SETNX, SETEX and PSETEX, which are SET with fixed options and their
/// own replies (Redis runs all four through one function).
enum SetCommand {
    static let spec = CommandSpec(
        "set", arity: -3, flags: [.write, .denyoom], acl: ["@write", "@string", "@slow"], keys: (1, 1, 1),
        group: "string", since: "1.0.0", summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
        complexity: "O(1)",
        arguments: [
            ArgumentSpec("key", .key, keySpecIndex: 0),
            ArgumentSpec("value", .string),
            ArgumentSpec("condition", .oneof, optional: true, since: "2.6.12", children: [
                ArgumentSpec("nx", .pureToken, token: "NX"), ArgumentSpec("xx", .pureToken, token: "XX"),
            ]),
            ArgumentSpec("get", .pureToken, token: "GET", optional: true, since: "6.2.0"),
            ArgumentSpec("expiration", .oneof, optional: true, children: [
                ArgumentSpec("seconds", .integer, token: "EX", since: "2.6.12"),
                ArgumentSpec("milliseconds", .integer, token: "PX", since: "2.6.12"),
                ArgumentSpec("unix-time-seconds", .unixTime, token: "EXAT", since: "6.2.0"),
                ArgumentSpec("unix-time-milliseconds", .unixTime, token: "PXAT", since: "6.2.0"),
                ArgumentSpec("keepttl", .pureToken, token: "KEEPTTL", since: "6.0.0"),
            ]),
        ], handler: run)

    static let setnx = CommandSpec(
        "setnx", arity: 3, flags: [.write, .denyoom, .fast], acl: ["@write", "@string", "@fast"], keys: (1, 1, 1),
        group: "string", since: "1.0.0", summary: "Set the string value of a key only when the key doesn't exist.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("value", .string)],
        handler: { c, args in
            var o = StringOptions(); o.nx = true
            apply(c, key: args[1], value: args[2], options: o, expireAt: nil, okReply: .one)
        })

    static let setex = CommandSpec(
        "setex", arity: 4, flags: [.write, .denyoom], acl: ["@write", "@string", "@slow"], keys: (1, 1, 1),
        group: "string", since: "2.0.0", summary: "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("seconds", .integer), ArgumentSpec("value", .string)],
        handler: { c, args in timed(c, args, seconds: true, name: "setex") })

    static let psetex = CommandSpec(
        "psetex", arity: 4, flags: [.write, .denyoom], acl: ["@write", "@string", "@slow"], keys: (1, 1, 1),
        group: "string", since: "2.6.0", summary: "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("milliseconds", .integer), ArgumentSpec("value", .string)],
        handler: { c, args in timed(c, args, seconds: false, name: "psetex") })

    enum OkReply { case ok, one }

    static func run(_ c: Client, _ args: Arguments) {
        guard let o = StringOptions.parse(args, from: 3, for: .set, c) else { return }
        var at: Int64? = nil
        if let i = o.expiryArgument {
            guard let t = c.absoluteExpiry(args[i], seconds: o.inSeconds, relative: o.relative, command: "set") else { return }
            at = t
        }
        apply(c, key: args[1], value: args[2], options: o, expireAt: at, okReply: .ok)
    }

    static func timed(_ c: Client, _ args: Arguments, seconds: Bool, name: String) {
        guard let at = c.absoluteExpiry(args[2], seconds: seconds, relative: true, command: name) else { return }
        var o = StringOptions()
        if seconds { o.ex = true } else { o.px = true }
        apply(c, key: args[1], value: args[3], options: o, expireAt: at, okReply: .ok)
    }

    /// The shared body of SET and its variants (after argument validation).
    @inline(__always)
    static func apply(_ c: Client, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
                      options o: StringOptions, expireAt: Int64?, okReply: OkReply) {
        c.withKey(key, read: o.get) { k in
            if o.get && !c.replyString(k.entry) { return }
            if (o.nx && k.exists) || (o.xx && !k.exists) {
                if !o.get {
                    if okReply == .one { c.reply.integer(0) } else { c.reply.null() }
                }
                return
            }
            let expiry: ExpiryChange
            if let t = expireAt { expiry = .at(t) } else if o.keepTTL { expiry = .keep } else { expiry = .clear }
            k.storeString(value, encoding: .classify(value), expiry: expiry, lru: c.lruClock)
            c.dirty()
            c.keyModified(k)
            c.keyspaceEvent(.string, "set", key)
            if expireAt != nil { c.keyspaceEvent(.generic, "expire", key) }
            if !o.get {
                if okReply == .one { c.reply.integer(1) } else { c.reply.ok() }
            }
        }
    }
}

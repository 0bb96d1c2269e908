import RESP
import Storage

/// `GET key`
///
/// The value of `key`, nil when missing, WRONGTYPE for a non-string.
enum GetCommand {
    static let spec = CommandSpec(
        "get", arity: 2, flags: [.readonly, .fast], acl: ["@read", "@string", "@fast"], keys: (1, 1, 1),
        group: "string", since: "1.0.0", summary: "Returns the string value of a key.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        // The client unretained in the closure: capturing it cost a retain
        // and release per GET (3.4% of server CPU at pipeline 16).
        let client = Unmanaged.passUnretained(c)
        c.withKey(args[1], read: true) { k in client._withUnsafeGuaranteedRef { $0.replyString(k.entry) } }
    }
}

/// `GETDEL key`
///
/// GET, then delete the key when it held a string.
enum GetDelCommand {
    static let spec = CommandSpec(
        "getdel", arity: 2, flags: [.write, .fast], acl: ["@write", "@string", "@fast"], keys: (1, 1, 1),
        group: "string", since: "6.2.0", summary: "Returns the string value of a key after deleting the key.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        c.withKey(args[1], read: true) { k in
            if c.replyString(k.entry), k.exists {
                k.delete()
                c.keyModified(k)
                c.keyspaceEvent(.generic, "del", args[1])
                c.dirty()
            }
        }
    }
}

/// `GETSET key value`
///
/// Sets a new value (dropping any TTL) and replies with the old one.
enum GetSetCommand {
    static let spec = CommandSpec(
        "getset", arity: 3, flags: [.write, .denyoom, .fast], acl: ["@write", "@string", "@fast"], keys: (1, 1, 1),
        group: "string", since: "1.0.0", summary: "Returns the previous string value of a key after setting it to a new value.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("value", .string)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        c.withKey(args[1], read: true) { k in
            guard c.replyString(k.entry) else { return }
            k.storeString(args[2], encoding: .classify(args[2]), expiry: .clear, lru: c.lruClock)
            c.keyspaceEvent(.string, "set", args[1])
            c.dirty()
            c.keyModified(k)
        }
    }
}

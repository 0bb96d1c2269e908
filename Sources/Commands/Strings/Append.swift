import RESP
import Storage

/// `APPEND key value`
///
/// Creates the key when missing (with the encoding a SET would pick), else
/// grows the value in place; the result is `raw`, as in Redis.
enum AppendCommand {
    static let spec = CommandSpec(
        "append", arity: 3, flags: [.write, .denyoom, .fast], acl: ["@write", "@string", "@fast"], keys: (1, 1, 1),
        group: "string", since: "2.0.0", summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("value", .string)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        let addition = args[2]
        c.withKey(args[1]) { k in
            var total: Int
            if let slot = k.slot {
                let e = k.table.pointee.entry(at: slot)
                if e.type != .string { c.fail(Errors.wrongType); return }
                let old = e.value.count
                if old + addition.count > c.server.config.protoMaxBulkLen { c.fail(Errors.tooBig); return }
                total = old + addition.count
                // Grow geometrically, as sds does, so repeated appends stay linear.
                var grown = e
                if total > e.valueCapacity {
                    grown = k.table.pointee.relayout(at: slot, valueLength: total,
                                                     valueCapacity: total < 1 << 20 ? total * 2 : total + (1 << 20),
                                                     expiry: e.expiry)
                } else {
                    grown.valueLength = total
                }
                if addition.count > 0 {
                    (grown.valueStart + old).copyMemory(from: addition.baseAddress!, byteCount: addition.count)
                }
                grown.stringEncoding = .raw
                grown.lru = c.lruClock
            } else {
                k.storeString(addition, encoding: .classify(addition), expiry: .clear, lru: c.lruClock)
                total = addition.count
            }
            c.dirty()
            c.keyModified(k)
            c.keyspaceEvent(.string, "append", args[1])
            c.reply.integer(total)
        }
    }
}

/// `STRLEN key`
enum StrlenCommand {
    static let spec = CommandSpec(
        "strlen", arity: 2, flags: [.readonly, .fast], acl: ["@read", "@string", "@fast"], keys: (1, 1, 1),
        group: "string", since: "2.2.0", summary: "Returns the length of a string value.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        c.withKey(args[1], read: true) { k in
            guard let e = k.entry else { c.reply.integer(0); return }
            if e.type != .string { c.fail(Errors.wrongType); return }
            c.reply.integer(e.valueLength)
        }
    }
}

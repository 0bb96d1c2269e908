import RESP
import Storage

/// `INCR key`, `DECR key`, `INCRBY key increment`, `DECRBY key decrement`
///
/// The value must be a canonical 64-bit integer; the result keeps the TTL.
enum IncrCommand {
    static func make(_ name: String, arity: Int, summary: String, delta: Int?, negate: Bool, since: String) -> CommandSpec {
        var arguments = [ArgumentSpec("key", .key, keySpecIndex: 0)]
        if delta == nil { arguments.append(ArgumentSpec(negate ? "decrement" : "increment", .integer)) }
        return CommandSpec(
            name, arity: arity, flags: [.write, .denyoom, .fast], acl: ["@write", "@string", "@fast"], keys: (1, 1, 1),
            group: "string", since: since, summary: summary, arguments: arguments,
            handler: { c, args in
                var amount: Int
                if let d = delta {
                    amount = d
                } else {
                    guard let v = c.integerArgument(args[2]) else { return }
                    if negate && v == Int.min { c.fail("ERR decrement would overflow"); return }
                    amount = negate ? -v : v
                }
                apply(c, args[1], amount)
            })
    }

    static let incr = make("incr", arity: 2, summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", delta: 1, negate: false, since: "1.0.0")
    static let decr = make("decr", arity: 2, summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", delta: -1, negate: false, since: "1.0.0")
    static let incrby = make("incrby", arity: 3, summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", delta: nil, negate: false, since: "1.0.0")
    static let decrby = make("decrby", arity: 3, summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", delta: nil, negate: true, since: "1.0.0")

    static func apply(_ c: Client, _ key: UnsafeRawBufferPointer, _ amount: Int) {
        c.withKey(key) { k in
            var current = 0
            if let e = k.entry {
                if e.type != .string { c.fail(Errors.wrongType); return }
                guard let v = Decimal.parse(e.value) else { c.fail(Errors.notInteger); return }
                current = v
            }
            let (result, overflow) = current.addingReportingOverflow(amount)
            if overflow { c.fail(Errors.overflow); return }
            Decimal.withText(result) { k.storeString($0, encoding: .int, expiry: .keep, lru: c.lruClock) }
            c.dirty()
            c.keyModified(k)
            c.keyspaceEvent(.string, "incrby", key)
            c.reply.integer(result)
        }
    }
}

/// `INCRBYFLOAT key increment`
///
/// Long-double arithmetic and Redis's human-friendly formatting (`%.17Lf`
/// without trailing zeros), so `10.5 + 0.1` gives `10.6` as in Redis.
enum IncrByFloatCommand {
    static let spec = CommandSpec(
        "incrbyfloat", arity: 3, flags: [.write, .denyoom, .fast], acl: ["@write", "@string", "@fast"], keys: (1, 1, 1),
        group: "string", since: "2.6.0", summary: "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("increment", .double)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        c.withKey(args[1]) { k in
            var current: DoubleFormat.LongDouble = 0
            if let e = k.entry {
                if e.type != .string { c.fail(Errors.wrongType); return }
                guard let v = DoubleFormat.parseLongDouble(e.value) else { c.fail(Errors.notFloat); return }
                current = v
            }
            guard let increment = DoubleFormat.parseLongDouble(args[2]) else { c.fail(Errors.notFloat); return }
            let result = current + increment
            if result.isNaN || result.isInfinite { c.fail("ERR increment would produce NaN or Infinity"); return }
            DoubleFormat.withHumanText(result) { bytes in
                k.storeString(bytes, encoding: bytes.count <= StringEncoding.embstrLimit ? .embstr : .raw, expiry: .keep, lru: c.lruClock)
                c.reply.bulk(bytes)
            }
            c.dirty()
            c.keyModified(k)
            c.keyspaceEvent(.string, "incrbyfloat", args[1])
        }
    }
}

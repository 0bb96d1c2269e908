import RESP
import Storage

/// `HINCRBY key field increment`, `HINCRBYFLOAT key field increment`
///
/// A missing field counts as 0. The stored value must be a canonical
/// integer (HINCRBY) or a float (HINCRBYFLOAT); results are stored as text,
/// HINCRBYFLOAT's with Redis's long-double formatting.
enum HashIncrCommand {
    static let hincrby = CommandSpec(
        "hincrby", arity: 4, flags: [.write, .denyoom, .fast], acl: ["@write", "@hash", "@fast"], keys: (1, 1, 1),
        group: "hash", since: "2.0.0", summary: "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("field", .string), ArgumentSpec("increment", .integer)],
        handler: { c, args in
            guard let increment = c.integerArgument(args[3]) else { return }
            let limits = c.server.config.hashLimits
            c.writeValue(args[1], as: HashView.self, create: true) { h, k in
                var current = 0
                if let v = h.get(args[2]) {
                    guard let n = Decimal.parse(v) else { c.fail("ERR hash value is not an integer"); return }
                    current = n
                }
                let (result, overflow) = current.addingReportingOverflow(increment)
                if overflow { c.fail(Errors.overflow); return }
                Decimal.withText(result) { h.set(args[2], $0, limits: limits) }
                c.dirty()
                c.keyModified(k)
                c.keyspaceEvent(.hash, "hincrby", args[1])
                c.reply.integer(result)
            }
        })

    static let hincrbyfloat = CommandSpec(
        "hincrbyfloat", arity: 4, flags: [.write, .denyoom, .fast], acl: ["@write", "@hash", "@fast"], keys: (1, 1, 1),
        group: "hash", since: "2.6.0", summary: "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("field", .string), ArgumentSpec("increment", .double)],
        handler: { c, args in
            guard let increment = DoubleFormat.parseLongDouble(args[3]) else { c.fail(Errors.notFloat); return }
            if increment.isNaN || increment.isInfinite { c.fail("ERR value is NaN or Infinity"); return }
            let limits = c.server.config.hashLimits
            c.writeValue(args[1], as: HashView.self, create: true) { h, k in
                var current: DoubleFormat.LongDouble = 0
                if let v = h.get(args[2]) {
                    guard let n = DoubleFormat.parseLongDouble(v) else { c.fail("ERR hash value is not a float"); return }
                    current = n
                }
                let result = current + increment
                if result.isNaN || result.isInfinite { c.fail("ERR increment would produce NaN or Infinity"); return }
                DoubleFormat.withHumanText(result) { text in
                    h.set(args[2], text, limits: limits)
                    c.reply.bulk(text)
                }
                c.dirty()
                c.keyModified(k)
                c.keyspaceEvent(.hash, "hincrbyfloat", args[1])
            }
        })
}

import RESP
import Storage

/// `PFDEBUG GETREG|DECODE|ENCODING|TODENSE key` and `PFSELFTEST`: Redis's
/// internal HyperLogLog commands, kept for the tools and tests that use
/// them. As in Redis, the key is checked before the subcommand, and GETREG
/// and TODENSE leave a sparse value dense.
enum HyperLogLogDebugCommands {
    static let pfdebug = CommandSpec(
        "pfdebug", arity: 3, flags: [.write, .denyoom, .admin], acl: ["@write", "@hyperloglog", "@admin", "@slow", "@dangerous"],
        keys: (2, 2, 1), group: "hyperloglog", since: "2.8.9", summary: "Internal commands for debugging HyperLogLog values.",
        complexity: "N/A", arguments: [ArgumentSpec("subcommand", .string), ArgumentSpec("key", .key, keySpecIndex: 0)],
        handler: pfdebugRun)

    static func pfdebugRun(_ c: Client, _ args: Arguments) {
        c.withKey(args[2]) { k in
            guard let e = k.entry else { c.fail("ERR The specified key does not exist"); return }
            guard let found = HyperLogLogCommands.hyperLogLog(c, e), let hll = found else { return }
            let sub = args[1]
            if sub.equalsIgnoringCase("getreg") || sub.equalsIgnoringCase("todense") {
                var converted = false
                if !HyperLogLog.isDense(hll.value) {
                    guard let dense = HyperLogLog.densified(hll.value) else { c.fail(HyperLogLogCommands.corrupt); return }
                    dense.withUnsafeBytes { k.storeString($0, encoding: .raw, expiry: .keep, lru: c.lruClock) }
                    c.dirty()
                    converted = true
                }
                if sub.equalsIgnoringCase("todense") { c.reply.integer(converted ? 1 : 0); return }
                let value = k.entry!.value
                c.reply.array(HyperLogLog.registerCount)
                for i in 0..<HyperLogLog.registerCount { c.reply.integer(Int(HyperLogLog.register(value, i))) }
            } else if sub.equalsIgnoringCase("decode") {
                guard !HyperLogLog.isDense(hll.value) else { c.fail("ERR HLL encoding is not sparse"); return }
                c.reply.bulk(HyperLogLog.sparseOpcodesText(hll.value))
            } else if sub.equalsIgnoringCase("encoding") {
                c.reply.simple(HyperLogLog.isDense(hll.value) ? "dense" : "sparse")
            } else {
                c.fail("ERR Unknown PFDEBUG subcommand '\(String(decoding: sub, as: UTF8.self))'")
            }
        }
    }

    static let pfselftest = CommandSpec(
        "pfselftest", arity: 1, flags: [.admin], acl: ["@hyperloglog", "@admin", "@slow", "@dangerous"],
        group: "hyperloglog", since: "2.8.9", summary: "An internal command for testing HyperLogLog values.",
        complexity: "N/A") { c, _ in
            if let failure = HyperLogLog.selfTest(seed: c.loop.nextRandom()) { c.fail("TESTFAILED \(failure)") } else { c.reply.ok() }
        }
}

import RESP

/// `FCALL function numkeys [key ...] [arg ...]` and its read-only form
/// `FCALL_RO`.
///
/// Checks come in Redis's order: the function (by name, whatever its
/// case), numkeys, then the function's flags against the variant and
/// memory; then it runs as an EVAL does (`EvalCommand.dispatch`), called
/// as `f(keys, args)`.
enum FcallCommand {
    static func make(_ name: String, readOnly: Bool) -> CommandSpec {
        CommandSpec(
            name, arity: -3,
            flags: readOnly ? [.readonly, .noscript, .stale, .skipMonitor, .noMandatoryKeys]
                : [.noscript, .stale, .skipMonitor, .mayReplicate, .noMandatoryKeys],
            acl: ["@slow", "@scripting"], group: "scripting", since: "7.0.0",
            summary: readOnly ? "Invoke a read-only function" : "Invoke a function",
            complexity: "Depends on the function that is executed.",
            arguments: [ArgumentSpec("function", .string), ArgumentSpec("numkeys", .integer),
                        ArgumentSpec("key", .key, optional: true, multiple: true, keySpecIndex: 0),
                        ArgumentSpec("arg", .string, optional: true, multiple: true)],
            handler: { c, args in run(c, args, readOnly: readOnly) })
    }

    static let fcall = make("fcall", readOnly: false)
    static let fcallReadOnly = make("fcall_ro", readOnly: true)

    static let notFound = "ERR Function not found"

    static func run(_ c: Client, _ args: Arguments, readOnly: Bool) {
        EvalCommand.feedMonitors(c, args)
        let engine = c.server.scripts
        guard let function = engine.lock.withLock({ _ in engine.libraries.function(named: args[1]) }) else {
            c.fail(notFound)
            return
        }
        guard let keyCount = Decimal.parse(args[2]) else { c.fail("ERR Bad number of keys provided"); return }
        if keyCount > args.count - 3 { c.fail("ERR Number of keys can't be greater than number of args"); return }
        if keyCount < 0 { c.fail("ERR Number of keys can't be negative"); return }
        EvalCommand.dispatch(c, EvalCommand.Request(arguments: args, bySHA: false, function: function,
                                                    readOnly: readOnly, keyCount: keyCount, db: c.db))
    }
}

import RESP
import Storage

/// `FUNCTION LOAD [REPLACE] code`, `FUNCTION DELETE library`,
/// `FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]`, `FUNCTION STATS`,
/// `FUNCTION KILL`, `FUNCTION FLUSH [ASYNC | SYNC]`, `FUNCTION DUMP`,
/// `FUNCTION RESTORE payload [FLUSH | APPEND | REPLACE]`, `FUNCTION HELP`.
///
/// Libraries change holding the engine's lock, which a running script
/// holds: other loops hold these commands until it ends (STATS and KILL
/// may run meanwhile and read only atomics).
enum FunctionCommand {
    static func sub(_ name: String, arity: Int, flags: CommandFlags, acl: [String], summary: String,
                    complexity: String = "O(1)", arguments: [ArgumentSpec] = [], handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: flags, acl: acl, group: "scripting", since: "7.0.0", summary: summary,
                    complexity: complexity, arguments: arguments, handler: handler)
    }

    static let writing = ["@write", "@slow", "@scripting"], reading = ["@slow", "@scripting"]

    static let spec = CommandSpec(
        "function", arity: -2, flags: [], acl: ["@slow"], group: "scripting", since: "7.0.0",
        summary: "A container for function commands", complexity: "Depends on subcommand.",
        subcommands: [
            // In the order Redis lists them (COMMAND INFO, COMMAND DOCS).
            sub("kill", arity: 2, flags: [.noscript, .allowBusy], acl: reading, summary: "Kill the function currently in execution.",
                complexity: "O(1)") { c, _ in c.server.scripts.kill(c, function: true) },
            sub("delete", arity: 3, flags: [.write, .noscript], acl: writing, summary: "Delete a function by name",
                complexity: "O(1)", arguments: [ArgumentSpec("library-name", .string)]) { c, args in
                let engine = c.server.scripts
                let removed = engine.lock.withLock { _ -> Bool in
                    defer { engine.librariesChanged() }
                    return engine.libraries.remove(Array(args[2])) != nil
                }
                if removed { c.reply.ok() } else { c.fail("ERR Library not found") }
            },
            sub("list", arity: -2, flags: [.noscript], acl: reading, summary: "List information about all the functions",
                complexity: "O(N) where N is the number of functions",
                arguments: [ArgumentSpec("library-name-pattern", .string, token: "LIBRARYNAME", optional: true),
                            ArgumentSpec("withcode", .pureToken, token: "WITHCODE", optional: true)], handler: list),
            CommandSpec("help", arity: 2, flags: [.loading, .stale], acl: reading, group: "scripting",
                        since: "7.0.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)") { c, _ in
                c.replyHelp("FUNCTION", helpLines)
            },
            sub("load", arity: -3, flags: [.write, .denyoom, .noscript], acl: writing,
                summary: "Create a function with the given arguments (name, code, description)",
                complexity: "O(1) (considering compilation time is redundant)",
                arguments: [ArgumentSpec("replace", .pureToken, token: "REPLACE", optional: true),
                            ArgumentSpec("function-code", .string)], handler: load),
            sub("dump", arity: 2, flags: [.noscript], acl: reading,
                summary: "Dump all functions into a serialized binary payload", complexity: "O(N) where N is the number of functions",
                handler: FunctionPayload.dump),
            sub("flush", arity: -2, flags: [.write, .noscript], acl: writing, summary: "Deleting all functions",
                complexity: "O(N) where N is the number of functions deleted",
                arguments: [ArgumentSpec("flush-type", .oneof, optional: true, children: [
                    ArgumentSpec("async", .pureToken, token: "ASYNC"), ArgumentSpec("sync", .pureToken, token: "SYNC")])]) { c, args in
                if args.count > 3 {
                    c.fail("ERR unknown subcommand or wrong number of arguments for '\(args[1].string)'. Try FUNCTION HELP.")
                    return
                }
                if args.count == 3 && !args[2].equalsIgnoringCase("async") && !args[2].equalsIgnoringCase("sync") {
                    c.fail("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
                    return
                }
                let engine = c.server.scripts
                engine.lock.withLock { _ in
                    engine.libraries.removeAll()
                    engine.librariesChanged()
                }
                c.reply.ok()
            },
            sub("restore", arity: -3, flags: [.write, .denyoom, .noscript], acl: writing,
                summary: "Restore all the functions on the given payload", complexity: "O(N) where N is the number of functions on the payload",
                arguments: [ArgumentSpec("serialized-value", .string),
                            ArgumentSpec("policy", .oneof, optional: true, children: [
                                ArgumentSpec("flush", .pureToken, token: "FLUSH"), ArgumentSpec("append", .pureToken, token: "APPEND"),
                                ArgumentSpec("replace", .pureToken, token: "REPLACE")])],
                handler: FunctionPayload.restore),
            sub("stats", arity: 2, flags: [.noscript, .allowBusy], acl: reading,
                summary: "Return information about the function currently running (name, description, duration)",
                complexity: "O(1)", handler: stats),
        ], handler: nil)

    static func load(_ c: Client, _ args: Arguments) {
        var replace = false
        for i in 2..<(args.count - 1) {
            guard args[i].equalsIgnoringCase("replace") else { c.fail("ERR Unknown option given: \(args[i].string)"); return }
            replace = true
        }
        let code = Array(args[args.count - 1])
        let engine = c.server.scripts
        engine.lock.withLock { _ in
            switch FunctionLoader.create(code, replace: replace, libraries: engine.libraries, engine: engine, server: c.server) {
            case .failure(let error): c.fail(error.message)
            case .success(let library):
                engine.libraries.add(library)
                engine.librariesChanged()
                c.reply.bulk(library.name)
            }
        }
    }

    static func list(_ c: Client, _ args: Arguments) {
        var withCode = false
        var pattern: [UInt8]?
        var i = 2
        while i < args.count {
            if !withCode && args[i].equalsIgnoringCase("withcode") {
                withCode = true
            } else if pattern == nil && args[i].equalsIgnoringCase("libraryname") {
                guard i + 1 < args.count else { c.fail("ERR library name argument was not given"); return }
                i += 1
                pattern = Array(args[i])
            } else {
                c.fail("ERR Unknown argument \(args[i].string)")
                return
            }
            i += 1
        }
        let engine = c.server.scripts
        engine.lock.withLock { _ in
            let shown = engine.libraries.libraries.filter { library in
                guard let pattern else { return true }
                return pattern.withUnsafeBytes { p in library.name.withUnsafeBytes { Glob.match(p, $0, caseInsensitive: true) } }
            }
            let reply = c.reply
            reply.array(shown.count)
            for library in shown {
                reply.map(withCode ? 4 : 3)
                reply.bulk("library_name"); reply.bulk(library.name)
                reply.bulk("engine"); reply.bulk("LUA")
                reply.bulk("functions")
                reply.array(library.functions.count)
                for f in library.functions {
                    reply.map(3)
                    reply.bulk("name"); reply.bulk(f.name)
                    reply.bulk("description")
                    if let d = f.description { reply.bulk(d) } else { reply.null() }
                    reply.bulk("flags")
                    let names = f.flags.setNames
                    reply.set(names.count)
                    for name in names { reply.simple(name) }
                }
                if withCode { reply.bulk("library_code"); reply.bulk(library.code) }
            }
        }
    }

    /// Reads no library (a running function holds the engine's lock): the
    /// running function's record and the published counts.
    static func stats(_ c: Client, _ args: Arguments) {
        let engine = c.server.scripts
        if engine.running.load(ordering: .acquiring) && !engine.runningFunction.load(ordering: .acquiring) {
            c.fail(ScriptEngine.busyReply)
            return
        }
        let reply = c.reply
        reply.map(2)
        reply.bulk("running_script")
        engine.runningFunctionInfo.withLock { info in
            guard let running = info else { reply.null(); return }
            reply.map(3)
            reply.bulk("name"); reply.bulk(running.name)
            reply.bulk("command")
            reply.array(running.command.count)
            for i in 0..<running.command.count { reply.bulk(running.command[i]) }
            reply.bulk("duration_ms"); reply.integer(Int(c.server.clock.milliseconds - running.startedMs))
        }
        reply.bulk("engines")
        reply.map(1)
        reply.bulk("LUA")
        reply.map(2)
        reply.bulk("libraries_count"); reply.integer(engine.libraryCount.load(ordering: .relaxed))
        reply.bulk("functions_count"); reply.integer(engine.functionCount.load(ordering: .relaxed))
    }

    static let helpLines = [
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
    ]
}

extension ScriptEngine {
    /// SCRIPT KILL (`function` false) and FUNCTION KILL: Redis's checks in
    /// Redis's order; a script that wrote cannot be killed, and each
    /// command kills only its own kind (the other's BUSY reply says which).
    func kill(_ c: Client, function: Bool) {
        let id = runningId.load(ordering: .acquiring)
        guard running.load(ordering: .acquiring) else { c.fail("NOTBUSY No scripts in execution right now."); return }
        if runningWrote.load(ordering: .relaxed) {
            c.fail("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
            return
        }
        let isFunction = runningFunction.load(ordering: .acquiring)
        if isFunction != function { c.fail(isFunction ? Self.functionBusyReply : Self.busyReply); return }
        killTarget.store(id, ordering: .relaxed)
        c.reply.ok()
    }
}

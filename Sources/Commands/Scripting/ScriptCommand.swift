import Lua
import RESP
import Storage

/// `SCRIPT LOAD script`, `SCRIPT EXISTS sha1 [sha1 ...]`,
/// `SCRIPT FLUSH [ASYNC | SYNC]`, `SCRIPT KILL`, `SCRIPT DEBUG YES|SYNC|NO`,
/// `SCRIPT HELP`.
enum ScriptCommand {
    static func sub(_ name: String, arity: Int, flags: CommandFlags, summary: String, since: String = "2.6.0",
                    arguments: [ArgumentSpec] = [], handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: flags, acl: ["@slow", "@scripting"], group: "scripting", since: since,
                    summary: summary, arguments: arguments, handler: handler)
    }

    static let spec = CommandSpec(
        "script", arity: -2, flags: [], acl: ["@slow"], group: "scripting", since: "2.6.0",
        summary: "A container for Lua scripts management commands.", complexity: "Depends on subcommand.",
        subcommands: [
            sub("load", arity: 3, flags: [.noscript, .stale], summary: "Loads a server-side Lua script to the script cache.",
                arguments: [ArgumentSpec("script", .string)]) { c, args in
                let engine = c.server.scripts
                engine.lock.withLock { _ in
                    let sha = SHA1.hex(args[2])
                    let key = ScriptKey(sha)!
                    if engine.scripts[key] == nil {
                        switch EvalCommand.compile(Array(args[2]), state: engine.machine(c.server)) {
                        case .failure(let message): c.fail(message); return
                        case .success(let script): engine.scripts[key] = script
                        }
                    }
                    c.reply.bulk(sha)
                }
            },
            sub("exists", arity: -3, flags: [.noscript], summary: "Determines whether server-side Lua scripts exist in the script cache.",
                arguments: [ArgumentSpec("sha1", .string, multiple: true)]) { c, args in
                let engine = c.server.scripts
                let found: [Bool] = engine.lock.withLock { _ in
                    (2..<args.count).map { i in ScriptKey(args[i]).map { engine.scripts[$0] != nil } ?? false }
                }
                c.reply.array(found.count)
                for f in found { c.reply.integer(f ? 1 : 0) }
            },
            sub("flush", arity: -2, flags: [.noscript], summary: "Removes all server-side Lua scripts from the script cache.",
                arguments: [ArgumentSpec("flush-type", .oneof, optional: true, since: "6.2.0", children: [
                    ArgumentSpec("async", .pureToken, token: "ASYNC"), ArgumentSpec("sync", .pureToken, token: "SYNC")])]) { c, args in
                if args.count > 3 || (args.count == 3 && !args[2].equalsIgnoringCase("async") && !args[2].equalsIgnoringCase("sync")) {
                    c.fail("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
                    return
                }
                c.server.scripts.lock.withLock { _ in c.server.scripts.flush() }
                c.reply.ok()
            },
            sub("kill", arity: 2, flags: [.noscript, .allowBusy], summary: "Terminates a server-side Lua script during execution.") { c, _ in
                c.server.scripts.kill(c, function: false)
            },
            sub("debug", arity: 3, flags: [.noscript], summary: "Sets the debug mode of server-side Lua scripts.", since: "3.2.0",
                arguments: [ArgumentSpec("mode", .oneof, children: [
                    ArgumentSpec("yes", .pureToken, token: "YES"), ArgumentSpec("sync", .pureToken, token: "SYNC"),
                    ArgumentSpec("no", .pureToken, token: "NO")])]) { c, args in
                if args[2].equalsIgnoringCase("no") { c.reply.ok(); return }
                if args[2].equalsIgnoringCase("yes") || args[2].equalsIgnoringCase("sync") {
                    c.fail("ERR SCRIPT DEBUG is not supported by this server")
                    return
                }
                c.fail("ERR Use SCRIPT DEBUG YES/SYNC/NO")
            },
            CommandSpec("help", arity: 2, flags: [.loading, .stale], acl: ["@slow", "@scripting"], group: "scripting",
                        since: "5.0.0", summary: "Returns helpful text about the different subcommands.") { c, _ in
                c.replyHelp("SCRIPT", [
                    "DEBUG (YES|SYNC|NO)",
                    "    Set the debug mode for subsequent scripts executed.",
                    "EXISTS <sha1> [<sha1> ...]",
                    "    Return information about the existence of the scripts in the script cache.",
                    "FLUSH [ASYNC|SYNC]",
                    "    Flush the Lua scripts cache. Very dangerous on replicas.",
                    "    When called without the optional mode argument, the behavior is determined by the",
                    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                    "    * ASYNC: Asynchronously flush the scripts cache.",
                    "    * SYNC: Synchronously flush the scripts cache.",
                    "KILL",
                    "    Kill the currently executing Lua script.",
                    "LOAD <script>",
                    "    Load a script into the scripts cache without executing it.",
                ])
            },
        ], handler: nil)
}

import RESP
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// `TIME` — `[unix seconds, microseconds]` as bulk strings.
enum TimeCommand {
    static let spec = CommandSpec(
        "time", arity: 1, flags: [.loading, .stale, .fast], acl: ["@fast"], group: "server", since: "2.6.0",
        summary: "Returns the server time.", handler: { c, _ in
            let us = c.server.clock.microseconds
            c.reply.array(2)
            c.reply.bulkDecimal(Int(us / 1_000_000))
            c.reply.bulkDecimal(Int(us % 1_000_000))
        })
}

/// `LASTSAVE` — Swiftlet does not persist, so this is the start-up time.
enum LastSaveCommand {
    static let spec = CommandSpec(
        "lastsave", arity: 1, flags: [.loading, .stale, .fast], acl: ["@admin", "@fast", "@dangerous"], group: "server",
        since: "1.0.0", summary: "Returns the Unix timestamp of the last successful save to disk.",
        handler: { c, _ in c.reply.integer(Int(c.server.lastSave)) })
}

/// `ROLE` — Swiftlet has no replication, so it is always a master with no
/// replicas at offset 0: `[master, 0, []]`. Clients and tools that choose a
/// node by role (sentinel-aware pools, failover checks) ask this first.
enum RoleCommand {
    static let spec = CommandSpec(
        "role", arity: 1, flags: [.noscript, .loading, .stale, .fast], acl: ["@admin", "@fast", "@dangerous"],
        group: "server", since: "2.8.12", summary: "Return the role of the instance in the context of replication",
        complexity: "O(1)", handler: { c, _ in
            c.reply.array(3)
            c.reply.bulk("master")
            c.reply.integer(0)
            c.reply.array(0)
        })
}

/// `SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]`
///
/// Swiftlet keeps nothing on disk, so SAVE and NOSAVE both just stop the
/// server; queued replies of other clients are written first.
enum ShutdownCommand {
    static let spec = CommandSpec(
        "shutdown", arity: -1, flags: [.admin, .noscript, .loading, .stale, .noMulti, .sentinel, .allowBusy],
        acl: ["@admin", "@slow", "@dangerous"], group: "server", since: "1.0.0",
        summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        arguments: [
            ArgumentSpec("save-selector", .oneof, optional: true, children: [
                ArgumentSpec("nosave", .pureToken, token: "NOSAVE"), ArgumentSpec("save", .pureToken, token: "SAVE")]),
            ArgumentSpec("now", .pureToken, token: "NOW", optional: true, since: "7.0.0"),
            ArgumentSpec("force", .pureToken, token: "FORCE", optional: true, since: "7.0.0"),
            ArgumentSpec("abort", .pureToken, token: "ABORT", optional: true, since: "7.0.0"),
        ], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        var request = ShutdownRequest.plain
        var save = false, nosave = false, abort = false
        for i in 1..<max(1, args.count) {
            let a = args[i]
            if a.equalsIgnoringCase("nosave") { nosave = true }
            else if a.equalsIgnoringCase("save") { save = true }
            else if a.equalsIgnoringCase("now") || a.equalsIgnoringCase("force") { }
            else if a.equalsIgnoringCase("abort") { abort = true }
            else { c.fail(Errors.syntax); return }
        }
        if (save && nosave) || (abort && args.count > 2) { c.fail(Errors.syntax); return }
        if abort { c.fail("ERR No shutdown in progress."); return }
        // During a script past busy-reply-threshold only SHUTDOWN NOSAVE
        // goes through (it ends the script wherever it is).
        if !nosave && c.server.scripts.isBusy(nowMs: c.loop.nowMs, busyThresholdMs: c.server.config.busyReplyThreshold) {
            c.fail(c.server.scripts.currentBusyReply)
            return
        }
        if save { request = .save } else if nosave { request = .nosave }
        c.server.log(.warning, "User requested shutdown...")
        c.server.requestShutdown(request)
    }
}

/// `DEBUG SLEEP seconds`, `DEBUG SET-ACTIVE-EXPIRE 0|1`, `DEBUG JMAP`…
///
/// Disabled unless `enable-debug-command` allows it, as in Redis 7.
enum DebugCommand {
    static let spec = CommandSpec(
        "debug", arity: -2, flags: [.admin, .noscript, .loading, .stale], acl: ["@admin", "@slow", "@dangerous"],
        group: "server", since: "1.0.0", summary: "A container for debugging commands.", handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        let setting = c.server.config.string("enable-debug-command") ?? "no"
        if setting == "no" || (setting == "local" && !c.isLocal) {
            c.fail("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
            return
        }
        let sub = args[1]
        if sub.equalsIgnoringCase("sleep") && args.count == 3 {
            guard let seconds = DoubleFormat.parseDouble(args[2]) else { c.fail(Errors.notFloat); return }
            usleep(UInt32(max(0, min(seconds, 4000)) * 1_000_000))
            c.reply.ok()
        } else if sub.equalsIgnoringCase("set-active-expire") && args.count == 3 {
            c.server.activeExpireEnabled.store(Decimal.parse(args[2]) != 0, ordering: .relaxed)
            c.reply.ok()
        } else if sub.equalsIgnoringCase("jmap") || sub.equalsIgnoringCase("quicklist-packed-threshold") {
            c.reply.ok()
        } else {
            c.fail("ERR unknown subcommand or wrong number of arguments for '\(sub.string)'. Try DEBUG HELP.")
        }
    }
}

/// `SLOWLOG GET [count] | LEN | RESET | HELP`
enum SlowlogCommand {
    static func sub(_ name: String, arity: Int, summary: String, _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: name == "help" ? CommandSpec.helpFlags : [.admin, .loading, .stale], acl: name == "help" ? ["@slow"] : ["@admin", "@slow", "@dangerous"],
                    group: "server", since: "2.2.12", summary: summary, handler: handler)
    }

    static let spec = CommandSpec(
        "slowlog", arity: -2, flags: [], acl: ["@slow"], group: "server", since: "2.2.12",
        summary: "A container for slow log commands.", complexity: "Depends on subcommand.",
        subcommands: [
            sub("get", arity: -2, summary: "Returns the slow log's entries.") { c, args in
                var count = 10
                if args.count == 3 {
                    guard let n = Decimal.parse(args[2]), n >= -1 else {
                        c.fail("ERR count should be greater than or equal to -1"); return
                    }
                    count = n == -1 ? Int.max : n
                } else if args.count > 3 {
                    c.fail("ERR unknown subcommand or wrong number of arguments for '\(args[1].string)'. Try SLOWLOG HELP."); return
                }
                let entries = c.server.slowlog.entries(count)
                c.reply.array(entries.count)
                for e in entries {
                    c.reply.array(6)
                    c.reply.integer(e.id); c.reply.integer(Int(e.timestamp)); c.reply.integer(e.microseconds)
                    c.reply.array(e.arguments.count)
                    for a in e.arguments { c.reply.bulk(a) }
                    c.reply.bulk(e.peer); c.reply.bulk(e.name)
                }
            },
            sub("len", arity: 2, summary: "Returns the number of entries in the slow log.") { c, _ in
                c.reply.integer(c.server.slowlog.length)
            },
            sub("reset", arity: 2, summary: "Clears all entries from the slow log.") { c, _ in
                c.server.slowlog.reset(); c.reply.ok()
            },
            sub("help", arity: 2, summary: "Show helpful text about the different subcommands") { c, _ in
                c.replyHelp("SLOWLOG", [
                    "GET [<count>]", "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                    "    Entries are made of:", "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                    "    client name", "LEN", "    Return the length of the slowlog.", "RESET", "    Reset the slowlog.",
                ])
            },
        ], handler: nil)
}

/// `LATENCY LATEST | HISTORY event | RESET [event ...] | DOCTOR | GRAPH event | HELP`
///
/// Swiftlet records no latency events yet, so the lists are empty.
enum LatencyCommand {
    static func sub(_ name: String, arity: Int, summary: String, _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: name == "help" ? CommandSpec.helpFlags : [.admin, .noscript, .loading, .stale], acl: name == "help" ? ["@slow"] : ["@admin", "@slow", "@dangerous"],
                    group: "server", since: "2.8.13", summary: summary, handler: handler)
    }

    static let spec = CommandSpec(
        "latency", arity: -2, flags: [], acl: ["@slow"], group: "server", since: "2.8.13",
        summary: "A container for latency diagnostics commands.", complexity: "Depends on subcommand.",
        subcommands: [
            sub("latest", arity: 2, summary: "Returns the latest latency samples for all events.") { c, _ in c.reply.array(0) },
            sub("history", arity: 3, summary: "Returns timestamp-latency samples for an event.") { c, _ in c.reply.array(0) },
            sub("reset", arity: -2, summary: "Resets the latency data for one or more events.") { c, _ in c.reply.integer(0) },
            sub("doctor", arity: 2, summary: "Returns a human-readable latency analysis report.") { c, _ in
                c.reply.verbatim("No latency spikes recorded: Swiftlet does not sample latency events yet.\n")
            },
            sub("graph", arity: 3, summary: "Returns a latency graph for an event.") { c, args in
                c.fail("ERR No samples available for event '\(args[2].string)'")
            },
            sub("histogram", arity: -2, summary: "Returns the cumulative distribution of latencies of a subset or all commands.") { c, _ in
                c.reply.map(0)
            },
            sub("help", arity: 2, summary: "Returns helpful text about the different subcommands.") { c, _ in
                c.replyHelp("LATENCY", [
                    "DOCTOR", "    Return a human readable latency analysis report.",
                    "GRAPH <event>", "    Return an ASCII latency graph for the <event> class.",
                    "HISTORY <event>", "    Return time-latency samples for the <event> class.",
                    "LATEST", "    Return the latest latency samples for all events.",
                    "RESET [<event> ...]", "    Reset latency data of one or more <event> classes.",
                    "    (default: reset all data for all event classes)",
                    "HISTOGRAM [COMMAND ...]", "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
                    "    If no commands are specified then all histograms are replied.",
                ])
            },
        ], handler: nil)
}

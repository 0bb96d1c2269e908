import RESP
import Storage

/// `CONFIG GET parameter [parameter ...]`, `CONFIG SET parameter value [parameter value ...]`,
/// `CONFIG RESETSTAT`, `CONFIG REWRITE`, `CONFIG HELP`
enum ConfigCommand {
    static func sub(_ name: String, arity: Int, summary: String, since: String, _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: name == "help" ? CommandSpec.helpFlags : [.admin, .noscript, .loading, .stale], acl: name == "help" ? ["@slow"] : ["@admin", "@slow", "@dangerous"],
                    group: "server", since: since, summary: summary, handler: handler)
    }

    static let spec = CommandSpec(
        "config", arity: -2, flags: [], acl: ["@slow"], group: "server", since: "2.0.0",
        summary: "A container for server configuration commands.", complexity: "Depends on subcommand.",
        subcommands: [
            sub("get", arity: -3, summary: "Returns the effective values of configuration parameters.", since: "2.0.0") { c, args in
                let patterns = (2..<args.count).map { args.string($0) }
                let pairs = c.server.config.get(patterns: patterns)
                c.reply.map(pairs.count)
                for (name, value) in pairs { c.reply.bulk(name); c.reply.bulk(value) }
            },
            sub("set", arity: -4, summary: "Sets configuration parameters in-flight.", since: "2.0.0") { c, args in
                if args.count % 2 == 1 { c.fail(Errors.syntax); return }
                var pairs: [(String, String)] = []
                var i = 2
                while i < args.count { pairs.append((args.string(i), args.string(i + 1))); i += 2 }
                if let error = c.server.config.set(pairs, isLocalClient: c.isLocal) { c.fail(error) } else { c.reply.ok() }
            },
            sub("resetstat", arity: 2, summary: "Resets the server's statistics.", since: "2.0.0") { c, _ in
                c.server.resetStatistics()
                c.reply.ok()
            },
            sub("rewrite", arity: 2, summary: "Persists the effective configuration to file.", since: "2.8.0") { c, _ in
                if let error = c.server.rewriteConfig() { c.fail(error) } else { c.reply.ok() }
            },
            sub("help", arity: 2, summary: "Returns helpful text about the different subcommands.", since: "5.0.0") { c, _ in
                c.replyHelp("CONFIG", [
                    "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
                    "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
                    "RESETSTAT", "    Reset statistics reported by the INFO command.",
                    "REWRITE", "    Rewrite the configuration file.",
                ])
            },
        ], handler: nil)
}

extension ServerContext {
    /// CONFIG RESETSTAT: zero what INFO stats/commandstats/errorstats report.
    public func resetStatistics() {
        keyspace.forEachShardLocked { $0.stats = ShardStats() }
        stats.connectionsReceived.store(0, ordering: .relaxed)
        stats.rejectedConnections.store(0, ordering: .relaxed)
        stats.evictedKeys.store(0, ordering: .relaxed)
        stats.expiredTimeCapReached.store(0, ordering: .relaxed)
        stats.expireCycleMicroseconds.store(0, ordering: .relaxed)
        stats.expiredStalePercent.store(0, ordering: .relaxed)
        stats.resets.add(1, ordering: .relaxed)
        stats.peakMemory.store(usedMemory, ordering: .relaxed)
        for loop in loops { loop.resetCounters() }
        slowlog.reset()
    }
}

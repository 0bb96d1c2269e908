import RESP
import Storage

/// `OBJECT ENCODING key`, `OBJECT FREQ key`, `OBJECT IDLETIME key`,
/// `OBJECT REFCOUNT key`, `OBJECT HELP`
enum ObjectCommand {
    static let lfuRequired = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    static let lruRequired = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."

    static func sub(_ name: String, summary: String, since: String, handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: 3, flags: [.readonly], acl: ["@keyspace", "@read", "@slow"], keys: (2, 2, 1),
                    group: "generic", since: since, summary: summary,
                    arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)], handler: handler)
    }

    static let spec = CommandSpec(
        "object", arity: -2, flags: [], acl: ["@slow"], group: "generic", since: "2.2.3",
        summary: "A container for object introspection commands.", complexity: "Depends on subcommand.",
        subcommands: [
            sub("encoding", summary: "Returns the internal encoding of a Redis object.", since: "2.2.3") { c, args in
                lookup(c, args) { e in c.reply.bulk(encodingName(e)) }
            },
            sub("freq", summary: "Returns the logarithmic access frequency counter of a Redis object.", since: "4.0.0") { c, args in
                lookup(c, args) { e in
                    guard c.server.config.policyUsesLFU else { c.fail(lfuRequired); return }
                    c.reply.integer(c.server.frequency(of: e))
                }
            },
            sub("idletime", summary: "Returns the time since the last access to a Redis object.", since: "2.2.3") { c, args in
                lookup(c, args) { e in
                    if c.server.config.policyUsesLFU { c.fail(lruRequired); return }
                    c.reply.integer(LRUClock.idleSeconds(e.lru, nowMs: c.loop.nowMs))
                }
            },
            sub("refcount", summary: "Returns the reference count of a value of a key.", since: "2.2.3") { c, args in
                lookup(c, args) { e in c.reply.integer(refcount(e, c)) }
            },
            CommandSpec("help", arity: 2, flags: [.loading, .stale], acl: ["@keyspace", "@slow"], group: "generic",
                        since: "6.2.0", summary: "Returns helpful text about the different subcommands.") { c, _ in
                c.replyHelp("OBJECT", [
                    "ENCODING <key>",
                    "    Return the kind of internal representation used in order to store the value",
                    "    associated with a <key>.",
                    "FREQ <key>",
                    "    Return the access frequency index of the <key>. The returned integer is",
                    "    proportional to the logarithm of the recent access frequency of the key.",
                    "IDLETIME <key>",
                    "    Return the idle time of the <key>, that is the approximated number of",
                    "    seconds elapsed since the last access to the key.",
                    "REFCOUNT <key>",
                    "    Return the number of references of the value associated with the specified",
                    "    <key>.",
                ])
            },
        ], handler: nil)

    static func lookup(_ c: Client, _ args: Arguments, _ body: (Entry) -> Void) {
        c.withKey(args[2], touch: false) { k in
            if let e = k.entry { body(e) } else { c.reply.null() }
        }
    }

    static func encodingName(_ e: Entry) -> String {
        switch e.type {
        case .string:
            switch e.stringEncoding { case .int: return "int"; case .embstr: return "embstr"; case .raw: return "raw" }
        default:
            return "\(ValueStore.encodingName(e))"
        }
    }

    /// Redis shares the integer objects 0...9999 unless an LRU/LFU maxmemory
    /// policy needs per-key access data; a shared object reports INT_MAX.
    static func refcount(_ e: Entry, _ c: Client) -> Int {
        if e.type == .string, e.stringEncoding == .int, let v = Decimal.parse(e.value), v >= 0, v < 10000,
           !(c.server.config.maxmemory != 0 && c.server.config.maxmemoryPolicyUsesLRUOrLFU) {
            return Int(Int32.max)
        }
        return 1
    }
}

/// `MEMORY USAGE key [SAMPLES count]` and friends.
enum MemoryCommand {
    static let spec = CommandSpec(
        "memory", arity: -2, flags: [], acl: ["@slow"], group: "server", since: "4.0.0",
        summary: "A container for memory diagnostics commands.", complexity: "Depends on subcommand.",
        subcommands: [
            CommandSpec("usage", arity: -3, flags: [.readonly], acl: ["@read", "@slow"], keys: (2, 2, 1),
                        group: "server", since: "4.0.0", summary: "Estimates the memory usage of a key.",
                        complexity: "O(N) where N is the number of samples.",
                        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0),
                                    ArgumentSpec("count", .integer, token: "SAMPLES", optional: true)]) { c, args in
                var j = 3
                while j < args.count {
                    if args[j].equalsIgnoringCase("samples") && j + 1 < args.count {
                        guard c.integerArgument(args[j + 1]) != nil else { return }
                        j += 2
                    } else { c.fail(Errors.syntax); return }
                }
                c.withKey(args[2], touch: false) { k in
                    guard let e = k.entry else { c.reply.null(); return }
                    // The block as allocated, its malloc header, and its slot.
                    c.reply.integer(e.allocatedSize + 8 + 8 + ValueStore.containerBytes(e))
                }
            },
            CommandSpec("help", arity: 2, flags: [.loading, .stale], acl: ["@slow"], group: "server", since: "4.0.0",
                        summary: "Returns helpful text about the different subcommands.") { c, _ in
                c.replyHelp("MEMORY", [
                    "DOCTOR",
                    "    Return memory problems reports.",
                    "MALLOC-STATS",
                    "    Return internal statistics report from the memory allocator.",
                    "PURGE",
                    "    Attempt to purge dirty pages for reclamation by the allocator.",
                    "STATS",
                    "    Return information about the memory usage of the server.",
                    "USAGE <key> [SAMPLES <count>]",
                    "    Return memory in bytes used by <key> and its value. Nested values are",
                    "    sampled up to <count> times (default: 5, 0 means sample all).",
                ])
            },
            CommandSpec("doctor", arity: 2, flags: [], acl: ["@slow"], group: "server", since: "4.0.0",
                        summary: "Outputs a memory problems report.") { c, _ in
                c.reply.verbatim(MemoryReport.doctor(c.server))
            },
            CommandSpec("stats", arity: 2, flags: [], acl: ["@slow"], group: "server", since: "4.0.0",
                        summary: "Returns details about memory usage.") { c, _ in
                MemoryReport.stats(c)
            },
            CommandSpec("malloc-stats", arity: 2, flags: [], acl: ["@slow"], group: "server", since: "4.0.0",
                        summary: "Returns the allocator statistics.") { c, _ in
                c.reply.verbatim("Stats not supported for the current allocator")
            },
            CommandSpec("purge", arity: 2, flags: [], acl: ["@slow"], group: "server", since: "4.0.0",
                        summary: "Asks the allocator to release memory.") { c, _ in
                c.server.purgeMemory()
                c.reply.ok()
            },
        ], handler: nil)
}

extension Client {
    /// The HELP reply format Redis uses: a header line, the lines, and a HELP line.
    public func replyHelp(_ command: String, _ lines: [String]) {
        reply.array(lines.count + 3)
        reply.simple("\(command) <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        for line in lines { reply.simple(line) }
        reply.simple("HELP")
        reply.simple("    Prints this help.")
    }
}

import RESP
import Storage

/// `COMMAND [COUNT | INFO [name ...] | DOCS [name ...] | LIST [FILTERBY ...] | GETKEYS cmd [arg ...] | HELP]`
///
/// Everything is generated from the command table, so dispatch, COMMAND
/// INFO and the DOCS that give redis-cli its hints can never disagree.
enum CommandCommand {
    static func sub(_ name: String, arity: Int, summary: String, since: String, _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: [.loading, .stale], acl: ["@slow", "@connection"], group: "server",
                    since: since, summary: summary, handler: handler)
    }

    static let spec = CommandSpec(
        "command", arity: -1, flags: [.loading, .stale], acl: ["@slow", "@connection"], group: "server", since: "2.8.13",
        summary: "Returns detailed information about all commands.", complexity: "O(N) where N is the total number of Redis commands",
        subcommands: [
            sub("count", arity: 2, summary: "Returns a count of commands.", since: "2.8.13") { c, _ in
                c.reply.integer(c.server.commands.all.count)
            },
            sub("info", arity: -2, summary: "Returns information about one, multiple or all commands.", since: "2.8.13") { c, args in
                if args.count == 2 {
                    c.reply.array(c.server.commands.all.count)
                    for spec in c.server.commands.all { info(c, spec) }
                    return
                }
                c.reply.array(args.count - 2)
                for i in 2..<args.count {
                    if let spec = find(c, args[i]) { info(c, spec) } else { c.reply.null() }
                }
            },
            sub("docs", arity: -2, summary: "Returns documentary information about one, multiple or all commands.", since: "7.0.0") { c, args in
                var specs: [CommandSpec] = []
                if args.count == 2 { specs = c.server.commands.all } else {
                    for i in 2..<args.count { if let s = find(c, args[i]) { specs.append(s) } }
                }
                c.reply.map(specs.count)
                for s in specs { c.reply.bulk(s.fullName); docs(c, s) }
            },
            sub("list", arity: -2, summary: "Returns a list of command names.", since: "7.0.0") { c, args in
                var names: [String] = []
                for spec in c.server.commands.all {
                    names.append(spec.fullName)
                    names += spec.subcommands.map { $0.fullName }
                }
                if args.count == 5 && args[2].equalsIgnoringCase("filterby") {
                    if args[3].equalsIgnoringCase("pattern") {
                        names = names.filter { Glob.match(args[4].string, $0, caseInsensitive: true) }
                    } else if args[3].equalsIgnoringCase("aclcat") {
                        let category = "@" + args[4].lowercasedString
                        names = names.filter { n in find(c, n)?.aclCategories.contains(category) ?? false }
                    } else if args[3].equalsIgnoringCase("module") {
                        names = []
                    } else { c.fail(Errors.syntax); return }
                } else if args.count != 2 { c.fail(Errors.syntax); return }
                c.reply.array(names.count)
                for n in names { c.reply.bulk(n) }
            },
            sub("getkeys", arity: -4, summary: "Extracts the key names from an arbitrary command.", since: "2.8.13") { c, args in
                getKeys(c, args, withFlags: false)
            },
            sub("getkeysandflags", arity: -4, summary: "Extracts the key names and access flags for an arbitrary command.", since: "7.0.0") { c, args in
                getKeys(c, args, withFlags: true)
            },
            sub("help", arity: 2, summary: "Returns helpful text about the different subcommands.", since: "5.0.0") { c, _ in
                c.replyHelp("COMMAND", [
                    "(no subcommand)", "    Return details about all Redis commands.",
                    "COUNT", "    Return the total number of commands in this Redis server.",
                    "LIST", "    Return a list of all commands in this Redis server.",
                    "INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
                    "    If no command names are given, documentation details for all",
                    "    commands are returned.",
                    "DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
                    "    If no command names are given, documentation details for all",
                    "    commands are returned.",
                    "GETKEYS <full-command>", "    Return the keys from a full Redis command.",
                    "GETKEYSANDFLAGS <full-command>", "    Return the keys and the access flags from a full Redis command.",
                ])
            },
        ], handler: { c, _ in
            c.reply.array(c.server.commands.all.count)
            for spec in c.server.commands.all { info(c, spec) }
        })

    /// `name` or `parent|sub`, case-insensitively.
    static func find(_ c: Client, _ name: UnsafeRawBufferPointer) -> CommandSpec? { find(c, name.string) }

    static func find(_ c: Client, _ name: String) -> CommandSpec? {
        let parts = name.lowercased().split(separator: "|", omittingEmptySubsequences: false)
        guard let top = c.server.commands.lookup(String(parts[0])) else { return nil }
        if parts.count == 1 { return top }
        if parts.count == 2 { return top.subcommands.first { $0.name == parts[1] } }
        return nil
    }

    static func info(_ c: Client, _ spec: CommandSpec) {
        let r = c.reply
        r.array(10)
        r.bulk(spec.fullName)
        r.integer(spec.arity)
        let movable = spec.hasMovableKeys
        let flags = CommandFlags.names.filter { spec.flags.contains($0.0) || ($0.0 == .movableKeys && movable) }
        r.set(flags.count)
        for f in flags { r.simple(f.1) }
        r.integer(spec.firstKey); r.integer(spec.lastKey); r.integer(spec.keyStep)
        r.set(spec.aclCategories.count)
        for a in spec.aclCategories { r.simple(a) }
        // Shapes as Redis writes them: tips and key specs are sets, the
        // subcommands an array (an empty set when there are none).
        r.set(spec.tips.count)
        for t in spec.tips { r.bulk(t) }
        r.set(spec.keySpecs.count)
        for k in spec.keySpecs { keySpec(r, k) }
        if spec.subcommands.isEmpty { r.set(0) } else { r.array(spec.subcommands.count) }
        for s in spec.subcommands { info(c, s) }
    }

    static func keySpec(_ r: ReplyBuffer, _ k: KeySpec) {
        r.map(k.notes == nil ? 3 : 4)
        if let notes = k.notes { r.bulk("notes"); r.bulk(notes) }
        r.bulk("flags"); r.set(k.flags.count); for f in k.flags { r.simple(f) }
        r.bulk("begin_search"); r.map(2); r.bulk("type")
        switch k.begin {
        case .index(let i): r.bulk("index"); r.bulk("spec"); r.map(1); r.bulk("index"); r.integer(i)
        case .keyword(let word, let from):
            r.bulk("keyword"); r.bulk("spec"); r.map(2); r.bulk("keyword"); r.bulk(word); r.bulk("startfrom"); r.integer(from)
        case .unknown: r.bulk("unknown"); r.bulk("spec"); r.map(0)
        }
        r.bulk("find_keys"); r.map(2); r.bulk("type")
        switch k.find {
        case .range(let last, let step, let limit):
            r.bulk("range"); r.bulk("spec"); r.map(3)
            r.bulk("lastkey"); r.integer(last); r.bulk("keystep"); r.integer(step); r.bulk("limit"); r.integer(limit)
        case .keynum(let index, let first, let step):
            r.bulk("keynum"); r.bulk("spec"); r.map(3)
            r.bulk("keynumidx"); r.integer(index); r.bulk("firstkey"); r.integer(first); r.bulk("keystep"); r.integer(step)
        case .unknown: r.bulk("unknown"); r.bulk("spec"); r.map(0)
        }
    }

    static func docs(_ c: Client, _ spec: CommandSpec) {
        let r = c.reply
        var fields = 3
        if !spec.complexity.isEmpty { fields += 1 }  // MONITOR has none
        if !spec.arguments.isEmpty { fields += 1 }
        if !spec.subcommands.isEmpty { fields += 1 }
        r.map(fields)
        r.bulk("summary"); r.bulk(spec.summary)
        r.bulk("since"); r.bulk(spec.since)
        r.bulk("group"); r.bulk(spec.group)
        if !spec.complexity.isEmpty { r.bulk("complexity"); r.bulk(spec.complexity) }
        if !spec.arguments.isEmpty { r.bulk("arguments"); arguments(c, spec.arguments) }
        if !spec.subcommands.isEmpty {
            r.bulk("subcommands")
            r.map(spec.subcommands.count)
            for s in spec.subcommands { r.bulk(s.fullName); docs(c, s) }
        }
    }

    static func arguments(_ c: Client, _ list: [ArgumentSpec]) {
        let r = c.reply
        r.array(list.count)
        for a in list {
            var flags: [String] = []
            if a.optional { flags.append("optional") }
            if a.multiple { flags.append("multiple") }
            if a.multipleToken { flags.append("multiple_token") }
            var fields = 2
            if a.keySpecIndex != nil { fields += 1 }
            if a.token != nil { fields += 1 }
            if a.since != nil { fields += 1 }
            if !flags.isEmpty { fields += 1 }
            if a.kind == .oneof || a.kind == .block { fields += 1 }
            r.map(fields)
            r.bulk("name"); r.bulk(a.name)
            r.bulk("type"); r.bulk(a.kind.rawValue)
            if let k = a.keySpecIndex { r.bulk("key_spec_index"); r.integer(k) }
            if let t = a.token { r.bulk("token"); r.bulk(t) }
            if let s = a.since { r.bulk("since"); r.bulk(s) }
            if !flags.isEmpty { r.bulk("flags"); r.set(flags.count); for f in flags { r.simple(f) } }
            if a.kind == .oneof || a.kind == .block { r.bulk("arguments"); arguments(c, a.children) }
        }
    }

    /// COMMAND GETKEYS / GETKEYSANDFLAGS, in Redis's order of checks:
    /// the command (a container needs a known subcommand), whether it has
    /// keys at all, its arity, then its key specs.
    static func getKeys(_ c: Client, _ args: Arguments, withFlags: Bool) {
        let inner = args.dropFirst(2)
        guard let top = c.server.commands.lookup(inner[0]) else { c.fail("ERR Invalid command specified"); return }
        var spec = top
        if !top.subcommands.isEmpty && inner.count >= 2 {
            guard let s = top.subcommand(inner[1]) else { c.fail("ERR Invalid command specified"); return }
            spec = s
        }
        let realSpecs = spec.keySpecs.filter { !$0.isNotKey }
        if realSpecs.isEmpty { c.fail("ERR The command has no key arguments"); return }
        if !spec.accepts(inner.count) { c.fail("ERR Invalid number of arguments specified for command"); return }
        var found: [(position: Int, flags: [String])] = []
        if spec.fullName == "sort" || spec.fullName == "sort_ro" {
            // Redis finds SORT's keys with code, not key specs: the key, and
            // the last STORE's destination (LIMIT, GET and BY arguments skipped).
            found.append((1, ["RO", "access"]))
            var store: Int? = nil
            var i = 2
            while i < inner.count {
                if inner[i].equalsIgnoringCase("limit") { i += 2 }
                else if inner[i].equalsIgnoringCase("get") || inner[i].equalsIgnoringCase("by") { i += 1 }
                else if spec.fullName == "sort" && inner[i].equalsIgnoringCase("store") && i + 1 < inner.count { store = i + 1 }
                i += 1
            }
            if let store { found.append((store, ["OW", "update"])) }
            return reply(c, found, inner, withFlags: withFlags)
        }
        for k in realSpecs {
            guard let positions = k.positions(in: inner) else {
                if spec.flags.contains(CommandFlags.noMandatoryKeys) { c.reply.array(0) } else { c.fail("ERR Invalid arguments specified for command") }
                return
            }
            for p in positions { found.append((p, keyFlags(spec, k, inner))) }
        }
        reply(c, found, inner, withFlags: withFlags)
    }

    static func reply(_ c: Client, _ found: [(position: Int, flags: [String])], _ inner: Arguments, withFlags: Bool) {
        c.reply.array(found.count)
        for (p, flags) in found {
            if withFlags {
                c.reply.array(2)
                c.reply.bulk(inner[p])
                c.reply.set(flags.count); for f in flags { c.reply.simple(f) }
            } else {
                c.reply.bulk(inner[p])
            }
        }
    }

    /// A key's flags; a spec with `variable_flags` depends on the
    /// arguments. SET: with GET the old value is read, without it
    /// overwritten. BITFIELD: with only GETs the key is only read.
    static func keyFlags(_ spec: CommandSpec, _ k: KeySpec, _ args: Arguments) -> [String] {
        guard k.flags.contains("variable_flags") else { return k.flags }
        switch spec.fullName {
        case "set":
            let hasGet = (3..<max(3, args.count)).contains { args[$0].equalsIgnoringCase("get") }
            return hasGet ? ["RW", "access", "update"] : ["OW", "update"]
        case "bitfield":
            // Walks the operations as Redis does; anything it cannot read counts as a write.
            var i = 2
            while i < args.count {
                let remaining = args.count - i - 1
                if args[i].equalsIgnoringCase("get") && remaining >= 2 { i += 3 }
                else if args[i].equalsIgnoringCase("overflow") && remaining >= 1 { i += 2 }
                else { return ["RW", "access", "update"] }
            }
            return ["RO", "access"]
        default:
            return k.flags
        }
    }
}

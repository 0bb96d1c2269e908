import CSystem
import RESP

/// `ACL <subcommand>` for the one user Swiftlet has, `default`:
///
///     ACL WHOAMI | USERS | LIST
///     ACL GETUSER username
///     ACL SETUSER username [rule [rule ...]]     on off nopass resetpass >pw <pw #hash !hash,
///                                               and the full-access rules ~* &* +@all allkeys …
///     ACL DELUSER username [username ...]
///     ACL CAT [category]
///     ACL GENPASS [bits]
///     ACL DRYRUN username command [arg ...]
///     ACL LOG [count | RESET]
///     ACL SAVE | LOAD
///
/// Other users cannot be created, and the default user's permissions
/// cannot be narrowed: those rules get an error that says so.
enum AclCommand {
    static func sub(_ name: String, arity: Int, admin: Bool = true, summary: String, since: String = "6.0.0",
                    arguments: [ArgumentSpec] = [], _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: name == "help" ? CommandSpec.helpFlags : admin ? [.admin, .noscript, .loading, .stale] : [.noscript, .loading, .stale],
                    acl: admin ? ["@admin", "@slow", "@dangerous"] : ["@slow"], group: "server", since: since,
                    summary: summary, arguments: arguments, handler: handler)
    }

    static let spec = CommandSpec(
        "acl", arity: -2, flags: [], acl: ["@slow"], group: "server", since: "6.0.0",
        summary: "A container for Access List Control commands.", complexity: "Depends on subcommand.",
        subcommands: [
            sub("whoami", arity: 2, admin: false, summary: "Returns the authenticated username of the current connection.") { c, _ in
                c.reply.bulk(c.user)
            },
            sub("users", arity: 2, summary: "Lists all ACL users.") { c, _ in
                c.reply.array(1)
                c.reply.bulk("default")
            },
            sub("list", arity: 2, summary: "Dumps the effective rules in ACL file format.") { c, _ in
                c.reply.array(1)
                c.reply.bulk(c.server.access.describe)
            },
            sub("getuser", arity: 3, summary: "Lists the ACL rules of a user.",
                arguments: [ArgumentSpec("username", .string)], getUser),
            sub("setuser", arity: -3, summary: "Creates and modifies an ACL user and its rules.",
                arguments: [ArgumentSpec("username", .string), ArgumentSpec("rule", .string, optional: true, multiple: true)], setUser),
            sub("deluser", arity: -3, summary: "Deletes ACL users, and terminates their connections.",
                arguments: [ArgumentSpec("username", .string, multiple: true)]) { c, args in
                for i in 2..<args.count where args[i].string == "default" {
                    c.fail("ERR The 'default' user cannot be removed"); return
                }
                c.reply.integer(0)
            },
            sub("cat", arity: -2, admin: false, summary: "Lists the ACL categories, or the commands inside a category.",
                arguments: [ArgumentSpec("category", .string, optional: true)], cat),
            sub("genpass", arity: -2, admin: false, summary: "Generates a pseudorandom, secure password that can be used to identify ACL users.",
                arguments: [ArgumentSpec("bits", .integer, optional: true)], genpass),
            sub("dryrun", arity: -4, summary: "Simulates the execution of a command by a user, without executing the command.",
                since: "7.0.0", arguments: [ArgumentSpec("username", .string), ArgumentSpec("command", .string),
                                            ArgumentSpec("arg", .string, optional: true, multiple: true)], dryrun),
            sub("log", arity: -2, summary: "Lists recent security events generated due to ACL rules.",
                arguments: [ArgumentSpec("operation", .oneof, optional: true, children: [
                    ArgumentSpec("count", .integer), ArgumentSpec("reset", .pureToken, token: "RESET")])]) { c, args in
                log(c, args)
            },
            sub("save", arity: 2, summary: "Saves the effective ACL rules in the configured ACL file.") { c, _ in
                c.fail(noAclFile)
            },
            sub("load", arity: 2, summary: "Reloads the rules from the configured ACL file.") { c, _ in
                c.fail(noAclFile)
            },
            sub("help", arity: 2, admin: false, summary: "Returns helpful text about the different subcommands.", since: "6.0.0") { c, _ in
                c.reply.array(help.count)
                for line in help { c.reply.simple(line) }
            },
        ], handler: nil)

    static let noAclFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

    /// Redis's categories, in its order.
    static let categories = ["keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
                             "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
                             "dangerous", "connection", "transaction", "scripting"]

    static func getUser(_ c: Client, _ args: Arguments) {
        guard args[2].string == "default" else { c.reply.null(); return }
        let user = c.server.access.user
        c.reply.map(6)
        c.reply.bulk("flags")
        c.reply.set(user.nopass ? 2 : 1)
        c.reply.bulk(user.enabled ? "on" : "off")
        if user.nopass { c.reply.bulk("nopass") }
        c.reply.bulk("passwords")
        c.reply.array(user.passwordHashes.count)
        for hash in user.passwordHashes { c.reply.bulk(hash) }
        c.reply.bulk("commands"); c.reply.bulk("+@all")
        c.reply.bulk("keys"); c.reply.bulk("~*")
        c.reply.bulk("channels"); c.reply.bulk("&*")
        c.reply.bulk("selectors"); c.reply.array(0)
    }

    static func setUser(_ c: Client, _ args: Arguments) {
        guard args[2].string == "default" else {
            c.fail("ERR Swiftlet has only the 'default' user: other users cannot be created")
            return
        }
        let rules = (3..<max(3, args.count)).map { Array(args[$0]) }
        if let error = c.server.access.apply(rules) { c.fail(error) } else { c.reply.ok() }
    }

    static func cat(_ c: Client, _ args: Arguments) {
        if args.count > 3 { c.fail("ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP."); return }
        if args.count == 2 {
            c.reply.array(categories.count)
            for name in categories { c.reply.bulk(name) }
            return
        }
        let wanted = args[2].string.lowercased()
        guard categories.contains(wanted) else { c.fail("ERR Unknown category '\(args[2].string)'"); return }
        var names: [String] = []
        for spec in c.server.commands.byId where categoriesOf(spec).contains(wanted) { names.append(spec.fullName) }
        c.reply.array(names.count)
        for name in names { c.reply.bulk(name) }
    }

    /// A command's categories: those it lists, and those its flags imply (as in Redis).
    static func categoriesOf(_ spec: CommandSpec) -> Set<String> {
        var result = Set(spec.aclCategories.map { String($0.dropFirst()) })
        if spec.flags.contains(.write) { result.insert("write") }
        if spec.flags.contains(.readonly) { result.insert("read") }
        if spec.flags.contains(.admin) { result.insert("admin"); result.insert("dangerous") }
        if spec.flags.contains(.pubsub) { result.insert("pubsub") }
        if spec.flags.contains(.blocking) { result.insert("blocking") }
        result.insert(spec.flags.contains(.fast) ? "fast" : "slow")
        if result.contains("fast") { result.remove("slow") }
        return result
    }

    /// `ACL LOG [count | RESET]`: failed authentications, newest first (default 10).
    static func log(_ c: Client, _ args: Arguments) {
        if args.count > 3 { c.fail("ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP."); return }
        var count = 10
        if args.count == 3 {
            if args[2].equalsIgnoringCase("reset") { c.server.access.resetLog(); c.reply.ok(); return }
            guard let n = Decimal.parse(args[2]) else { c.fail(Errors.notInteger); return }
            count = n
        }
        let now = c.server.clock.milliseconds
        let entries = c.server.access.logEntries(count)
        c.reply.array(entries.count)
        for entry in entries {
            c.reply.map(7)
            c.reply.bulk("count"); c.reply.integer(entry.count)
            c.reply.bulk("reason"); c.reply.bulk("auth")
            c.reply.bulk("context"); c.reply.bulk("toplevel")
            c.reply.bulk("object"); c.reply.bulk(entry.object)
            c.reply.bulk("username"); c.reply.bulk(entry.username)
            c.reply.bulk("age-seconds"); c.reply.double(Double(now - entry.createdMs) / 1000)
            c.reply.bulk("client-info"); c.reply.bulk(entry.clientInfo)
        }
    }

    static func genpass(_ c: Client, _ args: Arguments) {
        if args.count > 3 { c.fail("ERR unknown subcommand or wrong number of arguments for 'GENPASS'. Try ACL HELP."); return }
        var bits = 256
        if args.count == 3 {
            guard let n = Decimal.parse(args[2]) else { c.fail(Errors.notInteger); return }
            guard n > 0 && n <= 4096 else {
                c.fail("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
                return
            }
            bits = n
        }
        let digits = (bits + 3) / 4
        var random = [UInt8](repeating: 0, count: (digits + 1) / 2)
        random.withUnsafeMutableBytes { cs_random_bytes($0.baseAddress, $0.count) }
        c.reply.bulk(String(SHA256.hexString(random).prefix(digits)))
    }

    static func dryrun(_ c: Client, _ args: Arguments) {
        guard args[2].string == "default" else { c.fail("ERR User '\(args[2].string)' not found"); return }
        guard let spec = c.server.commands.lookup(args[3]) else {
            c.fail("ERR Command '\(args[3].string)' not found"); return
        }
        let count = args.count - 3
        if (spec.arity > 0 && spec.arity != count) || count < -spec.arity {
            c.fail(Errors.arity(spec.fullName)); return
        }
        c.reply.ok()
    }

    static let help = [
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    ]
}

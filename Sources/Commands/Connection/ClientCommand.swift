import RESP
import Storage

/// `CLIENT <subcommand>`: ID, INFO, LIST, KILL, SETNAME, GETNAME, SETINFO,
/// NO-EVICT, REPLY, PAUSE, UNPAUSE, GETREDIR, HELP.
enum ClientCommand {
    static func sub(_ name: String, arity: Int, flags: CommandFlags = [.noscript, .loading, .stale],
                    summary: String, since: String, complexity: String = "O(1)", arguments: [ArgumentSpec] = [],
                    _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: flags,
                    acl: flags.contains(.admin) ? ["@admin", "@slow", "@dangerous", "@connection"] : ["@slow", "@connection"], group: "connection",
                    since: since, summary: summary, complexity: complexity, arguments: arguments, handler: handler)
    }

    static let spec = CommandSpec(
        "client", arity: -2, flags: [], acl: ["@slow"], group: "connection", since: "2.4.0",
        summary: "A container for client connection commands.", complexity: "Depends on subcommand.",
        subcommands: [
            sub("id", arity: 2, summary: "Returns the unique client ID of the connection.", since: "5.0.0") { c, _ in
                c.reply.integer(c.id)
            },
            sub("info", arity: 2, summary: "Returns information about the connection.", since: "6.2.0") { c, _ in
                let mark = c.reply.beginDeferredVerbatim()
                describe(c, into: c.reply)
                c.reply.append(UInt8(ascii: "\n"))
                c.reply.endDeferredVerbatim(mark)
            },
            sub("list", arity: -2, flags: [.admin, .noscript, .loading, .stale], summary: "Lists open connections.", since: "2.4.0",
                arguments: [ArgumentSpec("client-type", .oneof, token: "TYPE", optional: true, children: [
                    ArgumentSpec("normal", .pureToken, token: "NORMAL"), ArgumentSpec("master", .pureToken, token: "MASTER"),
                    ArgumentSpec("replica", .pureToken, token: "REPLICA"), ArgumentSpec("pubsub", .pureToken, token: "PUBSUB")]),
                            ArgumentSpec("client-id", .integer, token: "ID", optional: true, multiple: true)], list),
            sub("kill", arity: -3, flags: [.admin, .noscript, .loading, .stale], summary: "Terminates open connections.", since: "2.4.0", kill),
            sub("setname", arity: 3, summary: "Sets the connection name.", since: "2.6.9",
                arguments: [ArgumentSpec("connection-name", .string)]) { c, args in
                if setName(c, args[2]) { c.reply.ok() }
            },
            sub("getname", arity: 2, summary: "Returns the name of the connection.", since: "2.6.9") { c, _ in
                let name = c.server.clients.lock.withLock { _ in c.name }
                if let n = name { c.reply.bulk(n) } else { c.reply.null() }
            },
            sub("setinfo", arity: 4, summary: "Sets information specific to the client or connection.", since: "7.2.0",
                arguments: [ArgumentSpec("attr", .oneof, children: [
                    ArgumentSpec("libname", .string, token: "LIB-NAME"), ArgumentSpec("libver", .string, token: "LIB-VER")])]) { c, args in
                setInfo(c, args)
            },
            sub("no-evict", arity: 3, flags: [.admin, .noscript, .loading, .stale], summary: "Sets the client eviction mode of the connection.", since: "7.0.0") { c, args in
                if args[2].equalsIgnoringCase("on") { c.noEvict = true; c.reply.ok() }
                else if args[2].equalsIgnoringCase("off") { c.noEvict = false; c.reply.ok() }
                else { c.fail(Errors.syntax) }
            },
            sub("reply", arity: 3, summary: "Instructs the server whether to reply to commands.", since: "3.2.0") { c, args in
                if args[2].equalsIgnoringCase("on") {
                    c.replyMode = .on; c.reply.muted = false; c.reply.ok()
                } else if args[2].equalsIgnoringCase("off") {
                    c.replyMode = .off; c.reply.muted = true
                } else if args[2].equalsIgnoringCase("skip") {
                    if c.replyMode != .off { c.replyMode = .skipNext }
                } else {
                    c.fail(Errors.syntax)
                }
            },
            sub("pause", arity: -3, flags: [.admin, .noscript, .loading, .stale], summary: "Suspends commands processing.", since: "3.0.0") { c, args in
                guard let ms = Decimal.parse(args[2]) else { c.fail("ERR timeout is not an integer or out of range"); return }
                if ms < 0 { c.fail("ERR timeout is negative"); return }
                var writesOnly = false
                if args.count == 4 {
                    if args[3].equalsIgnoringCase("write") { writesOnly = true }
                    else if !args[3].equalsIgnoringCase("all") { c.fail("ERR CLIENT PAUSE mode must be WRITE or ALL"); return }
                } else if args.count > 4 { c.fail(Errors.syntax); return }
                let until = c.loop.nowMs + Int64(ms)
                // A pause never shortens one already in force (and ALL wins over WRITE).
                if until > c.server.pausedUntilMs.load(ordering: .relaxed) || !writesOnly {
                    if until >= c.server.pausedUntilMs.load(ordering: .relaxed) { c.server.pausedUntilMs.store(until, ordering: .relaxed) }
                    c.server.pauseWritesOnly.store(writesOnly && c.server.pausedUntilMs.load(ordering: .relaxed) == until, ordering: .relaxed)
                }
                c.reply.ok()
            },
            sub("unblock", arity: -3, flags: [.admin, .noscript, .loading, .stale],
                summary: "Unblocks a client blocked by a blocking command from a different connection.", since: "5.0.0",
                complexity: "O(log N) where N is the number of client connections",
                arguments: [ArgumentSpec("client-id", .integer),
                            ArgumentSpec("unblock-type", .oneof, optional: true,
                                         children: [ArgumentSpec("timeout", .pureToken, token: "TIMEOUT"), ArgumentSpec("error", .pureToken, token: "ERROR")])]) { c, args in
                if args.count > 4 {
                    // Redis echoes the subcommand as typed.
                    c.fail(bytes: Array("ERR unknown subcommand or wrong number of arguments for '".utf8) + Array(args[1])
                        + Array("'. Try CLIENT HELP.".utf8))
                    return
                }
                var error = false
                if args.count == 4 {
                    if args[3].equalsIgnoringCase("error") { error = true }
                    else if !args[3].equalsIgnoringCase("timeout") { c.fail("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"); return }
                }
                guard let id = c.integerArgument(args[2]) else { return }
                c.reply.integer(c.server.unblock(clientId: id, error: error) ? 1 : 0)
            },
            sub("unpause", arity: 2, flags: [.admin, .noscript, .loading, .stale], summary: "Resumes processing commands from paused clients.", since: "6.2.0") { c, _ in
                c.server.pausedUntilMs.store(0, ordering: .relaxed)
                c.reply.ok()
            },
            sub("getredir", arity: 2, summary: "Returns the client ID to which the connection's tracking notifications are redirected.", since: "6.0.0",
                ClientTrackingCommand.getRedirect),
            sub("tracking", arity: -3, summary: "Controls server-assisted client-side caching for the connection.", since: "6.0.0",
                complexity: "O(1). Some options may introduce additional complexity.",
                arguments: [ArgumentSpec("status", .oneof, children: [ArgumentSpec("on", .pureToken, token: "ON"), ArgumentSpec("off", .pureToken, token: "OFF")]),
                            ArgumentSpec("client-id", .integer, token: "REDIRECT", optional: true),
                            ArgumentSpec("prefix", .string, token: "PREFIX", optional: true, multiple: true, multipleToken: true),
                            ArgumentSpec("bcast", .pureToken, token: "BCAST", optional: true),
                            ArgumentSpec("optin", .pureToken, token: "OPTIN", optional: true),
                            ArgumentSpec("optout", .pureToken, token: "OPTOUT", optional: true),
                            ArgumentSpec("noloop", .pureToken, token: "NOLOOP", optional: true)],
                ClientTrackingCommand.tracking),
            sub("caching", arity: 3, summary: "Instructs the server whether to track the keys in the next request.", since: "6.0.0",
                arguments: [ArgumentSpec("mode", .oneof, children: [ArgumentSpec("yes", .pureToken, token: "YES"), ArgumentSpec("no", .pureToken, token: "NO")])],
                ClientTrackingCommand.caching),
            sub("trackinginfo", arity: 2, summary: "Returns information about server-assisted client-side caching for the connection.", since: "6.2.0",
                ClientTrackingCommand.info),
            sub("help", arity: 2, flags: [.loading, .stale], summary: "Returns helpful text about the different subcommands.", since: "5.0.0") { c, _ in
                c.replyHelp("CLIENT", helpLines)
            },
        ], handler: nil)

    static let helpLines = [
        "CACHING (YES|NO)", "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR", "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME", "    Return the name of the current connection.",
        "ID", "    Return the ID of the current connection.",
        "INFO", "    Return information about the current client connection.",
        "KILL <ip:port>", "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Kill connections by type.",
        "    * USER <username>", "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)", "      Skip killing current connection (default: yes).",
        // Redis 7.0 accepts ID here but its help does not list it.
        "LIST [options ...]", "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type.",
        "UNPAUSE", "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]", "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
        "SETNAME <name>", "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>", "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.", "    * LIB-VER: the client lib version.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]", "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]", "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO", "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
    ]

    /// Names may not contain spaces, newlines or anything outside `!`…`~`.
    static func validName(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }

    /// Sets (or, for an empty name, clears) the client name; replies the error itself.
    static func setName(_ c: Client, _ bytes: UnsafeRawBufferPointer) -> Bool {
        if !validName(bytes) { c.fail("ERR Client names cannot contain spaces, newlines or special characters."); return false }
        let name: String? = bytes.count == 0 ? nil : bytes.string
        c.server.clients.lock.withLock { _ in c.name = name }
        return true
    }

    static func setInfo(_ c: Client, _ args: Arguments) {
        let value = args[3]
        let isName = args[2].equalsIgnoringCase("lib-name")
        if !isName && !args[2].equalsIgnoringCase("lib-ver") {
            c.fail("ERR Unrecognized option '\(args[2].string)'"); return
        }
        if !validName(value) {
            c.fail("ERR \(isName ? "lib-name" : "lib-ver") cannot contain spaces, newlines or special characters."); return
        }
        let text: String? = value.count == 0 ? nil : value.string
        c.server.clients.lock.withLock { _ in if isName { c.libName = text } else { c.libVersion = text } }
        c.reply.ok()
    }

    /// One CLIENT LIST line, with Redis 7.0's fields in its order (ACL LOG's
    /// `client-info`).
    static func describe(_ c: Client) -> String {
        let scratch = ReplyBuffer(capacity: 512)
        describe(c, into: scratch)
        return String(decoding: UnsafeRawBufferPointer(start: scratch.base, count: scratch.count), as: UTF8.self)
    }

    /// Writes one CLIENT LIST line, without its newline, at the end of `out`:
    /// straight into the reply, where a String per line with interpolated
    /// fields cost 2.2x Redis's CPU for CLIENT LIST.
    static func describe(_ c: Client, into out: ReplyBuffer) {
        let server = c.server
        let now = server.clock.milliseconds
        let name = server.clients.lock.withLock { _ in c.name }
        let lastCommand = c.lastCommandId.load(ordering: .relaxed)
        let qbuf = c.queryBufferBytes.load(ordering: .relaxed)
        let qbufFree = c.queryBufferFree.load(ordering: .relaxed)
        let omem = c.outputBufferBytes.load(ordering: .relaxed)
        let multi = c.multiCount.load(ordering: .relaxed)
        out.append("id="); out.appendDecimal(c.id)
        out.append(" addr="); out.append(c.address)
        out.append(" laddr="); out.append(c.localAddress)
        out.append(" fd="); out.appendDecimal(Int(c.fd))
        out.append(" name="); if let name { out.append(name) }
        out.append(" age="); out.appendDecimal(Int((now - c.createdAtMs) / 1000))
        out.append(" idle="); out.appendDecimal(Int((now - c.lastInteractionMs.load(ordering: .relaxed)) / 1000))
        out.append(" flags=")
        let flagsStart = out.count
        let tracking = TrackingOptions(rawValue: c.trackingOptions.load(ordering: .relaxed))
        if c.monitorMode.load(ordering: .relaxed) { out.append(UInt8(ascii: "O")) }
        if c.subscriptionCount > 0 { out.append(UInt8(ascii: "P")) }
        if multi >= 0 { out.append(UInt8(ascii: "x")) }
        if c.isBlocked.load(ordering: .relaxed) { out.append(UInt8(ascii: "b")) }
        if tracking.contains(.on) { out.append(UInt8(ascii: "t")) }
        if tracking.contains(.brokenRedirect) { out.append(UInt8(ascii: "R")) }
        if tracking.contains(.broadcast) { out.append(UInt8(ascii: "B")) }
        if c.watchFlag.dirty.load(ordering: .relaxed) { out.append(UInt8(ascii: "d")) }
        if c.closeAfterReply { out.append(UInt8(ascii: "c")) }
        if c.noEvict { out.append(UInt8(ascii: "e")) }
        if out.count == flagsStart { out.append(UInt8(ascii: "N")) }
        out.append(" db="); out.appendDecimal(c.publishedDb.load(ordering: .relaxed))
        out.append(" sub="); out.appendDecimal(c.channelCount)
        out.append(" psub="); out.appendDecimal(c.patternCount)
        out.append(" ssub="); out.appendDecimal(c.shardChannelCount)
        out.append(" multi="); out.appendDecimal(multi)
        out.append(" qbuf="); out.appendDecimal(qbuf)
        out.append(" qbuf-free="); out.appendDecimal(qbufFree)
        out.append(" argv-mem=0 multi-mem=0 rbs="); out.appendDecimal(ReplyBuffer.initialCapacity)
        out.append(" rbp="); out.appendDecimal(ReplyBuffer.initialCapacity)
        out.append(" obl=0 oll=0 omem="); out.appendDecimal(omem)
        out.append(" tot-mem="); out.appendDecimal(qbuf + qbufFree + ReplyBuffer.initialCapacity + omem + 1024)
        out.append(" events=r cmd=")
        if lastCommand >= 0 && lastCommand < server.commands.byId.count {
            out.append(server.commands.byId[lastCommand].fullName)
        } else {
            out.append("NULL")
        }
        out.append(" user="); out.append(c.user)
        out.append(" redir="); out.appendDecimal(c.trackingRedirect)
        out.append(" resp="); out.appendDecimal(c.publishedResp.load(ordering: .relaxed))
    }

    enum ClientType { case normal, master, replica, pubsub }

    static func parseType(_ bytes: UnsafeRawBufferPointer) -> ClientType? {
        if bytes.equalsIgnoringCase("normal") { return .normal }
        if bytes.equalsIgnoringCase("master") { return .master }
        if bytes.equalsIgnoringCase("replica") || bytes.equalsIgnoringCase("slave") { return .replica }
        if bytes.equalsIgnoringCase("pubsub") { return .pubsub }
        return nil
    }

    static func type(of c: Client) -> ClientType { c.subscriptionCount > 0 ? .pubsub : .normal }

    static func list(_ c: Client, _ args: Arguments) {
        var clients = c.server.clients.snapshot()
        if args.count == 4 && args[2].equalsIgnoringCase("type") {
            guard let t = parseType(args[3]) else { c.fail("ERR Unknown client type '\(args[3].string)'"); return }
            clients = clients.filter { type(of: $0) == t }
        } else if args.count > 3 && args[2].equalsIgnoringCase("id") {
            var ids = Set<Int>()
            for i in 3..<args.count {
                guard let id = Decimal.parse(args[i]), id > 0 else { c.fail("ERR Invalid client ID"); return }
                ids.insert(id)
            }
            clients = clients.filter { ids.contains($0.id) }
        } else if args.count != 2 {
            c.fail(Errors.syntax); return
        }
        let mark = c.reply.beginDeferredVerbatim()
        for other in clients {
            describe(other, into: c.reply)
            c.reply.append(UInt8(ascii: "\n"))
        }
        c.reply.endDeferredVerbatim(mark)
    }

    static func kill(_ c: Client, _ args: Arguments) {
        let clients = c.server.clients.snapshot()
        if args.count == 3 {
            // Old form: CLIENT KILL addr:port
            let address = args[2].string
            guard let target = clients.first(where: { $0.address == address }) else { c.fail("ERR No such client"); return }
            c.terminate(target)
            c.reply.ok()
            return
        }
        var id: Int? = nil, type: ClientType? = nil, address: String? = nil, localAddress: String? = nil
        var user: String? = nil
        var skipMe = true
        var i = 2
        while i < args.count {
            guard i + 1 < args.count else { c.fail(Errors.syntax); return }
            let option = args[i], value = args[i + 1]
            if option.equalsIgnoringCase("id") {
                guard let n = Decimal.parse(value), n > 0 else { c.fail("ERR client-id should be greater than 0"); return }
                id = n
            } else if option.equalsIgnoringCase("type") {
                guard let t = parseType(value) else { c.fail("ERR Unknown client type '\(value.string)'"); return }
                type = t
            } else if option.equalsIgnoringCase("addr") {
                address = value.string
            } else if option.equalsIgnoringCase("laddr") {
                localAddress = value.string
            } else if option.equalsIgnoringCase("user") {
                let name = value.string
                if name != "default" { c.fail("ERR No such user '\(name)'"); return }
                user = name
            } else if option.equalsIgnoringCase("skipme") {
                if value.equalsIgnoringCase("yes") { skipMe = true }
                else if value.equalsIgnoringCase("no") { skipMe = false }
                else { c.fail(Errors.syntax); return }
            } else {
                c.fail(Errors.syntax); return
            }
            i += 2
        }
        var killed = 0
        for other in clients {
            if let v = id, other.id != v { continue }
            if let t = type, ClientCommand.type(of: other) != t { continue }
            if let a = address, other.address != a { continue }
            if let a = localAddress, other.localAddress != a { continue }
            if let u = user, other.user != u { continue }
            if other === c && skipMe { continue }
            c.terminate(other)
            killed += 1
        }
        c.reply.integer(killed)
    }
}

extension Client {
    /// Marks the client for closing; its loop closes it after writing what is queued.
    /// Closes the connection now, from any thread; queued replies are dropped.
    public func kill() {
        killed.store(true, ordering: .relaxed)
        requestClose()
    }

    /// CLIENT KILL: another client goes at once; this one after its reply.
    func terminate(_ other: Client) {
        if other === self { closeAfterReply = true } else { other.kill() }
    }
}

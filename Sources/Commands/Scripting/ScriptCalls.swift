import Lua
import RESP
import Storage
import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// The `redis` table: `call` and `pcall` run commands as the script's
/// client, with Redis's checks in Redis's order; the helpers build replies,
/// hash, log and choose the reply protocol.
enum ScriptCalls {
    static func install(into redis: LuaTable, state: LuaState, engine: ScriptEngine, server: ServerContext) {
        func set(_ name: String, _ value: LuaValue) { try? redis.rawSet(.string(name), value) }
        state.registerFunction("call", in: redis) { [unowned engine] args in try call(args, engine: engine, raise: true) }
        state.registerFunction("pcall", in: redis) { [unowned engine] args in try call(args, engine: engine, raise: false) }
        state.registerFunction("error_reply", in: redis) { args in
            guard args.count == 1, case .string(let s) = args[0] else {
                return try args.return(errorTable("ERR wrong number or type of arguments"))
            }
            return try args.return(errorTable(errorReplyText(s.bytes)))
        }
        state.registerFunction("status_reply", in: redis) { args in
            guard args.count == 1, case .string(let s) = args[0] else {
                return try args.return(errorTable("ERR wrong number or type of arguments"))
            }
            let t = LuaTable()
            try t.rawSet(.string("ok"), .string(s))
            return try args.return(.table(t))
        }
        state.registerFunction("sha1hex", in: redis) { args in
            guard args.count == 1 else { throw raised(args, "wrong number of arguments") }
            let bytes: [UInt8]
            switch args[0] {
            case .string(let s): bytes = s.bytes
            case .number: bytes = args[0].coercedString?.bytes ?? []
            default: bytes = []
            }
            return try args.return(.bytes(SHA1.hex(bytes)))
        }
        state.registerFunction("log", in: redis) { [unowned server] args in
            guard args.count >= 2 else { throw raised(args, "redis.log() requires two arguments or more.") }
            guard let level = args[0].coercedNumber else { throw raised(args, "First argument must be a number (log level).") }
            guard level >= 0 && level <= 3 else { throw raised(args, "Invalid debug level.") }
            var parts: [String] = []
            for i in 1..<args.count {
                switch args[i] {
                case .string, .number: parts.append(args[i].coercedString?.description ?? "")
                default: continue
                }
            }
            server.log(LogLevel(rawValue: Int(level)) ?? .notice, parts.joined(separator: " "))
            return 0
        }
        state.registerFunction("setresp", in: redis) { [unowned engine] args in
            guard args.count == 1 else { throw raised(args, "redis.setresp() requires one argument.") }
            let n = Int(args[0].coercedNumber ?? 0)
            guard n == 2 || n == 3 else { throw raised(args, "RESP version must be 2 or 3.") }
            engine.run?.resp = n
            return 0
        }
        state.registerFunction("set_repl", in: redis) { args in
            guard args.count == 1 else { throw raised(args, "redis.set_repl() requires two arguments.") }
            let flags = Int(args[0].coercedNumber ?? 0)
            if flags & ~3 != 0 {
                throw raised(args, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
            }
            return 0  // no replication here: nothing to direct
        }
        state.registerFunction("replicate_commands", in: redis) { args in try args.return(.boolean(true)) }
        state.registerFunction("breakpoint", in: redis) { args in try args.return(.boolean(false)) }
        state.registerFunction("debug", in: redis) { _ in 0 }
        state.registerFunction("acl_check_cmd", in: redis) { [unowned engine] args in
            var arguments = try commandArguments(args)
            guard let run = engine.run, arguments.withArguments({ run.client.server.commands.lookupRequest($0) }) != nil else {
                throw raised(args, "Invalid command passed to redis.acl_check_cmd()")
            }
            return try args.return(.boolean(true))  // the default user may run everything
        }
        for (name, value) in [("LOG_DEBUG", 0), ("LOG_VERBOSE", 1), ("LOG_NOTICE", 2), ("LOG_WARNING", 3),
                              ("REPL_NONE", 0), ("REPL_AOF", 1), ("REPL_SLAVE", 2), ("REPL_REPLICA", 2), ("REPL_ALL", 3)] {
            set(name, .number(Double(value)))
        }
        set("REDIS_VERSION", .string(Configuration.redisVersion))
        let parts = Configuration.redisVersion.split(separator: ".").map { Int($0) ?? 0 }
        set("REDIS_VERSION_NUM", .number(Double(parts[0] << 16 | parts[1] << 8 | parts[2])))
    }

    /// An error raised by a helper: an error table, whose line the reply
    /// reports (Redis's error handler adds it).
    static func raised(_ args: LuaArguments, _ message: String) -> LuaError {
        LuaError(errorTable("ERR " + message))
    }

    static func errorTable(_ text: String) -> LuaValue { errorTable(Array(text.utf8)) }

    static func errorTable(_ text: [UInt8]) -> LuaValue {
        let t = LuaTable()
        try? t.rawSet(.string("err"), .bytes(text))
        return .table(t)
    }

    /// `redis.error_reply`'s text: a code (ERR when there is no space),
    /// then the message; a leading '-' dropped, trailing CR/LF trimmed.
    static func errorReplyText(_ s: [UInt8]) -> [UInt8] {
        var text = s.first == UInt8(ascii: "-") ? Array(s.dropFirst()) : s
        while let last = text.last, last == 13 || last == 10 { text.removeLast() }
        if !text.contains(UInt8(ascii: " ")) { return Array("ERR ".utf8) + text }
        return text
    }

    /// The command's arguments: strings as they are, numbers as `%.17g`,
    /// in one buffer (the command runs on a view of it).
    static func commandArguments(_ args: LuaArguments) throws -> OwnedArguments {
        if args.count == 0 {
            throw LuaError(errorTable("ERR Please specify at least one argument for this redis lib call"))
        }
        var total = 0
        for i in 0..<args.count { if case .string(let s) = args[i] { total += s.bytes.count } else { total += 24 } }
        var out = OwnedArguments(reservingCapacity: args.count, bytes: total)
        for i in 0..<args.count {
            switch args[i] {
            case .string(let s): s.bytes.withUnsafeBytes { out.append($0) }
            case .number(let n): Array(DoubleFormat.printf17g(n).utf8).withUnsafeBytes { out.append($0) }
            default: throw LuaError(errorTable("ERR Lua redis lib command arguments must be strings or integers"))
            }
        }
        return out
    }

    /// `redis.call` (errors raised) and `redis.pcall` (errors returned).
    static func call(_ args: LuaArguments, engine: ScriptEngine, raise: Bool) throws -> Int {
        var owned: OwnedArguments
        do { owned = try commandArguments(args) } catch let e as LuaError {
            if raise { throw e }
            return try args.return(e.value)
        }
        return try owned.withArguments { arguments in try call(arguments, args, engine: engine, raise: raise) }
    }

    static func call(_ arguments: Arguments, _ args: LuaArguments, engine: ScriptEngine, raise: Bool) throws -> Int {
        func fail(_ text: String) throws -> Int {
            let e = errorTable(text)
            if raise { throw LuaError(e) }
            return try args.return(e)
        }
        guard let run = engine.run else { return try fail("ERR no script is running") }
        let server = run.client.server
        /// A command refused before it runs, as Redis's `scriptCall` does:
        /// counted here (INFO errorstats, and the command's rejected_calls),
        /// so not again when the script passes the error on.
        func reject(_ spec: CommandSpec?, _ text: String) throws -> Int {
            run.client.loop.countError(Errors.statsCode(Array(text.utf8)))
            if let spec { run.client.loop.commandCounters[spec.id].rejected.add(1) }
            let e = errorTable(text)
            markCounted(e)
            if raise { throw LuaError(e) }
            return try args.return(e)
        }
        guard let spec = server.commands.lookupRequest(arguments) else { return try reject(nil, "ERR Unknown Redis command called from script") }
        if !spec.accepts(arguments.count) { return try reject(spec, "ERR Wrong number of args calling Redis command from script") }
        if spec.flags.contains(.noscript) || (spec.parent?.flags.contains(.noscript) ?? false) {
            return try reject(spec, "ERR This Redis command is not allowed from script")
        }
        let writes = spec.flags.contains(.write) || spec.flags.contains(.mayReplicate)
        if writes && (run.readOnly || run.flags.noWrites) {
            return try reject(spec, "ERR Write commands are not allowed from read-only scripts.")
        }
        if run.overMemory && !run.wrote && !run.flags.allowOOM && spec.flags.contains(.denyoom) {
            return try reject(spec, Errors.oom)
        }
        if spec.flags.contains(.write) {
            run.wrote = true
            engine.runningWrote.store(true, ordering: .relaxed)
        }
        let client = run.client
        client.protocolVersion = run.resp
        let reply = client.reply
        let start = reply.count
        // Timed from now (commandstats, SLOWLOG), not from the end of the
        // loop's previous command: the script ran in between.
        client.loop.lastCycles = 0
        Dispatcher.call(spec, client, arguments)
        // Read where the command wrote it, then forgotten.
        var parser = ReplyReader(bytes: UnsafeRawBufferPointer(start: reply.base + start, count: reply.count - start),
                                 resp3: run.resp == 3)
        let value = parser.value()
        reply.count = start
        if case .table(let t) = value, case .string = t.get(string: errorKey) {
            markCounted(value)
            if raise { throw LuaError(value) }
        }
        return try args.return(value)
    }

    static let errorKey = LuaString("err")
    static let countedKey = LuaString("ignore_error_stats_update")

    /// Marks an error table as counted in INFO errorstats already (a
    /// command's error, or a command refused inside the script), as Redis
    /// does with the same field: when the script passes it on, only the
    /// script's command counts as failed.
    static func markCounted(_ error: LuaValue) {
        if case .table(let t) = error { try? t.rawSet(.string(countedKey), .boolean(true)) }
    }

    static func wasCounted(_ error: LuaValue) -> Bool {
        if case .table(let t) = error, case .boolean(true) = t.get(string: countedKey) { return true }
        return false
    }
}

/// Redis's reply → Lua conversion of a command's reply bytes: integers as
/// numbers, bulk strings as strings, nulls as false (nil in RESP3), arrays
/// as tables, status as `{ok=}`, errors as `{err=}`, and under RESP3 maps
/// `{map=}`, sets `{set=}`, doubles `{double=}`, booleans, big numbers and
/// verbatim strings.
struct ReplyReader {
    /// A complete reply, valid while the reader is used.
    let bytes: UnsafeRawBufferPointer
    let resp3: Bool
    var p = 0

    init(bytes: UnsafeRawBufferPointer, resp3: Bool) { self.bytes = bytes; self.resp3 = resp3 }

    /// The rest of the line, as a range of `bytes`; `p` moves past its CRLF.
    mutating func lineRange() -> Range<Int> {
        var end = p
        while end + 1 < bytes.count && !(bytes[end] == 13 && bytes[end + 1] == 10) { end += 1 }
        let range = p..<min(end, bytes.count)
        p = end + 2
        return range
    }

    mutating func line() -> [UInt8] { Array(bytes[lineRange()]) }

    /// The line as a number (lengths, counts, integer replies): optional
    /// sign and digits, as Redis writes them.
    mutating func integerLine() -> Int {
        let range = lineRange()
        var i = range.lowerBound, negative = false, n = 0
        if i < range.upperBound && bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        while i < range.upperBound { n = n &* 10 &+ Int(bytes[i] &- 48); i += 1 }
        return negative ? -n : n
    }

    static func table(_ pairs: [(String, LuaValue)]) -> LuaValue {
        let t = LuaTable()
        for (k, v) in pairs { try? t.rawSet(.string(k), v) }
        return .table(t)
    }

    mutating func value() -> LuaValue {
        guard p < bytes.count else { return .nil }
        let kind = bytes[p]
        p += 1
        // Lines that are a number, read as one; the others kept as text.
        let numeric = kind == UInt8(ascii: ":") || kind == UInt8(ascii: "$") || kind == UInt8(ascii: "*")
            || kind == UInt8(ascii: ">") || kind == UInt8(ascii: "%") || kind == UInt8(ascii: "~")
            || kind == UInt8(ascii: "=") || kind == UInt8(ascii: "|")
        let number = numeric ? integerLine() : 0
        let head: [UInt8] = numeric ? [] : line()
        switch kind {
        case UInt8(ascii: ":"): return .number(Double(number))
        case UInt8(ascii: "$"):
            if number < 0 { return resp3 ? .nil : .boolean(false) }
            let s = Array(bytes[p..<(p + number)])
            p += number + 2
            return .bytes(s)
        case UInt8(ascii: "+"): return Self.table([("ok", .bytes(head))])
        case UInt8(ascii: "-"): return Self.table([("err", .bytes(head))])
        case UInt8(ascii: "*"), UInt8(ascii: ">"):
            if number < 0 { return resp3 ? .nil : .boolean(false) }
            let t = LuaTable(arrayCount: number)
            for i in 0..<number {
                var v = value()
                if v.isNil { v = .boolean(false) }
                t.set(index: i + 1, v)
            }
            return .table(t)
        case UInt8(ascii: "%"):
            let m = LuaTable()
            for _ in 0..<number {
                let k = value(), v = value()
                if !k.isNil { try? m.rawSet(k, v) }
            }
            return Self.table([("map", .table(m))])
        case UInt8(ascii: "~"):
            let s = LuaTable()
            for _ in 0..<number {
                let k = value()
                if !k.isNil { try? s.rawSet(k, .boolean(true)) }
            }
            return Self.table([("set", .table(s))])
        case UInt8(ascii: "_"): return .nil
        case UInt8(ascii: "#"): return .boolean(head.first == UInt8(ascii: "t"))
        case UInt8(ascii: ","):
            return Self.table([("double", .number(Double(String(decoding: head, as: UTF8.self)) ?? .nan))])
        case UInt8(ascii: "("): return Self.table([("big_number", .bytes(head))])
        case UInt8(ascii: "="):
            let s = Array(bytes[p..<(p + number)])
            p += number + 2
            let format = Array(s.prefix(3)), text = Array(s.dropFirst(4))
            return Self.table([("verbatim_string", Self.table([("format", .bytes(format)), ("string", .bytes(text))]))])
        case UInt8(ascii: "|"):
            for _ in 0..<(2 * number) { _ = value() }
            return value()
        default: return .nil
        }
    }
}

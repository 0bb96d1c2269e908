import Lua
import RESP
import Storage

/// `EVAL script numkeys [key ...] [arg ...]`, `EVALSHA sha1 numkeys ...`
/// and their read-only forms `EVAL_RO` and `EVALSHA_RO`.
///
/// Checks come in Redis's order: EVALSHA's hash length, numkeys, the
/// script (cached, or compiled with its shebang), the flags against the
/// variant and memory; then the script runs holding every shard, with
/// KEYS and ARGV set, and its result (or error) becomes the reply.
enum EvalCommand {
    static func make(_ name: String, sha: Bool, readOnly: Bool) -> CommandSpec {
        CommandSpec(
            name, arity: -3,
            flags: readOnly ? [.noscript, .skipMonitor, .noMandatoryKeys, .stale, .readonly]
                : [.noscript, .skipMonitor, .mayReplicate, .noMandatoryKeys, .stale],
            acl: ["@slow", "@scripting"], group: "scripting", since: readOnly ? "7.0.0" : (sha ? "2.6.0" : "2.6.0"),
            summary: sha ? "Executes a server-side Lua script by SHA1 digest." : "Executes a server-side Lua script.",
            complexity: "Depends on the script that is executed.",
            arguments: [ArgumentSpec(sha ? "sha1" : "script", .string), ArgumentSpec("numkeys", .integer),
                        ArgumentSpec("key", .key, optional: true, multiple: true, keySpecIndex: 0),
                        ArgumentSpec("arg", .string, optional: true, multiple: true)],
            handler: { c, args in run(c, args, bySHA: sha, readOnly: readOnly) })
    }

    static let eval = make("eval", sha: false, readOnly: false)
    static let evalsha = make("evalsha", sha: true, readOnly: false)
    static let evalReadOnly = make("eval_ro", sha: false, readOnly: true)
    static let evalshaReadOnly = make("evalsha_ro", sha: true, readOnly: true)

    static let noScript = "NOSCRIPT No matching script. Please use EVAL."

    /// One EVAL as the script code needs it. The arguments stay where the
    /// request was parsed: the script runs before the command returns, and
    /// the loop does not move a running connection's input (see
    /// `EventLoop.serveWhileBusy`).
    struct Request {
        let arguments: Arguments
        let bySHA: Bool
        /// FCALL: the function `arguments[1]` names, as FCALL found it.
        var function: RegisteredFunction? = nil
        let readOnly: Bool
        let keyCount: Int
        let db: Int
    }

    static func run(_ c: Client, _ args: Arguments, bySHA: Bool, readOnly: Bool) {
        feedMonitors(c, args)
        if bySHA && args[1].count != 40 { c.fail(noScript); return }
        guard let keyCount = c.integerArgument(args[2]) else { return }
        if keyCount > args.count - 3 { c.fail("ERR Number of keys can't be greater than number of args"); return }
        if keyCount < 0 { c.fail("ERR Number of keys can't be negative"); return }
        dispatch(c, Request(arguments: args, bySHA: bySHA, readOnly: readOnly, keyCount: keyCount, db: c.db))
    }

    /// Runs a checked EVAL or FCALL: here, inside EXEC or an in-process
    /// call; else as the server's one script (`ScriptLane`).
    static func dispatch(_ c: Client, _ request: Request) {
        // Inside EXEC (the shards are this thread's already) or without a
        // connection (in-process calls): run here. Nobody is served while
        // it runs unless the EXEC holds the script lane.
        if c.server.keyspace.heldByThisThread || !ScriptLane.canServe(c) {
            performHoldingEverything(request, c, busyFd: c.holdsScriptLane ? c.fd : nil)
            return
        }
        ScriptLane.enter(c) { busyFd in performHoldingEverything(request, c, busyFd: busyFd) }
    }

    /// `perform` holding every shard, then the engine (that order, always).
    static func performHoldingEverything(_ request: Request, _ c: Client, busyFd: Int32?) {
        let server = c.server, engine = server.scripts
        server.keyspace.withAllShardsLocked {
            engine.lock.withLock { _ in
                perform(request, caller: c, server: server, engine: engine, busyFd: busyFd)
            }
        }
    }

    /// EVAL and FCALL skip the usual MONITOR feed (Redis's skip_monitor):
    /// they show before any check, as in Redis (even when their arguments
    /// are refused), and their script's commands after them. Once per
    /// request: not again when it is held to run after another loop's
    /// script (`ScriptLane`).
    static func feedMonitors(_ c: Client, _ args: Arguments) {
        if c.monitorFedForRetry { c.monitorFedForRetry = false; return }
        if !c.server.monitors.isEmpty, let spec = c.server.commands.lookup(args[0]) { MonitorCommand.feed(c, spec, args) }
    }

    /// What runs: a cached script or a library's function.
    struct Target {
        /// The script's SHA-1 or the function's name, as errors name it.
        let name: [UInt8]
        let function: LuaFunction
        let flags: ScriptFlags
        let isFunction: Bool
        /// Lua's chunk name for the code, as error positions show it.
        var chunk: String { isFunction ? "user_function" : "user_script" }
    }

    /// Looks the script up (or compiles it) or the function, checks its
    /// flags, runs it; the reply goes to `caller`. Holding every shard and
    /// the engine. Past busy-reply-threshold the loop's other clients are
    /// served, all but the one on `busyFd` (nil: not on a loop).
    static func perform(_ request: Request, caller: Client, server: ServerContext, engine: ScriptEngine, busyFd: Int32?) {
        let loop = caller.loop
        loop.nowMs = server.clock.milliseconds
        let target: Target, state: LuaState
        if let function = request.function {
            // Found when FCALL was checked (a FUNCTION DELETE since then
            // does not stop it: the library's code stays alive meanwhile).
            state = engine.functionsMachine(server).state
            target = Target(name: function.name, function: function.callback, flags: function.flags, isFunction: true)
        } else {
            state = engine.machine(server)
            guard let script = cachedScript(request, engine: engine, state: state, caller: caller) else { return }
            target = script
        }
        let flags = target.flags
        if request.readOnly && flags.declared && !flags.noWrites {
            caller.fail("ERR Can not execute a script with write flag using *_ro command.")
            return
        }
        let overMemory = server.config.maxmemory != 0 && !server.enforceMemoryLimit(nowMs: loop.nowMs)
        if overMemory && flags.declared && !flags.noWrites && !flags.allowOOM {
            caller.fail(Errors.oom)
            return
        }
        execute(request, target: target, state: state, engine: engine, server: server,
                caller: caller, overMemory: overMemory, busyFd: busyFd)
    }

    /// EVAL's script from the cache, compiled (and cached) when new;
    /// nil when there is none, with the error replied.
    static func cachedScript(_ request: Request, engine: ScriptEngine, state: LuaState, caller: Client) -> Target? {
        let sha: [UInt8]
        let script: CachedScript
        let body = request.arguments[1]
        if request.bySHA {
            sha = body.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
            guard let key = ScriptKey(sha), let found = engine.scripts[key] else { caller.fail(noScript); return nil }
            script = found
        } else {
            sha = SHA1.hex(body)
            let key = ScriptKey(sha)!
            if let found = engine.scripts[key] {
                script = found
            } else {
                switch compile(Array(body), state: state) {
                case .failure(let message): caller.fail(message); return nil
                case .success(let compiled): script = compiled
                }
                engine.scripts[key] = script
            }
        }
        return Target(name: sha, function: script.function, flags: script.flags, isFunction: false)
    }

    enum Compiled { case success(CachedScript), failure(String) }

    /// The shebang checked, the body compiled under Redis's chunk name.
    static func compile(_ body: [UInt8], state: LuaState) -> Compiled {
        var source = body
        var flags = ScriptFlags()
        if body.starts(with: [35, 33]) {  // "#!"
            switch Shebang.parse(body) {
            case .failure(let message): return .failure(message)
            case .success(let parsed):
                flags = parsed.flags
                // The shebang line goes; its newline stays, so line numbers hold.
                source = Array(repeating: 32, count: 0) + body[parsed.lineEnd...]
            }
        }
        do {
            let function = try state.load(source, chunkName: Array("@user_script".utf8))
            return .success(CachedScript(body: body, function: function, flags: flags))
        } catch let e as LuaSyntaxError {
            return .failure("ERR Error compiling script (new function): \(e.message)")
        } catch {
            return .failure("ERR Error compiling script (new function): \(error)")
        }
    }

    /// Runs `target`: a script with KEYS and ARGV as globals, a function
    /// called as `f(keys, args)`.
    static func execute(_ request: Request, target: Target, state: LuaState, engine: ScriptEngine,
                        server: ServerContext, caller: Client, overMemory: Bool, busyFd: Int32?) {
        let loop = caller.loop
        let args = request.arguments, keyCount = request.keyCount
        let keys = LuaTable(arrayCount: keyCount)
        for i in 0..<keyCount { keys.set(index: i + 1, .bytes(Array(args[3 + i]))) }
        let argv = LuaTable(arrayCount: args.count - 3 - keyCount)
        for i in (3 + keyCount)..<args.count { argv.set(index: i - 2 - keyCount, .bytes(Array(args[i]))) }
        if !target.isFunction {
            state.setGlobal(ScriptEngine.keysName, .table(keys))
            state.setGlobal(ScriptEngine.argvName, .table(argv))
        }
        let client = scriptClient(loop, server: server)
        client.select(request.db)
        let name = target.name, chunk = target.chunk
        let run = ScriptRun(client: client, name: name, readOnly: request.readOnly,
                            flags: target.flags, overMemory: overMemory)
        run.busyFd = busyFd
        run.loopIndex = loop.index
        run.startedMs = loop.nowMs  // read by `perform` just before
        engine.run = run
        engine.runs += 1
        run.id = engine.runs
        engine.runningId.store(run.id, ordering: .relaxed)
        engine.runningWrote.store(false, ordering: .relaxed)
        engine.startedMs.store(run.startedMs, ordering: .relaxed)
        if target.isFunction {
            engine.runningFunctionInfo.withLock { $0 = (name, args, run.startedMs) }
            engine.runningFunction.store(true, ordering: .releasing)
        }
        engine.running.store(true, ordering: .releasing)
        defer {
            engine.running.store(false, ordering: .releasing)
            if target.isFunction {
                engine.runningFunction.store(false, ordering: .releasing)
                engine.runningFunctionInfo.withLock { $0 = nil }
            }
            engine.run = nil
            // A script that read a large reply leaves a large buffer: not kept.
            if client.reply.capacity > 1 << 20 { loop.scriptClient = nil }
        }
        // Clients blocked on keys the script gave data to are served after
        // it (still holding every shard), as after any command.
        defer { if !loop.readyKeys.isEmpty { client.serveReadyKeys() } }
        do {
            let results = target.isFunction
                ? try state.call(.function(target.function), [.table(keys), .table(argv)])
                : try state.call(.function(target.function))
            ScriptReplies.write(results.first ?? .nil, to: caller.reply, scriptResp: run.resp) { line, counted in
                countFailure(line, counted: counted, args, caller: caller)
            }
        } catch let e as LuaError {
            let text = errorReply(e.value, name: name, chunk: chunk, line: line(of: e.value, state: state, chunk: chunk))
            caller.reply.error(text)
            countFailure(text, counted: !ScriptCalls.wasCounted(e.value), args, caller: caller)
        } catch is ScriptKilled where engine.abortRequested.load(ordering: .relaxed) {
            // The server stops (SHUTDOWN NOSAVE): Redis exits without a
            // reply, and the client sees its connection close.
        } catch is ScriptKilled {
            // The innermost line known is that of the last call the script
            // made; a script that made none is reported at line 1.
            caller.fail(bytes: errorReply(ScriptCalls.errorTable("ERR Script killed by user with SCRIPT KILL..."),
                                   name: name, chunk: chunk, line: max(1, state.lastErrorLine ?? 1)))
        } catch {
            caller.fail("ERR Error running script \(String(decoding: name, as: UTF8.self)), \(error)")
        }
    }

    /// Counts an error the script's reply holds (`line`, written already).
    /// One counted where it arose (a command's, passed on: `counted`
    /// false) is, as in Redis, one more failure of the script's command
    /// and nothing in errorstats; any other goes to errorstats and makes
    /// the command fail.
    static func countFailure(_ line: [UInt8], counted: Bool, _ args: Arguments, caller: Client) {
        if counted {
            caller.countFailure(line)
        } else if let spec = caller.server.commands.lookup(args[0]) {
            caller.loop.commandCounters[spec.id].failed.add(1)
        }
    }

    /// The loop's script client: address `lua` (MONITOR shows it), always
    /// authenticated, never blocking.
    static func scriptClient(_ loop: LoopContext, server: ServerContext) -> Client {
        if let client = loop.scriptClient { return client }
        let client = Client(id: 0, server: server, loop: loop, reply: ReplyBuffer(capacity: 1024), fd: -1,
                            address: "lua", localAddress: "", isLocal: true)
        client.authenticated = true
        client.denyBlocking = true
        client.isScriptClient = true
        loop.scriptClient = client
        return client
    }

    /// The line Redis's error handler would report: the position prefix of
    /// a message raised from Lua code, else the innermost Lua line.
    static func line(of value: LuaValue, state: LuaState, chunk: String) -> Int {
        if case .string(let s) = value {
            let prefix = Array((chunk + ":").utf8)
            if s.bytes.starts(with: prefix) {
                let digits = s.bytes.dropFirst(prefix.count).prefix { $0 >= 48 && $0 <= 57 }
                if let n = Int(String(decoding: digits, as: UTF8.self)) { return n }
            }
        }
        return max(1, state.lastErrorLine ?? 1)
    }

    /// `-<err> script: <name>, on @<chunk>:<line>.`, with `ERR ` before a
    /// message that is not an error table, and CR/LF made spaces.
    static func errorReply(_ value: LuaValue, name: [UInt8], chunk: String, line: Int) -> [UInt8] {
        var text: [UInt8]
        switch value {
        case .table(let t):
            switch t.get(string: LuaString("err")) {
            case .string(let s): text = s.bytes
            case .number: text = t.get(string: LuaString("err")).coercedString?.bytes ?? []
            default: text = Array("ERR execution failure".utf8)  // Redis crashes here
            }
        case .string(let s): text = Array("ERR ".utf8) + s.bytes
        case .number: text = Array("ERR ".utf8) + (value.coercedString?.bytes ?? [])
        case .nil: text = Array("ERR nil".utf8)
        case .boolean(let b): text = Array("ERR \(b)".utf8)
        default: text = Array("ERR \(value.typeName)".utf8)
        }
        text += Array(" script: ".utf8) + name + Array(", on @\(chunk):\(line).".utf8)
        return text.map { $0 == 13 || $0 == 10 ? 32 : $0 }
    }
}

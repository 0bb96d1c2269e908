import RESP

/// The flags a request's checks see (Redis's `getCommandFlags`).
///
/// EVAL, EVALSHA and FCALL (and their `_RO` forms) take the flags of what
/// they would run, when it declares any: a script's shebang, or a
/// function's registration (a function always declares). So a no-writes
/// script is not held by CLIENT PAUSE WRITE and may be run by a MONITOR
/// connection, and one that may write is refused under maxmemory before
/// it runs. A script without a shebang, an EVALSHA of no cached script, a
/// shebang that does not parse, or a function that does not exist keep the
/// command's own flags (EVAL and FCALL may replicate, so they are held and
/// refused like writes).
///
/// EXEC adds the flags of its queue (Redis's `mstate.cmd_flags`): it may
/// write, or is refused under maxmemory, when a queued command is.
///
/// Only the rare checks ask (a pause, memory over the limit, a monitor
/// client, a command queued in MULTI), never the path of every request: an
/// EVAL's answer costs a SHA-1 of its body and the engine's lock.
extension Client {
    public func commandFlags(_ spec: CommandSpec, _ args: Arguments) -> CommandFlags {
        if spec.isExec, let transaction { return spec.flags.union(transaction.flags) }
        // While a script runs it holds the engine's lock, which the answer
        // needs (and the lock is not reentrant): the command's own flags then.
        guard spec.runsScripts, args.count >= 2, !server.scripts.exclusive.load(ordering: .relaxed),
              let declared = server.scripts.declaredFlags(spec, args), declared.declared else { return spec.flags }
        return declared.commandFlags(replacing: spec.flags)
    }
}

extension ScriptEngine {
    /// The flags of the script or function `args` would run; nil when
    /// there is none to look at. Takes the engine's lock: not while a
    /// script runs on this thread (the checks that ask come before any).
    func declaredFlags(_ spec: CommandSpec, _ args: Arguments) -> ScriptFlags? {
        let name = args[1]
        switch spec.name {
        case "fcall", "fcall_ro":
            return lock.withLock { _ in libraries.function(named: name)?.flags }
        case "evalsha", "evalsha_ro":
            guard let key = ScriptKey(name) else { return nil }
            return lock.withLock { _ in scripts[key]?.flags }
        default:
            let key = ScriptKey(SHA1.hex(name))!
            if let cached = lock.withLock({ _ in scripts[key]?.flags }) { return cached }
            // Not compiled yet: the shebang alone says (Redis reads it the same way).
            guard name.count >= 2, name[0] == 35, name[1] == 33 else { return nil }  // "#!"
            if case .success(let parsed) = Shebang.parse(Array(name)) { return parsed.flags }
            return nil
        }
    }
}

extension ScriptFlags {
    /// Redis's `scriptFlagsToCmdFlags`: the command's write, denyoom,
    /// stale and may-replicate flags give way to what the script declared
    /// (no-writes implies allow-oom).
    func commandFlags(replacing commandFlags: CommandFlags) -> CommandFlags {
        var flags = commandFlags.subtracting([.stale, .denyoom, .write, .mayReplicate])
        if !noWrites && !allowOOM { flags.insert(.denyoom) }
        if !noWrites { flags.insert(.write) }
        if allowStale { flags.insert(.stale) }
        return flags
    }
}

import RESP
import Storage
import Synchronization

/// A client's open MULTI: the commands queued for EXEC.
public final class Transaction {
    public struct Queued {
        public let spec: CommandSpec
        public var arguments: OwnedArguments
    }
    // Only the owning client's loop touches a transaction: no dynamic
    // exclusivity checks (they were 4% of EXEC's CPU).
    @exclusivity(unchecked) public internal(set) var commands: [Queued] = []
    /// Union of the queued commands' flags (EVAL's and FCALL's those of
    /// what they run, `Client.commandFlags`): EXEC is refused under
    /// maxmemory when any of them is `denyoom`, and held by CLIENT PAUSE
    /// WRITE when one may write.
    @exclusivity(unchecked) public private(set) var flags: CommandFlags = []
    /// A command was rejected while queueing: EXEC must answer EXECABORT.
    @exclusivity(unchecked) public var aborted = false
    /// Bytes held by the queue (`multi-mem=` in CLIENT LIST).
    @exclusivity(unchecked) public private(set) var bytes = 0
    /// The shards the queued commands' keys live in (bit i: shard i), which
    /// EXEC locks; nil when one of them may touch any shard.
    @exclusivity(unchecked) public private(set) var shardMask: UInt64? = 0
    /// A queued command runs a script (EVAL...): EXEC then runs as the
    /// server's one script (`ScriptLane`), so it can be killed while busy.
    @exclusivity(unchecked) public private(set) var runsScripts = false

    /// Room for a typical transaction's few commands up front, so the
    /// queue does not grow by reallocating at its second and third.
    public init() { commands.reserveCapacity(4) }

    func append(_ spec: CommandSpec, _ arguments: Arguments, flags commandFlags: CommandFlags, shards: UInt64?) {
        let owned = OwnedArguments(copying: arguments)
        bytes += owned.byteCount
        commands.append(Queued(spec: spec, arguments: owned))
        flags.formUnion(commandFlags)
        if spec.runsScripts { runsScripts = true }
        if let mask = shardMask, let more = shards { shardMask = mask | more } else { shardMask = nil }
    }
}


extension Client {
    @inlinable public var inTransaction: Bool { transaction != nil }

    /// Queues a command inside MULTI and answers QUEUED. Once the transaction
    /// is doomed (a rejected command, or a WATCHed key changed) nothing more
    /// is stored: EXEC will not run it anyway.
    func queue(_ spec: CommandSpec, _ arguments: Arguments) {
        guard let t = transaction else { return }
        if !t.aborted && !watchFlag.dirty.load(ordering: .relaxed) {
            t.append(spec, arguments, flags: commandFlags(spec, arguments), shards: shardMask(of: spec, arguments))
            multiCount.store(t.commands.count, ordering: .relaxed)
        }
        reply.simple("QUEUED")
    }

    /// Marks the open transaction (if any) so EXEC fails with EXECABORT:
    /// Redis's `flagTransaction`, applied to every rejected command.
    func flagTransaction() {
        transaction?.aborted = true
    }

    /// Leaves MULTI and forgets every WATCHed key and whether one changed
    /// (DISCARD, EXEC, RESET, disconnect).
    public func discardTransaction() {
        transaction = nil
        multiCount.store(-1, ordering: .relaxed)
        unwatchAll()
        watchFlag.dirty.store(false, ordering: .relaxed)
    }
}

extension Client {
    /// The shards `spec` run with `args` reads or writes, as a mask (bit
    /// i: shard i): those of its key arguments, none for the few commands
    /// that touch no shard (`CommandSpec.touchesNoShard`: PING, ECHO, TIME,
    /// SELECT, PUBLISH). Nil when it may touch any shard: any other command
    /// without key arguments (FLUSHALL, DBSIZE, KEYS, SWAPDB, INFO), arguments its
    /// key specs cannot place, or a keyspace of more than 64 shards.
    /// A key's shard does not depend on the database, so SELECT, MOVE and
    /// COPY ... DB inside the transaction need nothing more.
    func shardMask(of spec: CommandSpec, _ args: Arguments) -> UInt64? {
        let keyspace = server.keyspace
        guard keyspace.locksShardSubsets else { return nil }
        if spec.touchesNoShard { return 0 }
        // A script may touch keys it did not declare: it holds every shard.
        if spec.runsScripts { return nil }
        var mask: UInt64 = 0
        func add(_ position: Int) { mask |= keyspace.shardBit(of: args[position]) }
        if !spec.hasMovableKeys {
            guard spec.firstKey > 0 else { return nil }
            let last = spec.lastKey >= 0 ? spec.lastKey : args.count + spec.lastKey
            var i = spec.firstKey
            while i <= last && i < args.count { add(i); i += max(spec.keyStep, 1) }
            return mask
        }
        let keySpecs = spec.keySpecs.filter { !$0.isNotKey }
        if keySpecs.isEmpty { return nil }
        for k in keySpecs {
            guard let positions = k.positions(in: args) else { return nil }
            for p in positions { add(p) }
        }
        return mask
    }

    /// The shards of the WATCHed keys (EXEC reads them to see whether one
    /// expired since it was watched).
    func watchedShardMask() -> UInt64 {
        let keyspace = server.keyspace
        var mask: UInt64 = 0
        for watched in watchedKeys {
            mask |= watched.name.withUnsafeBytes { keyspace.shardBit(of: $0) }
        }
        return mask
    }
}

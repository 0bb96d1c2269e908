import RESP
import Storage
import Synchronization

/// `MULTI`, `EXEC` and `DISCARD`.
///
/// MULTI opens a transaction; the dispatcher then queues every command
/// (except the ones in `runsInsideTransaction`) and answers `+QUEUED`.
/// EXEC runs the queue holding the locks of every shard its commands'
/// keys (and the WATCHed keys) live in, or of every shard when a command
/// may touch any (`Transaction.shardMask`), so no other client on any loop
/// sees or changes those keys half-way through: the transaction is atomic
/// across shards and loops, as Redis's single thread makes it. (Taking all
/// 64 locks made a short transaction cost twice Redis's CPU.)
enum MultiCommand {
    static let multi = CommandSpec(
        "multi", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
        acl: ["@fast", "@transaction"], group: "transactions", since: "1.2.0",
        summary: "Starts a transaction.", handler: { c, _ in
            if c.inTransaction { c.fail("ERR MULTI calls can not be nested"); return }
            c.transaction = Transaction()
            c.multiCount.store(0, ordering: .relaxed)
            c.reply.ok()
        })

    static let discard = CommandSpec(
        "discard", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
        acl: ["@fast", "@transaction"], group: "transactions", since: "2.0.0",
        summary: "Discards a transaction.", complexity: "O(N), when N is the number of queued commands",
        handler: { c, _ in
            if !c.inTransaction { c.fail("ERR DISCARD without MULTI"); return }
            c.discardTransaction()
            c.reply.ok()
        })

    static let exec = CommandSpec(
        "exec", arity: 1, flags: [.noscript, .loading, .stale, .skipSlowlog],
        acl: ["@slow", "@transaction"], group: "transactions", since: "1.2.0",
        summary: "Executes all commands in a transaction.", complexity: "Depends on commands in the transaction",
        handler: run)

    static let execAbortedText = "EXECABORT Transaction discarded because of previous errors."

    static func run(_ c: Client, _ args: Arguments) {
        guard let transaction = c.transaction else { c.fail("ERR EXEC without MULTI"); return }
        // A queued script makes the transaction the server's one script
        // run, as an EVAL is: killable, with the loop served, while busy.
        if transaction.runsScripts && ScriptLane.canServe(c) {
            ScriptLane.enter(c) { _ in runQueue(c, transaction) }
        } else {
            runQueue(c, transaction)
        }
    }

    /// Checks WATCH and the queue's refusals, then runs the queue, holding
    /// the shards its keys (and the WATCHed keys) live in.
    static func runQueue(_ c: Client, _ transaction: Transaction) {
        let shards = transaction.shardMask.map { $0 | c.watchedShardMask() } ?? .max
        c.server.keyspace.withShardsLocked(shards) {
            // A key WATCHed while live that has expired since counts as changed.
            if c.watchedKeyExpired() { c.watchFlag.dirty.store(true, ordering: .relaxed) }
            if transaction.aborted {
                c.discardTransaction()
                c.fail(execAbortedText)
                return
            }
            if c.watchFlag.dirty.load(ordering: .relaxed) {
                c.discardTransaction()
                c.reply.nullArray()
                return
            }
            c.discardTransaction()
            // As in Redis, the client shows as in MULTI (flags=x, multi=<queued>)
            // in CLIENT LIST until its queue has run.
            c.multiCount.store(transaction.commands.count, ordering: .relaxed)
            defer { c.multiCount.store(-1, ordering: .relaxed) }
            c.reply.array(transaction.commands.count)
            // Blocking commands inside a transaction time out at once.
            let couldBlock = !c.denyBlocking
            c.denyBlocking = true
            defer { if couldBlock { c.denyBlocking = false } }
            for i in transaction.commands.indices {
                let spec = transaction.commands[i].spec
                transaction.commands[i].arguments.withArguments { Dispatcher.call(spec, c, $0) }
            }
        }
    }
}

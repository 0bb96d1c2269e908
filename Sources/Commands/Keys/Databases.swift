import RESP
import Storage

/// `SELECT index`
enum SelectCommand {
    static let spec = CommandSpec(
        "select", arity: 2, flags: [.loading, .stale, .fast], acl: ["@fast", "@connection"],
        group: "connection", since: "1.0.0", summary: "Changes the selected database.",
        arguments: [ArgumentSpec("index", .integer)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        guard let index = c.intArgument(args[1]) else { return }
        if index < 0 || index >= c.server.keyspace.databases { c.fail(Errors.dbIndex); return }
        c.select(index)
        c.reply.ok()
    }
}

/// `SWAPDB index1 index2`
enum SwapDBCommand {
    static let spec = CommandSpec(
        "swapdb", arity: 3, flags: [.write, .fast], acl: ["@keyspace", "@write", "@fast", "@dangerous"],
        group: "server", since: "4.0.0", summary: "Swaps two Redis databases.",
        complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
        arguments: [ArgumentSpec("index1", .integer), ArgumentSpec("index2", .integer)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        guard let a = c.intArgument(args[1], message: "ERR invalid first DB index"),
              let b = c.intArgument(args[2], message: "ERR invalid second DB index") else { return }
        let n = c.server.keyspace.databases
        if a < 0 || a >= n || b < 0 || b >= n { c.fail(Errors.dbIndex); return }
        if a != b {
            let server = c.server
            server.keyspace.withAllShardsLocked {
                server.databaseReplaced(a, with: b)
                server.databaseReplaced(b, with: a)
                server.keyspace.swap(a, b)
            }
        }
        c.dirty()
        c.reply.ok()
    }
}

/// `FLUSHDB [ASYNC | SYNC]` and `FLUSHALL [ASYNC | SYNC]`
enum FlushCommand {
    static let flushdb = CommandSpec(
        "flushdb", arity: -1, flags: [.write], acl: ["@keyspace", "@write", "@slow", "@dangerous"],
        group: "server", since: "1.0.0", summary: "Remove all keys from the current database.",
        complexity: "O(N) where N is the number of keys in the selected database",
        arguments: [ArgumentSpec("flush-type", .oneof, optional: true, children: [
            ArgumentSpec("async", .pureToken, token: "ASYNC", since: "4.0.0"),
            ArgumentSpec("sync", .pureToken, token: "SYNC", since: "6.2.0")])],
        handler: { c, args in run(c, args, all: false) })

    static let flushall = CommandSpec(
        "flushall", arity: -1, flags: [.write], acl: ["@keyspace", "@write", "@slow", "@dangerous"],
        group: "server", since: "1.0.0", summary: "Removes all keys from all databases.",
        complexity: "O(N) where N is the total number of keys in all databases",
        arguments: [ArgumentSpec("flush-type", .oneof, optional: true, children: [
            ArgumentSpec("async", .pureToken, token: "ASYNC", since: "4.0.0"),
            ArgumentSpec("sync", .pureToken, token: "SYNC", since: "6.2.0")])],
        handler: { c, args in run(c, args, all: true) })

    static func run(_ c: Client, _ args: Arguments, all: Bool) {
        var async = c.server.config.lazyfreeLazyUserFlush
        if args.count == 2 && args[1].equalsIgnoringCase("sync") {
            async = false
        } else if args.count == 2 && args[1].equalsIgnoringCase("async") {
            async = true
        } else if args.count != 1 {
            c.fail(Errors.syntax); return
        }
        let server = c.server
        server.keyspace.withAllShardsLocked {
            for db in all ? 0..<server.keyspace.databases : c.db..<(c.db + 1) { server.databaseReplaced(db, with: nil) }
            server.keyspace.flush(db: all ? nil : c.db, async: async, freer: server.backgroundFree)
        }
        server.flushed?(all ? nil : c.db)
        c.dirty()
        c.reply.ok()
    }
}

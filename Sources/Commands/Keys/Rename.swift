import RESP
import Storage

/// `RENAME key newkey` and `RENAMENX key newkey`
///
/// The value and its TTL move to the new name; an existing destination is
/// replaced (RENAME) or left alone with reply 0 (RENAMENX).
enum RenameCommand {
    static let rename = CommandSpec(
        "rename", arity: 3, flags: [.write], acl: ["@keyspace", "@write", "@slow"], keys: (1, 2, 1),
        group: "generic", since: "1.0.0", summary: "Renames a key and overwrites the destination.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("newkey", .key, keySpecIndex: 1)],
        handler: { c, args in run(c, args, onlyIfAbsent: false) })

    static let renamenx = CommandSpec(
        "renamenx", arity: 3, flags: [.write, .fast], acl: ["@keyspace", "@write", "@fast"], keys: (1, 2, 1),
        group: "generic", since: "1.0.0", summary: "Renames a key only when the target key name doesn't exist.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("newkey", .key, keySpecIndex: 1)],
        handler: { c, args in run(c, args, onlyIfAbsent: true) })

    static func run(_ c: Client, _ args: Arguments, onlyIfAbsent: Bool) {
        c.withKeys([args[1], args[2]]) { keys in
            var source = keys.key(0, touch: false)
            guard let e = source.entry else { c.fail(Errors.noSuchKey); return }
            if args[1].equals(args[2]) {
                if onlyIfAbsent { c.reply.integer(0) } else { c.reply.ok() }
                return
            }
            var destination = keys.key(1, touch: false)
            if destination.exists {
                if onlyIfAbsent { c.reply.integer(0); return }
                destination.delete()
            }
            moveValue(from: &source, entry: e, to: &destination)
            c.keyModified(source)
            c.keyModified(destination)
            c.keyspaceEvent(.generic, "rename_from", args[1])
            c.keyspaceEvent(.generic, "rename_to", args[2])
            c.signalKeyReady(args[2])
            c.dirty()
            if onlyIfAbsent { c.reply.integer(1) } else { c.reply.ok() }
        }
    }

    /// Transfers `entry` (at `source`) to the absent key `destination`, keeping
    /// value, encoding and expiry.
    static func moveValue(from source: inout LockedKey, entry: Entry, to destination: inout LockedKey) {
        let copy = entry.cloned(withKey: destination.key)
        destination.slot = destination.table.pointee.insert(copy, hash: destination.hash)
        destination.keyCreated()
        let old = source.table.pointee.detach(at: source.slot!)
        old.freeBlockOnly()
        source.slot = nil
    }
}

/// `MOVE key db` — moves a key to another database unless it exists there.
enum MoveCommand {
    static let spec = CommandSpec(
        "move", arity: 3, flags: [.write, .fast], acl: ["@keyspace", "@write", "@fast"], keys: (1, 1, 1),
        group: "generic", since: "1.0.0", summary: "Moves a key to another database.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("db", .integer)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        guard let target = c.intArgument(args[2]) else { return }
        if target < 0 || target >= c.server.keyspace.databases { c.fail(Errors.dbIndex); return }
        if target == c.db { c.fail("ERR source and destination objects are the same"); return }
        c.withKey(args[1], touch: false) { source in
            guard let e = source.entry else { c.reply.integer(0); return }
            let keyspace = c.server.keyspace
            let slot = keyspace.findLive(source.shard, db: target, key: args[1], hash: source.hash, now: c.loop.nowMs)
            if slot != nil { c.reply.integer(0); return }
            var destination = LockedKey(shard: source.shard, table: source.shard.tables + target, db: target,
                                        hash: source.hash, key: args[1], slot: nil, server: c.server)
            RenameCommand.moveValue(from: &source, entry: e, to: &destination)
            c.keyModified(source)
            c.keyModified(destination)
            c.keyspaceEvent(.generic, "move_from", args[1])
            c.server.keyspaceEvent(.generic, "move_to", args[1], db: target)
            c.signalKeyReady(args[1], db: target)
            c.dirty()
            c.reply.integer(1)
        }
    }
}

/// `COPY source destination [DB destination-db] [REPLACE]`
enum CopyCommand {
    static let spec = CommandSpec(
        "copy", arity: -3, flags: [.write, .denyoom], acl: ["@keyspace", "@write", "@slow"], keys: (1, 2, 1),
        group: "generic", since: "6.2.0", summary: "Copies the value of a key to a new key.",
        complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
        arguments: [
            ArgumentSpec("source", .key, keySpecIndex: 0), ArgumentSpec("destination", .key, keySpecIndex: 1),
            ArgumentSpec("destination-db", .integer, token: "DB", optional: true),
            ArgumentSpec("replace", .pureToken, token: "REPLACE", optional: true),
        ], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        var targetDb = c.db
        var replace = false
        var j = 3
        while j < args.count {
            if args[j].equalsIgnoringCase("replace") {
                replace = true
            } else if args[j].equalsIgnoringCase("db") && j + 1 < args.count {
                guard let n = c.intArgument(args[j + 1]) else { return }
                if n < 0 || n >= c.server.keyspace.databases { c.fail(Errors.dbIndex); return }
                targetDb = n
                j += 1
            } else {
                c.fail(Errors.syntax); return
            }
            j += 1
        }
        if targetDb == c.db && args[1].equals(args[2]) { c.fail("ERR source and destination objects are the same"); return }
        // The destination is looked up (and lazily expired) in the target database only.
        c.withKeys([args[1], args[2]], expiring: targetDb == c.db ? 2 : 1) { keys in
            let source = keys.key(0, touch: false)
            guard let e = source.entry else { c.reply.integer(0); return }
            var destination = keys.key(1, db: targetDb, touch: false)
            if destination.exists {
                if !replace { c.reply.integer(0); return }
                destination.delete()
            }
            let copy = e.cloned(withKey: args[2])
            ValueStore.retainCopy(copy)
            destination.slot = destination.table.pointee.insert(copy, hash: destination.hash)
            destination.keyCreated()
            c.keyModified(destination)
            c.server.keyspaceEvent(.generic, "copy_to", args[2], db: targetDb)
            c.signalKeyReady(args[2], db: targetDb)
            c.dirty()
            c.reply.integer(1)
        }
    }
}

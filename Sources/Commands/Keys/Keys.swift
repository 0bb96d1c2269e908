import RESP
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// `KEYS pattern` — every key matching the glob, logically expired ones left out.
enum KeysCommand {
    static let spec = CommandSpec(
        "keys", arity: 2, flags: [.readonly], acl: ["@keyspace", "@read", "@slow", "@dangerous"], keys: (0, 0, 0),
        group: "generic", since: "1.0.0", summary: "Returns all key names that match a pattern.",
        complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
        arguments: [ArgumentSpec("pattern", .pattern)], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        let pattern = args[1]
        let everything = pattern.count == 1 && pattern[0] == 0x2A
        // One buffer for every key found (not an Array each: KEYS * on 1M keys made 1M of them).
        var found = PackedStrings(expected: 1024)
        let now = c.loop.nowMs
        for shard in c.server.keyspace.shards {
            shard.withLock {
                let table = shard.tables + c.db
                table.pointee.forEachSlot { slot in
                    let e = table.pointee.entry(at: slot)
                    if Keyspace.isExpired(e, now: now) { return }
                    if everything || Glob.match(pattern, e.key) { found.append(e.key) }
                }
            }
        }
        c.reply.array(found.count)
        found.forEach { c.reply.bulk($0) }
    }
}

/// `DBSIZE` — keys in the selected database (expired-but-present keys count, as in Redis).
enum DBSizeCommand {
    static let spec = CommandSpec(
        "dbsize", arity: 1, flags: [.readonly, .fast], acl: ["@keyspace", "@read", "@fast"],
        group: "server", since: "1.0.0", summary: "Returns the number of keys in the database.",
        handler: { c, _ in c.reply.integer(c.server.keyspace.keyCount(db: c.db)) })
}

/// `RANDOMKEY` — a random live key, nil when the database is empty.
enum RandomKeyCommand {
    static let spec = CommandSpec(
        "randomkey", arity: 1, flags: [.readonly], acl: ["@keyspace", "@read", "@slow"],
        group: "generic", since: "1.0.0", summary: "Returns a random key name from the database.",
        handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        let keyspace = c.server.keyspace
        // As Redis: an expired key met on the way is deleted and another
        // pick is made, until a live key turns up or the database is empty
        // (every miss removes a key, so this ends). The shards' published
        // key counts steer the pick to a shard in proportion to its keys.
        while true {
            let total = keyspace.keyCount(db: c.db)
            guard total > 0,
                  let index = keyspace.shard(holdingKeyAt: Int(c.loop.nextRandom() % UInt64(total)), db: c.db)
            else { c.reply.null(); return }
            let replied = keyspace.withShard(at: index) { shard in
                shard.withLock { () -> Bool in
                    let table = shard.tables + c.db
                    // Nil: another loop emptied the shard since the counts were read.
                    guard let slot = table.pointee.randomSlot(c.loop.nextRandom()) else { return false }
                    let e = table.pointee.entry(at: slot)
                    if Keyspace.isExpired(e, now: c.loop.nowMs) {
                        keyspace.expireSlot(shard, db: c.db, slot: slot)
                        return false
                    }
                    c.reply.bulk(e.key)
                    return true
                }
            }
            if replied { return }
        }
    }
}

/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`
///
/// The cursor names a shard (top bits) and a position in hash order inside
/// it (the rest), in 32 bits (`HashOrderCursor`). Each shard's table keeps
/// entries in hash order, so walking hash ranges returns every key present
/// for the whole iteration exactly once, even while tables grow or shrink
/// (see `KeyTable.slots(inHashRange:)`).
enum ScanCommand {
    static let spec = CommandSpec(
        "scan", arity: -2, flags: [.readonly], acl: ["@keyspace", "@read", "@slow"],
        group: "generic", since: "2.8.0", summary: "Iterates over the key names in the database.",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
        arguments: [
            ArgumentSpec("cursor", .integer),
            ArgumentSpec("pattern", .pattern, token: "MATCH", optional: true),
            ArgumentSpec("count", .integer, token: "COUNT", optional: true),
            ArgumentSpec("type", .string, token: "TYPE", optional: true, since: "6.0.0"),
        ], handler: run)

    /// Parses a cursor like Redis (`strtoul`: optional sign, no leading space, whole string).
    static func parseCursor(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        if bytes.count == 0 || bytes.count > 64 { return bytes.count == 0 ? 0 : nil }
        var buffer = [CChar](repeating: 0, count: bytes.count + 1)
        for i in 0..<bytes.count { buffer[i] = CChar(bitPattern: bytes[i]) }
        if isspace(Int32(buffer[0])) != 0 { return nil }
        return buffer.withUnsafeBufferPointer { p -> UInt64? in
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let v = strtoul(p.baseAddress!, &end, 10)
            if end!.pointee != 0 || errno == ERANGE { return nil }
            if end! - UnsafeMutablePointer(mutating: p.baseAddress!) != bytes.count { return nil }
            return UInt64(v)
        }
    }

    static func run(_ c: Client, _ args: Arguments) {
        guard let cursor = parseCursor(args[1]) else { c.fail("ERR invalid cursor"); return }
        var count = 10
        var pattern: UnsafeRawBufferPointer? = nil
        var typeName: UnsafeRawBufferPointer? = nil
        var i = 2
        while i < args.count {
            let more = args.count - i - 1
            if args[i].equalsIgnoringCase("count") && more >= 1 {
                guard let n = c.integerArgument(args[i + 1]) else { return }
                if n < 1 { c.fail(Errors.syntax); return }
                count = n
            } else if args[i].equalsIgnoringCase("match") && more >= 1 {
                pattern = args[i + 1]
            } else if args[i].equalsIgnoringCase("type") && more >= 1 {
                typeName = args[i + 1]
            } else {
                c.fail(Errors.syntax); return
            }
            i += 2
        }
        let (next, keys) = c.server.keyspace.scan(db: c.db, cursor: cursor, count: count, now: c.loop.nowMs) { e in
            if let p = pattern, !(p.count == 1 && p[0] == 0x2A), !Glob.match(p, e.key) { return false }
            if let t = typeName, !t.equalsIgnoringCase(e.type.name) { return false }  // strcasecmp, as Redis
            return true
        }
        ContainerScan.reply(c, next: next, keys)
    }
}

extension Keyspace {
    /// One SCAN step over database `db` (see `ScanCommand`). `filter` runs with
    /// the shard locked. Expired keys met are deleted and not returned.
    public func scan(db: Int, cursor: UInt64, count: Int, now: Int64,
                     filter: (Entry) -> Bool) -> (next: UInt64, keys: PackedStrings) {
        // The cursor's top bits name the shard, the rest a bucket of hash
        // space in it (see `HashOrderCursor`).
        let buckets = HashOrderCursor(positionBits: HashOrderCursor.bits - shards.count.trailingZeroBitCount)
        let cursorShard = cursor >> UInt64(buckets.positionBits)
        var shardIndex = cursorShard < UInt64(shards.count) ? Int(cursorShard) : shards.count  // past the end: done
        var from = buckets.hashPosition(cursor)
        var keys = PackedStrings(expected: min(count, 1024))
        var budget = min(count, 1 << 40) * 10
        while budget > 0 && keys.count < count && shardIndex < shards.count {
            let shard = shards[shardIndex]
            var finishedShard = false
            shard.withLock {
                let table = shard.tables + db
                if table.pointee.count == 0 { finishedShard = true; budget -= 1; return }
                var expired: [[UInt8]] = []
                while budget > 0 && keys.count < count {
                    // About `count` slots' worth of hash space, in whole buckets.
                    let slotBits = table.pointee.slotBits
                    let (to, wraps) = buckets.stepEnd(from: from, slotBits: slotBits, count: count - keys.count)
                    table.pointee.slots(inHashRange: from, wraps ? 0 : to) { slot, _ in
                        let e = table.pointee.entry(at: slot)
                        if Keyspace.isExpired(e, now: now) { expired.append(Array(e.key)); return }
                        if filter(e) { keys.append(e.key) }
                    }
                    budget -= buckets.slotsSpanned(from: from, to: to, wraps: wraps, slotBits: slotBits)
                    if wraps { finishedShard = true; break }
                    from = to
                }
                for k in expired {
                    k.withUnsafeBytes { kb in
                        let h = KeyHash.hash(kb, seed: seed)
                        if let slot = table.pointee.find(kb, hash: h) { expireSlot(shard, db: db, slot: slot) }
                    }
                }
            }
            if finishedShard { shardIndex += 1; from = 0 }
        }
        if shardIndex >= shards.count { return (0, keys) }
        return ((UInt64(shardIndex) << UInt64(buckets.positionBits)) | buckets.cursor(from), keys)
    }
}

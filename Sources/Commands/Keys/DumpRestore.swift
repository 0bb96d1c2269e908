import RESP
import Storage

/// `DUMP key` and
/// `RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]`.
///
/// A payload is a value in Redis's RDB encoding followed by the RDB version
/// and a CRC-64 (`Storage/RDB`), so values move between Redis and Swiftlet
/// in either direction.
enum DumpRestoreCommand {
    static let dump = CommandSpec(
        "dump", arity: 2, flags: [.readonly], acl: ["@keyspace", "@read", "@slow"], keys: (1, 1, 1),
        group: "generic", since: "2.6.0", summary: "Returns a serialized representation of the value stored at a key.",
        complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)]) { c, args in
            let fill = c.server.config.hot.listMaxListpackSize.load(ordering: .relaxed)
            let compress = c.server.config.string("rdbcompression") != "no"
            c.withKey(args[1], read: true) { k in
                guard let slot = k.slot else { c.reply.null(); return }
                var payload = RDBValues.encode(table: k.table, slot: slot, listFill: fill, compress: compress)
                RDB.sealPayload(&payload)
                c.reply.bulk(payload)
            }
        }

    static let restore = CommandSpec(
        "restore", arity: -4, flags: [.write, .denyoom], acl: ["@keyspace", "@write", "@slow", "@dangerous"], keys: (1, 1, 1),
        group: "generic", since: "2.6.0", summary: "Creates a key from the serialized representation of a value.",
        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
        arguments: [
            ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("ttl", .integer), ArgumentSpec("serialized-value", .string),
            ArgumentSpec("replace", .pureToken, token: "REPLACE", optional: true, since: "3.0.0"),
            ArgumentSpec("absttl", .pureToken, token: "ABSTTL", optional: true, since: "5.0.0"),
            ArgumentSpec("seconds", .integer, token: "IDLETIME", optional: true, since: "5.0.0"),
            ArgumentSpec("frequency", .integer, token: "FREQ", optional: true, since: "5.0.0"),
        ], handler: restoreRun)

    /// Checks in Redis's order: options, an existing key (without
    /// REPLACE), the TTL, the payload's footer, then its body.
    static func restoreRun(_ c: Client, _ args: Arguments) {
        var replace = false, absoluteTTL = false
        var idleSeconds = -1, frequency = -1
        var j = 4
        while j < args.count {
            let additional = args.count - j - 1
            if args[j].equalsIgnoringCase("replace") { replace = true }
            else if args[j].equalsIgnoringCase("absttl") { absoluteTTL = true }
            else if args[j].equalsIgnoringCase("idletime") && additional >= 1 && frequency == -1 {
                guard let v = c.integerArgument(args[j + 1]) else { return }
                if v < 0 { c.fail("ERR Invalid IDLETIME value, must be >= 0"); return }
                idleSeconds = v
                j += 1
            } else if args[j].equalsIgnoringCase("freq") && additional >= 1 && idleSeconds == -1 {
                guard let v = c.integerArgument(args[j + 1]) else { return }
                if v < 0 || v > 255 { c.fail("ERR Invalid FREQ value, must be >= 0 and <= 255"); return }
                frequency = v
                j += 1
            } else {
                c.fail(Errors.syntax)
                return
            }
            j += 1
        }
        c.withKey(args[1]) { k in
            if !replace && k.exists { c.fail("BUSYKEY Target key name already exists."); return }
            guard var ttl = c.integerArgument(args[2]) else { return }
            if ttl < 0 { c.fail("ERR Invalid TTL value, must be >= 0"); return }
            let payload = args[3]
            guard RDB.payloadIsSound(payload) else { c.fail("ERR DUMP payload version or checksum are wrong"); return }
            guard let value = RDBValues.decode(payload) else {
                c.fail("ERR Bad data format")
                return
            }
            let deleted = replace && k.delete()
            let now = c.server.clock.milliseconds
            if ttl != 0 && !absoluteTTL { ttl += Int(now) }
            if ttl != 0 && Int64(ttl) <= now {
                // Already expired: nothing is created.
                if deleted {
                    c.keyModified(k)
                    c.keyspaceEvent(.generic, "del", args[1])
                    c.dirty()
                }
                c.reply.ok()
                return
            }
            store(c, &k, value)
            if ttl != 0 { k.setExpiry(Int64(ttl)) }
            if let slot = k.slot {
                let e = k.table.pointee.entry(at: slot)  // writes go through to the table
                if c.server.config.policyUsesLFU {
                    if frequency >= 0 { e.lru = LFU.word(counter: UInt32(frequency), nowMs: c.loop.nowMs) }
                } else if idleSeconds >= 0 {
                    e.lru = idleWord(seconds: idleSeconds, nowMs: c.loop.nowMs)
                }
            }
            c.keyModified(k)
            c.keyspaceEvent(.generic, "restore", args[1])
            c.signalKeyReady(args[1])
            c.reply.ok()
            c.dirty()
        }
    }

    /// The access word of a key last used `seconds` ago (the coarse form
    /// beyond the fine clock's reach).
    static func idleWord(seconds: Int, nowMs: Int64) -> UInt32 {
        let idleMs = Int64(min(seconds, Int(Int32.max))) * 1000
        if idleMs <= LRUClock.coarsenAfterMs { return LRUClock.at(nowMs - idleMs) }
        return LRUClock.coarseFlag | UInt32(truncatingIfNeeded: nowMs / 1000 - idleMs / 1000) & LRUClock.stampMask
    }

    /// Creates the key holding `value`, encoded as the same commands would
    /// build it (the limits decide packed or table forms).
    static func store(_ c: Client, _ k: inout LockedKey, _ value: DecodedValue) {
        let config = c.server.config
        switch value {
        case .string(let bytes):
            bytes.withUnsafeBytes { k.storeString($0, encoding: StringEncoding.classify($0), expiry: .clear, lru: c.lruClock) }
            return
        case .list(let elements):
            k.slot = k.table.pointee.insert(ListView.newEntry(key: k.key, lru: c.lruClock), hash: k.hash)
            let list = ListView(table: k.table, slot: k.slot!)
            let limits = config.listLimits
            for e in elements { e.withUnsafeBytes { list.push($0, atFront: false, limits: limits) } }
        case .set(let members):
            k.slot = k.table.pointee.insert(SetView.newEntry(key: k.key, lru: c.lruClock), hash: k.hash)
            let set = SetView(table: k.table, slot: k.slot!)
            let maxIntset = config.setMaxIntsetEntries
            for m in members { m.withUnsafeBytes { _ = set.add($0, maxIntsetEntries: maxIntset) } }
        case .sortedSet(let pairs):
            k.slot = k.table.pointee.insert(SortedSetView.newEntry(key: k.key, lru: c.lruClock), hash: k.hash)
            let z = SortedSetView(table: k.table, slot: k.slot!)
            let limits = config.sortedSetLimits
            for (member, score) in pairs { member.withUnsafeBytes { _ = z.set($0, score: score, old: nil, limits: limits) } }
        case .hash(let pairs):
            k.slot = k.table.pointee.insert(HashView.newEntry(key: k.key, lru: c.lruClock), hash: k.hash)
            let h = HashView(table: k.table, slot: k.slot!)
            let limits = config.hashLimits
            for (field, v) in pairs {
                field.withUnsafeBytes { f in v.withUnsafeBytes { _ = h.set(f, $0, limits: limits) } }
            }
        case .stream(let stream):
            k.slot = k.table.pointee.insert(KeyTable.containerEntry(key: k.key, type: .stream, lru: c.lruClock, stream), hash: k.hash)
        }
        k.keyCreated()
    }
}

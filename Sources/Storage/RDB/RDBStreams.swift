/// Streams in Redis's RDB encoding (`RDB_TYPE_STREAM_LISTPACKS_2`): each
/// node as Redis's radix-tree key (the node's first ID, 128 bits
/// big-endian) and listpack (a master entry with the first entry's field
/// names, then each entry as flags, ID deltas, fields unless they are the
/// master's, values, and its element count), then the counters, then the
/// consumer groups with their pending entries and consumers.
///
/// A Swiftlet node holds the same entries as Redis's node (same entry
/// limit, deleted entries flagged in place), so the listpacks match Redis's
/// where the nodes were cut by entry count.
extension StreamValue {
    /// One stream entry as a payload carries it.
    public struct LoadedEntry {
        public var id: StreamID
        public var deleted: Bool
        public var strings: [[UInt8]]
    }

    /// The node's Redis listpack.
    func redisListpack(ofNode n: Int) -> [UInt8] {
        let node = nodes[n]
        var entries: [(id: StreamID, deleted: Bool, strings: [[UInt8]])] = []
        node.bytes.withUnsafeBytes { p in
            var offset = 0
            while offset < p.count {
                let e = StreamValue.entry(p, at: offset, first: node.firstID)
                var strings: [[UInt8]] = []
                StreamFields(bytes: p, start: e.fields, count: e.count).forEach { strings.append(Array($0)) }
                entries.append((e.id, e.deleted, strings))
                offset = e.next
            }
        }
        var out = [UInt8](repeating: 0, count: 6)
        var count = 0
        func integer(_ v: Int64) { Array(String(v).utf8).withUnsafeBytes { Listpack.append($0, to: &out) }; count += 1 }
        func string(_ s: [UInt8]) { s.withUnsafeBytes { Listpack.append($0, to: &out) }; count += 1 }
        let masterFields = stride(from: 0, to: entries.first?.strings.count ?? 0, by: 2).map { entries[0].strings[$0] }
        let live = entries.filter { !$0.deleted }.count
        integer(Int64(live))
        integer(Int64(entries.count - live))
        integer(Int64(masterFields.count))
        for f in masterFields { string(f) }
        integer(0)
        for e in entries {
            let fields = stride(from: 0, to: e.strings.count, by: 2).map { e.strings[$0] }
            let same = fields == masterFields
            integer(Int64((e.deleted ? 1 : 0) | (same ? 2 : 0)))
            integer(Int64(bitPattern: e.id.ms &- node.firstID.ms))
            integer(Int64(bitPattern: e.id.seq &- node.firstID.seq))
            if !same { integer(Int64(fields.count)) }
            for (i, s) in e.strings.enumerated() where !same || i % 2 == 1 { string(s) }
            integer(Int64(fields.count + 3 + (same ? 0 : fields.count + 1)))
        }
        out.append(0xFF)
        Listpack.finish(&out, count: count)
        return out
    }

    /// Writes the stream's body (after its type byte).
    func writeRDB(_ w: inout RDBWriter) {
        w.length(nodes.count)
        for n in nodes.indices {
            w.string(nodes[n].firstID.bigEndianBytes)
            w.string(redisListpack(ofNode: n))
        }
        w.length(length)
        w.length(unsigned: lastID.ms); w.length(unsigned: lastID.seq)
        let first = firstID
        w.length(unsigned: first.ms); w.length(unsigned: first.seq)
        w.length(unsigned: maxDeletedID.ms); w.length(unsigned: maxDeletedID.seq)
        w.length(unsigned: entriesAdded)
        w.length(groups.count)
        for (name, g) in groupsByName {
            w.string(name)
            w.length(unsigned: g.lastID.ms); w.length(unsigned: g.lastID.seq)
            w.length(unsigned: UInt64(bitPattern: g.entriesRead))
            w.length(g.pendingIDs.count)
            for id in g.pendingIDs {
                w.bytes += id.bigEndianBytes
                let entry = g.pending[id]!
                w.littleEndian(UInt64(bitPattern: entry.deliveryTimeMs))
                w.length(entry.deliveryCount)
            }
            let consumers = g.consumersByName
            w.length(consumers.count)
            for c in consumers {
                w.string(c.name)
                w.littleEndian(UInt64(bitPattern: c.seenTimeMs))
                w.length(c.pendingIDs.count)
                for id in c.pendingIDs { w.bytes += id.bigEndianBytes }
            }
        }
    }

    /// Reads a stream body (`version2`: RDB_TYPE_STREAM_LISTPACKS_2, with
    /// first ID, tombstone and counters; else they are derived), or nil.
    /// Everything the stream's own code relies on is checked: node IDs
    /// ascending within and across nodes, master and entry counts, the
    /// length and last ID agreeing with the entries, PEL entries known to
    /// their consumers.
    static func readRDB(_ r: inout RDBReader, version2: Bool) -> StreamValue? {
        let s = StreamValue()
        guard let nodeCount = r.length() else { return nil }
        var previous: StreamID? = nil
        var live = 0
        for _ in 0..<nodeCount {
            guard let key = r.string(), key.count == 16, let blob = r.string(),
                  let items = blob.withUnsafeBytes({ Listpack.elements($0) }) else { return nil }
            let master = StreamID(bigEndian: key)
            guard let entries = parseNode(items, master: master), entries[0].id >= master else { return nil }
            if let previous, master <= previous { return nil }
            for e in entries {
                if let previous, e.id <= previous { return nil }
                previous = e.id
                if !e.deleted { live += 1 }
            }
            s.loadNode(master: master, entries, listpackBytes: blob.count)
        }
        guard let length = r.length(bounded: false), length == live,
              let lastMs = r.unsigned(), let lastSeq = r.unsigned() else { return nil }
        s.lastID = StreamID(ms: lastMs, seq: lastSeq)
        if let previous, previous > s.lastID { return nil }
        if version2 {
            guard r.unsigned() != nil, r.unsigned() != nil,  // first ID: derived from the entries
                  let deletedMs = r.unsigned(), let deletedSeq = r.unsigned(), let added = r.unsigned() else { return nil }
            s.maxDeletedID = StreamID(ms: deletedMs, seq: deletedSeq)
            s.entriesAdded = added
        } else {
            s.entriesAdded = UInt64(length)
        }
        guard let groupCount = r.length() else { return nil }
        for _ in 0..<groupCount {
            guard let name = r.string(), s.groups[name] == nil,
                  let ms = r.unsigned(), let seq = r.unsigned() else { return nil }
            var entriesRead: Int64 = -1
            if version2 {
                guard let read = r.unsigned() else { return nil }
                entriesRead = Int64(bitPattern: read)
            }
            let g = StreamGroup(lastID: StreamID(ms: ms, seq: seq), entriesRead: entriesRead)
            guard let pendingCount = r.length() else { return nil }
            var unowned: [StreamID: (time: Int64, count: Int)] = [:]
            for _ in 0..<pendingCount {
                guard let raw = r.take(16), let time = r.littleEndian(), let count = r.length(bounded: false) else { return nil }
                let id = StreamID(bigEndian: Array(raw))
                guard unowned[id] == nil else { return nil }
                unowned[id] = (Int64(bitPattern: time), count)
            }
            guard let consumerCount = r.length() else { return nil }
            for _ in 0..<consumerCount {
                guard let consumerName = r.string(), g.consumers[consumerName] == nil,
                      let seen = r.littleEndian(), let owned = r.length() else { return nil }
                let c = StreamConsumer(name: consumerName, seenTimeMs: Int64(bitPattern: seen))
                g.consumers[consumerName] = c
                for _ in 0..<owned {
                    guard let raw = r.take(16) else { return nil }
                    let id = StreamID(bigEndian: Array(raw))
                    guard let nack = unowned.removeValue(forKey: id) else { return nil }  // not in the group's PEL
                    g.deliver(id, to: c, nowMs: nack.time, count: nack.count)
                }
            }
            // Every pending entry belongs to a consumer.
            guard unowned.isEmpty else { return nil }
            s.groups[name] = g
        }
        return s
    }

    /// The entries of a Redis stream node listpack, or nil when malformed.
    static func parseNode(_ items: [[UInt8]], master: StreamID) -> [LoadedEntry]? {
        var i = 0
        func integer() -> Int64? {
            guard i < items.count, let v = items[i].withUnsafeBytes({ StringEncoding.canonicalInteger($0) }) else { return nil }
            i += 1
            return Int64(v)
        }
        func string() -> [UInt8]? {
            guard i < items.count else { return nil }
            i += 1
            return items[i - 1]
        }
        guard let liveCount = integer(), let deletedCount = integer(), let fieldCount = integer(),
              fieldCount >= 0, fieldCount <= items.count else { return nil }
        var masterFields: [[UInt8]] = []
        for _ in 0..<fieldCount { guard let f = string() else { return nil }; masterFields.append(f) }
        guard integer() == 0 else { return nil }
        var entries: [LoadedEntry] = []
        while i < items.count {
            let start = i
            guard let flags = integer(), flags & ~3 == 0, let msDelta = integer(), let seqDelta = integer() else { return nil }
            let same = flags & 2 != 0
            var fields = masterFields
            if !same {
                guard let n = integer(), n >= 0, n <= items.count else { return nil }
                fields = []
                fields.reserveCapacity(Int(n))
                var strings: [[UInt8]] = []
                for _ in 0..<n {
                    guard let f = string(), let v = string() else { return nil }
                    strings += [f, v]
                }
                guard let lpCount = integer(), lpCount == Int64(i - start - 1) else { return nil }
                entries.append(LoadedEntry(id: StreamID(ms: master.ms &+ UInt64(bitPattern: msDelta),
                                                        seq: master.seq &+ UInt64(bitPattern: seqDelta)),
                                           deleted: flags & 1 != 0, strings: strings))
                continue
            }
            var strings: [[UInt8]] = []
            for f in fields {
                guard let v = string() else { return nil }
                strings += [f, v]
            }
            guard let lpCount = integer(), lpCount == Int64(i - start - 1) else { return nil }
            entries.append(LoadedEntry(id: StreamID(ms: master.ms &+ UInt64(bitPattern: msDelta),
                                                    seq: master.seq &+ UInt64(bitPattern: seqDelta)),
                                       deleted: flags & 1 != 0, strings: strings))
        }
        let live = entries.filter { !$0.deleted }.count
        guard Int64(live) == liveCount, Int64(entries.count - live) == deletedCount, live > 0 else { return nil }
        return entries
    }

    /// Appends a node holding `entries` (deleted ones flagged), as loaded.
    func loadNode(master: StreamID, _ entries: [LoadedEntry], listpackBytes: Int) {
        var node = StreamNode(firstID: master)
        for e in entries {
            node.bytes.append(e.deleted ? 1 : 0)
            StreamValue.appendVarint(e.id.ms &- master.ms, to: &node.bytes)
            StreamValue.appendVarint(e.id.seq, to: &node.bytes)
            StreamValue.appendVarint(UInt64(e.strings.count), to: &node.bytes)
            for s in e.strings {
                StreamValue.appendVarint(UInt64(s.count), to: &node.bytes)
                node.bytes.append(contentsOf: s)
            }
            node.inserted += 1
            if !e.deleted { node.live += 1 }
        }
        node.listpackBytes = listpackBytes - Listpack.integerEntrySize(Int64(node.live))
            - Listpack.integerEntrySize(Int64(node.inserted - node.live))
        storedBytes += node.bytes.capacity
        nodes.append(node)
        _length += node.live
    }
}

extension StreamID {
    /// The 128-bit big-endian form Redis keys radix trees and PELs by.
    var bigEndianBytes: [UInt8] {
        (0..<8).map { UInt8((ms >> UInt64(56 - 8 * $0)) & 0xFF) } + (0..<8).map { UInt8((seq >> UInt64(56 - 8 * $0)) & 0xFF) }
    }

    init(bigEndian b: [UInt8]) {
        var ms: UInt64 = 0, seq: UInt64 = 0
        for i in 0..<8 { ms = ms << 8 | UInt64(b[i]); seq = seq << 8 | UInt64(b[8 + i]) }
        self.init(ms: ms, seq: seq)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A stream entry ID: milliseconds and a sequence number, ordered as a pair.
public struct StreamID: Comparable, Hashable, Sendable {
    public var ms: UInt64
    public var seq: UInt64
    public init(ms: UInt64, seq: UInt64) { self.ms = ms; self.seq = seq }

    public static let zero = StreamID(ms: 0, seq: 0)
    public static let max = StreamID(ms: .max, seq: .max)

    public static func < (a: StreamID, b: StreamID) -> Bool { a.ms != b.ms ? a.ms < b.ms : a.seq < b.seq }

    /// The next ID (nil past the last possible one).
    public var successor: StreamID? {
        if seq < .max { return StreamID(ms: ms, seq: seq + 1) }
        return ms < .max ? StreamID(ms: ms + 1, seq: 0) : nil
    }

    /// The previous ID (nil before 0-0).
    public var predecessor: StreamID? {
        if seq > 0 { return StreamID(ms: ms, seq: seq - 1) }
        return ms > 0 ? StreamID(ms: ms - 1, seq: .max) : nil
    }

    /// `ms-seq`, as Redis prints it.
    public var text: String { "\(ms)-\(seq)" }
}

/// One run of a stream's entries, as Redis keeps them in one listpack of
/// its radix tree: up to `stream-node-max-entries` entries inserted (or
/// `stream-node-max-bytes`), deleted ones flagged in place until the whole
/// node goes. The node boundaries matter to users: `MAXLEN ~`/`MINID ~`
/// trim whole nodes only, as in Redis.
///
/// Entry layout in `bytes`: a flag byte (1: deleted), the ID as varints
/// (milliseconds after the node's first ID, then the sequence), a varint
/// field+value count, then each string as a varint length and its bytes.
/// Relative IDs keep an entry's ID to 2-3 bytes, as Redis's delta-encoded
/// listpack entries; a node that is full is shrunk to its exact size.
/// Invariant: `bytes` holds exactly `inserted` entries (entries are only
/// appended, and deletion flags them), so `inserted` bounds any walk of it.
struct StreamNode {
    var firstID: StreamID
    var bytes: [UInt8] = []
    var inserted = 0
    var live = 0
    /// The size Redis's listpack for this node would have, without its two
    /// counters (live and deleted entries, whose encoded size changes with
    /// them): Redis starts a new node when this size plus the new entry's
    /// strings reaches `stream-node-max-bytes`, so tracking it keeps the
    /// node boundaries (and what `MAXLEN ~` trims) Redis's.
    var listpackBytes = 0

    var redisListpackBytes: Int {
        listpackBytes + Listpack.integerEntrySize(Int64(live)) + Listpack.integerEntrySize(Int64(inserted - live))
    }
}

/// A stream (OBJECT ENCODING "stream"): its nodes in ID order plus the
/// counters XINFO and XADD need. Unlike other types, an empty stream stays
/// (Redis keeps the key after XDEL/XTRIM removes every entry).
public final class StreamValue: Container, @unchecked Sendable {
    @exclusivity(unchecked) var nodes: [StreamNode] = []
    // The counters other modules read are stored under `_` names and reached
    // through @inlinable accessors: `@exclusivity(unchecked)` does not cross
    // module boundaries, and a public stored property read from Commands
    // paid a dynamic exclusivity check per access (about 75 instructions
    // each, 76 per XADD).
    @exclusivity(unchecked) @usableFromInline var _length = 0
    @exclusivity(unchecked) @usableFromInline var _lastID = StreamID.zero
    @exclusivity(unchecked) @usableFromInline var _maxDeletedID = StreamID.zero
    @exclusivity(unchecked) @usableFromInline var _entriesAdded: UInt64 = 0
    @inlinable public var length: Int { _length }
    @inlinable public var lastID: StreamID { get { _lastID } set { _lastID = newValue } }
    @inlinable public var maxDeletedID: StreamID { get { _maxDeletedID } set { _maxDeletedID = newValue } }
    @inlinable public var entriesAdded: UInt64 { get { _entriesAdded } set { _entriesAdded = newValue } }
    /// Bytes of node storage (capacity), for memory accounting.
    @exclusivity(unchecked) var storedBytes = 0
    /// Consumer groups by name.
    @exclusivity(unchecked) public var groups: [[UInt8]: StreamGroup] = [:]
    /// Groups in name order (XINFO lists them so).
    public var groupsByName: [(name: [UInt8], group: StreamGroup)] {
        groups.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { ($0.key, $0.value) }
    }

    public override init() {}

    public override var count: Int { length }
    public override var encodingName: StaticString { "stream" }
    /// Nodes (Redis: listpacks in the radix tree, XINFO radix-tree-keys).
    public var nodeCount: Int { nodes.count }
    public override var accountedBytes: Int {
        var bytes = 96 + nodes.capacity * MemoryLayout<StreamNode>.stride + storedBytes + 32 * nodes.count
        // Groups: an estimate per group, consumer and pending entry.
        for (name, g) in groups { bytes += 128 + name.count + 64 * g.pending.count + 80 * g.consumers.count }
        return bytes
    }

    public override func deepCopy() -> Container {
        let copy = StreamValue()
        copy.nodes = nodes
        copy._length = _length
        copy.lastID = lastID
        copy.maxDeletedID = maxDeletedID
        copy.entriesAdded = entriesAdded
        copy.storedBytes = storedBytes
        for (name, g) in groups { copy.groups[name] = g.copy() }
        return copy
    }

    /// The first live entry's ID (0-0 when empty).
    public var firstID: StreamID {
        var found = StreamID.zero
        forEach(from: .zero, to: .max, reverse: false) { id, _ in found = id; return false }
        return found
    }

    // MARK: entries

    /// Appends an entry of `fieldCount` strings (`field(i)`: fields and
    /// values alternating); the caller checked `id > lastID`.
    public func append(_ id: StreamID, fieldCount: Int, field: (Int) -> UnsafeRawBufferPointer, maxEntries: Int, maxBytes: Int) {
        // Redis's rule: a new node once the tail's listpack plus this
        // entry's strings would reach the byte limit, or the tail holds
        // `maxEntries` entries (live or deleted).
        let nodeMaxBytes = maxBytes == 0 || maxBytes > 1 << 30 ? 1 << 30 : maxBytes
        // One pass over the strings: their raw bytes (the split rule) and
        // their listpack entry sizes (names and values apart).
        var stringBytes = 0, nameBytes = 0, valueBytes = 0
        for k in 0..<fieldCount {
            let f = field(k)
            stringBytes += f.count
            if k & 1 == 0 { nameBytes += Listpack.entrySize(f) } else { valueBytes += Listpack.entrySize(f) }
        }
        let pairs = fieldCount / 2
        if let last = nodes.last, (maxEntries == 0 || last.inserted < maxEntries) && last.redisListpackBytes + stringBytes < nodeMaxBytes {
        } else {
            var node = StreamNode(firstID: id)
            // An empty listpack (7 bytes), the master entry's field count,
            // its fields (the first entry's), and its terminating 0.
            node.listpackBytes = 7 + Listpack.integerEntrySize(Int64(pairs)) + Listpack.integerEntrySize(0) + nameBytes
            nodes.append(node)
        }
        let i = nodes.count - 1
        // The entry in Redis's listpack: flags, the ID's deltas from the
        // node's first ID, the names unless they are the node's first
        // entry's (Redis's master fields), the values, its element count.
        let same = nodes[i].inserted == 0 || firstEntryHasFields(node: i, fieldCount: fieldCount, field: field)
        let master = nodes[i].firstID
        var entrySize = 2  // flags 0 or 2: one byte and its backlen
            + Listpack.integerEntrySize(Int64(bitPattern: id.ms &- master.ms))
            + Listpack.integerEntrySize(Int64(bitPattern: id.seq &- master.seq)) + valueBytes
        if !same { entrySize += Listpack.integerEntrySize(Int64(pairs)) + nameBytes }
        nodes[i].listpackBytes += entrySize + Listpack.integerEntrySize(Int64(pairs + 3 + (same ? 0 : pairs + 1)))
        let before = nodes[i].bytes.capacity
        nodes[i].bytes.append(0)
        StreamValue.appendVarint(id.ms - nodes[i].firstID.ms, to: &nodes[i].bytes)
        StreamValue.appendVarint(id.seq, to: &nodes[i].bytes)
        StreamValue.appendVarint(UInt64(fieldCount), to: &nodes[i].bytes)
        for k in 0..<fieldCount {
            let f = field(k)
            StreamValue.appendVarint(UInt64(f.count), to: &nodes[i].bytes)
            nodes[i].bytes.append(contentsOf: f)
        }
        nodes[i].inserted += 1
        // A full node takes no more entries: drop its growth room.
        if (maxEntries > 0 && nodes[i].inserted >= maxEntries) || nodes[i].redisListpackBytes >= nodeMaxBytes {
            // (Array(bytes) would share the same storage: copy for real.)
            let full = nodes[i].bytes
            nodes[i].bytes = [UInt8](unsafeUninitializedCapacity: full.count) { buffer, count in
                _ = buffer.initialize(from: full)
                count = full.count
            }
        }
        storedBytes += nodes[i].bytes.capacity - before
        nodes[i].live += 1
        _length += 1
        lastID = id
        entriesAdded += 1
    }

    /// Whether node `n`'s first entry has these field names (Redis's
    /// master fields), read straight from its bytes.
    func firstEntryHasFields(node n: Int, fieldCount: Int, field: (Int) -> UnsafeRawBufferPointer) -> Bool {
        nodes[n].bytes.withUnsafeBytes { p in
            var i = 1  // past the flag byte
            _ = StreamValue.readVarintWide(p, &i)
            _ = StreamValue.readVarintWide(p, &i)
            if StreamValue.readVarint(p, &i) != fieldCount { return false }
            var k = 0
            while k < fieldCount {
                let length = StreamValue.readVarint(p, &i)
                let name = field(k)
                if length != name.count { return false }
                if length > 0 && memcmp(p.baseAddress! + i, name.baseAddress!, length) != 0 { return false }
                i += length
                let valueLength = StreamValue.readVarint(p, &i)
                i += valueLength
                k += 2
            }
            return true
        }
    }

    static func appendVarint(_ n: UInt64, to bytes: inout [UInt8]) {
        var v = n
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    /// The entry at `offset` of a node whose first ID is `first`: its ID,
    /// whether deleted, where its strings start, how many, and where the
    /// next entry starts.
    static func entry(_ p: UnsafeRawBufferPointer, at offset: Int, first: StreamID) -> (id: StreamID, deleted: Bool, fields: Int, count: Int, next: Int) {
        let deleted = p[offset] != 0
        var i = offset + 1
        let ms = first.ms &+ readVarintWide(p, &i)
        let seq = readVarintWide(p, &i)
        let n = readVarint(p, &i)
        let fieldsStart = i
        for _ in 0..<n { let len = readVarint(p, &i); i += len }
        return (StreamID(ms: ms, seq: seq), deleted, fieldsStart, n, i)
    }

    @inline(__always) static func readVarintWide(_ p: UnsafeRawBufferPointer, _ i: inout Int) -> UInt64 {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = UInt64(p[i]); i += 1
            value |= (b & 0x7F) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    static func readVarint(_ p: UnsafeRawBufferPointer, _ i: inout Int) -> Int { Int(truncatingIfNeeded: readVarintWide(p, &i)) }

    /// The node that may hold `id`: the last whose first ID is ≤ id.
    func nodeIndex(for id: StreamID) -> Int {
        var lo = 0, hi = nodes.count - 1
        if hi < 0 || id < nodes[0].firstID { return 0 }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if nodes[mid].firstID <= id { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Live entries with `from ≤ id ≤ to`, ascending (or descending), while
    /// `body` returns true. `body` gets the ID and the entry's strings.
    public func forEach(from: StreamID, to: StreamID, reverse: Bool, _ body: (StreamID, StreamFields) -> Bool) {
        if from > to || nodes.isEmpty { return }
        if !reverse {
            var n = nodeIndex(for: from)
            while n < nodes.count {
                if nodes[n].firstID > to { return }
                let first = nodes[n].firstID
                let stop: Bool = nodes[n].bytes.withUnsafeBytes { p in
                    var offset = 0
                    while offset < p.count {
                        let e = StreamValue.entry(p, at: offset, first: first)
                        offset = e.next
                        if e.id < from || e.deleted { continue }
                        if e.id > to { return true }
                        if !body(e.id, StreamFields(bytes: p, start: e.fields, count: e.count)) { return true }
                    }
                    return false
                }
                if stop { return }
                n += 1
            }
        } else {
            var n = nodeIndex(for: to)
            while n >= 0 {
                // A node is walked forwards; its entries are collected, then visited backwards.
                let first = nodes[n].firstID
                // A node holds at most `inserted` entries: their offsets fit on the stack.
                let stop: Bool = withUnsafeTemporaryAllocation(of: Int.self, capacity: nodes[n].inserted) { offsets in
                    nodes[n].bytes.withUnsafeBytes { p in
                        var found = 0
                        var offset = 0
                        while offset < p.count {
                            let e = StreamValue.entry(p, at: offset, first: first)
                            if !e.deleted && e.id >= from && e.id <= to { offsets[found] = offset; found += 1 }
                            offset = e.next
                        }
                        while found > 0 {
                            found -= 1
                            let e = StreamValue.entry(p, at: offsets[found], first: first)
                            if !body(e.id, StreamFields(bytes: p, start: e.fields, count: e.count)) { return true }
                        }
                        return false
                    }
                }
                if stop || nodes[n].firstID <= from { return }
                n -= 1
            }
        }
    }

    /// Flags entry `id` deleted; returns whether it was there.
    @discardableResult
    public func delete(_ id: StreamID) -> Bool {
        guard !nodes.isEmpty else { return false }
        let n = nodeIndex(for: id)
        let first = nodes[n].firstID
        let found: Bool = nodes[n].bytes.withUnsafeMutableBytes { p in
            var offset = 0
            while offset < p.count {
                let e = StreamValue.entry(UnsafeRawBufferPointer(p), at: offset, first: first)
                if e.id == id {
                    if e.deleted { return false }
                    p[offset] = 1
                    return true
                }
                if e.id > id { return false }
                offset = e.next
            }
            return false
        }
        guard found else { return false }
        nodes[n].live -= 1
        _length -= 1
        if id > maxDeletedID { maxDeletedID = id }
        if nodes[n].live == 0 { removeNode(n) }
        return true
    }

    func removeNode(_ n: Int) {
        storedBytes -= nodes[n].bytes.capacity
        nodes.remove(at: n)
    }

    /// How XADD/XTRIM trim: keep at most `maxLength` entries, or drop those
    /// below `minID`; `approximate` removes whole nodes only, at most
    /// `limit` entries (0: no limit). Returns the entries removed.
    public enum Trim { case maxLength(Int), minID(StreamID) }

    public func trim(_ strategy: Trim, approximate: Bool, limit: Int) -> Int {
        var removed = 0
        while let first = nodes.first {
            if case .maxLength(let m) = strategy, length <= m { break }
            if limit > 0 && removed + first.live > limit { break }
            let wholeNode: Bool
            switch strategy {
            case .maxLength(let m): wholeNode = length - first.live >= m
            case .minID(let id): wholeNode = lastEntryID(ofNode: 0) < id
            }
            if wholeNode {
                removed += first.live
                _length -= first.live
                removeNode(0)
                continue
            }
            if approximate { break }
            // Exact: flag entries of the first node until the condition
            // holds (the whole node would have gone above otherwise).
            var flagged = 0
            let remaining = length
            let first = nodes[0].firstID
            nodes[0].bytes.withUnsafeMutableBytes { p in
                var offset = 0
                while offset < p.count {
                    let e = StreamValue.entry(UnsafeRawBufferPointer(p), at: offset, first: first)
                    defer { offset = e.next }
                    if e.deleted { continue }
                    switch strategy {
                    case .maxLength(let m): if remaining - flagged <= m { return }
                    case .minID(let id): if e.id >= id { return }
                    }
                    p[offset] = 1
                    flagged += 1
                }
            }
            nodes[0].live -= flagged
            _length -= flagged
            removed += flagged
            break
        }
        return removed
    }

    /// The ID of the last entry (deleted or not) of node `n`.
    func lastEntryID(ofNode n: Int) -> StreamID {
        nodes[n].bytes.withUnsafeBytes { p in
            var offset = 0, last = nodes[n].firstID
            while offset < p.count { let e = StreamValue.entry(p, at: offset, first: nodes[n].firstID); last = e.id; offset = e.next }
            return last
        }
    }
}

/// The strings of one stream entry (field, value, field, value…), valid
/// while its node is not changed.
public struct StreamFields {
    let bytes: UnsafeRawBufferPointer
    let start: Int
    public let count: Int

    public func forEach(_ body: (UnsafeRawBufferPointer) -> Void) {
        var i = start
        for _ in 0..<count {
            let len = StreamValue.readVarint(bytes, &i)
            body(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + len)]))
            i += len
        }
    }
}

/// A stream seen through its entry (shard locked).
public struct StreamView {
    public let table: UnsafeMutablePointer<KeyTable>
    public let slot: Int
    public init(table: UnsafeMutablePointer<KeyTable>, slot: Int) { self.table = table; self.slot = slot }

    @inlinable public var stream: StreamValue { unsafeDowncast(ValueStore.container(table.pointee.entry(at: slot))!, to: StreamValue.self) }
    public var count: Int { stream.length }

    /// Runs a change and accounts its memory.
    public func change<R>(_ body: (StreamValue) -> R) -> R {
        table.pointee.mutateContainer(at: slot, as: StreamValue.self, body)
    }
}

extension StreamView: ValueView {
    public static var valueType: ValueType { .stream }
    public static var deletesWhenEmpty: Bool { false }
    public static func newEntry(key: UnsafeRawBufferPointer, lru: UInt32) -> Entry {
        KeyTable.containerEntry(key: key, type: .stream, lru: lru, StreamValue())
    }
}

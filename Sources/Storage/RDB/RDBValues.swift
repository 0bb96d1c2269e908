#if canImport(Glibc)
import Glibc
#endif

/// A value read from an RDB payload, before it is stored.
public enum DecodedValue {
    case string([UInt8])
    case list([[UInt8]])
    case set([[UInt8]])
    case sortedSet([(member: [UInt8], score: Double)])
    case hash([(field: [UInt8], value: [UInt8])])
    case stream(StreamValue)
}

/// Values to and from Redis's RDB encoding, as DUMP and RESTORE carry them.
///
/// Writing picks the RDB type Redis 7.0 picks for the value's encoding:
/// strings as strings; lists as quicklists of listpacks, cut into nodes the
/// way a list filled by RPUSH is (so such lists dump byte for byte as in
/// Redis); intsets and small hashes and sorted sets as their packed blobs,
/// which match Redis's; table-encoded sets, hashes and sorted sets element
/// by element (the order of a set's or hash's elements is each server's
/// own); streams as `RDBStreams.swift` describes.
///
/// Reading accepts what Redis 7.0 writes and the older types Redis 6 and
/// earlier wrote (ziplists, plain lists, text scores, version 1 streams),
/// and refuses module values, zipmaps, empty collections and duplicate
/// members.
public enum RDBValues {
    /// The RDB type byte and body of the value at `slot` (no footer).
    /// `listFill` is `list-max-listpack-size`.
    public static func encode(table: UnsafeMutablePointer<KeyTable>, slot: Int, listFill: Int, compress: Bool) -> [UInt8] {
        var w = RDBWriter(compress: compress)
        let entry = table.pointee.entry(at: slot)
        switch entry.type {
        case .string:
            w.type(.string)
            w.string(entry.value)
        case .list:
            w.type(.listQuicklist2)
            var nodes: [[UInt8]] = []
            var current: [UInt8] = [], currentCount = 0
            ListView(table: table, slot: slot).scan(from: 0, reverse: false) { e, _ in
                if currentCount > 0 && !quicklistAllowsInsert(nodeBytes: current.count + 1, nodeCount: currentCount,
                                                               elementLength: e.count, fill: listFill) {
                    current.append(0xFF)
                    Listpack.finish(&current, count: currentCount)
                    nodes.append(current)
                    current = []; currentCount = 0
                }
                if current.isEmpty { current = [UInt8](repeating: 0, count: 6) }
                Listpack.append(e, to: &current)
                currentCount += 1
                return true
            }
            if currentCount > 0 {
                current.append(0xFF)
                Listpack.finish(&current, count: currentCount)
                nodes.append(current)
            }
            w.length(nodes.count)
            for node in nodes {
                w.length(2)  // a packed node
                w.string(node)
            }
        case .set:
            let set = SetView(table: table, slot: slot)
            if set.isIntset {
                w.type(.setIntset)
                var integers: [Int] = []
                set.forEach { integers.append(StringEncoding.canonicalInteger($0) ?? 0) }
                w.string(Intset.build(integers))
            } else {
                w.type(.set)
                w.length(set.count)
                set.forEach { w.string($0) }
            }
        case .zset:
            let z = SortedSetView(table: table, slot: slot)
            if z.isPacked {
                w.type(.zsetListpack)
                var elements: [[UInt8]] = []
                z.scan(from: 0, reverse: false) { member, score in
                    elements.append(Array(member)); elements.append(RDB.scoreText(score)); return true
                }
                w.string(Listpack.build(elements))
            } else {
                // Greatest first, as Redis walks its skiplist from the tail.
                w.type(.zset2)
                w.length(z.count)
                z.scan(from: z.count - 1, reverse: true) { member, score in
                    w.string(member); w.binaryDouble(score); return true
                }
            }
        case .hash:
            let h = HashView(table: table, slot: slot)
            if h.isPacked {
                w.type(.hashListpack)
                var elements: [[UInt8]] = []
                h.forEach { f, v in elements.append(Array(f)); elements.append(Array(v)) }
                w.string(Listpack.build(elements))
            } else {
                w.type(.hash)
                w.length(h.count)
                h.forEach { f, v in w.string(f); w.string(v) }
            }
        case .stream:
            w.type(.streamListpacks2)
            StreamView(table: table, slot: slot).stream.writeRDB(&w)
        }
        return w.bytes
    }

    /// The value a payload holds (type byte first), or nil when it is
    /// malformed or of a type this server cannot hold. As in Redis the
    /// value is read from the whole payload, footer included: a value may
    /// run into the footer, and what follows the value is not looked at.
    public static func decode(_ body: UnsafeRawBufferPointer) -> DecodedValue? {
        var r = RDBReader(body)
        guard let typeByte = r.byte(), let type = RDB.ValueType(rawValue: typeByte) else { return nil }
        let value: DecodedValue?
        switch type {
        case .string:
            value = r.string().map { .string($0) }
        case .list:
            value = counted(&r) { r in r.string() }.map { .list($0) }
        case .listZiplist:
            value = r.string().flatMap { blob in blob.withUnsafeBytes { Ziplist.elements($0) } }.map { .list($0) }
        case .listQuicklist, .listQuicklist2:
            guard let nodes = r.length() else { return nil }
            var elements: [[UInt8]] = []
            for _ in 0..<nodes {
                var container = 2
                if type == .listQuicklist2 {
                    guard let c = r.length(), c == 1 || c == 2 else { return nil }
                    container = c
                }
                guard let blob = r.string() else { return nil }
                if container == 1 { elements.append(blob); continue }  // one plain element
                guard let items = blob.withUnsafeBytes({ type == .listQuicklist ? Ziplist.elements($0) : Listpack.elements($0) })
                else { return nil }
                elements += items  // an empty node is skipped, as Redis does
            }
            value = .list(elements)
        case .set:
            guard let members = counted(&r, { r in r.string() }) else { return nil }
            var seen = Set<[UInt8]>()
            for m in members where !seen.insert(m).inserted { return nil }  // duplicate members
            value = .set(members)
        case .setIntset:
            value = r.string().flatMap { blob in blob.withUnsafeBytes { Intset.integers($0) } }
                .map { .set($0.map { Array(String($0).utf8) }) }
        case .zset, .zset2:
            guard let pairs = counted(&r, { r -> (member: [UInt8], score: Double)? in
                guard let member = r.string(), let score = type == .zset2 ? r.binaryDouble() : r.textDouble(),
                      !score.isNaN else { return nil }
                return (member, score)
            }) else { return nil }
            value = distinct(pairs.map(\.member)) ? .sortedSet(pairs) : nil
        case .zsetZiplist, .zsetListpack:
            guard let items = packedPairs(&r, ziplist: type == .zsetZiplist) else { return nil }
            var pairs: [(member: [UInt8], score: Double)] = []
            for i in stride(from: 0, to: items.count, by: 2) {
                guard let score = parseScore(items[i + 1]) else { return nil }
                pairs.append((items[i], score))
            }
            value = distinct(pairs.map(\.member)) ? .sortedSet(pairs) : nil
        case .hash:
            guard let pairs = counted(&r, { r -> (field: [UInt8], value: [UInt8])? in
                guard let f = r.string(), let v = r.string() else { return nil }
                return (f, v)
            }) else { return nil }
            value = distinct(pairs.map(\.field)) ? .hash(pairs) : nil
        case .hashZiplist, .hashListpack:
            guard let items = packedPairs(&r, ziplist: type == .hashZiplist) else { return nil }
            let pairs = stride(from: 0, to: items.count, by: 2).map { (field: items[$0], value: items[$0 + 1]) }
            value = distinct(pairs.map(\.field)) ? .hash(pairs) : nil
        case .streamListpacks, .streamListpacks2:
            value = StreamValue.readRDB(&r, version2: type == .streamListpacks2).map { .stream($0) }
        case .module, .module2, .hashZipmap:
            return nil
        }
        // A collection must not be empty. (Bytes left over are ignored, as
        // Redis ignores them.)
        guard let value else { return nil }
        switch value {
        case .string: return value
        case .list(let l): return l.isEmpty ? nil : value
        case .set(let s): return s.isEmpty ? nil : value
        case .sortedSet(let z): return z.isEmpty ? nil : value
        case .hash(let h): return h.isEmpty ? nil : value
        case .stream: return value  // an empty stream is a value
        }
    }

    /// Redis's `_quicklistNodeAllowInsert`: whether a node of `nodeBytes`
    /// (its listpack's size) and `nodeCount` elements takes one more of
    /// `elementLength` bytes, estimating 8 bytes of overhead. A negative
    /// fill -1…-5 caps a node at 4…64 KB; otherwise 8 KB and `fill` elements.
    static func quicklistAllowsInsert(nodeBytes: Int, nodeCount: Int, elementLength: Int, fill: Int) -> Bool {
        let newSize = nodeBytes + elementLength + 8
        let level = -fill - 1
        if fill < 0 && level < 5 && newSize <= 4096 << level { return true }
        if newSize > 8192 { return false }
        return nodeCount < fill
    }

    /// The elements of a ziplist or listpack blob that holds pairs.
    static func packedPairs(_ r: inout RDBReader, ziplist: Bool) -> [[UInt8]]? {
        guard let blob = r.string(),
              let items = blob.withUnsafeBytes({ ziplist ? Ziplist.elements($0) : Listpack.elements($0) }),
              items.count % 2 == 0 else { return nil }
        return items
    }

    /// A count, then that many items.
    static func counted<T>(_ r: inout RDBReader, _ item: (inout RDBReader) -> T?) -> [T]? {
        guard let n = r.length() else { return nil }
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            guard let x = item(&r) else { return nil }
            out.append(x)
        }
        return out
    }

    static func distinct(_ keys: [[UInt8]]) -> Bool {
        var seen = Set<[UInt8]>()
        for k in keys where !seen.insert(k).inserted { return false }
        return true
    }

    /// A score as a listpack holds it: text `strtod` reads whole.
    static func parseScore(_ text: [UInt8]) -> Double? {
        if text.isEmpty || text.count > 128 { return nil }
        var terminated = text.map { CChar(bitPattern: $0) }
        terminated.append(0)
        return terminated.withUnsafeBufferPointer { p -> Double? in
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(p.baseAddress!, &end)
            guard let end, end - UnsafeMutablePointer(mutating: p.baseAddress!) == text.count, !v.isNaN else { return nil }
            return v
        }
    }
}

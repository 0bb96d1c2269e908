import RESP
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// `SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]]
///     [ASC | DESC] [ALPHA] [STORE destination]`
/// `SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC | DESC] [ALPHA]`
///
/// Sorts a list, set or sorted set (a missing key is an empty list): by the
/// elements as numbers, or as byte strings with ALPHA, or by the values of
/// other keys named by a pattern (`*` stands for the element; `key->field`
/// reads a hash field). `BY` a pattern without `*` does not sort. GET
/// returns, for each element, the value a pattern names (`#`: the element
/// itself; nil when missing). STORE writes the result to a list instead,
/// replacing the destination (deleting it when the result is empty).
///
/// As in Redis, numeric ties fall back to comparing the elements. Elements
/// that still tie (ALPHA BY a pattern whose weights are equal) come out as
/// Redis's sorts leave them: a list's in Redis's order; a set's or sorted
/// set's start from each server's own hash order. Patterns may name any
/// key, so the command runs holding every shard.
enum SortCommand {
    static func make(_ name: String, readOnly: Bool) -> CommandSpec {
        var arguments = [
            ArgumentSpec("key", .key, keySpecIndex: 0),
            ArgumentSpec("pattern", .pattern, token: "BY", optional: true, keySpecIndex: 1),
            ArgumentSpec("offset_count", .block, token: "LIMIT", optional: true, children: [
                ArgumentSpec("offset", .integer), ArgumentSpec("count", .integer)]),
            ArgumentSpec("pattern", .pattern, token: "GET", optional: true, multiple: true, multipleToken: true, keySpecIndex: 1),
            ArgumentSpec("order", .oneof, optional: true, children: [
                ArgumentSpec("asc", .pureToken, token: "ASC"), ArgumentSpec("desc", .pureToken, token: "DESC")]),
            ArgumentSpec("sorting", .pureToken, token: "ALPHA", optional: true),
        ]
        if !readOnly { arguments.append(ArgumentSpec("destination", .key, token: "STORE", optional: true, keySpecIndex: 2)) }
        return CommandSpec(
            name, arity: -2, flags: readOnly ? [.readonly] : [.write, .denyoom],
            acl: [readOnly ? "@read" : "@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"], keys: (1, 1, 1),
            group: "generic", since: readOnly ? "7.0.0" : "1.0.0",
            summary: readOnly ? "Sort the elements in a list, set or sorted set. Read-only variant of SORT."
                : "Sort the elements in a list, set or sorted set",
            complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
            arguments: arguments, handler: { c, args in run(c, args, readOnly: readOnly) })
    }

    static let sort = make("sort", readOnly: false)
    static let sortReadOnly = make("sort_ro", readOnly: true)

    struct Options {
        var descending = false, alpha = false, dontSort = false
        var offset = 0, count = -1
        var by: [UInt8]? = nil
        var gets: [[UInt8]] = []
        var store: [UInt8]? = nil
    }

    /// Redis's option parser: later options override earlier ones; a bad
    /// LIMIT number or an unknown word stops at the first error.
    static func parse(_ c: Client, _ args: Arguments, readOnly: Bool) -> Options? {
        var o = Options()
        var j = 2
        while j < args.count {
            let remaining = args.count - j - 1
            let word = args[j]
            if word.equalsIgnoringCase("asc") { o.descending = false }
            else if word.equalsIgnoringCase("desc") { o.descending = true }
            else if word.equalsIgnoringCase("alpha") { o.alpha = true }
            else if word.equalsIgnoringCase("limit") && remaining >= 2 {
                guard let offset = c.integerArgument(args[j + 1]), let count = c.integerArgument(args[j + 2]) else { return nil }
                (o.offset, o.count) = (offset, count)
                j += 2
            } else if !readOnly && word.equalsIgnoringCase("store") && remaining >= 1 {
                o.store = Array(args[j + 1])
                j += 1
            } else if word.equalsIgnoringCase("by") && remaining >= 1 {
                o.by = Array(args[j + 1])
                // A pattern without `*` names one constant key: nothing to sort
                // by. As in Redis, a later BY does not undo it.
                if !o.by!.contains(UInt8(ascii: "*")) { o.dontSort = true }
                j += 1
            } else if word.equalsIgnoringCase("get") && remaining >= 1 {
                o.gets.append(Array(args[j + 1]))
                j += 1
            } else {
                c.fail(Errors.syntax)
                return nil
            }
            j += 1
        }
        return o
    }

    /// One element and what it sorts by, as ranges of the sort's byte
    /// buffer (one allocation for all elements, not one each).
    struct Item {
        var start: Int, count: Int
        var score = 0.0
        /// An ALPHA weight read BY a pattern; start -1 when missing.
        var weightStart = -1, weightCount = 0
    }

    static func run(_ c: Client, _ args: Arguments, readOnly: Bool) {
        guard var o = parse(c, args, readOnly: readOnly) else { return }
        // Patterns may name keys in any shard, and STORE writes a second
        // key: then hold every shard, so the sort is atomic as in Redis.
        // A plain sort of one key locks only its own.
        let patterns = (o.by != nil && !o.dontSort) || o.gets.contains { $0 != [UInt8(ascii: "#")] }
        if patterns || o.store != nil {
            c.server.keyspace.withAllShardsLocked { sortAndReply(c, args, &o) }
        } else {
            sortAndReply(c, args, &o)
        }
    }

    /// What SORT sorts: the value's type, its elements as ranges of one
    /// byte buffer, and that buffer; nil after a WRONGTYPE reply. (Locals
    /// filled through closures inside a static function: captured by a local
    /// function instead, every access was checked at run time, 40% of a sort.)
    static func elements(_ c: Client, _ key: UnsafeRawBufferPointer) -> (kind: ValueType, items: [Item], bytes: [UInt8])? {
        c.withKey(key, read: true) { k -> (kind: ValueType, items: [Item], bytes: [UInt8])? in
            var items: [Item] = [], bytes: [UInt8] = []
            guard let slot = k.slot else { return (.list, items, bytes) }
            let kind = k.table.pointee.entry(at: slot).type
            switch kind {
            case .list:
                ListView(table: k.table, slot: slot).scan(from: 0, reverse: false) { e, _ in
                    items.append(Item(start: bytes.count, count: e.count)); bytes.append(contentsOf: e); return true
                }
            case .set:
                SetView(table: k.table, slot: slot).forEach { e in
                    items.append(Item(start: bytes.count, count: e.count)); bytes.append(contentsOf: e)
                }
            case .zset:
                SortedSetView(table: k.table, slot: slot).scan(from: 0, reverse: false) { e, _ in
                    items.append(Item(start: bytes.count, count: e.count)); bytes.append(contentsOf: e); return true
                }
            default:
                c.fail(Errors.wrongType)
                return nil
            }
            return (kind, items, bytes)
        }
    }

    static func sortAndReply(_ c: Client, _ args: Arguments, _ o: inout Options) {
        guard let read = elements(c, args[1]) else { return }
        let kind = read.kind
        var (items, bytes) = (read.items, read.bytes)
        // A set has no order of its own: stored, it is sorted anyway.
        if o.dontSort && kind == .set && o.store != nil { (o.dontSort, o.alpha, o.by) = (false, true, nil) }
        let n = items.count
        var start = min(max(o.offset, 0), n)
        let limit = min(max(o.count, -1), n)
        var end = limit < 0 ? n - 1 : start + limit - 1
        if start >= n { (start, end) = (n - 1, n - 2) }
        if end >= n { end = n - 1 }
        if o.dontSort {
            // Lists and sorted sets keep their order, reversed by DESC.
            if o.descending && kind != .set { items.reverse() }
        } else {
            var conversionError = false
            for i in items.indices {
                if let pattern = o.by {
                    let item = items[i]
                    guard let weight = lookUp(c, pattern, for: Array(bytes[item.start..<item.start + item.count])) else { continue }
                    if o.alpha {
                        (items[i].weightStart, items[i].weightCount) = (bytes.count, weight.count)
                        bytes.append(contentsOf: weight)
                    } else if let score = weight.withUnsafeBytes({ DoubleFormat.parseSortWeight($0) }) {
                        items[i].score = score
                    } else {
                        conversionError = true
                    }
                } else if !o.alpha {
                    let item = items[i]
                    let score = bytes.withUnsafeBytes {
                        DoubleFormat.parseSortWeight(UnsafeRawBufferPointer(rebasing: $0[item.start..<item.start + item.count]))
                    }
                    if let score { items[i].score = score } else { conversionError = true }
                }
            }
            if conversionError { c.fail("ERR One or more scores can't be converted into double"); return }
            let byPattern = o.by != nil, alpha = o.alpha, descending = o.descending, stored = o.store != nil
            // Redis's two sorts, so that elements whose weights tie (ALPHA
            // BY a pattern) keep Redis's order: its partial quicksort for a
            // LIMIT with BY, else glibc's qsort, a stable merge sort.
            let partial = o.by != nil && (start != 0 || end != n - 1)
            bytes.withUnsafeBytes { buffer in
                let order: (Item, Item) -> Int = { a, b in
                    let cmp = compare(a, b, in: buffer, alpha: alpha, byPattern: byPattern, stored: stored)
                    return descending ? -cmp : cmp
                }
                if partial {
                    ReferenceSorts.partialQuickSort(&items, from: start, through: end, order)
                } else {
                    ReferenceSorts.mergeSort(&items, order)
                }
            }
        }
        let selected = end >= start ? items[start...end] : []
        if let destination = o.store {
            store(c, selected.map { Array(bytes[$0.start..<$0.start + $0.count]) }, o.gets, into: destination)
            return
        }
        c.reply.array(o.gets.isEmpty ? selected.count : selected.count * o.gets.count)
        bytes.withUnsafeBytes { buffer in
            for item in selected {
                let e = UnsafeRawBufferPointer(rebasing: buffer[item.start..<item.start + item.count])
                if o.gets.isEmpty { c.reply.bulk(e); continue }
                for pattern in o.gets {
                    if let value = lookUp(c, pattern, for: Array(e)) { c.reply.bulk(value) } else { c.reply.null() }
                }
            }
        }
    }

    /// Redis's `sortCompare`: numbers (ties broken by the elements' bytes),
    /// or bytes with ALPHA (by the weights, a missing weight first, when
    /// sorting BY a pattern).
    static func compare(_ a: Item, _ b: Item, in buffer: UnsafeRawBufferPointer, alpha: Bool, byPattern: Bool, stored: Bool) -> Int {
        func bytes(_ start: Int, _ count: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[start..<start + count]) }
        if !alpha {
            if a.score != b.score { return a.score < b.score ? -1 : 1 }
            return bytesCompare(bytes(a.start, a.count), bytes(b.start, b.count))
        }
        let x: UnsafeRawBufferPointer, y: UnsafeRawBufferPointer
        if byPattern {
            switch (a.weightStart >= 0, b.weightStart >= 0) {
            case (false, false): return 0
            case (false, true): return -1
            case (true, false): return 1
            case (true, true): (x, y) = (bytes(a.weightStart, a.weightCount), bytes(b.weightStart, b.weightCount))
            }
        } else {
            (x, y) = (bytes(a.start, a.count), bytes(b.start, b.count))
        }
        return stored ? bytesCompare(x, y) : cStringCompare(x, y)
    }

    /// Redis compares with `strcoll` when it replies and with a binary
    /// comparison when it STOREs; in the C locale `strcoll` is `strcmp`,
    /// which stops at the first NUL byte.
    static func cStringCompare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        var i = 0
        while true {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            if x != y { return x < y ? -1 : 1 }
            if x == 0 { return 0 }
            i += 1
        }
    }

    static func bytesCompare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let common = min(a.count, b.count)
        let order = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
        if order != 0 { return order < 0 ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// The value `pattern` names for `element` (Redis's `lookupKeyByPattern`):
    /// `#` is the element; the first `*` is replaced by it; `->field` after
    /// the `*` reads a hash field. Nil when there is no `*`, the key is
    /// missing or of the wrong type, or the field is missing.
    static func lookUp(_ c: Client, _ pattern: [UInt8], for element: [UInt8]) -> [UInt8]? {
        if pattern == [UInt8(ascii: "#")] { return element }
        guard let star = pattern.firstIndex(of: UInt8(ascii: "*")) else { return nil }
        var keyEnd = pattern.count
        var field: [UInt8]? = nil
        var i = star + 1
        while i + 1 < pattern.count {
            if pattern[i] == UInt8(ascii: "-") && pattern[i + 1] == UInt8(ascii: ">") {
                // `->` at the very end is part of the key name.
                if i + 2 < pattern.count { keyEnd = i; field = Array(pattern[(i + 2)...]) }
                break
            }
            i += 1
        }
        let key = Array(pattern[..<star]) + element + Array(pattern[(star + 1)..<keyEnd])
        // Client-side caching tracks SORT_RO's own key only, as Redis does
        // (its key finder knows nothing of what the patterns name).
        let tracking = c.loop.trackingReader
        c.loop.trackingReader = 0
        defer { c.loop.trackingReader = tracking }
        return key.withUnsafeBytes { keyBytes in
            c.withKey(keyBytes, read: true) { k -> [UInt8]? in
                guard let slot = k.slot else { return nil }
                let entry = k.table.pointee.entry(at: slot)
                if let field {
                    guard entry.type == .hash else { return nil }
                    return field.withUnsafeBytes { HashView(table: k.table, slot: slot).get($0).map { Array($0) } }
                }
                return entry.type == .string ? Array(entry.value) : nil
            }
        }
    }

    /// STORE: the result (or its GET values, "" for a missing one) as a
    /// list that replaces `destination`; an empty result deletes it.
    static func store(_ c: Client, _ selected: [[UInt8]], _ gets: [[UInt8]], into destination: [UInt8]) {
        var values: [[UInt8]] = []
        for element in selected {
            if gets.isEmpty { values.append(element); continue }
            for pattern in gets { values.append(lookUp(c, pattern, for: element) ?? []) }
        }
        destination.withUnsafeBytes { key in
            c.withKey(key) { k in
                let existed = k.delete()
                if !values.isEmpty {
                    k.slot = k.table.pointee.insert(ListView.newEntry(key: key, lru: c.lruClock), hash: k.hash)
                    if !existed { k.keyCreated() }
                    let list = ListView(table: k.table, slot: k.slot!)
                    let limits = c.server.config.listLimits
                    for v in values { v.withUnsafeBytes { list.push($0, atFront: false, limits: limits) } }
                    c.keyModified(k)
                    c.signalKeyReady(key)  // clients blocked in BLPOP & co. on it
                    c.keyspaceEvent(.list, "sortstore", key)
                    c.dirty(values.count)
                } else if existed {
                    c.keyModified(k)
                    c.keyspaceEvent(.generic, "del", key)
                    c.dirty()
                }
            }
            c.reply.integer(values.count)
        }
    }
}

import RESP
import Storage

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
/// As in Redis, numeric ties fall back to comparing the elements, so the
/// result is deterministic except for ALPHA sorts BY a pattern whose
/// weights tie (Redis leaves those to its quicksort). Patterns may name any
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

    /// One element and what it sorts by.
    struct Item {
        var element: [UInt8]
        var score = 0.0
        var weight: [UInt8]? = nil
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

    static func sortAndReply(_ c: Client, _ args: Arguments, _ o: inout Options) {
        do {
            // Read the value to sort.
            var kind = ValueType.list
            var items: [Item] = []
            let ok = c.withKey(args[1], read: true) { k -> Bool in
                guard let slot = k.slot else { return true }
                kind = k.table.pointee.entry(at: slot).type
                switch kind {
                case .list:
                    ListView(table: k.table, slot: slot).scan(from: 0, reverse: false) { e, _ in items.append(Item(element: Array(e))); return true }
                case .set:
                    SetView(table: k.table, slot: slot).forEach { items.append(Item(element: Array($0))) }
                case .zset:
                    SortedSetView(table: k.table, slot: slot).scan(from: 0, reverse: false) { m, _ in items.append(Item(element: Array(m))); return true }
                default:
                    c.fail(Errors.wrongType)
                    return false
                }
                return true
            }
            guard ok else { return }
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
                    let weight: [UInt8]?
                    if let pattern = o.by {
                        guard let found = lookUp(c, pattern, for: items[i].element) else { continue }
                        weight = found
                    } else {
                        weight = items[i].element
                    }
                    if o.alpha {
                        if o.by != nil { items[i].weight = weight }
                    } else if let w = weight {
                        if let score = w.withUnsafeBytes({ DoubleFormat.parseSortWeight($0) }) { items[i].score = score } else { conversionError = true }
                    }
                }
                if conversionError { c.fail("ERR One or more scores can't be converted into double"); return }
                let byPattern = o.by != nil, alpha = o.alpha, descending = o.descending, stored = o.store != nil
                items.sort { a, b in
                    let cmp = compare(a, b, alpha: alpha, byPattern: byPattern, stored: stored)
                    return descending ? cmp > 0 : cmp < 0
                }
            }
            let selected = end >= start ? Array(items[start...end]) : []
            if let destination = o.store {
                store(c, selected, o.gets, into: destination)
                return
            }
            c.reply.array(o.gets.isEmpty ? selected.count : selected.count * o.gets.count)
            for item in selected {
                if o.gets.isEmpty { c.reply.bulk(item.element); continue }
                for pattern in o.gets {
                    if let value = lookUp(c, pattern, for: item.element) { c.reply.bulk(value) } else { c.reply.null() }
                }
            }
        }
    }

    /// Redis's `sortCompare`: numbers (ties broken by the elements' bytes),
    /// or bytes with ALPHA (by the weights, a missing weight first, when
    /// sorting BY a pattern).
    static func compare(_ a: Item, _ b: Item, alpha: Bool, byPattern: Bool, stored: Bool) -> Int {
        if !alpha {
            if a.score != b.score { return a.score < b.score ? -1 : 1 }
            return bytesCompare(a.element, b.element)
        }
        if !byPattern { return stored ? bytesCompare(a.element, b.element) : cStringCompare(a.element, b.element) }
        switch (a.weight, b.weight) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case let (x?, y?): return stored ? bytesCompare(x, y) : cStringCompare(x, y)
        }
    }

    /// Redis compares with `strcoll` when it replies and with a binary
    /// comparison when it STOREs; in the C locale `strcoll` is `strcmp`,
    /// which stops at the first NUL byte.
    static func cStringCompare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        bytesCompare(Array(a.prefix { $0 != 0 }), Array(b.prefix { $0 != 0 }))
    }

    static func bytesCompare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
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
    static func store(_ c: Client, _ selected: [Item], _ gets: [[UInt8]], into destination: [UInt8]) {
        var values: [[UInt8]] = []
        for item in selected {
            if gets.isEmpty { values.append(item.element); continue }
            for pattern in gets { values.append(lookUp(c, pattern, for: item.element) ?? []) }
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

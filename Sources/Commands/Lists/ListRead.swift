import RESP
import Storage

/// `LLEN key`, `LINDEX key index`, `LRANGE key start stop`
///
/// Indexes count from 0 at the head; negative ones from -1 at the tail.
/// A missing key reads as an empty list.
enum ListReadCommand {
    static let llen = CommandSpec(
        "llen", arity: 2, flags: [.readonly, .fast], acl: ["@read", "@list", "@fast"], keys: (1, 1, 1),
        group: "list", since: "1.0.0", summary: "Returns the length of a list.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)],
        handler: { c, args in
            c.readValue(args[1], as: ListView.self) { l in c.reply.integer(l?.count ?? 0) }
        })

    static let lindex = CommandSpec(
        "lindex", arity: 3, flags: [.readonly], acl: ["@read", "@list", "@slow"], keys: (1, 1, 1),
        group: "list", since: "1.0.0", summary: "Returns an element from a list by its index.",
        complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("index", .integer)],
        handler: { c, args in
            // As in Redis, the index is parsed only once the key is found.
            c.readValue(args[1], as: ListView.self) { l in
                guard let l = l else { c.reply.null(); return }
                guard let index = c.integerArgument(args[2]) else { return }
                if let e = l.element(at: index) { c.reply.bulk(e) } else { c.reply.null() }
            }
        })

    static let lrange = CommandSpec(
        "lrange", arity: 4, flags: [.readonly], acl: ["@read", "@list", "@slow"], keys: (1, 1, 1),
        group: "list", since: "1.0.0", summary: "Returns a range of elements from a list.",
        complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("start", .integer), ArgumentSpec("stop", .integer)],
        handler: { c, args in
            guard let start = c.integerArgument(args[2]), let stop = c.integerArgument(args[3]) else { return }
            c.readValue(args[1], as: ListView.self) { l in
                guard let l = l, let range = ListRange(start: start, stop: stop, length: l.count) else { c.reply.array(0); return }
                c.reply.array(range.count)
                var left = range.count
                l.scan(from: range.first, reverse: false) { bytes, _ in
                    c.reply.bulk(bytes)
                    left -= 1
                    return left > 0
                }
            }
        })
}

/// Redis's index normalisation for LRANGE and LTRIM: negative indexes from
/// the tail, clamped to the list; nil when the range is empty.
struct ListRange {
    let first: Int
    let last: Int
    var count: Int { last - first + 1 }

    init?(start: Int, stop: Int, length: Int) {
        var s = start < 0 ? length &+ start : start
        var e = stop < 0 ? length &+ stop : stop
        if s < 0 { s = 0 }
        if s > e || s >= length { return nil }
        if e >= length { e = length - 1 }
        first = s
        last = e
    }
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`
///
/// The index of the `rank`-th match (negative: counting from the tail),
/// or with COUNT an array of up to `num-matches` indexes (0: all), looking
/// at no more than `len` elements (0: all).
enum ListPositionCommand {
    static let spec = CommandSpec(
        "lpos", arity: -3, flags: [.readonly], acl: ["@read", "@list", "@slow"], keys: (1, 1, 1),
        group: "list", since: "6.0.6", summary: "Returns the index of matching elements in a list.",
        complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("element", .string),
                    ArgumentSpec("rank", .integer, token: "RANK", optional: true),
                    ArgumentSpec("num-matches", .integer, token: "COUNT", optional: true),
                    ArgumentSpec("len", .integer, token: "MAXLEN", optional: true)],
        handler: { c, args in
            var rank = 1, count = -1, maxlen = 0
            var i = 3
            while i < args.count {
                let more = i + 1 < args.count
                if args[i].equalsIgnoringCase("rank") && more {
                    guard let r = c.integerArgument(args[i + 1]) else { return }
                    if r == 0 {
                        c.fail("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
                        return
                    }
                    rank = r
                } else if args[i].equalsIgnoringCase("count") && more {
                    guard let n = Decimal.parse(args[i + 1]), n >= 0 else { c.fail("ERR COUNT can't be negative"); return }
                    count = n
                } else if args[i].equalsIgnoringCase("maxlen") && more {
                    guard let n = Decimal.parse(args[i + 1]), n >= 0 else { c.fail("ERR MAXLEN can't be negative"); return }
                    maxlen = n
                } else {
                    c.fail(Errors.syntax)
                    return
                }
                i += 2
            }
            // Redis 7.0 negates LONG_MIN into itself: it searches from the tail for the first match.
            let fromTail = rank < 0
            let wanted = rank == Int.min ? 1 : abs(rank)
            // Immutable copies for the closure: capturing the parser's `var`s boxed them on the heap.
            let matchLimit = count, window = maxlen
            c.readValue(args[1], as: ListView.self) { l in
                guard let l = l else { if matchLimit >= 0 { c.reply.array(0) } else { c.reply.null() }; return }
                let length = l.count
                var matches = 0, seen = 0
                var found: [Int] = []
                var first: Int? = nil  // without COUNT only the first match is wanted: no Array
                l.scan(from: fromTail ? length - 1 : 0, reverse: fromTail) { bytes, _ in
                    if window != 0 && seen >= window { return false }
                    let index = fromTail ? length - 1 - seen : seen
                    seen += 1
                    guard bytes.equals(args[2]) else { return true }
                    matches += 1
                    if matches < wanted { return true }
                    if matchLimit < 0 { first = index; return false }
                    found.append(index)
                    return matchLimit > 0 ? found.count < matchLimit : true
                }
                if matchLimit >= 0 {
                    c.reply.array(found.count)
                    for index in found { c.reply.integer(index) }
                } else if let index = first {
                    c.reply.integer(index)
                } else {
                    c.reply.null()
                }
            }
        })
}

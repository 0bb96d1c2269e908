/// Lua 5.1's table library (`ltablib.c` behaviour), including its exact
/// quicksort so that ties and inconsistent comparators behave as in the
/// reference ("invalid order function for sorting" where it raises it).
extension LuaState {
    func openTableLibrary() {
        let table = LuaTable()
        globals.rawSetString(LuaString("table"), .table(table))

        register(table, "concat") { args in
            let separator = try args.optionalString(2, default: LuaState.emptyString)
            let t = try args.checkTable(1)
            var i = try args.optionalInteger(3, default: 1)
            let last = try args.isNoneOrNil(4) ? t.length : args.checkInt32(4)
            var output: [UInt8] = []
            let limit = args.state.maxStringLength
            func addField(_ index: Int) throws {
                switch t.get(number: Double(index)) {
                case .string(let s): output.append(contentsOf: s.bytes)
                case .number(let n): output.append(contentsOf: LuaNumberFormatter.format(n))
                case let other:
                    // Debian's lua5.1 wording (upstream 5.1.5, which Redis
                    // bundles, says "invalid value (at index N) in table").
                    throw args.error("invalid value (\(other.typeName)) at index \(index) in table for 'concat'")
                }
                if output.count > limit { throw LuaError(message: "not enough memory") }
            }
            while i < last {
                try addField(i)
                output.append(contentsOf: separator.bytes)
                i += 1
            }
            if i == last { try addField(i) }
            return try args.return(.string(LuaString(output)))
        }
        register(table, "insert") { args in
            let t = try args.checkWritableTable(1)
            var end = t.length + 1
            let position: Int
            switch args.count {
            case 2:
                position = end
            case 3:
                position = try args.checkInt32(2)
                if position > end { end = position }
                var i = end
                while i > position {
                    t.set(index: i, t.get(number: Double(i - 1)))
                    i -= 1
                }
            default:
                throw args.error("wrong number of arguments to 'insert'")
            }
            t.set(index: position, args.value(args.count))
            return 0
        }
        register(table, "remove") { args in
            let t = try args.checkWritableTable(1)
            let end = t.length
            var position = try args.optionalInteger(2, default: end)
            position = Int(Int32(truncatingIfNeeded: position))
            if !(1 <= position && position <= end) { return 0 }
            let removed = t.get(number: Double(position))
            while position < end {
                t.set(index: position, t.get(number: Double(position + 1)))
                position += 1
            }
            t.set(index: end, .nil)
            return try args.return(removed)
        }
        register(table, "maxn") { args in
            try args.return(.number(try args.checkTable(1).maxNumericKey))
        }
        register(table, "getn") { args in
            try args.return(.number(Double(try args.checkTable(1).length)))
        }
        register(table, "setn") { args in
            _ = try args.checkTable(1)
            throw args.error("'setn' is obsolete")
        }
        register(table, "foreach") { args in
            let t = try args.checkTable(1)
            let f = try args.checkFunction(2)
            var key: LuaValue = .nil
            while true {
                guard let entry = t.next(after: key) else { throw LuaError(message: "invalid key to 'next'") }
                guard let (k, v) = entry else { return 0 }
                let result = try args.state.invoke(f, k, v, resultLimit: 1).first ?? .nil
                if !result.isNil { return try args.return(result) }
                key = k
            }
        }
        register(table, "foreachi") { args in
            let t = try args.checkTable(1)
            let f = try args.checkFunction(2)
            let n = t.length
            if n >= 1 {
                for i in 1...n {
                    let result = try args.state.invoke(f, .number(Double(i)), t.get(number: Double(i)), resultLimit: 1).first ?? .nil
                    if !result.isNil { return try args.return(result) }
                }
            }
            return 0
        }
        register(table, "sort") { args in
            let t = try args.checkWritableTable(1)
            let n = t.length
            var comparator: LuaValue? = nil
            if !args.isNoneOrNil(2) { comparator = try args.checkFunction(2) }
            var sorter = TableSorter(table: t, comparator: comparator, state: args.state, arguments: args)
            try sorter.sort(1, n)
            return 0
        }
    }
}

/// Lua 5.1's `auxsort`: median-of-three quicksort, recursing into the
/// smaller half. Reads past the range (as Lua does) are what let a bad
/// comparator be detected.
struct TableSorter {
    let table: LuaTable
    let comparator: LuaValue?
    unowned(unsafe) let state: LuaState
    let arguments: LuaArguments

    @inline(__always) func get(_ i: Int) -> LuaValue { table.get(number: Double(i)) }
    @inline(__always) func set(_ i: Int, _ v: LuaValue) { table.set(index: i, v) }

    func less(_ a: LuaValue, _ b: LuaValue) throws -> Bool {
        if let comparator {
            return try state.invoke1(comparator, a, b).isTruthy
        }
        return try state.lessThan(a, b, line: 0)
    }

    mutating func sort(_ lower: Int, _ upper: Int) throws {
        var l = lower, u = upper
        while l < u {
            try state.step()
            // Order a[l], a[(l+u)/2], a[u].
            var al = get(l), au = get(u)
            if try less(au, al) {
                set(l, au); set(u, al)
            }
            if u - l == 1 { break }
            var i = (l + u) / 2
            var ai = get(i)
            al = get(l)
            if try less(ai, al) {
                set(i, al); set(l, ai)
            } else {
                au = get(u)
                if try less(au, ai) {
                    set(i, au); set(u, ai)
                }
            }
            if u - l == 2 { break }
            let pivot = get(i)
            let beforeLast = get(u - 1)
            set(i, beforeLast)
            set(u - 1, pivot)
            i = l
            var j = u - 1
            while true {
                i += 1
                while try less(get(i), pivot) {
                    if i > u { throw arguments.error("invalid order function for sorting") }
                    i += 1
                }
                j -= 1
                while try less(pivot, get(j)) {
                    if j < l { throw arguments.error("invalid order function for sorting") }
                    j -= 1
                }
                if j < i { break }
                let ai2 = get(i), aj = get(j)
                set(i, aj); set(j, ai2)
            }
            let aUm1 = get(u - 1), aI = get(i)
            set(u - 1, aI); set(i, aUm1)
            if i - l < u - i {
                j = l; i = i - 1; l = i + 2
            } else {
                j = i + 1; i = u; u = j - 2
            }
            try sort(j, i)
        }
    }
}

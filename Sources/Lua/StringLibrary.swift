/// Lua 5.1's string library (`lstrlib.c` behaviour). `string.dump` is not
/// provided (there is no bytecode): it raises "unable to dump given
/// function".
extension LuaState {
    func openStringLibrary() {
        let string = LuaTable()
        globals.rawSetString(LuaString("string"), .table(string))
        let metatable = LuaTable()
        metatable.rawSetString(MetaName.index, .table(string))
        stringMetatable = metatable

        register(string, "len") { args in
            try args.return(.number(Double(try args.checkString(1).count)))
        }
        register(string, "sub") { args in
            let s = try args.checkString(1)
            let length = s.count
            var start = LuaState.relativePosition(try args.checkInteger(2), length)
            var end = LuaState.relativePosition(try args.optionalInteger(3, default: -1), length)
            if start < 1 { start = 1 }
            if end > length { end = length }
            if start > end { return try args.return(.string(LuaState.emptyString)) }
            if start == 1 && end == length { return try args.return(.string(s)) }
            return try args.return(.string(LuaString(s.bytes[(start - 1)..<end])))
        }
        register(string, "upper") { args in
            let s = try args.checkString(1)
            return try args.return(.string(LuaString(s.bytes.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 })))
        }
        register(string, "lower") { args in
            let s = try args.checkString(1)
            return try args.return(.string(LuaString(s.bytes.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 })))
        }
        register(string, "rep") { args in
            let s = try args.checkString(1)
            let n = try args.checkInteger(2)
            if n <= 0 || s.count == 0 { return try args.return(.string(LuaState.emptyString)) }
            let (total, overflow) = s.count.multipliedReportingOverflow(by: n)
            if overflow || total > args.state.maxStringLength { throw LuaError(message: "not enough memory") }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(total)
            for _ in 0..<n { bytes.append(contentsOf: s.bytes) }
            return try args.return(.string(LuaString(bytes)))
        }
        register(string, "reverse") { args in
            try args.return(.string(LuaString(Array(try args.checkString(1).bytes.reversed()))))
        }
        register(string, "byte") { args in
            let s = try args.checkString(1)
            let length = s.count
            var first = LuaState.relativePosition(try args.optionalInteger(2, default: 1), length)
            var last = LuaState.relativePosition(try args.optionalInteger(3, default: first), length)
            if first <= 0 { first = 1 }
            if last > length { last = length }
            if first > last { return 0 }
            let n = last - first + 1
            if n + args.count > LuaState.maxBuiltinResults { throw args.error("stack overflow (string slice too long)") }
            for i in first...last { try args.state.push(.number(Double(s.bytes[i - 1]))) }
            return n
        }
        register(string, "char") { args in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(args.count)
            if args.count > 0 {
                for i in 1...args.count {
                    let c = try args.checkInt32(i)
                    guard c >= 0 && c <= 255 else { throw args.argumentError(i, "invalid value") }
                    bytes.append(UInt8(c))
                }
            }
            return try args.return(.string(LuaString(bytes)))
        }
        register(string, "dump") { args in
            _ = try args.checkFunction(1)
            throw args.error("unable to dump given function")
        }
        register(string, "find") { args in try LuaState.findOrMatch(args, find: true) }
        register(string, "match") { args in try LuaState.findOrMatch(args, find: false) }
        register(string, "gmatch") { args in
            let s = try args.checkString(1)
            let p = try args.checkString(2)
            var position = 0
            let state = args.state
            let iterator = LuaFunction(name: "gmatch_iterator", environment: state.globals) { inner in
                var matcher = PatternMatcher(subject: s.bytes, pattern: p.bytes, state: inner.state,
                                             errorPrefix: inner.state.position(level: 1))
                var start = position
                while start <= s.count {
                    matcher.level = 0
                    if let end = try matcher.match(start, 0) {
                        position = end == start ? end + 1 : end
                        return try matcher.pushCaptures(start, end)
                    }
                    start += 1
                }
                position = start
                return 0
            }
            return try args.return(.function(iterator))
        }
        register(string, "gsub") { args in try LuaState.gsub(args) }
        register(string, "format") { args in try LuaState.format(args) }
    }

    static let emptyString = LuaString([])

    /// `posrelat`: negative positions count from the end.
    static func relativePosition(_ position: Int, _ length: Int) -> Int {
        var p = position
        if p < 0 { p = p &+ length &+ 1 }
        return p >= 0 ? p : 0
    }

    private static let specials: Set<UInt8> = Set("^$*+?.([%-".utf8)

    static func findOrMatch(_ args: LuaArguments, find: Bool) throws -> Int {
        let s = try args.checkString(1)
        let p = try args.checkString(2)
        let length = s.count
        var start = relativePosition(try args.optionalInteger(3, default: 1), length) - 1
        if start < 0 { start = 0 } else if start > length { start = length }
        let patternText = p.bytes.prefix { $0 != 0 }
        if find && (args.value(4).isTruthy || !patternText.contains(where: { specials.contains($0) })) {
            // Plain search.
            if let at = plainFind(s.bytes, p.bytes, from: start) {
                try args.state.push(.number(Double(at + 1)))
                try args.state.push(.number(Double(at + p.count)))
                return 2
            }
            return try args.return(.nil)
        }
        var matcher = PatternMatcher(subject: s.bytes, pattern: p.bytes, state: args.state,
                                     errorPrefix: args.state.position(level: 1))
        var patternStart = 0
        let anchored = p.bytes.first == 94
        if anchored { patternStart = 1 }
        var s1 = start
        repeat {
            matcher.level = 0
            try args.state.step()
            if let end = try matcher.match(s1, patternStart) {
                if find {
                    try args.state.push(.number(Double(s1 + 1)))
                    try args.state.push(.number(Double(end)))
                    return try matcher.pushCaptures(nil, 0) + 2
                }
                return try matcher.pushCaptures(s1, end)
            }
            s1 += 1
        } while s1 <= length && !anchored
        return try args.return(.nil)
    }

    static func plainFind(_ haystack: [UInt8], _ needle: [UInt8], from start: Int) -> Int? {
        let n = needle.count
        if n == 0 { return start }
        if n > haystack.count - start { return nil }
        let first = needle[0]
        var i = start
        let last = haystack.count - n
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < n && haystack[i + j] == needle[j] { j += 1 }
                if j == n { return i }
            }
            i += 1
        }
        return nil
    }

    static func gsub(_ args: LuaArguments) throws -> Int {
        let state = args.state
        let s = try args.checkString(1)
        let p = try args.checkString(2)
        let replacement = args.value(3)
        switch replacement {
        case .number, .string, .table, .function: break
        default: throw args.typeError(3, expected: "string/function/table")
        }
        let maxReplacements = try args.optionalInteger(4, default: s.count + 1)
        var matcher = PatternMatcher(subject: s.bytes, pattern: p.bytes, state: state, errorPrefix: state.position(level: 1))
        let anchored = p.bytes.first == 94
        let patternStart = anchored ? 1 : 0
        var source = 0
        var count = 0
        var output: [UInt8] = []
        let subject = s.bytes
        let replacementText = replacement.coercedString?.bytes
        while count < maxReplacements {
            matcher.level = 0
            try state.step()
            let end = try matcher.match(source, patternStart)
            if let end {
                count += 1
                // Append the replacement for [source, end).
                if let text = replacementText {
                    var i = 0
                    while i < text.count {
                        let c = text[i]
                        if c != 37 {
                            output.append(c)
                        } else {
                            i += 1
                            let d: UInt8 = i < text.count ? text[i] : 0
                            if !PatternMatcher.isDigit(d) {
                                output.append(d)
                            } else if d == 48 {
                                output.append(contentsOf: subject[source..<end])
                            } else {
                                let captured = try matcher.capture(Int(d) - 49, source, end)
                                output.append(contentsOf: state.rawToString(captured))
                            }
                        }
                        i += 1
                    }
                } else {
                    var value: LuaValue
                    if case .table = replacement {
                        value = try state.index(replacement, matcher.capture(0, source, end), node: nil, line: 0)
                    } else {
                        let base = state.top
                        try state.push(replacement)
                        let n = try matcher.pushCaptures(source, end)
                        try state.enterReentry()
                        let results = try state.call(base, n, site: nil)
                        state.reentryDepth -= 1
                        value = results > 0 ? state.stack[base] : .nil
                        state.top = base
                    }
                    switch value {
                    case .nil, .boolean(false):
                        output.append(contentsOf: subject[source..<end])
                    case .string(let r):
                        output.append(contentsOf: r.bytes)
                    case .number(let n):
                        output.append(contentsOf: LuaNumberFormatter.format(n))
                    default:
                        throw args.error("invalid replacement value (a \(value.typeName))")
                    }
                }
                if output.count > state.maxStringLength { throw LuaError(message: "not enough memory") }
            }
            if let end, end > source {
                source = end
            } else if source < subject.count {
                output.append(subject[source])
                source += 1
            } else {
                break
            }
            if anchored { break }
        }
        if source < subject.count { output.append(contentsOf: subject[source...]) }
        if output.count > state.maxStringLength { throw LuaError(message: "not enough memory") }
        try state.push(.string(LuaString(output)))
        try state.push(.number(Double(count)))
        return 2
    }
}

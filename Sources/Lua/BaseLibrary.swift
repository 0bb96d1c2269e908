#if canImport(Glibc)
import Glibc
#endif

/// Lua 5.1's base library (`lbaselib.c` behaviour): everything but
/// dofile, loadfile, require and module, which a sandboxed host does not
/// want.
extension LuaState {
    func openBaseLibrary() {
        let g = globals
        register(g, "assert") { args in
            try args.checkAny(1)
            if !args.value(1).isTruthy {
                let message = try args.isNoneOrNil(2) ? LuaString("assertion failed!") : args.checkString(2)
                throw args.error(message.description)
            }
            return try args.return(args.all)
        }
        register(g, "error") { args in
            let level = try args.optionalInteger(2, default: 1)
            var value = args.value(1)
            switch value {
            case .string, .number:
                if level > 0 {
                    let prefix = args.state.position(level: level)
                    if !prefix.isEmpty {
                        value = .string(LuaString(Array((prefix + " ").utf8) + args.state.rawToString(value)))
                    }
                }
            default: break
            }
            throw LuaError(value)
        }
        register(g, "getmetatable") { args in
            try args.checkAny(1)
            guard let mt = args.state.metatable(of: args.value(1)) else { return try args.return(.nil) }
            let protected = mt.get(string: MetaName.metatable)
            return try args.return(protected.isNil ? .table(mt) : protected)
        }
        register(g, "setmetatable") { args in
            let table = try args.checkTable(1)
            let mt = args.value(2)
            if args.count < 2 { throw args.argumentError(2, "nil or table expected") }
            switch mt {
            case .nil, .table: break
            default: throw args.argumentError(2, "nil or table expected")
            }
            if let current = table.metatable, !current.get(string: MetaName.metatable).isNil {
                throw args.error("cannot change a protected metatable")
            }
            if table.isReadOnly { throw LuaError(message: "Attempt to modify a readonly table") }
            if case .table(let m) = mt { table.metatable = m } else { table.metatable = nil }
            return try args.return(.table(table))
        }
        let ipairsIterator = LuaFunction(name: "ipairs_iterator", environment: g) { args in
            let i = try args.checkInt32(2) + 1
            let table = try args.checkTable(1)
            let v = table.get(number: Double(i))
            if v.isNil { return 0 }
            try args.state.push(.number(Double(i)))
            try args.state.push(v)
            return 2
        }
        self.ipairsIterator = ipairsIterator
        register(g, "ipairs") { args in
            let table = try args.checkTable(1)
            try args.state.push(.function(ipairsIterator))
            try args.state.push(.table(table))
            try args.state.push(.number(0))
            return 3
        }
        let next = LuaFunction(name: "next", environment: g) { args in
            let table = try args.checkTable(1)
            guard let entry = table.next(after: args.value(2)) else {
                throw LuaError(message: "invalid key to 'next'")
            }
            guard let (key, value) = entry else { return try args.return(.nil) }
            try args.state.push(key)
            try args.state.push(value)
            return 2
        }
        g.rawSetString(LuaString("next"), .function(next))
        // pairs returns its own copy of next (as lua5.1 does: pairs(t) ~= next).
        let pairsNext = LuaFunction(name: "next", environment: g, next.builtin!)
        nextFunction = pairsNext
        globalNextFunction = next
        register(g, "pairs") { args in
            let table = try args.checkTable(1)
            try args.state.push(.function(pairsNext))
            try args.state.push(.table(table))
            try args.state.push(.nil)
            return 3
        }
        register(g, "pcall") { args in
            try args.checkAny(1)
            let state = args.state
            return try state.protectedCall(functionIndex: args.base, argumentCount: args.count - 1, handler: nil)
        }
        register(g, "xpcall") { args in
            try args.checkAny(2)
            let state = args.state
            let handler = args.value(2)
            state.top = args.base + 1  // call the function with no arguments
            return try state.protectedCall(functionIndex: args.base, argumentCount: 0, handler: handler)
        }
        register(g, "rawequal") { args in
            try args.checkAny(1)
            try args.checkAny(2)
            return try args.return(.boolean(LuaValue.rawEquals(args.value(1), args.value(2))))
        }
        register(g, "rawget") { args in
            let table = try args.checkTable(1)
            try args.checkAny(2)
            return try args.return(table.get(args.value(2)))
        }
        register(g, "rawset") { args in
            let table = try args.checkTable(1)
            try args.checkAny(2)
            try args.checkAny(3)
            if table.isReadOnly { throw LuaError(message: "Attempt to modify a readonly table") }
            do { try table.rawSet(args.value(2), args.value(3)) } catch let e as LuaTable.WriteError {
                throw LuaError(message: e.message)
            }
            return try args.return(.table(table))
        }
        register(g, "select") { args in
            let n = args.count
            if case .string(let s) = args.value(1), s.bytes.first == 35 {  // '#'
                return try args.return(.number(Double(n - 1)))
            }
            var i = try args.checkInt32(1)
            if i < 0 { i = n + i } else if i > n { i = n }
            if i < 1 { throw args.argumentError(1, "index out of range") }
            // The selected arguments are already on the stack: they are the results.
            let state = args.state
            for k in 0..<(n - i) { try state.push(state.stack[args.base + i + k]) }
            return n - i
        }
        register(g, "tonumber") { args in
            let base = try args.optionalInteger(2, default: 10)
            if base == 10 {
                try args.checkAny(1)
                if let d = args.value(1).coercedNumber { return try args.return(.number(d)) }
                return try args.return(.nil)
            }
            let text = try args.checkString(1)
            if base < 2 || base > 36 { throw args.argumentError(2, "base out of range") }
            return try args.return(LuaState.parseInteger(text.bytes, base: Int32(base)))
        }
        register(g, "tostring") { args in
            try args.checkAny(1)
            let value = args.value(1)
            if let handler = args.state.metamethod(value, MetaName.tostring) {
                return try args.return(args.state.invoke(handler, value, resultLimit: 1).first ?? .nil)
            }
            if case .string = value { return try args.return(value) }
            return try args.return(.string(LuaString(args.state.rawToString(value))))
        }
        register(g, "type") { args in
            try args.checkAny(1)
            return try args.return(.string(LuaState.typeNameString(args.value(1))))
        }
        register(g, "unpack") { args in
            let table = try args.checkTable(1)
            let first = try args.optionalInteger(2, default: 1)
            let last = try args.isNoneOrNil(3) ? table.length : args.checkInt32(3)
            if first > last { return 0 }
            let n = last - first + 1
            if n <= 0 || n + args.count > LuaState.maxBuiltinResults {
                throw args.error("too many results to unpack")
            }
            for i in first...last { try args.state.push(table.get(number: Double(i))) }
            return n
        }
        register(g, "loadstring") { args in
            let source = try args.checkString(1)
            let name = try args.optionalString(2, default: source)
            return try args.state.loadResult(source.bytes, chunkName: name.bytes)
        }
        register(g, "load") { args in
            let reader = try args.checkFunction(1)
            let name = try args.optionalString(2, default: LuaString("=(load)"))
            var source: [UInt8] = []
            while true {
                let piece = try args.state.invoke(reader, arguments: [], resultLimit: 1).first ?? .nil
                switch piece {
                case .nil: break
                case .string(let s):
                    if s.count == 0 { break }
                    source.append(contentsOf: s.bytes)
                    continue
                default:
                    try args.state.push(.nil)
                    try args.state.push(.string(args.error("reader function must return a string").description))
                    return 2
                }
                break
            }
            return try args.state.loadResult(source, chunkName: name.bytes)
        }
        register(g, "getfenv") { args in
            let state = args.state
            let function = try state.functionForEnvironment(args, optional: true)
            guard let function, !function.isBuiltin else { return try args.return(.table(state.globals)) }
            return try args.return(.table(function.environment))
        }
        register(g, "setfenv") { args in
            let state = args.state
            let table = try args.checkTable(2)
            if case .number(let n) = args.value(1), n == 0 {
                return 0
            }
            let function = try state.functionForEnvironment(args, optional: false)
            guard let function, !function.isBuiltin else {
                throw args.error("'setfenv' cannot change environment of given object")
            }
            function.environment = table
            return try args.return(.function(function))
        }
        register(g, "collectgarbage") { args in
            let options = ["stop", "restart", "collect", "count", "step", "setpause", "setstepmul"]
            let option = try args.optionalString(1, default: LuaString("collect")).description
            guard options.contains(option) else {
                throw args.argumentError(1, "invalid option '\(option)'")
            }
            let argument = try args.optionalInteger(2, default: 0)
            let state = args.state
            switch option {
            case "count": return try args.return(.number(state.estimatedMemoryKilobytes()))
            case "step": return try args.return(.boolean(false))
            case "setpause":
                let previous = state.gcPause
                state.gcPause = argument
                return try args.return(.number(Double(previous)))
            case "setstepmul":
                let previous = state.gcStepMultiplier
                state.gcStepMultiplier = argument
                return try args.return(.number(Double(previous)))
            default: return try args.return(.number(0))
            }
        }
        register(g, "gcinfo") { args in
            try args.return(.number(args.state.estimatedMemoryKilobytes().rounded(.down)))
        }
        register(g, "print") { args in
            let state = args.state
            var line: [UInt8] = []
            let tostring = state.globals.get(string: LuaString("tostring"))
            for i in 1...max(1, args.count) where i <= args.count {
                let result = try state.invoke(tostring, args.value(i), resultLimit: 1).first ?? .nil
                guard case .string(let s) = result else {
                    if case .number(let n) = result {
                        if i > 1 { line.append(9) }
                        line.append(contentsOf: LuaNumberFormatter.format(n))
                        continue
                    }
                    throw args.error("'tostring' must return a string to 'print'")
                }
                if i > 1 { line.append(9) }
                // C's fputs: each value is written up to its first zero byte.
                line.append(contentsOf: s.bytes.prefix { $0 != 0 })
            }
            line.append(10)
            state.printSink(line)
            return 0
        }
        g.rawSetString(LuaString("_G"), .table(g))
        g.rawSetString(LuaString("_VERSION"), .string("Lua 5.1"))
    }

    /// Lua's LUAI_MAXCSTACK: how many values one builtin may return.
    static let maxBuiltinResults = 8000

    static let typeNames: [String: LuaString] = [
        "nil": LuaString("nil"), "boolean": LuaString("boolean"), "number": LuaString("number"),
        "string": LuaString("string"), "table": LuaString("table"), "function": LuaString("function"),
        "userdata": LuaString("userdata"),
    ]

    static func typeNameString(_ value: LuaValue) -> LuaString {
        typeNames[value.typeName] ?? LuaString(value.typeName)
    }

    /// `tonumber` with a base: C `strtoul` then only trailing spaces.
    static func parseInteger(_ bytes: [UInt8], base: Int32) -> LuaValue {
        var text = bytes
        text.append(0)
        return text.withUnsafeBufferPointer { buffer -> LuaValue in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { start -> LuaValue in
                var end: UnsafeMutablePointer<CChar>? = nil
                let n = strtoul(start, &end, base)
                guard var stop = end, stop != UnsafeMutablePointer(mutating: start) else { return .nil }
                while stop.pointee != 0 && LuaNumberParser.isSpace(UInt8(bitPattern: stop.pointee)) { stop += 1 }
                return stop.pointee == 0 ? .number(Double(n)) : .nil
            }
        }
    }

    /// `loadstring`'s results: the function, or nil and the message.
    func loadResult(_ source: [UInt8], chunkName: [UInt8]) throws -> Int {
        do {
            let function = try load(source, chunkName: chunkName)
            try push(.function(function))
            return 1
        } catch let error as LuaSyntaxError {
            try push(.nil)
            try push(.string(error.message))
            return 2
        }
    }

    /// getfenv/setfenv's first argument: a function or a call level.
    func functionForEnvironment(_ args: LuaArguments, optional: Bool) throws -> LuaFunction? {
        if case .function(let f) = args.value(1) { return f }
        let level = optional ? try args.optionalInteger(1, default: 1) : try args.checkInt32(1)
        if level < 0 { throw args.argumentError(1, "level must be non-negative") }
        if level == 0 { return nil }
        let index = depth - level
        guard index >= 1, let function = callInfos[index].function else {
            throw args.argumentError(1, "invalid level")
        }
        return function
    }

    func estimatedMemoryKilobytes() -> Double {
        // No collector to ask: report a plausible, slowly varying figure
        // (the live part of the value stack plus a base).
        (Double(stackInitialized) * 16 + 20_000) / 1024
    }

    /// Runs the function at `functionIndex` in protected mode for pcall and
    /// xpcall: results are `true, ...` or `false, error` (the handler's
    /// result for xpcall). Only `LuaError`s are caught; other Swift errors
    /// (host aborts) keep unwinding.
    func protectedCall(functionIndex: Int, argumentCount: Int, handler: LuaValue?) throws -> Int {
        let savedDepth = depth
        let savedBoxTop = boxTop
        let savedReentry = reentryDepth
        do {
            try enterReentry()
            let count = try call(functionIndex, argumentCount, site: nil)
            reentryDepth = savedReentry
            // Results are at functionIndex...; shift up by one for `true`.
            try growStack(top + 1)
            var i = count
            while i > 0 {
                stack[functionIndex + i] = stack[functionIndex + i - 1]
                i -= 1
            }
            stack[functionIndex] = .boolean(true)
            top = functionIndex + count + 1
            return count + 1
        } catch let error as LuaError {
            depth = savedDepth
            boxTop = savedBoxTop
            reentryDepth = savedReentry
            top = functionIndex
            var value = error.value
            if let handler {
                do {
                    try enterReentry()
                    value = try invoke(handler, value, resultLimit: 1).first ?? .nil
                    reentryDepth = savedReentry
                } catch is LuaError {
                    depth = savedDepth
                    boxTop = savedBoxTop
                    reentryDepth = savedReentry
                    top = functionIndex
                    value = .string("error in error handling")
                }
            }
            try push(.boolean(false))
            try push(value)
            return 2
        }
    }

    /// Registers a builtin in `table` under `name`.
    @discardableResult
    func register(_ table: LuaTable, _ name: String, _ body: @escaping LuaBuiltin) -> LuaFunction {
        let function = LuaFunction(name: name, environment: globals, body)
        table.rawSetString(LuaString(name), .function(function))
        return function
    }
}

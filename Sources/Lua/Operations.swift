#if canImport(Glibc)
import Glibc
#endif

/// The arithmetic operators, as types so each arithmetic node is a
/// specialised generic class (static dispatch on the operator).
protocol ArithmeticOperator {
    static func apply(_ a: Double, _ b: Double) -> Double
    static var event: LuaString { get }
}

enum AddOperator: ArithmeticOperator {
    @inline(__always) static func apply(_ a: Double, _ b: Double) -> Double { a + b }
    static var event: LuaString { MetaName.add }
}
enum SubOperator: ArithmeticOperator {
    @inline(__always) static func apply(_ a: Double, _ b: Double) -> Double { a - b }
    static var event: LuaString { MetaName.sub }
}
enum MulOperator: ArithmeticOperator {
    @inline(__always) static func apply(_ a: Double, _ b: Double) -> Double { a * b }
    static var event: LuaString { MetaName.mul }
}
enum DivOperator: ArithmeticOperator {
    @inline(__always) static func apply(_ a: Double, _ b: Double) -> Double { a / b }
    static var event: LuaString { MetaName.div }
}
enum ModOperator: ArithmeticOperator {
    /// Lua 5.1: a - floor(a/b)*b.
    @inline(__always) static func apply(_ a: Double, _ b: Double) -> Double { a - (a / b).rounded(.down) * b }
    static var event: LuaString { MetaName.mod }
}
enum PowOperator: ArithmeticOperator {
    @inline(__always) static func apply(_ a: Double, _ b: Double) -> Double { Glibc.pow(a, b) }
    static var event: LuaString { MetaName.pow }
}

typealias VariableName = (kind: String, name: String)

extension LuaState {
    // MARK: - Arithmetic

    /// Arithmetic when the fast path (two numbers) did not apply: string
    /// coercion, then the operands' metamethods, then Lua's error naming
    /// the first operand that is not a number.
    func arithmetic<Op: ArithmeticOperator>(_ op: Op.Type, _ a: LuaValue, _ b: LuaValue,
                                               _ left: ExprNode?, _ right: ExprNode?, line: Int) throws -> LuaValue {
        if let x = a.coercedNumber, let y = b.coercedNumber { return .number(Op.apply(x, y)) }
        if let handler = metamethod(a, Op.event) ?? metamethod(b, Op.event) {
            callInfos[depth].line = Int32(line)
            return try invoke1(handler, a, b)
        }
        if a.coercedNumber == nil { throw typeError(a, "perform arithmetic on", node: left, line: line) }
        throw typeError(b, "perform arithmetic on", node: right, line: line)
    }

    func negate(_ a: LuaValue, _ operand: ExprNode?, line: Int) throws -> LuaValue {
        if let x = a.coercedNumber { return .number(-x) }
        if let handler = metamethod(a, MetaName.unm) {
            callInfos[depth].line = Int32(line)
            return try invoke1(handler, a, a)
        }
        throw typeError(a, "perform arithmetic on", node: operand, line: line)
    }

    func length(_ a: LuaValue, _ operand: ExprNode?, line: Int) throws -> LuaValue {
        switch a {
        case .string(let s): return .number(Double(s.count))
        case .table(let t): return .number(Double(t.length))
        default:
            if let handler = metamethod(a, MetaName.len) {
                callInfos[depth].line = Int32(line)
                return try invoke1(handler, a, .nil)
            }
            throw typeError(a, "get length of", node: operand, line: line)
        }
    }

    // MARK: - Comparison

    /// `==` with `__eq` (Lua 5.1: only between two tables whose metatables
    /// give the same handler).
    func equals(_ a: LuaValue, _ b: LuaValue) throws -> Bool {
        switch (a, b) {
        case (.nil, .nil): return true
        case let (.boolean(x), .boolean(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.function(x), .function(y)): return x === y
        case let (.lightUserdata(x), .lightUserdata(y)): return x == y
        case let (.table(x), .table(y)):
            if x === y { return true }
            guard let handler = equalityHandler(x.metatable, y.metatable) else { return false }
            return try invoke1(handler, a, b).isTruthy
        default: return false
        }
    }

    private func equalityHandler(_ m1: LuaTable?, _ m2: LuaTable?) -> LuaValue? {
        guard let m1 else { return nil }
        let h1 = m1.get(string: MetaName.eq)
        if h1.isNil { return nil }
        if m1 === m2 { return h1 }
        guard let m2 else { return nil }
        let h2 = m2.get(string: MetaName.eq)
        if h2.isNil { return nil }
        return LuaValue.rawEquals(h1, h2) ? h1 : nil
    }

    func orderError(_ a: LuaValue, _ b: LuaValue, line: Int) -> LuaError {
        let t1 = Array(a.typeName.utf8), t2 = Array(b.typeName.utf8)
        if t1[2] == t2[2] {
            return runtimeError("attempt to compare two \(a.typeName) values", line: line)
        }
        return runtimeError("attempt to compare \(a.typeName) with \(b.typeName)", line: line)
    }

    /// Calls an order metamethod if both operands share it; nil otherwise.
    private func orderHandlerResult(_ a: LuaValue, _ b: LuaValue, _ event: LuaString) throws -> Bool? {
        guard let h1 = metamethod(a, event) else { return nil }
        guard let h2 = metamethod(b, event), LuaValue.rawEquals(h1, h2) else { return nil }
        return try invoke1(h1, a, b).isTruthy
    }

    func lessThan(_ a: LuaValue, _ b: LuaValue, line: Int) throws -> Bool {
        switch (a, b) {
        case let (.number(x), .number(y)): return x < y
        case let (.string(x), .string(y)): return LuaString.lessThan(x, y)
        default:
            if a.typeName != b.typeName { throw orderError(a, b, line: line) }
            callInfos[depth].line = Int32(line)
            if let result = try orderHandlerResult(a, b, MetaName.lt) { return result }
            throw orderError(a, b, line: line)
        }
    }

    func lessEqual(_ a: LuaValue, _ b: LuaValue, line: Int) throws -> Bool {
        switch (a, b) {
        case let (.number(x), .number(y)): return x <= y
        case let (.string(x), .string(y)): return !LuaString.lessThan(y, x)
        default:
            if a.typeName != b.typeName { throw orderError(a, b, line: line) }
            callInfos[depth].line = Int32(line)
            if let result = try orderHandlerResult(a, b, MetaName.le) { return result }
            if let result = try orderHandlerResult(b, a, MetaName.lt) { return !result }
            throw orderError(a, b, line: line)
        }
    }

    // MARK: - Concatenation

    /// Concatenates `count` values at `stack[first...]` the way Lua 5.1's
    /// OP_CONCAT does: from the right, merging runs of strings/numbers in
    /// one go, calling `__concat` for anything else. The result is left in
    /// `stack[first]`.
    func concatenate(first: Int, count: Int, nodes: [ExprNode], line: Int) throws {
        var total = count
        var last = first + count - 1
        repeat {
            let top = last + 1
            var merged = 2
            let a = stack[top - 2], b = stack[top - 1]
            let aIsText: Bool
            switch a { case .string, .number: aIsText = true; default: aIsText = false }
            let bText = b.coercedString
            if !aIsText || bText == nil {
                if let handler = metamethod(a, MetaName.concat) ?? metamethod(b, MetaName.concat) {
                    callInfos[depth].line = Int32(line)
                    stack[top - 2] = try invoke1(handler, a, b)
                } else {
                    let nodeIndex = top - 2 - first
                    let (culprit, node): (LuaValue, ExprNode?)
                    if aIsText {
                        (culprit, node) = (b, nodeIndex + 1 < nodes.count ? nodes[nodeIndex + 1] : nil)
                    } else {
                        (culprit, node) = (a, nodeIndex < nodes.count ? nodes[nodeIndex] : nil)
                    }
                    throw typeError(culprit, "concatenate", node: node, line: line)
                }
            } else if let bText, bText.count == 0 {
                stack[top - 2] = .string(a.coercedString!)
            } else {
                var length = bText!.count
                var pieces: [LuaString] = [bText!]
                merged = 1
                while merged < total, let piece = stack[top - merged - 1].coercedString {
                    length += piece.count
                    pieces.append(piece)
                    merged += 1
                }
                if length > maxStringLength { throw LuaError(message: "not enough memory") }
                var bytes: [UInt8] = []
                bytes.reserveCapacity(length)
                for piece in pieces.reversed() { bytes.append(contentsOf: piece.bytes) }
                stack[top - merged] = .string(LuaString(bytes))
            }
            total -= merged - 1
            last -= merged - 1
        } while total > 1
    }

    // MARK: - Indexing

    /// `object[key]` with `__index` chains (Lua's `luaV_gettable`).
    func index(_ object: LuaValue, _ key: LuaValue, node: ExprNode?, line: Int) throws -> LuaValue {
        var current = object
        for loop in 0..<100 {
            if case .table(let table) = current {
                let value = table.get(key)
                if !value.isNil { return value }
                guard let mt = table.metatable else { return .nil }
                let handler = mt.get(string: MetaName.index)
                if handler.isNil { return .nil }
                if case .function = handler {
                    callInfos[depth].line = Int32(line)
                    return try invoke1(handler, current, key)
                }
                current = handler
                continue
            }
            guard let handler = metamethod(current, MetaName.index) else {
                throw typeError(current, "index", node: loop == 0 ? node : nil, line: line)
            }
            if case .function = handler {
                callInfos[depth].line = Int32(line)
                return try invoke1(handler, current, key)
            }
            current = handler
        }
        throw runtimeError("loop in gettable", line: line)
    }

    /// `object[key] = value` with `__newindex` chains (`luaV_settable`).
    func setIndex(_ object: LuaValue, _ key: LuaValue, _ value: LuaValue, node: ExprNode?, line: Int) throws {
        var current = object
        for loop in 0..<100 {
            if case .table(let table) = current {
                if table.isReadOnly { throw runtimeError("Attempt to modify a readonly table", line: line) }
                if let mt = table.metatable {
                    let handler = mt.get(string: MetaName.newindex)
                    if !handler.isNil {
                        let existing: Bool
                        do { existing = try table.prepareSet(key) } catch let e as LuaTable.WriteError {
                            throw runtimeError(e.message, line: line)
                        }
                        if !existing {
                            if case .function = handler {
                                callInfos[depth].line = Int32(line)
                                try invokeDiscarding(handler, current, key, value)
                                return
                            }
                            current = handler
                            continue
                        }
                    }
                }
                do { try table.rawSet(key, value) } catch let e as LuaTable.WriteError {
                    throw runtimeError(e.message, line: line)
                }
                return
            }
            guard let handler = metamethod(current, MetaName.newindex) else {
                throw typeError(current, "index", node: loop == 0 ? node : nil, line: line)
            }
            if case .function = handler {
                callInfos[depth].line = Int32(line)
                try invokeDiscarding(handler, current, key, value)
                return
            }
            current = handler
        }
        throw runtimeError("loop in settable", line: line)
    }

    func invokeDiscarding(_ function: LuaValue, _ a: LuaValue, _ b: LuaValue, _ c: LuaValue) throws {
        let base = top
        try enterReentry()
        defer { reentryDepth -= 1 }
        try push(function)
        try push(a)
        try push(b)
        try push(c)
        _ = try call(base, 3, site: nil)
        top = base
    }

    // MARK: - Conversions used by the libraries

    /// `tostring` semantics (including `__tostring`).
    func toStringValue(_ value: LuaValue) throws -> LuaString {
        if let handler = metamethod(value, MetaName.tostring) {
            let result = try invoke(handler, value, resultLimit: 1).first ?? .nil
            if case .string(let s) = result { return s }
            if case .number(let n) = result { return LuaString(LuaNumberFormatter.format(n)) }
            return LuaString(rawToString(result))
        }
        return LuaString(rawToString(value))
    }

    func rawToString(_ value: LuaValue) -> [UInt8] {
        switch value {
        case .nil: return Array("nil".utf8)
        case .boolean(let b): return Array((b ? "true" : "false").utf8)
        case .number(let n): return LuaNumberFormatter.format(n)
        case .string(let s): return s.bytes
        case .table(let t): return Array("table: ".utf8) + LuaState.address(ObjectIdentifier(t))
        case .function(let f): return Array("function: ".utf8) + LuaState.address(ObjectIdentifier(f))
        // glibc's %p prints a null pointer as "(nil)".
        case .lightUserdata(let p): return Array("userdata: ".utf8) + (p == 0 ? Array("(nil)".utf8) : Array(("0x" + String(p, radix: 16)).utf8))
        }
    }

    /// `%p` formatting of an object address, as glibc prints it.
    static func address(_ id: ObjectIdentifier) -> [UInt8] {
        Array(("0x" + String(UInt(bitPattern: id), radix: 16)).utf8)
    }
}

extension LuaTable {
    /// Lua's `luaH_set` before a `__newindex` check: makes sure `key` has an
    /// entry (creating a dead one, as Lua does) and reports whether it
    /// already held a non-nil value.
    func prepareSet(_ key: LuaValue) throws -> Bool {
        let current = get(key)
        if !current.isNil { return true }
        switch key {
        case .nil: throw WriteError.nilIndex
        case .number(let n) where n.isNaN: throw WriteError.nanIndex
        default: break
        }
        try rawSet(key, .nil)
        return false
    }
}

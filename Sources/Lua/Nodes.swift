/// The executable tree: what the compiler produces from the syntax tree.
/// Every variable is already resolved (locals to frame slots, captured
/// locals to box slots, upvalues to closure indices, globals to the
/// environment), and each node is a final class whose `eval`/`exec` is
/// reached by a vtable call. Invariant: evaluating an expression leaves
/// `state.top` where it found it (calls and varargs push only through
/// `evalMulti`, whose caller owns what was pushed).

class ExprNode {
    func eval(_ f: Frame) throws -> LuaValue { fatalError("abstract") }

    /// Pushes every value the expression produces; returns how many. Only
    /// calls and `...` produce other than one.
    func evalMulti(_ f: Frame) throws -> Int {
        try f.state.push(eval(f))
        return 1
    }

    /// How Lua names this expression in error messages ("local 'x'",
    /// "global 'f'", "field 'y'", "upvalue 'u'"), if it does.
    func variableName() -> VariableName? { nil }

    /// For call expressions: how the called function is named ("method 'm'"...).
    func calleeName() -> VariableName? { nil }

    var isMultiValued: Bool { false }
}

enum Flow: UInt8 {
    case normal, breakLoop, returned, tailCall
}

class StatNode {
    func exec(_ f: Frame) throws -> Flow { fatalError("abstract") }
}

// MARK: - Constants and variables

final class ConstantNode: ExprNode {
    let value: LuaValue
    init(_ value: LuaValue) { self.value = value }
    override func eval(_ f: Frame) throws -> LuaValue { value }
}

final class LocalNode: ExprNode {
    let slot: Int
    let name: String
    init(slot: Int, name: String) { self.slot = slot; self.name = name }
    override func eval(_ f: Frame) throws -> LuaValue { f.slots[slot] }
    override func variableName() -> VariableName? { ("local", name) }
}

final class BoxedLocalNode: ExprNode {
    let slot: Int
    let name: String
    init(slot: Int, name: String) { self.slot = slot; self.name = name }
    override func eval(_ f: Frame) throws -> LuaValue { f.boxes[slot].value }
    override func variableName() -> VariableName? { ("local", name) }
}

final class UpvalueNode: ExprNode {
    let index: Int
    let name: String
    init(index: Int, name: String) { self.index = index; self.name = name }
    override func eval(_ f: Frame) throws -> LuaValue { f.closure.upvalues[index].value }
    override func variableName() -> VariableName? { ("upvalue", name) }
}

final class GlobalNode: ExprNode {
    let name: LuaString
    let line: Int
    init(name: LuaString, line: Int) { self.name = name; self.line = line }
    override func eval(_ f: Frame) throws -> LuaValue {
        let env = f.closure.environment
        let value = env.get(string: name)
        if !value.isNil || env.metatable == nil { return value }
        return try f.state.index(.table(env), .string(name), node: nil, line: line)
    }
    override func variableName() -> VariableName? { ("global", name.description) }
}

final class VarargNode: ExprNode {
    override func eval(_ f: Frame) throws -> LuaValue {
        f.varargCount > 0 ? f.varargs[0] : .nil
    }
    override func evalMulti(_ f: Frame) throws -> Int {
        let state = f.state
        let count = f.varargCount
        if state.top + count >= state.stackInitialized { try state.growStack(state.top + count + 1) }
        for i in 0..<count { state.stack[state.top + i] = f.varargs[i] }
        state.top += count
        return count
    }
    override var isMultiValued: Bool { true }
}

final class ParenNode: ExprNode {
    let inner: ExprNode
    init(_ inner: ExprNode) { self.inner = inner }
    override func eval(_ f: Frame) throws -> LuaValue { try inner.eval(f) }
    override func variableName() -> VariableName? { inner.variableName() }
}

// MARK: - Indexing

/// `object[key]` for any key expression.
final class IndexNode: ExprNode {
    let object: ExprNode
    let key: ExprNode
    let line: Int
    init(object: ExprNode, key: ExprNode, line: Int) { self.object = object; self.key = key; self.line = line }
    override func eval(_ f: Frame) throws -> LuaValue {
        let o = try object.eval(f)
        let k = try key.eval(f)
        if case .table(let t) = o {
            let v = t.get(k)
            if !v.isNil || t.metatable == nil { return v }
        }
        return try f.state.index(o, k, node: object, line: line)
    }
    override func variableName() -> VariableName? {
        if let constant = key as? ConstantNode, case .string(let s) = constant.value { return ("field", s.description) }
        return ("field", "?")
    }
}

/// `object.name` (a constant string key): the common case, kept separate
/// so the lookup goes straight to the string path of the table.
final class FieldNode: ExprNode {
    let object: ExprNode
    let key: LuaString
    let line: Int
    init(object: ExprNode, key: LuaString, line: Int) { self.object = object; self.key = key; self.line = line }
    override func eval(_ f: Frame) throws -> LuaValue {
        let o = try object.eval(f)
        if case .table(let t) = o {
            let v = t.get(string: key)
            if !v.isNil || t.metatable == nil { return v }
        }
        return try f.state.index(o, .string(key), node: object, line: line)
    }
    override func variableName() -> VariableName? { ("field", key.description) }
}

// MARK: - Calls

/// Pushes `arguments` (the last one expanded if it is a call or `...`);
/// returns how many values were pushed.
@inline(__always) func pushArguments(_ arguments: [ExprNode], expandLast: Bool, _ f: Frame) throws -> Int {
    let state = f.state
    let count = arguments.count
    if count == 0 { return 0 }
    for i in 0..<(count - 1) {
        try state.push(arguments[i].eval(f))
    }
    if expandLast {
        return count - 1 + (try arguments[count - 1].evalMulti(f))
    }
    try state.push(arguments[count - 1].eval(f))
    return count
}

/// The first of the results a call leaves at the stack's top (nil when
/// none), with the stack put back where it was: a call used as a value.
@inline(__always)
func firstResult(_ state: LuaState, _ call: () throws -> Int) rethrows -> LuaValue {
    let base = state.top
    let n = try call()
    let result = n > 0 ? state.stack[base] : .nil
    state.top = base
    return result
}

final class CallNode: ExprNode {
    let callee: ExprNode
    let arguments: [ExprNode]
    let expandLast: Bool
    let line: Int
    init(callee: ExprNode, arguments: [ExprNode], line: Int) {
        self.callee = callee
        self.arguments = arguments
        self.expandLast = arguments.last?.isMultiValued ?? false
        self.line = line
    }

    /// Calls; the results are at the old top, `top` just past them.
    @inline(__always) func invoke(_ f: Frame) throws -> Int {
        let state = f.state
        let base = state.top
        try state.push(callee.eval(f))
        let count = try pushArguments(arguments, expandLast: expandLast, f)
        state.callInfos[state.depth].line = Int32(line)
        return try state.call(base, count, site: self)
    }

    override func eval(_ f: Frame) throws -> LuaValue { try firstResult(f.state) { try invoke(f) } }
    override func evalMulti(_ f: Frame) throws -> Int { try invoke(f) }
    override var isMultiValued: Bool { true }
    override func calleeName() -> VariableName? { callee.variableName() }
}

final class MethodCallNode: ExprNode {
    let object: ExprNode
    let method: LuaString
    let arguments: [ExprNode]
    let expandLast: Bool
    let line: Int
    init(object: ExprNode, method: LuaString, arguments: [ExprNode], line: Int) {
        self.object = object
        self.method = method
        self.arguments = arguments
        self.expandLast = arguments.last?.isMultiValued ?? false
        self.line = line
    }

    @inline(__always) func invoke(_ f: Frame) throws -> Int {
        let state = f.state
        let base = state.top
        let receiver = try object.eval(f)
        var function: LuaValue = .nil
        if case .table(let t) = receiver {
            function = t.get(string: method)
            if function.isNil && t.metatable != nil {
                function = try state.index(receiver, .string(method), node: object, line: line)
            }
        } else {
            function = try state.index(receiver, .string(method), node: object, line: line)
        }
        try state.push(function)
        try state.push(receiver)
        let count = try pushArguments(arguments, expandLast: expandLast, f)
        state.callInfos[state.depth].line = Int32(line)
        return try state.call(base, count + 1, site: self)
    }

    override func eval(_ f: Frame) throws -> LuaValue { try firstResult(f.state) { try invoke(f) } }
    override func evalMulti(_ f: Frame) throws -> Int { try invoke(f) }
    override var isMultiValued: Bool { true }
    override func calleeName() -> VariableName? { ("method", method.description) }
}

// MARK: - Functions

final class FunctionNode: ExprNode {
    let proto: FunctionProto
    init(proto: FunctionProto) { self.proto = proto }
    override func eval(_ f: Frame) throws -> LuaValue {
        var upvalues = ContiguousArray<LuaBox>()
        upvalues.reserveCapacity(proto.upvalueSources.count)
        for source in proto.upvalueSources {
            switch source {
            case .box(let slot): upvalues.append(f.boxes[slot])
            case .upvalue(let index): upvalues.append(f.closure.upvalues[index])
            }
        }
        return .function(LuaFunction(proto: proto, upvalues: upvalues, environment: f.closure.environment))
    }
}

// MARK: - Operators

final class ArithmeticNode<Op: ArithmeticOperator>: ExprNode {
    let left: ExprNode
    let right: ExprNode
    let line: Int
    init(_ left: ExprNode, _ right: ExprNode, line: Int) { self.left = left; self.right = right; self.line = line }
    override func eval(_ f: Frame) throws -> LuaValue {
        let a = try left.eval(f)
        let b = try right.eval(f)
        if case .number(let x) = a, case .number(let y) = b { return .number(Op.apply(x, y)) }
        return try f.state.arithmetic(Op.self, a, b, left, right, line: line)
    }
}

/// Arithmetic with a constant number on the right (`i + 1`, `n * 2`).
final class ArithmeticConstantNode<Op: ArithmeticOperator>: ExprNode {
    let left: ExprNode
    let constant: Double
    let line: Int
    init(_ left: ExprNode, _ constant: Double, line: Int) { self.left = left; self.constant = constant; self.line = line }
    override func eval(_ f: Frame) throws -> LuaValue {
        let a = try left.eval(f)
        if case .number(let x) = a { return .number(Op.apply(x, constant)) }
        return try f.state.arithmetic(Op.self, a, .number(constant), left, nil, line: line)
    }
}

final class NegateNode: ExprNode {
    let operand: ExprNode
    let line: Int
    init(_ operand: ExprNode, line: Int) { self.operand = operand; self.line = line }
    override func eval(_ f: Frame) throws -> LuaValue {
        let a = try operand.eval(f)
        if case .number(let x) = a { return .number(-x) }
        return try f.state.negate(a, operand, line: line)
    }
}

final class NotNode: ExprNode {
    let operand: ExprNode
    init(_ operand: ExprNode) { self.operand = operand }
    override func eval(_ f: Frame) throws -> LuaValue { .boolean(!(try operand.eval(f).isTruthy)) }
}

final class LengthNode: ExprNode {
    let operand: ExprNode
    let line: Int
    init(_ operand: ExprNode, line: Int) { self.operand = operand; self.line = line }
    override func eval(_ f: Frame) throws -> LuaValue {
        let a = try operand.eval(f)
        if case .table(let t) = a { return .number(Double(t.length)) }
        if case .string(let s) = a { return .number(Double(s.count)) }
        return try f.state.length(a, operand, line: line)
    }
}

final class ConcatNode: ExprNode {
    let operands: [ExprNode]
    let line: Int
    init(_ operands: [ExprNode], line: Int) { self.operands = operands; self.line = line }
    override func eval(_ f: Frame) throws -> LuaValue {
        let state = f.state
        let base = state.top
        for operand in operands { try state.push(operand.eval(f)) }
        try state.concatenate(first: base, count: operands.count, nodes: operands, line: line)
        let result = state.stack[base]
        state.top = base
        return result
    }
}

final class EqualNode: ExprNode {
    let left: ExprNode
    let right: ExprNode
    let negated: Bool
    let line: Int
    init(_ left: ExprNode, _ right: ExprNode, negated: Bool, line: Int) {
        self.left = left; self.right = right; self.negated = negated; self.line = line
    }
    override func eval(_ f: Frame) throws -> LuaValue {
        let a = try left.eval(f)
        let b = try right.eval(f)
        let equal: Bool
        switch (a, b) {
        case let (.number(x), .number(y)): equal = x == y
        case let (.string(x), .string(y)): equal = x == y
        case (.nil, .nil): equal = true
        case let (.boolean(x), .boolean(y)): equal = x == y
        default:
            f.state.callInfos[f.state.depth].line = Int32(line)
            equal = try f.state.equals(a, b)
        }
        return .boolean(equal != negated)
    }
}

/// `<` (and `>` with the operands swapped, as Lua compiles it).
final class LessThanNode: ExprNode {
    let left: ExprNode
    let right: ExprNode
    let swapped: Bool
    let line: Int
    init(_ left: ExprNode, _ right: ExprNode, swapped: Bool, line: Int) {
        self.left = left; self.right = right; self.swapped = swapped; self.line = line
    }
    override func eval(_ f: Frame) throws -> LuaValue {
        let a = try left.eval(f)
        let b = try right.eval(f)
        if case .number(let x) = a, case .number(let y) = b { return .boolean(swapped ? y < x : x < y) }
        return .boolean(swapped ? try f.state.lessThan(b, a, line: line) : try f.state.lessThan(a, b, line: line))
    }
}

/// `<=` (and `>=` swapped).
final class LessEqualNode: ExprNode {
    let left: ExprNode
    let right: ExprNode
    let swapped: Bool
    let line: Int
    init(_ left: ExprNode, _ right: ExprNode, swapped: Bool, line: Int) {
        self.left = left; self.right = right; self.swapped = swapped; self.line = line
    }
    override func eval(_ f: Frame) throws -> LuaValue {
        let a = try left.eval(f)
        let b = try right.eval(f)
        if case .number(let x) = a, case .number(let y) = b { return .boolean(swapped ? y <= x : x <= y) }
        return .boolean(swapped ? try f.state.lessEqual(b, a, line: line) : try f.state.lessEqual(a, b, line: line))
    }
}

final class AndNode: ExprNode {
    let left: ExprNode
    let right: ExprNode
    init(_ left: ExprNode, _ right: ExprNode) { self.left = left; self.right = right }
    override func eval(_ f: Frame) throws -> LuaValue {
        let a = try left.eval(f)
        return a.isTruthy ? try right.eval(f) : a
    }
}

final class OrNode: ExprNode {
    let left: ExprNode
    let right: ExprNode
    init(_ left: ExprNode, _ right: ExprNode) { self.left = left; self.right = right }
    override func eval(_ f: Frame) throws -> LuaValue {
        let a = try left.eval(f)
        return a.isTruthy ? a : try right.eval(f)
    }
}

// MARK: - Table constructor

/// `{ ... }`: replays Lua's order of effects. Keyed fields are stored as
/// they are reached; positional items are stored in batches of 50 (Lua's
/// LFIELDS_PER_FLUSH) after the array part is pre-sized, so the resulting
/// layout (and `#`, and `next` order) matches the reference.
final class TableNode: ExprNode {
    enum Item {
        case positional(ExprNode)
        case keyed(ExprNode, ExprNode)
    }
    let items: [Item]
    let arraySizeHint: Int
    let hashSizeHint: Int
    let expandLast: Bool
    let line: Int
    static let flushBatch = 50

    init(items: [Item], arraySizeHint: Int, hashSizeHint: Int, expandLast: Bool, line: Int) {
        self.items = items
        self.arraySizeHint = arraySizeHint
        self.hashSizeHint = hashSizeHint
        self.expandLast = expandLast
        self.line = line
    }

    override func eval(_ f: Frame) throws -> LuaValue {
        let state = f.state
        let table = LuaTable(arrayCount: arraySizeHint, hashCount: hashSizeHint)
        let base = state.top
        var pending = 0
        var stored = 0
        for (i, item) in items.enumerated() {
            switch item {
            case .keyed(let keyNode, let valueNode):
                let key = try keyNode.eval(f)
                let value = try valueNode.eval(f)
                do { try table.rawSet(key, value) } catch let e as LuaTable.WriteError {
                    throw state.runtimeError(e.message, line: line)
                }
            case .positional(let node):
                if expandLast && i == items.count - 1 {
                    pending += try node.evalMulti(f)
                } else {
                    try state.push(node.eval(f))
                    pending += 1
                }
                if pending == TableNode.flushBatch {
                    flush(table, base: base, count: pending, offset: stored, state: state)
                    stored += pending
                    pending = 0
                }
            }
        }
        if pending > 0 { flush(table, base: base, count: pending, offset: stored, state: state) }
        state.top = base
        return .table(table)
    }

    private func flush(_ table: LuaTable, base: Int, count: Int, offset: Int, state: LuaState) {
        let last = offset + count
        if last > table.array.count { table.ensureArray(last) }
        for i in 0..<count { table.set(index: offset + i + 1, state.stack[base + i]) }
        state.top = base
    }
}

// MARK: - Statements

final class BlockNode: StatNode {
    let statements: [StatNode]
    init(_ statements: [StatNode]) { self.statements = statements }
    override func exec(_ f: Frame) throws -> Flow {
        for statement in statements {
            let flow = try statement.exec(f)
            if flow != .normal { return flow }
        }
        return .normal
    }
}

final class CallStatementNode: StatNode {
    let call: ExprNode
    init(_ call: ExprNode) { self.call = call }
    override func exec(_ f: Frame) throws -> Flow {
        let base = f.state.top
        _ = try call.evalMulti(f)
        f.state.top = base
        return .normal
    }
}

/// `local x = e` / `x = e` for an uncaptured local.
final class SetLocalNode: StatNode {
    let slot: Int
    let value: ExprNode
    init(slot: Int, value: ExprNode) { self.slot = slot; self.value = value }
    override func exec(_ f: Frame) throws -> Flow {
        f.slots[slot] = try value.eval(f)
        return .normal
    }
}

/// `local x = e` for a captured local: a fresh box each time it runs.
final class DeclareBoxedLocalNode: StatNode {
    let slot: Int
    let value: ExprNode
    init(slot: Int, value: ExprNode) { self.slot = slot; self.value = value }
    override func exec(_ f: Frame) throws -> Flow {
        f.boxes[slot] = LuaBox(try value.eval(f))
        return .normal
    }
}

/// `x = e` for a captured local (the existing box is updated).
final class SetBoxedLocalNode: StatNode {
    let slot: Int
    let value: ExprNode
    init(slot: Int, value: ExprNode) { self.slot = slot; self.value = value }
    override func exec(_ f: Frame) throws -> Flow {
        f.boxes[slot].value = try value.eval(f)
        return .normal
    }
}

final class SetUpvalueNode: StatNode {
    let index: Int
    let value: ExprNode
    init(index: Int, value: ExprNode) { self.index = index; self.value = value }
    override func exec(_ f: Frame) throws -> Flow {
        f.closure.upvalues[index].value = try value.eval(f)
        return .normal
    }
}

final class SetGlobalNode: StatNode {
    let name: LuaString
    let value: ExprNode
    let line: Int
    init(name: LuaString, value: ExprNode, line: Int) { self.name = name; self.value = value; self.line = line }
    override func exec(_ f: Frame) throws -> Flow {
        let v = try value.eval(f)
        let env = f.closure.environment
        if env.metatable == nil && !env.isReadOnly {
            env.rawSetString(name, v)
        } else {
            try f.state.setIndex(.table(env), .string(name), v, node: nil, line: line)
        }
        return .normal
    }
}

final class SetIndexNode: StatNode {
    let object: ExprNode
    let key: ExprNode
    let value: ExprNode
    let line: Int
    init(object: ExprNode, key: ExprNode, value: ExprNode, line: Int) {
        self.object = object; self.key = key; self.value = value; self.line = line
    }
    override func exec(_ f: Frame) throws -> Flow {
        let o = try object.eval(f)
        let k = try key.eval(f)
        let v = try value.eval(f)
        if case .table(let t) = o, t.metatable == nil, !t.isReadOnly {
            do { try t.rawSet(k, v) } catch let e as LuaTable.WriteError {
                throw f.state.runtimeError(e.message, line: line)
            }
        } else {
            try f.state.setIndex(o, k, v, node: object, line: line)
        }
        return .normal
    }
}

/// The general assignment `a, b.c, d[e] = ...` (and multi-value locals):
/// target objects and keys are evaluated first, left to right, then the
/// values (adjusted to the target count), then stores happen right to left
/// as in Lua 5.1.
final class MultipleAssignNode: StatNode {
    enum Target {
        case local(Int)
        case declareBoxed(Int)
        case boxed(Int)
        case upvalue(Int)
        case global(LuaString)
        case index(ExprNode, ExprNode)
    }
    let targets: [Target]
    let values: [ExprNode]
    let line: Int
    init(targets: [Target], values: [ExprNode], line: Int) { self.targets = targets; self.values = values; self.line = line }

    override func exec(_ f: Frame) throws -> Flow {
        let state = f.state
        let base = state.top
        // Objects and keys of indexed targets.
        for target in targets {
            if case .index(let object, let key) = target {
                try state.push(object.eval(f))
                try state.push(key.eval(f))
            }
        }
        let valuesBase = state.top
        var produced = 0
        for (i, value) in values.enumerated() {
            if i == values.count - 1 && value.isMultiValued {
                produced += try value.evalMulti(f)
            } else {
                try state.push(value.eval(f))
                produced += 1
            }
        }
        while produced < targets.count { try state.push(.nil); produced += 1 }
        var keyIndex = valuesBase
        var i = targets.count - 1
        while i >= 0 {
            let v = state.stack[valuesBase + i]
            switch targets[i] {
            case .local(let slot): f.slots[slot] = v
            case .declareBoxed(let slot): f.boxes[slot] = LuaBox(v)
            case .boxed(let slot): f.boxes[slot].value = v
            case .upvalue(let index): f.closure.upvalues[index].value = v
            case .global(let name):
                try state.setIndex(.table(f.closure.environment), .string(name), v, node: nil, line: line)
            case .index(let objectNode, _):
                keyIndex -= 2
                try state.setIndex(state.stack[keyIndex], state.stack[keyIndex + 1], v, node: objectNode, line: line)
            }
            i -= 1
        }
        state.top = base
        return .normal
    }
}

final class LocalFunctionNode: StatNode {
    let slot: Int
    let boxed: Bool
    let function: FunctionNode
    init(slot: Int, boxed: Bool, function: FunctionNode) { self.slot = slot; self.boxed = boxed; self.function = function }
    override func exec(_ f: Frame) throws -> Flow {
        if boxed {
            // The box exists before the closure so the function sees itself.
            let box = LuaBox(.nil)
            f.boxes[slot] = box
            box.value = try function.eval(f)
        } else {
            f.slots[slot] = try function.eval(f)
        }
        return .normal
    }
}

final class WhileNode: StatNode {
    let condition: ExprNode
    let body: BlockNode
    init(condition: ExprNode, body: BlockNode) { self.condition = condition; self.body = body }
    override func exec(_ f: Frame) throws -> Flow {
        while try condition.eval(f).isTruthy {
            try f.state.step()
            let flow = try body.exec(f)
            if flow == .breakLoop { break }
            if flow != .normal { return flow }
        }
        return .normal
    }
}

final class RepeatNode: StatNode {
    let body: BlockNode
    let condition: ExprNode
    init(body: BlockNode, condition: ExprNode) { self.body = body; self.condition = condition }
    override func exec(_ f: Frame) throws -> Flow {
        while true {
            try f.state.step()
            let flow = try body.exec(f)
            if flow == .breakLoop { break }
            if flow != .normal { return flow }
            if try condition.eval(f).isTruthy { break }
        }
        return .normal
    }
}

final class IfNode: StatNode {
    let clauses: [(ExprNode, BlockNode)]
    let otherwise: BlockNode?
    init(clauses: [(ExprNode, BlockNode)], otherwise: BlockNode?) { self.clauses = clauses; self.otherwise = otherwise }
    override func exec(_ f: Frame) throws -> Flow {
        for (condition, body) in clauses {
            if try condition.eval(f).isTruthy { return try body.exec(f) }
        }
        if let otherwise { return try otherwise.exec(f) }
        return .normal
    }
}

final class NumericForNode: StatNode {
    let slot: Int
    let boxed: Bool
    let start: ExprNode
    let limit: ExprNode
    let stepValue: ExprNode?
    let body: BlockNode
    let line: Int
    init(slot: Int, boxed: Bool, start: ExprNode, limit: ExprNode, step: ExprNode?, body: BlockNode, line: Int) {
        self.slot = slot; self.boxed = boxed; self.start = start; self.limit = limit
        self.stepValue = step; self.body = body; self.line = line
    }

    override func exec(_ f: Frame) throws -> Flow {
        let state = f.state
        guard let initial = try start.eval(f).coercedNumber else {
            throw state.runtimeError("'for' initial value must be a number", line: line)
        }
        guard let bound = try limit.eval(f).coercedNumber else {
            throw state.runtimeError("'for' limit must be a number", line: line)
        }
        var increment = 1.0
        if let stepValue {
            guard let s = try stepValue.eval(f).coercedNumber else {
                throw state.runtimeError("'for' step must be a number", line: line)
            }
            increment = s
        }
        var i = initial
        if increment > 0 {
            while i <= bound {
                try state.step()
                if boxed { f.boxes[slot] = LuaBox(.number(i)) } else { f.slots[slot] = .number(i) }
                let flow = try body.exec(f)
                if flow == .breakLoop { break }
                if flow != .normal { return flow }
                i += increment
            }
        } else {
            while i >= bound {
                try state.step()
                if boxed { f.boxes[slot] = LuaBox(.number(i)) } else { f.slots[slot] = .number(i) }
                let flow = try body.exec(f)
                if flow == .breakLoop { break }
                if flow != .normal { return flow }
                i += increment
            }
        }
        return .normal
    }
}

final class GenericForNode: StatNode {
    /// (slot, boxed) per loop variable.
    let variables: [(Int, Bool)]
    let iterators: [ExprNode]
    let body: BlockNode
    let line: Int
    init(variables: [(Int, Bool)], iterators: [ExprNode], body: BlockNode, line: Int) {
        self.variables = variables; self.iterators = iterators; self.body = body; self.line = line
    }

    @inline(__always) private func assign(_ f: Frame, _ index: Int, _ value: LuaValue) {
        let (slot, boxed) = variables[index]
        if boxed { f.boxes[slot] = LuaBox(value) } else { f.slots[slot] = value }
    }

    override func exec(_ f: Frame) throws -> Flow {
        let state = f.state
        let base = state.top
        // Evaluate the explist to exactly three values: f, s, control.
        var produced = 0
        for (i, iterator) in iterators.enumerated() {
            if i == iterators.count - 1 && iterator.isMultiValued {
                produced += try iterator.evalMulti(f)
            } else {
                try state.push(iterator.eval(f))
                produced += 1
            }
        }
        while produced < 3 { try state.push(.nil); produced += 1 }
        let function = state.stack[base]
        let invariant = state.stack[base + 1]
        var control = state.stack[base + 2]
        state.top = base
        let variableCount = variables.count

        // Fast paths: pairs/next over a table and ipairs, without calls.
        if case .function(let fn) = function, case .table(let table) = invariant {
            if fn === state.nextFunction || fn === state.globalNextFunction {
                while true {
                    try state.step()
                    guard let entry = table.next(after: control) else {
                        throw LuaError(message: "invalid key to 'next'")
                    }
                    guard let (key, value) = entry else { return .normal }
                    control = key
                    assign(f, 0, key)
                    if variableCount > 1 {
                        assign(f, 1, value)
                        for j in 2..<max(2, variableCount) { assign(f, j, .nil) }
                    }
                    let flow = try body.exec(f)
                    if flow == .breakLoop { return .normal }
                    if flow != .normal { return flow }
                }
            }
            if fn === state.ipairsIterator, table.metatable == nil, case .number(var index) = control {
                while true {
                    try state.step()
                    index += 1
                    let value = table.get(number: index)
                    if value.isNil { return .normal }
                    assign(f, 0, .number(index))
                    if variableCount > 1 {
                        assign(f, 1, value)
                        for j in 2..<max(2, variableCount) { assign(f, j, .nil) }
                    }
                    let flow = try body.exec(f)
                    if flow == .breakLoop { return .normal }
                    if flow != .normal { return flow }
                }
            }
        }

        while true {
            try state.step()
            let callBase = state.top
            try state.push(function)
            try state.push(invariant)
            try state.push(control)
            state.callInfos[state.depth].line = Int32(line)
            let count = try state.call(callBase, 2, site: self.site)
            let first = count > 0 ? state.stack[callBase] : .nil
            if first.isNil {
                state.top = callBase
                return .normal
            }
            control = first
            for j in 0..<variableCount {
                assign(f, j, j < count ? state.stack[callBase + j] : .nil)
            }
            state.top = callBase
            let flow = try body.exec(f)
            if flow == .breakLoop { return .normal }
            if flow != .normal { return flow }
        }
    }

    /// Error naming for a non-callable iterator: Lua reports the hidden
    /// control variable ("attempt to call a nil value").
    let site: ExprNode? = nil
}

final class ReturnNode: StatNode {
    let values: [ExprNode]
    let expandLast: Bool
    init(values: [ExprNode]) {
        self.values = values
        self.expandLast = values.last?.isMultiValued ?? false
    }
    override func exec(_ f: Frame) throws -> Flow {
        let state = f.state
        let base = state.top
        let count = try pushArguments(values, expandLast: expandLast, f)
        state.returnBase = base
        state.returnCount = count
        return .returned
    }
}

/// `return e`: one value without expansion.
final class ReturnOneNode: StatNode {
    let value: ExprNode
    init(_ value: ExprNode) { self.value = value }
    override func exec(_ f: Frame) throws -> Flow {
        let state = f.state
        let base = state.top
        try state.push(value.eval(f))
        state.returnBase = base
        state.returnCount = 1
        return .returned
    }
}

/// `return f(args)`: a proper tail call. The function and its arguments
/// are pushed and handed back to the call loop, which reuses the frame's
/// place instead of nesting another native call.
final class TailCallNode: StatNode {
    let callee: ExprNode
    let arguments: [ExprNode]
    let expandLast: Bool
    let line: Int
    let call: ExprNode
    init(call: CallNode) {
        self.callee = call.callee
        self.arguments = call.arguments
        self.expandLast = call.expandLast
        self.line = call.line
        self.call = call
    }
    override func exec(_ f: Frame) throws -> Flow {
        let state = f.state
        let base = state.top
        let function = try callee.eval(f)
        if case .function = function {} else if state.metamethod(function, MetaName.call) == nil {
            throw state.typeError(function, "call", node: callee, line: line)
        }
        try state.push(function)
        let count = try pushArguments(arguments, expandLast: expandLast, f)
        state.callInfos[state.depth].line = Int32(line)
        if case .function(let callee) = function, callee.proto != nil {
            state.returnBase = base
            state.returnCount = count + 1
            return .tailCall
        }
        // Builtins (and __call objects) run inside this frame, as in Lua,
        // so their errors carry this line.
        let results = try state.call(base, count, site: call)
        state.returnBase = base
        state.returnCount = results
        return .returned
    }
}

final class BreakNode: StatNode {
    override func exec(_ f: Frame) throws -> Flow { .breakLoop }
}

extension LuaTable {
    /// Assignment of a string key without metamethods (globals fast path).
    @inline(__always) func rawSetString(_ key: LuaString, _ value: LuaValue) {
        try? rawSet(.string(key), value)
    }
}

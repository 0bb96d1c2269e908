/// Turns the resolved syntax tree into executable nodes, choosing the
/// specialised node for each case (captured or plain local, constant string
/// field, constant arithmetic operand, tail call...).
struct Compiler {
    let chunkID: String
    /// Lua keeps one constant per distinct number in each function, and
    /// 0 and -0 compare equal, so whichever zero the function uses first is
    /// the one every later zero literal in that function gets (lua5.1
    /// prints `-0, 1/0` as `-0 -inf`). This reproduces that.
    final class ZeroPool { var first: Double? }
    let zeros = ZeroPool()

    init(chunkID: String) { self.chunkID = chunkID }

    private func numberConstant(_ n: Double) -> ConstantNode {
        if n == 0 {
            if let first = zeros.first { return ConstantNode(.number(first)) }
            zeros.first = n
        }
        return ConstantNode(.number(n))
    }

    func compileFunction(_ ast: FunctionAST) -> FunctionProto {
        Compiler(chunkID: chunkID).compileBody(ast)
    }

    private func compileBody(_ ast: FunctionAST) -> FunctionProto {
        let body = block(ast.body)
        let sources: [UpvalueSourceSlot] = ast.upvalues.map { upvalue in
            switch upvalue.source {
            case .enclosingLocal(let variable): return .box(variable.slot)
            case .enclosingUpvalue(let index): return .upvalue(index)
            }
        }
        return FunctionProto(
            body: body,
            parameterCount: ast.parameters.count,
            isVararg: ast.isVararg,
            argSlot: ast.argLocal?.slot,
            argCaptured: ast.argLocal?.captured ?? false,
            buildsArgTable: !ast.usesVarargExpression,
            slotCount: max(ast.slotCount, 1),
            hasBoxes: ast.declaredLocals.contains { $0.captured },
            capturedParameters: ast.parameters.filter { $0.captured }.map { $0.slot },
            upvalueSources: sources,
            upvalueNames: ast.upvalues.map { String(decoding: $0.name, as: UTF8.self) },
            chunkID: chunkID,
            lineDefined: ast.lineDefined)
    }

    // MARK: - Statements

    func block(_ statements: [Stat]) -> BlockNode {
        BlockNode(statements.map(statement))
    }

    private func statement(_ s: Stat) -> StatNode {
        switch s {
        case .local(let variables, let values, let line):
            if variables.count == 1 && values.count <= 1 {
                let value = values.first.map(expression) ?? ConstantNode(.nil)
                let v = variables[0]
                return v.captured ? DeclareBoxedLocalNode(slot: v.slot, value: value) : SetLocalNode(slot: v.slot, value: value)
            }
            let targets: [MultipleAssignNode.Target] = variables.map { $0.captured ? .declareBoxed($0.slot) : .local($0.slot) }
            return MultipleAssignNode(targets: targets, values: values.map(expression), line: line)
        case .localFunction(let variable, let function):
            return LocalFunctionNode(slot: variable.slot, boxed: variable.captured,
                                     function: FunctionNode(proto: compileFunction(function)))
        case .assign(let targets, let values, let line):
            if targets.count == 1 && values.count == 1 {
                return singleAssignment(targets[0], expression(values[0]), line: line)
            }
            let compiledTargets: [MultipleAssignNode.Target] = targets.map { target in
                switch target {
                case .local(let v): return v.captured ? .boxed(v.slot) : .local(v.slot)
                case .upvalue(let index, _): return .upvalue(index)
                case .global(let name, _): return .global(name)
                case .index(let object, let key, _): return .index(expression(object), expression(key))
                default: fatalError("parser only produces assignable targets")
                }
            }
            return MultipleAssignNode(targets: compiledTargets, values: values.map(expression), line: line)
        case .call(let call):
            return CallStatementNode(expression(call))
        case .block(let body):
            return block(body)
        case .whileLoop(let condition, let body):
            return WhileNode(condition: expression(condition), body: block(body))
        case .repeatLoop(let body, let condition):
            return RepeatNode(body: block(body), condition: expression(condition))
        case .ifChain(let clauses, let otherwise):
            return IfNode(clauses: clauses.map { (expression($0.0), block($0.1)) }, otherwise: otherwise.map(block))
        case .numericFor(let variable, let start, let limit, let step, let body, let line):
            return NumericForNode(slot: variable.slot, boxed: variable.captured, start: expression(start),
                                  limit: expression(limit), step: step.map(expression), body: block(body), line: line)
        case .genericFor(let variables, let iterators, let body, let line):
            return GenericForNode(variables: variables.map { ($0.slot, $0.captured) }, iterators: iterators.map(expression),
                                  body: block(body), line: line)
        case .returnValues(let values, _):
            if values.count == 1 {
                let node = expression(values[0])
                if case .call = values[0], let call = node as? CallNode { return TailCallNode(call: call) }
                if !node.isMultiValued { return ReturnOneNode(node) }
                return ReturnNode(values: [node])
            }
            return ReturnNode(values: values.map(expression))
        case .breakLoop:
            return BreakNode()
        }
    }

    private func singleAssignment(_ target: Expr, _ value: ExprNode, line: Int) -> StatNode {
        switch target {
        case .local(let v):
            return v.captured ? SetBoxedLocalNode(slot: v.slot, value: value) : SetLocalNode(slot: v.slot, value: value)
        case .upvalue(let index, _):
            return SetUpvalueNode(index: index, value: value)
        case .global(let name, _):
            return SetGlobalNode(name: name, value: value, line: line)
        case .index(let object, let key, let indexLine):
            return SetIndexNode(object: expression(object), key: expression(key), value: value, line: indexLine)
        default:
            fatalError("parser only produces assignable targets")
        }
    }

    // MARK: - Expressions

    /// Lua 5.1 folds arithmetic on numeric literals at compile time (not
    /// division or modulo by zero, nor results that are NaN); the folded
    /// value becomes one constant. Folding matters only for which zero
    /// (+0 or -0) a function's constant pool ends up holding.
    static func numeral(_ e: Expr) -> Double? {
        switch e {
        case .constant(.number(let n)): return n
        case .paren(let inner): return numeral(inner)
        case .unary(.neg, let operand, _):
            guard let v = numeral(operand) else { return nil }
            return -v
        case .binary(let op, let left, let right, _):
            guard let a = numeral(left), let b = numeral(right) else { return nil }
            let r: Double
            switch op {
            case .add: r = a + b
            case .sub: r = a - b
            case .mul: r = a * b
            case .div: if b == 0 { return nil }; r = a / b
            case .mod: if b == 0 { return nil }; r = ModOperator.apply(a, b)
            case .pow: r = PowOperator.apply(a, b)
            default: return nil
            }
            return r.isNaN ? nil : r
        default: return nil
        }
    }

    private func expression(_ e: Expr) -> ExprNode {
        if case .constant = e {} else if let folded = Compiler.numeral(e) { return numberConstant(folded) }
        switch e {
        case .constant(let value):
            if case .number(let n) = value { return numberConstant(n) }
            return ConstantNode(value)
        case .vararg:
            return VarargNode()
        case .function(let ast):
            return FunctionNode(proto: compileFunction(ast))
        case .local(let v):
            return v.captured ? BoxedLocalNode(slot: v.slot, name: v.displayName) : LocalNode(slot: v.slot, name: v.displayName)
        case .upvalue(let index, let name):
            return UpvalueNode(index: index, name: String(decoding: name, as: UTF8.self))
        case .global(let name, let line):
            return GlobalNode(name: name, line: line)
        case .index(let object, let key, let line):
            if case .constant(.string(let s)) = key {
                return FieldNode(object: expression(object), key: s, line: line)
            }
            return IndexNode(object: expression(object), key: expression(key), line: line)
        case .call(let callee, let arguments, let line):
            return CallNode(callee: expression(callee), arguments: arguments.map(expression), line: line)
        case .method(let object, let name, let arguments, let line):
            return MethodCallNode(object: expression(object), method: name, arguments: arguments.map(expression), line: line)
        case .binary(let op, let left, let right, let line):
            return binary(op, left, right, line: line)
        case .unary(let op, let operand, let line):
            switch op {
            case .neg:
                if case .constant(.number(let n)) = operand { return numberConstant(-n) }
                return NegateNode(expression(operand), line: line)
            case .not:
                return NotNode(expression(operand))
            case .len:
                return LengthNode(expression(operand), line: line)
            }
        case .paren(let inner):
            let node = expression(inner)
            return node.isMultiValued ? ParenNode(node) : node
        case .table(let positional, let keyed, let line):
            return table(positional, keyed, line: line)
        }
    }

    private func arithmetic<Op: ArithmeticOperator>(_ op: Op.Type, _ left: Expr, _ right: Expr, line: Int) -> ExprNode {
        // Lua keeps a literal left operand pending until after the right
        // operand is compiled: compile in that order so constants are
        // pooled in Lua's order.
        let leftIsNumeral = Compiler.numeral(left) != nil
        var leftNode: ExprNode? = leftIsNumeral ? nil : expression(left)
        let rightNode = expression(right)
        if leftNode == nil { leftNode = expression(left) }
        if let constant = rightNode as? ConstantNode, case .number(let n) = constant.value {
            return ArithmeticConstantNode<Op>(leftNode!, n, line: line)
        }
        return ArithmeticNode<Op>(leftNode!, rightNode, line: line)
    }

    private func binary(_ op: BinaryOperator, _ left: Expr, _ right: Expr, line: Int) -> ExprNode {
        switch op {
        case .add: return arithmetic(AddOperator.self, left, right, line: line)
        case .sub: return arithmetic(SubOperator.self, left, right, line: line)
        case .mul: return arithmetic(MulOperator.self, left, right, line: line)
        case .div: return arithmetic(DivOperator.self, left, right, line: line)
        case .mod: return arithmetic(ModOperator.self, left, right, line: line)
        case .pow: return arithmetic(PowOperator.self, left, right, line: line)
        case .concat:
            // `a .. b .. c` is right-associative: flatten the right spine
            // into one node, as Lua's single OP_CONCAT over registers.
            var operands = [expression(left)]
            var rest = right
            while case .binary(.concat, let l, let r, _) = rest {
                operands.append(expression(l))
                rest = r
            }
            operands.append(expression(rest))
            return ConcatNode(operands, line: line)
        case .eq: return EqualNode(expression(left), expression(right), negated: false, line: line)
        case .ne: return EqualNode(expression(left), expression(right), negated: true, line: line)
        case .lt: return LessThanNode(expression(left), expression(right), swapped: false, line: line)
        case .gt: return LessThanNode(expression(left), expression(right), swapped: true, line: line)
        case .le: return LessEqualNode(expression(left), expression(right), swapped: false, line: line)
        case .ge: return LessEqualNode(expression(left), expression(right), swapped: true, line: line)
        case .and: return AndNode(expression(left), expression(right))
        case .or: return OrNode(expression(left), expression(right))
        }
    }

    /// Lua stores constructor size hints as "floating point bytes"
    /// (`luaO_int2fb`), which rounds sizes of 16 and more up; the table is
    /// created with the rounded size, so we round the same way.
    static func roundedSizeHint(_ n: Int) -> Int {
        var x = n
        var exponent = 0
        while x >= 16 {
            x = (x + 1) >> 1
            exponent += 1
        }
        return x << exponent
    }

    private func table(_ positional: [Expr], _ keyed: [TableField], line: Int) -> ExprNode {
        var items: [TableNode.Item] = []
        var nextPositional = 0
        for field in keyed {
            while nextPositional < field.positionalBefore {
                items.append(.positional(expression(positional[nextPositional])))
                nextPositional += 1
            }
            items.append(.keyed(expression(field.key), expression(field.value)))
        }
        while nextPositional < positional.count {
            items.append(.positional(expression(positional[nextPositional])))
            nextPositional += 1
        }
        let expandLast = positional.last?.isMultiValued ?? false
        // The last positional item is still last overall only if no keyed
        // field follows it.
        let lastIsPositional: Bool
        if case .positional = items.last { lastIsPositional = true } else { lastIsPositional = false }
        let expands = expandLast && lastIsPositional
        let arrayCount = positional.count - (expands ? 1 : 0)
        return TableNode(items: items, arraySizeHint: Compiler.roundedSizeHint(arrayCount),
                         hashSizeHint: Compiler.roundedSizeHint(keyed.count), expandLast: expands, line: line)
    }
}

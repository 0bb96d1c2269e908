/// Recursive-descent parser for Lua 5.1, following `lparser.c`'s grammar,
/// operator priorities and error messages. It resolves every name to a
/// local slot, an upvalue or a global while parsing, as Lua's single-pass
/// compiler does.
struct Parser {
    /// Lua's LUAI_MAXCCALLS: nesting of expressions and blocks. Deeper input
    /// is rejected ("chunk has too many syntax levels") so it cannot exhaust
    /// the native stack.
    static let maxSyntaxLevels = 200
    /// Lua's LUAI_MAXVARS and LUAI_MAXUPVALUES.
    static let maxLocals = 200
    static let maxUpvalues = 60

    /// Per-function parsing state (Lua's FuncState).
    final class FunctionState {
        let parent: FunctionState?
        let ast = FunctionAST()
        var activeLocals: [LocalVariable] = []
        /// For each open block: where its locals start, and whether it is a loop.
        var blocks: [(firstLocal: Int, isLoop: Bool)] = []
        init(parent: FunctionState?) { self.parent = parent }
    }

    var lexer: Lexer
    var function: FunctionState
    var syntaxLevel = 0

    init(source: [UInt8], chunkName: String) {
        lexer = Lexer(source: source, chunkName: chunkName)
        function = FunctionState(parent: nil)
    }

    /// Parses a whole chunk into the main function (vararg, no parameters).
    static func parseChunk(_ source: [UInt8], chunkName: String) throws -> FunctionAST {
        var parser = Parser(source: source, chunkName: chunkName)
        parser.function.ast.isVararg = true
        parser.function.ast.isMainChunk = true
        try parser.lexer.next()
        parser.function.blocks.append((0, false))
        parser.function.ast.body = try parser.chunk()
        if parser.lexer.current.kind != .eof {
            throw parser.lexer.syntaxError("'<eof>' expected")
        }
        return parser.function.ast
    }

    // MARK: - Helpers

    private var token: TokenKind { lexer.current.kind }
    private var line: Int { lexer.line }

    private mutating func next() throws { try lexer.next() }

    private mutating func test(_ kind: TokenKind) throws -> Bool {
        if token == kind { try next(); return true }
        return false
    }

    private func expectedError(_ kind: TokenKind) -> LuaSyntaxError {
        lexer.syntaxError("'\(kind.display)' expected")
    }

    private mutating func check(_ kind: TokenKind) throws {
        if token != kind { throw expectedError(kind) }
    }

    private mutating func checkNext(_ kind: TokenKind) throws {
        try check(kind)
        try next()
    }

    private mutating func checkMatch(_ what: TokenKind, _ who: TokenKind, _ openLine: Int) throws {
        if try !test(what) {
            if openLine == line {
                throw expectedError(what)
            }
            throw lexer.syntaxError("'\(what.display)' expected (to close '\(who.display)' at line \(openLine))")
        }
    }

    private mutating func checkName() throws -> [UInt8] {
        try check(.name)
        let name = lexer.current.bytes
        try next()
        return name
    }

    private mutating func enterLevel() throws {
        syntaxLevel += 1
        if syntaxLevel > Parser.maxSyntaxLevels {
            throw lexer.error("chunk has too many syntax levels", near: nil)
        }
    }

    private mutating func leaveLevel() { syntaxLevel -= 1 }

    private static func blockFollows(_ kind: TokenKind) -> Bool {
        switch kind {
        case .kwElse, .kwElseif, .kwEnd, .kwUntil, .eof: return true
        default: return false
        }
    }

    // MARK: - Scopes and names

    private func limitError(_ limit: Int, _ what: String) -> LuaSyntaxError {
        let ast = function.ast
        let owner = ast.isMainChunk ? "main function" : "function at line \(ast.lineDefined)"
        return lexer.error("\(owner) has more than \(limit) \(what)", near: nil)
    }

    /// Declares a local that becomes visible after `activate`.
    private mutating func declareLocal(_ name: [UInt8], pendingIndex: Int) throws -> LocalVariable {
        let slot = function.activeLocals.count + pendingIndex
        if slot + 1 > Parser.maxLocals {
            throw limitError(Parser.maxLocals, "local variables")
        }
        let variable = LocalVariable(name: name, slot: slot)
        function.ast.slotCount = max(function.ast.slotCount, slot + 1)
        function.ast.declaredLocals.append(variable)
        return variable
    }

    private mutating func activate(_ variables: [LocalVariable]) {
        function.activeLocals.append(contentsOf: variables)
    }

    private mutating func openBlock(isLoop: Bool) {
        function.blocks.append((function.activeLocals.count, isLoop))
    }

    private mutating func closeBlock() {
        let block = function.blocks.removeLast()
        function.activeLocals.removeSubrange(block.firstLocal...)
    }

    enum Resolution {
        case local(LocalVariable)
        case upvalue(Int, LocalVariable)
        case global
    }

    private func resolve(_ name: [UInt8], in state: FunctionState) throws -> Resolution {
        for variable in state.activeLocals.reversed() where variable.name == name {
            return .local(variable)
        }
        guard let parent = state.parent else { return .global }
        switch try resolve(name, in: parent) {
        case .global:
            return .global
        case .local(let variable):
            variable.captured = true
            return .upvalue(try addUpvalue(state, name, .enclosingLocal(variable), root: variable), variable)
        case .upvalue(let index, let root):
            return .upvalue(try addUpvalue(state, name, .enclosingUpvalue(index), root: root), root)
        }
    }

    private func addUpvalue(_ state: FunctionState, _ name: [UInt8], _ source: UpvalueSource, root: LocalVariable) throws -> Int {
        if let existing = state.ast.upvalues.firstIndex(where: { $0.root === root }) { return existing }
        if state.ast.upvalues.count >= Parser.maxUpvalues {
            throw lexer.error("function at line \(state.ast.lineDefined) has more than \(Parser.maxUpvalues) upvalues", near: nil)
        }
        state.ast.upvalues.append(UpvalueDescription(name: name, source: source, root: root))
        return state.ast.upvalues.count - 1
    }

    private mutating func variable(named name: [UInt8]) throws -> Expr {
        switch try resolve(name, in: function) {
        case .local(let v): return .local(v)
        case .upvalue(let index, _): return .upvalue(index: index, name: name)
        case .global: return .global(LuaString(name), line: line)
        }
    }

    // MARK: - Statements

    /// A sequence of statements up to a block terminator; `return` and
    /// `break` must be last.
    private mutating func chunk() throws -> [Stat] {
        var statements: [Stat] = []
        try enterLevel()
        while !Parser.blockFollows(token) {
            let (statement, isLast) = try self.statement()
            statements.append(statement)
            _ = try test(.char(59))  // ';'
            if isLast { break }
        }
        leaveLevel()
        return statements
    }

    private mutating func block(isLoop: Bool = false) throws -> [Stat] {
        openBlock(isLoop: isLoop)
        let body = try chunk()
        closeBlock()
        return body
    }

    private mutating func statement() throws -> (Stat, Bool) {
        let startLine = line
        switch token {
        case .kwIf:
            return (try ifStatement(startLine), false)
        case .kwWhile:
            try next()
            let condition = try expression()
            try checkNext(.kwDo)
            let body = try block(isLoop: true)
            try checkMatch(.kwEnd, .kwWhile, startLine)
            return (.whileLoop(condition, body), false)
        case .kwDo:
            try next()
            let body = try block()
            try checkMatch(.kwEnd, .kwDo, startLine)
            return (.block(body), false)
        case .kwFor:
            return (try forStatement(startLine), false)
        case .kwRepeat:
            try next()
            // The condition sees the body's locals: one scope for both.
            openBlock(isLoop: true)
            let body = try chunk()
            try checkMatch(.kwUntil, .kwRepeat, startLine)
            let condition = try expression()
            closeBlock()
            return (.repeatLoop(body, condition), false)
        case .kwFunction:
            return (try functionStatement(startLine), false)
        case .kwLocal:
            try next()
            if try test(.kwFunction) {
                let name = try checkName()
                let variable = try declareLocal(name, pendingIndex: 0)
                activate([variable])
                let body = try functionBody(isMethod: false, line: startLine)
                return (.localFunction(variable, body), false)
            }
            return (try localStatement(), false)
        case .kwReturn:
            try next()
            var values: [Expr] = []
            if !Parser.blockFollows(token) && token != .char(59) {
                values = try expressionList()
            }
            return (.returnValues(values, line: startLine), true)
        case .kwBreak:
            try next()
            guard function.blocks.contains(where: { $0.isLoop }) else {
                throw lexer.syntaxError("no loop to break")
            }
            return (.breakLoop, true)
        default:
            return (try expressionStatement(), false)
        }
    }

    private mutating func ifStatement(_ startLine: Int) throws -> Stat {
        var clauses: [(Expr, [Stat])] = []
        try next()
        var condition = try expression()
        try checkNext(.kwThen)
        clauses.append((condition, try block()))
        while token == .kwElseif {
            try next()
            condition = try expression()
            try checkNext(.kwThen)
            clauses.append((condition, try block()))
        }
        var elseBody: [Stat]? = nil
        if try test(.kwElse) {
            elseBody = try block()
        }
        try checkMatch(.kwEnd, .kwIf, startLine)
        return .ifChain(clauses, elseBody)
    }

    private mutating func forStatement(_ startLine: Int) throws -> Stat {
        try next()
        let firstName = try checkName()
        switch token {
        case .char(61):  // '='
            try next()
            let start = try expression()
            try checkNext(.char(44))
            let limit = try expression()
            var step: Expr? = nil
            if try test(.char(44)) { step = try expression() }
            try checkNext(.kwDo)
            // Lua reserves three hidden control locals before the loop
            // variable; they count toward the 200-locals limit as in Lua.
            openBlock(isLoop: true)
            let placeholders = try (0..<3).map { i in try declareLocal([40], pendingIndex: i) }
            activate(placeholders)
            let variable = try declareLocal(firstName, pendingIndex: 0)
            activate([variable])
            let body = try block()
            closeBlock()
            try checkMatch(.kwEnd, .kwFor, startLine)
            return .numericFor(variable, start, limit, step, body, line: startLine)
        case .char(44), .kwIn:
            var names = [firstName]
            while try test(.char(44)) { names.append(try checkName()) }
            try checkNext(.kwIn)
            let listLine = line
            let iterators = try expressionList()
            try checkNext(.kwDo)
            openBlock(isLoop: true)
            let placeholders = try (0..<3).map { i in try declareLocal([40], pendingIndex: i) }
            activate(placeholders)
            var variables: [LocalVariable] = []
            for (i, name) in names.enumerated() {
                variables.append(try declareLocal(name, pendingIndex: i))
            }
            activate(variables)
            let body = try block()
            closeBlock()
            try checkMatch(.kwEnd, .kwFor, startLine)
            return .genericFor(variables, iterators, body, line: listLine)
        default:
            throw lexer.syntaxError("'=' or 'in' expected")
        }
    }

    private mutating func functionStatement(_ startLine: Int) throws -> Stat {
        try next()
        let firstName = try checkName()
        var target = try variable(named: firstName)
        var isMethod = false
        while token == .char(46) {  // '.'
            try next()
            let key = try checkName()
            target = .index(target, .constant(.string(LuaString(key))), line: line)
        }
        if token == .char(58) {  // ':'
            try next()
            let key = try checkName()
            target = .index(target, .constant(.string(LuaString(key))), line: line)
            isMethod = true
        }
        let body = try functionBody(isMethod: isMethod, line: startLine)
        return .assign([target], [.function(body)], line: startLine)
    }

    private mutating func localStatement() throws -> Stat {
        let startLine = line
        var variables: [LocalVariable] = []
        repeat {
            let name = try checkName()
            variables.append(try declareLocal(name, pendingIndex: variables.count))
        } while try test(.char(44))
        var values: [Expr] = []
        if try test(.char(61)) {
            values = try expressionList()
        }
        activate(variables)
        return .local(variables, values, line: startLine)
    }

    private mutating func expressionStatement() throws -> Stat {
        let startLine = line
        let first = try primaryExpression()
        switch first {
        case .call, .method: return .call(first)  // even if '=' follows: Lua parses it as a call
        default: break
        }
        if token == .char(61) || token == .char(44) {
            var targets = [first]
            guard isAssignable(first) else { throw lexer.syntaxError("syntax error") }
            while try test(.char(44)) {
                let target = try primaryExpression()
                guard isAssignable(target) else { throw lexer.syntaxError("syntax error") }
                targets.append(target)
            }
            try checkNext(.char(61))
            let values = try expressionList()
            return .assign(targets, values, line: startLine)
        }
        switch first {
        case .call, .method: return .call(first)
        default:
            // Lua treats anything else as the start of an assignment.
            guard isAssignable(first) else { throw lexer.syntaxError("syntax error") }
            throw expectedError(.char(61))
        }
    }

    private func isAssignable(_ e: Expr) -> Bool {
        switch e {
        case .local, .upvalue, .global, .index: return true
        default: return false
        }
    }

    // MARK: - Functions

    private mutating func functionBody(isMethod: Bool, line startLine: Int) throws -> FunctionAST {
        let child = FunctionState(parent: function)
        child.ast.lineDefined = startLine
        let saved = function
        function = child
        defer { function = saved }
        child.blocks.append((0, false))
        if isMethod {
            let selfVariable = try declareLocal(Array("self".utf8), pendingIndex: 0)
            activate([selfVariable])
            child.ast.parameters.append(selfVariable)
        }
        try checkNext(.char(40))  // '('
        if token != .char(41) {
            repeat {
                switch token {
                case .name:
                    let name = try checkName()
                    let parameter = try declareLocal(name, pendingIndex: 0)
                    activate([parameter])
                    child.ast.parameters.append(parameter)
                case .dots:
                    try next()
                    child.ast.isVararg = true
                default:
                    throw lexer.syntaxError("<name> or '...' expected")
                }
                if child.ast.isVararg { break }
            } while try test(.char(44))
        }
        if child.ast.isVararg {
            let argVariable = try declareLocal(Array("arg".utf8), pendingIndex: 0)
            activate([argVariable])
            child.ast.argLocal = argVariable
        }
        try checkNext(.char(41))
        child.ast.body = try chunk()
        try checkMatch(.kwEnd, .kwFunction, startLine)
        return child.ast
    }

    // MARK: - Expressions

    private mutating func expressionList() throws -> [Expr] {
        var list = [try expression()]
        while try test(.char(44)) { list.append(try expression()) }
        return list
    }

    mutating func expression() throws -> Expr {
        try subexpression(limit: 0)
    }

    private static func binaryOperator(_ kind: TokenKind) -> (BinaryOperator, left: Int, right: Int)? {
        switch kind {
        case .char(43): return (.add, 6, 6)
        case .char(45): return (.sub, 6, 6)
        case .char(42): return (.mul, 7, 7)
        case .char(47): return (.div, 7, 7)
        case .char(37): return (.mod, 7, 7)
        case .char(94): return (.pow, 10, 9)
        case .concat: return (.concat, 5, 4)
        case .ne: return (.ne, 3, 3)
        case .eq: return (.eq, 3, 3)
        case .char(60): return (.lt, 3, 3)
        case .le: return (.le, 3, 3)
        case .char(62): return (.gt, 3, 3)
        case .ge: return (.ge, 3, 3)
        case .kwAnd: return (.and, 2, 2)
        case .kwOr: return (.or, 1, 1)
        default: return nil
        }
    }

    private static let unaryPriority = 8

    private mutating func subexpression(limit: Int) throws -> Expr {
        try enterLevel()
        defer { leaveLevel() }
        var left: Expr
        let operatorLine = line
        switch token {
        case .kwNot:
            try next()
            left = .unary(.not, try subexpression(limit: Parser.unaryPriority), line: operatorLine)
        case .char(45):
            try next()
            left = .unary(.neg, try subexpression(limit: Parser.unaryPriority), line: operatorLine)
        case .char(35):
            try next()
            left = .unary(.len, try subexpression(limit: Parser.unaryPriority), line: operatorLine)
        default:
            left = try simpleExpression()
        }
        while let (op, leftPriority, rightPriority) = Parser.binaryOperator(token), leftPriority > limit {
            let opLine = line
            try next()
            let right = try subexpression(limit: rightPriority)
            left = .binary(op, left, right, line: opLine)
        }
        return left
    }

    private mutating func simpleExpression() throws -> Expr {
        switch token {
        case .number:
            let value = lexer.current.number
            try next()
            return .constant(.number(value))
        case .string:
            let value = lexer.current.bytes
            try next()
            return .constant(.string(LuaString(value)))
        case .kwNil:
            try next()
            return .constant(.nil)
        case .kwTrue:
            try next()
            return .constant(.boolean(true))
        case .kwFalse:
            try next()
            return .constant(.boolean(false))
        case .dots:
            guard function.ast.isVararg else {
                throw lexer.syntaxError("cannot use '...' outside a vararg function")
            }
            function.ast.usesVarargExpression = true
            let dotsLine = line
            try next()
            return .vararg(line: dotsLine)
        case .char(123):  // '{'
            return try tableConstructor()
        case .kwFunction:
            let startLine = line
            try next()
            return .function(try functionBody(isMethod: false, line: startLine))
        default:
            return try primaryExpression()
        }
    }

    private mutating func prefixExpression() throws -> Expr {
        switch token {
        case .name:
            let name = lexer.current.bytes
            try next()
            return try variable(named: name)
        case .char(40):
            let openLine = line
            try next()
            let inner = try expression()
            try checkMatch(.char(41), .char(40), openLine)
            return .paren(inner)
        default:
            throw lexer.syntaxError("unexpected symbol")
        }
    }

    private mutating func primaryExpression() throws -> Expr {
        var e = try prefixExpression()
        while true {
            switch token {
            case .char(46):  // '.'
                let l = line
                try next()
                let key = try checkName()
                e = .index(e, .constant(.string(LuaString(key))), line: l)
            case .char(91):  // '['
                let l = line
                try next()
                let key = try expression()
                try checkNext(.char(93))
                e = .index(e, key, line: l)
            case .char(58):  // ':'
                let l = line
                try next()
                let name = try checkName()
                let args = try callArguments()
                e = .method(e, LuaString(name), args, line: l)
            case .char(40), .string, .char(123):
                let l = line
                let args = try callArguments()
                e = .call(e, args, line: l)
            default:
                return e
            }
        }
    }

    private mutating func callArguments() throws -> [Expr] {
        switch token {
        case .string:
            let value = lexer.current.bytes
            try next()
            return [.constant(.string(LuaString(value)))]
        case .char(123):
            return [try tableConstructor()]
        case .char(40):
            let openLine = line
            if openLine != lexer.lastLine {
                throw lexer.syntaxError("ambiguous syntax (function call x new statement)")
            }
            try next()
            if token == .char(41) {
                try next()
                return []
            }
            let args = try expressionList()
            try checkMatch(.char(41), .char(40), openLine)
            return args
        default:
            throw lexer.syntaxError("function arguments expected")
        }
    }

    private mutating func tableConstructor() throws -> Expr {
        let openLine = line
        try checkNext(.char(123))
        var positional: [Expr] = []
        var keyed: [TableField] = []
        while token != .char(125) {
            switch token {
            case .name:
                if try lexer.peekToken() == .char(61) {
                    let key = lexer.current.bytes
                    try next()
                    try checkNext(.char(61))
                    let value = try expression()
                    keyed.append(TableField(key: .constant(.string(LuaString(key))), value: value, positionalBefore: positional.count))
                } else {
                    positional.append(try expression())
                }
            case .char(91):
                try next()
                let key = try expression()
                try checkNext(.char(93))
                try checkNext(.char(61))
                let value = try expression()
                keyed.append(TableField(key: key, value: value, positionalBefore: positional.count))
            default:
                positional.append(try expression())
            }
            if try !test(.char(44)) && !test(.char(59)) { break }
        }
        try checkMatch(.char(125), .char(123), openLine)
        return .table(positional: positional, keyed: keyed, line: openLine)
    }
}

/// The syntax tree the parser builds and the compiler turns into executable
/// nodes. Names are already resolved here: every variable reference says
/// whether it is a local (which declaration), an upvalue (which index in the
/// enclosing function's upvalue list) or a global.

/// One local variable declaration. The parser gives it a frame slot (Lua's
/// register numbering: the count of active locals at declaration) and marks
/// it `captured` when an inner function refers to it; captured locals live
/// in boxes so closures share them.
final class LocalVariable {
    let name: [UInt8]
    let slot: Int
    var captured = false
    init(name: [UInt8], slot: Int) {
        self.name = name
        self.slot = slot
    }
    var displayName: String { String(decoding: name, as: UTF8.self) }
}

/// Where a function's upvalue comes from when the closure is created.
enum UpvalueSource {
    /// A captured local of the enclosing function.
    case enclosingLocal(LocalVariable)
    /// An upvalue of the enclosing function (by index).
    case enclosingUpvalue(Int)
}

struct UpvalueDescription {
    let name: [UInt8]
    let source: UpvalueSource
    /// The declaration ultimately captured (for de-duplication).
    let root: LocalVariable
}

enum BinaryOperator {
    case add, sub, mul, div, mod, pow, concat
    case eq, ne, lt, le, gt, ge
    case and, or
}

enum UnaryOperator { case neg, not, len }

indirect enum Expr {
    case constant(LuaValue)
    case vararg(line: Int)
    case function(FunctionAST)
    case local(LocalVariable)
    case upvalue(index: Int, name: [UInt8])
    case global(LuaString, line: Int)
    case index(Expr, Expr, line: Int)
    case call(Expr, [Expr], line: Int)
    case method(Expr, LuaString, [Expr], line: Int)
    case binary(BinaryOperator, Expr, Expr, line: Int)
    case unary(UnaryOperator, Expr, line: Int)
    /// `(e)`: truncates calls and varargs to one value.
    case paren(Expr)
    case table(positional: [Expr], keyed: [TableField], line: Int)

    /// Calls and `...` produce several values when last in a list.
    var isMultiValued: Bool {
        switch self {
        case .call, .method, .vararg: return true
        default: return false
        }
    }
}

/// A constructor item; `order` interleaves keyed and positional items so
/// the compiler can replay Lua's evaluation order.
struct TableField {
    let key: Expr
    let value: Expr
    /// How many positional items precede this field.
    let positionalBefore: Int
}

indirect enum Stat {
    case local([LocalVariable], [Expr], line: Int)
    case localFunction(LocalVariable, FunctionAST)
    case assign([Expr], [Expr], line: Int)
    case call(Expr)
    case block([Stat])
    case whileLoop(Expr, [Stat])
    case repeatLoop([Stat], Expr)
    case ifChain([(Expr, [Stat])], [Stat]?)
    case numericFor(LocalVariable, Expr, Expr, Expr?, [Stat], line: Int)
    case genericFor([LocalVariable], [Expr], [Stat], line: Int)
    case returnValues([Expr], line: Int)
    case breakLoop
}

final class FunctionAST {
    var parameters: [LocalVariable] = []
    var isVararg = false
    /// Lua 5.1's compatibility `arg` table: a vararg function that never
    /// mentions `...` gets a local `arg` holding its extra arguments.
    var argLocal: LocalVariable? = nil
    /// Every local declared in the function (to know whether any is captured).
    var declaredLocals: [LocalVariable] = []
    var usesVarargExpression = false
    var body: [Stat] = []
    var upvalues: [UpvalueDescription] = []
    var slotCount = 0
    var lineDefined = 0
    var isMainChunk = false
}

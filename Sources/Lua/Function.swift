/// The signature of a Swift builtin. Arguments are a view into the value
/// stack (no allocation per call); results are pushed with
/// `arguments.state.push(_:)` (or the `LuaArguments.return` helpers) and
/// their count returned. Throw `LuaError` to raise a Lua error.
public typealias LuaBuiltin = (LuaArguments) throws -> Int

/// A Lua function: a closure over a compiled prototype, or a Swift builtin.
/// One final class for both (rather than a protocol) so calls dispatch on a
/// stored field instead of through an existential.
public final class LuaFunction {
    /// Compiled code of a Lua closure; nil for builtins.
    let proto: FunctionProto?
    /// The closure's captured variables, in the prototype's upvalue order.
    var upvalues: ContiguousArray<LuaBox>
    let builtin: LuaBuiltin?
    /// A builtin's name (diagnostics only; Lua error messages name functions
    /// by how they were called).
    public let name: String
    /// The function environment (`getfenv`/`setfenv`): where its globals live.
    public var environment: LuaTable

    init(proto: FunctionProto, upvalues: ContiguousArray<LuaBox>, environment: LuaTable) {
        self.proto = proto
        self.upvalues = upvalues
        self.builtin = nil
        self.name = "?"
        self.environment = environment
    }

    /// A builtin implemented in Swift.
    public init(name: String, environment: LuaTable, _ body: @escaping LuaBuiltin) {
        self.proto = nil
        self.upvalues = []
        self.builtin = body
        self.name = name
        self.environment = environment
    }

    public var isBuiltin: Bool { builtin != nil }
}

/// A compiled Lua function body and what a call needs to set up its frame.
final class FunctionProto {
    let body: BlockNode
    let parameterCount: Int
    let isVararg: Bool
    /// Slot of the 5.1 compatibility `arg` table, when the function has one.
    let argSlot: Int?
    let argCaptured: Bool
    /// Whether `arg` gets the extra arguments (the body never uses `...`).
    let buildsArgTable: Bool
    /// Frame size in value slots (locals); temporaries live above it.
    let slotCount: Int
    /// Whether any local is captured (then the frame also reserves box slots).
    let hasBoxes: Bool
    /// Parameters that closures capture: they are moved into boxes on entry.
    let capturedParameters: [Int]
    let upvalueSources: [UpvalueSourceSlot]
    let upvalueNames: [String]
    /// The chunk name as Lua shows it in messages (`user_script`,
    /// `[string "..."]`).
    let chunkID: String
    let lineDefined: Int

    init(body: BlockNode, parameterCount: Int, isVararg: Bool, argSlot: Int?, argCaptured: Bool, buildsArgTable: Bool, slotCount: Int,
         hasBoxes: Bool, capturedParameters: [Int], upvalueSources: [UpvalueSourceSlot], upvalueNames: [String],
         chunkID: String, lineDefined: Int) {
        self.body = body
        self.parameterCount = parameterCount
        self.isVararg = isVararg
        self.argSlot = argSlot
        self.argCaptured = argCaptured
        self.buildsArgTable = buildsArgTable
        self.slotCount = slotCount
        self.hasBoxes = hasBoxes
        self.capturedParameters = capturedParameters
        self.upvalueSources = upvalueSources
        self.upvalueNames = upvalueNames
        self.chunkID = chunkID
        self.lineDefined = lineDefined
    }
}

/// Where a new closure takes each upvalue from in the creating frame.
enum UpvalueSourceSlot {
    case box(Int)
    case upvalue(Int)
}

/// A Lua error in flight: any Lua value (usually a message string already
/// prefixed with `chunk:line:`, but tables too, as `error({err=...})`).
public struct LuaError: Error, CustomStringConvertible {
    public let value: LuaValue

    public init(_ value: LuaValue) { self.value = value }
    public init(message: String) { self.value = .string(message) }

    public var description: String {
        switch value {
        case .string(let s): return s.description
        case .number(let n): return String(decoding: LuaNumberFormatter.format(n), as: UTF8.self)
        default: return "(error object is a \(value.typeName) value)"
        }
    }
}

/// How Lua 5.1 shows a chunk name in messages (`luaO_chunkid`).
enum ChunkID {
    /// Lua's LUA_IDSIZE: 60 in upstream Lua 5.1 (and Redis); Debian's
    /// lua5.1 is built with 80.
    static func make(_ name: [UInt8], idSize: Int = 60) -> String {
        if name.first == 61 {  // '=': as given, truncated
            let rest = name.dropFirst().prefix(idSize - 1)
            return String(decoding: rest, as: UTF8.self)
        }
        if name.first == 64 {  // '@': a file name, keeping its end
            var rest = Array(name.dropFirst())
            let limit = idSize - 8
            var prefix = ""
            if rest.count > limit {
                rest = Array(rest.suffix(limit))
                prefix = "..."
            }
            return prefix + String(decoding: rest, as: UTF8.self)
        }
        let cName = name.prefix { $0 != 0 }  // C sees the text up to a zero byte
        let firstLine = cName.prefix { $0 != 10 && $0 != 13 }
        let text = Array(firstLine.prefix(idSize - 17))
        let truncated = text.count < cName.count
        return "[string \"" + String(decoding: text, as: UTF8.self) + (truncated ? "...\"]" : "\"]")
    }
}

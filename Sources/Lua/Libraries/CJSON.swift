#if canImport(Glibc)
import Glibc
#endif

/// The `cjson` library Redis loads: Redis's copy of lua-cjson 2.1.0
/// (Mark Pulford), written again in Swift from its documented behaviour.
///
/// Fields: `cjson.encode(value)`, `cjson.decode(text)`,
/// `cjson.encode_sparse_array([convert [, ratio [, safe]]])`,
/// `cjson.encode_max_depth([depth])`, `cjson.decode_max_depth([depth])`,
/// `cjson.encode_number_precision([1..14])`, `cjson.encode_keep_buffer([bool])`,
/// `cjson.encode_invalid_numbers([bool|"null"])`,
/// `cjson.decode_invalid_numbers([bool])`, `cjson.new()`, `cjson.null`,
/// `cjson._NAME` ("cjson"), `cjson._VERSION` ("2.1.0").
///
/// Behaviour worth knowing (all of it observed on Redis 7.0):
/// - Settings live in the module instance (`cjson.new()` makes another
///   one with defaults) and persist for the life of the Lua state.
/// - `cjson.null` is the light userdata NULL (`LuaValue.cjsonNull`);
///   `decode` returns it for JSON `null`, `encode` writes it as `null`.
/// - A table is a JSON array when every key is a positive integer and it is
///   not "excessively sparse" (largest index > ratio * count and > safe:
///   an error, or an object when `encode_sparse_array(true)`); holes
///   become `null`; an empty table is `{}`. Other tables are objects whose
///   keys appear in `next` order, number keys written with `%.14g`.
/// - Strings are escaped byte by byte: `"` `\` `/` and control bytes
///   (plus DEL as `\u007f`); bytes >= 0x80 go through unchanged.
/// - Numbers are written with C's `%.<precision>g`; decoding uses C
///   `strtod`, so hex, `inf`, `nan` and leading `+` are accepted while
///   `decode_invalid_numbers` is on (the default).
/// - The parser treats the input as a C string: a zero byte ends it.
/// - Nesting is limited by `encode_max_depth`/`decode_max_depth` and also,
///   as in the C code, by Lua's C stack limit (8000 slots), which is what
///   stops deeper structures once the limits are raised.
extension LuaState {
    public func openCJSON() {
        globals.rawSetString(LuaString("cjson"), .table(makeCJSONModule()))
    }

    /// Builds a cjson module table with its own settings (`cjson.new()`),
    /// filled in the order lua-cjson fills it (that order decides `pairs`).
    func makeCJSONModule() -> LuaTable {
        let module = LuaTable()
        let config = CJSONConfig()
        register(module, "encode") { args in
            if args.count != 1 { throw args.argumentError(1, "expected 1 argument") }
            var encoder = CJSONEncoder(config: config, args: args)
            return try args.return(.string(try encoder.encode(args.value(1))))
        }
        register(module, "decode") { args in
            if args.count != 1 { throw args.argumentError(1, "expected 1 argument") }
            let text = try args.checkString(1)
            return try args.return(try CJSONDecoder.decode(text.bytes, config: config, args: args))
        }
        register(module, "encode_sparse_array") { args in
            try CJSONConfig.checkArgumentCount(args, 3)
            try args.state.push(try CJSONConfig.booleanOption(args, 1, &config.sparseConvert))
            try args.state.push(try CJSONConfig.integerOption(args, 2, &config.sparseRatio, 0, Int32.max))
            try args.state.push(try CJSONConfig.integerOption(args, 3, &config.sparseSafe, 0, Int32.max))
            return 3
        }
        register(module, "encode_max_depth") { args in
            try CJSONConfig.checkArgumentCount(args, 1)
            return try args.return(try CJSONConfig.integerOption(args, 1, &config.encodeMaxDepth, 1, Int32.max))
        }
        register(module, "decode_max_depth") { args in
            try CJSONConfig.checkArgumentCount(args, 1)
            return try args.return(try CJSONConfig.integerOption(args, 1, &config.decodeMaxDepth, 1, Int32.max))
        }
        register(module, "encode_number_precision") { args in
            try CJSONConfig.checkArgumentCount(args, 1)
            return try args.return(try CJSONConfig.integerOption(args, 1, &config.precision, 1, 14))
        }
        register(module, "encode_keep_buffer") { args in
            try CJSONConfig.checkArgumentCount(args, 1)
            let result = try CJSONConfig.booleanOption(args, 1, &config.keepBuffer)
            if config.keepBuffer == 0 { config.buffer = [] }  // lua-cjson frees its kept buffer
            return try args.return(result)
        }
        register(module, "encode_invalid_numbers") { args in
            try CJSONConfig.checkArgumentCount(args, 1)
            return try args.return(try CJSONConfig.enumOption(args, 1, &config.encodeInvalidNumbers, CJSONConfig.invalidNumberOptions))
        }
        register(module, "decode_invalid_numbers") { args in
            try CJSONConfig.checkArgumentCount(args, 1)
            return try args.return(try CJSONConfig.booleanOption(args, 1, &config.decodeInvalidNumbers))
        }
        register(module, "new") { args in try args.return(.table(args.state.makeCJSONModule())) }
        module.rawSetString(LuaString("null"), .cjsonNull)
        module.rawSetString(LuaString("_NAME"), .string(LuaString("cjson")))
        module.rawSetString(LuaString("_VERSION"), .string(LuaString("2.1.0")))
        return module
    }
}

extension LuaValue {
    /// `cjson.null`: the light userdata holding a NULL pointer. Redis's
    /// reply converter turns it (like any light userdata) into a null reply.
    public static let cjsonNull = LuaValue.lightUserdata(0)
}

/// One cjson instance's settings (lua-cjson's `json_config_t`).
final class CJSONConfig {
    var sparseConvert: Int32 = 0
    var sparseRatio: Int32 = 2
    var sparseSafe: Int32 = 10
    var encodeMaxDepth: Int32 = 1000
    var decodeMaxDepth: Int32 = 1000
    var encodeInvalidNumbers: Int32 = 0  // 0 off, 1 on, 2 "null"
    var decodeInvalidNumbers: Int32 = 1
    var keepBuffer: Int32 = 1
    var precision: Int32 = 14
    /// The reused output buffer (`encode_keep_buffer`).
    var buffer: [UInt8] = []

    static let booleanOptions = ["off", "on"]
    static let invalidNumberOptions = ["off", "on", "null"]

    /// `json_arg_init`: at most `n` arguments.
    static func checkArgumentCount(_ args: LuaArguments, _ n: Int) throws {
        if args.count > n { throw args.argumentError(n + 1, "found too many arguments") }
    }

    /// `json_integer_option`: the value is cut to a C int, and an out of
    /// range value is reported as argument #1 whichever argument it was
    /// (lua-cjson hard-codes 1).
    static func integerOption(_ args: LuaArguments, _ n: Int, _ setting: inout Int32, _ min: Int32, _ max: Int32) throws -> LuaValue {
        if !args.value(n).isNil {
            let value = Int32(truncatingIfNeeded: try args.checkInteger(n))
            if value < min || value > max {
                throw args.argumentError(1, "expected integer between \(min) and \(max)")
            }
            setting = value
        }
        return .number(Double(setting))
    }

    static func booleanOption(_ args: LuaArguments, _ n: Int, _ setting: inout Int32) throws -> LuaValue {
        try enumOption(args, n, &setting, booleanOptions)
    }

    /// `json_enum_option` with `bool_true` = 1: a boolean sets 0/1, a
    /// string must name an option (`luaL_checkoption`). The answer is a
    /// boolean for 0/1 and the option's name otherwise.
    static func enumOption(_ args: LuaArguments, _ n: Int, _ setting: inout Int32, _ options: [String]) throws -> LuaValue {
        let value = args.value(n)
        if !value.isNil {
            if case .boolean(let b) = value {
                setting = b ? 1 : 0
            } else {
                let name = try args.checkString(n)
                guard let index = options.firstIndex(where: { Array($0.utf8) == name.bytes }) else {
                    throw args.argumentError(n, "invalid option '\(String(decoding: name.bytes.prefix { $0 != 0 }, as: UTF8.self))'")
                }
                setting = Int32(index)
            }
        }
        if setting == 0 || setting == 1 { return .boolean(setting == 1) }
        return .string(LuaString(options[Int(setting)]))
    }
}

/// Lua's LUAI_MAXCSTACK: `lua_checkstack` refuses to grow a C function's
/// stack past this many slots, which bounds cjson's nesting too.
private let luaMaxCStack = 8000

struct CJSONEncoder {
    let config: CJSONConfig
    let args: LuaArguments
    var out: [UInt8]
    /// Slots lua-cjson would have on the Lua stack (for `lua_checkstack`).
    var slots = 1

    init(config: CJSONConfig, args: LuaArguments) {
        self.config = config
        self.args = args
        if config.keepBuffer != 0 {
            out = config.buffer
            config.buffer = []
            out.removeAll(keepingCapacity: true)
        } else {
            out = []
        }
    }

    mutating func encode(_ value: LuaValue) throws -> LuaString {
        defer {
            if config.keepBuffer != 0 { config.buffer = out }
        }
        try append(value, depth: 0)
        return LuaString(out)
    }

    func failure(_ value: LuaValue, _ reason: String) -> LuaError {
        args.error("Cannot serialise \(value.typeName): \(reason)")
    }

    mutating func append(_ value: LuaValue, depth: Int) throws {
        switch value {
        case .string(let s): appendString(s.bytes)
        case .number(let n): try appendNumber(n, value)
        case .boolean(let b): out.append(contentsOf: b ? CJSONEncoder.trueBytes : CJSONEncoder.falseBytes)
        case .nil: out.append(contentsOf: CJSONEncoder.nullBytes)
        case .lightUserdata(let p):
            if p != 0 { throw failure(value, "type not supported") }
            out.append(contentsOf: CJSONEncoder.nullBytes)
        case .function: throw failure(value, "type not supported")
        case .table(let table):
            let depth = depth + 1
            if depth > Int(config.encodeMaxDepth) || slots + 3 > luaMaxCStack
                || args.state.nativeStackAddress() < args.state.nativeStackLimit {
                throw args.error("Cannot serialise, excessive nesting (\(depth))")
            }
            let length = try arrayLength(table)
            if length > 0 {
                try appendArray(table, length, depth: depth)
            } else {
                try appendObject(table, depth: depth)
            }
        }
    }

    /// `lua_array_length`: the array size, or -1 for an object. The
    /// largest index is kept in a C int (x86 conversion: out of range
    /// becomes INT_MIN), as lua-cjson does.
    func arrayLength(_ table: LuaTable) throws -> Int {
        var max: Int32 = 0
        var items: Int32 = 0
        var isArray = true
        table.forEachRawEntry { key, _ in
            if case .number(let k) = key, k != 0, k.rounded(.down) == k, k >= 1 {
                if k > Double(max) { max = k < 2147483648.0 ? Int32(k) : Int32.min }
                items &+= 1
                return true
            }
            isArray = false
            return false
        }
        if !isArray { return -1 }
        if config.sparseRatio > 0 && max > items &* config.sparseRatio && max > config.sparseSafe {
            if config.sparseConvert == 0 { throw failure(.table(table), "excessively sparse array") }
            return -1
        }
        return Int(max)
    }

    mutating func appendArray(_ table: LuaTable, _ length: Int, depth: Int) throws {
        out.append(91)  // [
        slots += 1
        for i in 1...length {
            if i > 1 { out.append(44) }
            try append(table.get(number: Double(i)), depth: depth)
        }
        slots -= 1
        out.append(93)  // ]
    }

    mutating func appendObject(_ table: LuaTable, depth: Int) throws {
        out.append(123)  // {
        slots += 2
        var first = true
        var failure: LuaError? = nil
        // The table cannot change while we encode (no Lua code runs), so a
        // raw walk over its slots is safe.
        var index = 0
        while let (key, value) = table.rawEntry(from: &index) {
            if first { first = false } else { out.append(44) }
            switch key {
            case .number(let n):
                out.append(34)
                try appendNumber(n, key)
                out.append(34)
                out.append(58)
            case .string(let s):
                appendString(s.bytes)
                out.append(58)
            default:
                failure = self.failure(key, "table key must be a number or string")
            }
            if let failure { throw failure }
            try append(value, depth: depth)
        }
        slots -= 2
        out.append(125)  // }
    }

    mutating func appendNumber(_ n: Double, _ value: LuaValue) throws {
        switch config.encodeInvalidNumbers {
        case 0:
            if !n.isFinite { throw failure(value, "must not be NaN or Inf") }
        case 1:
            // lua-cjson writes "nan" itself (printf would give "-nan").
            if n.isNaN { out.append(contentsOf: CJSONEncoder.nanBytes); return }
        default:
            if !n.isFinite { out.append(contentsOf: CJSONEncoder.nullBytes); return }
        }
        if config.precision == 14 {
            out.append(contentsOf: LuaNumberFormatter.format(n))
        } else {
            out.append(contentsOf: CFormat.format(CJSONEncoder.formats[Int(config.precision)], n))
        }
    }

    mutating func appendString(_ bytes: [UInt8]) {
        out.reserveCapacity(out.count + bytes.count + 2)
        out.append(34)
        for b in bytes {
            if b >= 0x80 || CJSONEncoder.plain[Int(b)] {
                out.append(b)
            } else {
                out.append(contentsOf: CJSONEncoder.escapes[Int(b)])
            }
        }
        out.append(34)
    }

    static let trueBytes: [UInt8] = Array("true".utf8)
    static let falseBytes: [UInt8] = Array("false".utf8)
    static let nullBytes: [UInt8] = Array("null".utf8)
    static let nanBytes: [UInt8] = Array("nan".utf8)
    static let formats: [String] = (0...14).map { "%.\($0)g" }

    /// lua-cjson's escape table for the bytes below 0x80.
    static let escapes: [[UInt8]] = (0..<128).map { (b: Int) -> [UInt8] in
        switch b {
        case 8: return Array("\\b".utf8)
        case 9: return Array("\\t".utf8)
        case 10: return Array("\\n".utf8)
        case 12: return Array("\\f".utf8)
        case 13: return Array("\\r".utf8)
        case 34: return Array("\\\"".utf8)
        case 47: return Array("\\/".utf8)
        case 92: return Array("\\\\".utf8)
        case 0..<32, 127:
            let hex = Array("0123456789abcdef".utf8)
            return Array("\\u00".utf8) + [hex[b >> 4], hex[b & 15]]
        default: return [UInt8(b)]
        }
    }
    static let plain: [Bool] = (0..<128).map { b in escapes[b].count == 1 }
}

extension LuaTable {
    /// The live entry at or after slot `index` in `next` order (array part,
    /// then hash nodes), advancing `index` past it. For host libraries that
    /// walk a table no Lua code can modify meanwhile.
    func rawEntry(from index: inout Int) -> (LuaValue, LuaValue)? {
        while index < array.count {
            let i = index
            index += 1
            if !array[i].isNil { return (.number(Double(i + 1)), array[i]) }
        }
        while index - array.count < nodes.count {
            let n = index - array.count
            index += 1
            if !nodes[n].value.isNil { return (nodes[n].key, nodes[n].value) }
        }
        return nil
    }

    /// Calls `body` for each live entry in `next` order until it returns false.
    func forEachRawEntry(_ body: (LuaValue, LuaValue) -> Bool) {
        var index = 0
        while let (key, value) = rawEntry(from: &index) {
            if !body(key, value) { return }
        }
    }
}

/// lua-cjson's decoder: a tokenizer over a zero-terminated copy of the
/// input and a recursive descent parser, with its error texts
/// (`Expected <what> but found <token> at character <n>`).
struct CJSONDecoder {
    enum TokenType: Int {
        case objectBegin, objectEnd, arrayBegin, arrayEnd, string, number, boolean, null, colon, comma, end, whitespace, error, unknown
        var name: String {
            ["T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING", "T_NUMBER", "T_BOOLEAN",
             "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR", "T_UNKNOWN"][rawValue]
        }
    }

    struct Token {
        var type: TokenType = .end
        var index = 0
        var number = 0.0
        var boolean = false
        var string: LuaString? = nil
        var errorText = ""
    }

    /// lua-cjson's `ch2token` table.
    static let charTokens: [TokenType] = (0..<256).map { (c: Int) -> TokenType in
        switch UInt8(c) {
        case UInt8(ascii: "{"): return .objectBegin
        case UInt8(ascii: "}"): return .objectEnd
        case UInt8(ascii: "["): return .arrayBegin
        case UInt8(ascii: "]"): return .arrayEnd
        case UInt8(ascii: ","): return .comma
        case UInt8(ascii: ":"): return .colon
        case 0: return .end
        case 32, 9, 10, 13: return .whitespace
        case UInt8(ascii: "f"), UInt8(ascii: "i"), UInt8(ascii: "I"), UInt8(ascii: "n"), UInt8(ascii: "N"),
             UInt8(ascii: "t"), UInt8(ascii: "\""), UInt8(ascii: "+"), UInt8(ascii: "-"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .unknown
        default: return .error
        }
    }

    let data: UnsafePointer<UInt8>
    var position = 0
    let config: CJSONConfig
    let args: LuaArguments
    var depth = 0
    /// Slots lua-cjson would have on the Lua stack (the input string).
    var slots = 1
    var scratch: [UInt8] = []

    static func decode(_ input: [UInt8], config: CJSONConfig, args: LuaArguments) throws -> LuaValue {
        if input.count >= 2 && (input[0] == 0 || input[1] == 0) {
            throw args.error("JSON parser does not support UTF-16 or UTF-32")
        }
        var text = input
        text.append(0)
        return try text.withUnsafeBufferPointer { buffer -> LuaValue in
            var decoder = CJSONDecoder(data: buffer.baseAddress!, config: config, args: args)
            decoder.scratch.reserveCapacity(input.count)
            var token = Token()
            decoder.nextToken(&token)
            let value = try decoder.value(&token)
            decoder.nextToken(&token)
            if token.type != .end { throw decoder.parseError("the end", token) }
            return value
        }
    }

    @inline(__always) func byte(_ offset: Int) -> UInt8 { data[position + offset] }

    func parseError(_ expected: String, _ token: Token) -> LuaError {
        let found = token.type == .error ? token.errorText : token.type.name
        return args.error("Expected \(expected) but found \(found) at character \(token.index + 1)")
    }

    mutating func setError(_ token: inout Token, _ text: String) {
        token.type = .error
        token.index = position
        token.errorText = text
    }

    /// True when the bytes at the position start with `word`.
    func matches(_ word: StaticString) -> Bool {
        let w = word.utf8Start
        for i in 0..<word.utf8CodeUnitCount where data[position + i] != w[i] { return false }
        return true
    }

    /// `strncasecmp(p, word, 3) == 0` for a lower-case three-letter word.
    func matchesIgnoringCase(at offset: Int, _ word: StaticString) -> Bool {
        let w = word.utf8Start
        for i in 0..<3 {
            let c = data[offset + i]
            let lower = c >= 65 && c <= 90 ? c | 0x20 : c
            if lower != w[i] { return false }
        }
        return true
    }

    /// `json_is_invalid_number`: spellings strtod accepts but JSON does not
    /// (leading `+`, hex, leading zeros, inf, nan).
    func isInvalidNumber() -> Bool {
        var p = position
        if data[p] == UInt8(ascii: "+") { return true }
        if data[p] == UInt8(ascii: "-") { p += 1 }
        if data[p] == UInt8(ascii: "0") {
            let c2 = data[p + 1]
            return c2 | 0x20 == UInt8(ascii: "x") || (c2 >= 48 && c2 <= 57)
        }
        // C compares a signed char here: bytes >= 0x80 count as "ordinary".
        if data[p] <= UInt8(ascii: "9") || data[p] >= 0x80 { return false }
        return matchesIgnoringCase(at: p, "inf") || matchesIgnoringCase(at: p, "nan")
    }

    mutating func numberToken(_ token: inout Token) {
        token.type = .number
        var end: UnsafeMutablePointer<CChar>? = nil
        let start = UnsafeRawPointer(data + position).assumingMemoryBound(to: CChar.self)
        token.number = strtod(start, &end)
        let consumed = end.map { UnsafeRawPointer($0) - UnsafeRawPointer(start) } ?? 0
        if consumed == 0 {
            setError(&token, "invalid number")
        } else {
            position += consumed
        }
    }

    mutating func nextToken(_ token: inout Token) {
        var c: UInt8
        while true {
            c = data[position]
            token.type = CJSONDecoder.charTokens[Int(c)]
            if token.type != .whitespace { break }
            position += 1
        }
        token.index = position
        switch token.type {
        case .error:
            setError(&token, "invalid token")
            return
        case .end:
            return
        case .unknown:
            break
        default:
            position += 1
            return
        }
        if c == UInt8(ascii: "\"") {
            stringToken(&token)
        } else if c == UInt8(ascii: "-") || (c >= 48 && c <= 57) {
            if config.decodeInvalidNumbers == 0 && isInvalidNumber() {
                setError(&token, "invalid number")
                return
            }
            numberToken(&token)
        } else if matches("true") {
            token.type = .boolean
            token.boolean = true
            position += 4
        } else if matches("false") {
            token.type = .boolean
            token.boolean = false
            position += 5
        } else if matches("null") {
            token.type = .null
            position += 4
        } else if config.decodeInvalidNumbers != 0 && isInvalidNumber() {
            numberToken(&token)
        } else {
            setError(&token, "invalid token")
        }
    }

    static func hexValue(_ c: UInt8) -> Int {
        if c >= 48 && c <= 57 { return Int(c) - 48 }
        let lower = c | 0x20
        if lower >= 97 && lower <= 102 { return Int(lower) - 87 }
        return -1
    }

    /// Four hex digits at `offset`, or -1 (stops at the first bad one, so
    /// it never reads past the terminating zero).
    func hex4(_ offset: Int) -> Int {
        var value = 0
        for i in 0..<4 {
            let d = CJSONDecoder.hexValue(data[offset + i])
            if d < 0 { return -1 }
            value = value << 4 | d
        }
        return value
    }

    /// `\uXXXX` (with a following low surrogate for a high one) appended
    /// as UTF-8; false when malformed.
    mutating func unicodeEscape() -> Bool {
        var codepoint = hex4(position + 2)
        if codepoint < 0 { return false }
        var length = 6
        if codepoint & 0xF800 == 0xD800 {
            if codepoint & 0x400 != 0 { return false }
            if data[position + 6] != UInt8(ascii: "\\") || data[position + 7] != UInt8(ascii: "u") { return false }
            let low = hex4(position + 8)
            if low < 0 || low & 0xFC00 != 0xDC00 { return false }
            codepoint = (((codepoint & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000
            length = 12
        }
        if codepoint <= 0x7F {
            scratch.append(UInt8(codepoint))
        } else if codepoint <= 0x7FF {
            scratch.append(UInt8(codepoint >> 6 | 0xC0))
            scratch.append(UInt8(codepoint & 0x3F | 0x80))
        } else if codepoint <= 0xFFFF {
            scratch.append(UInt8(codepoint >> 12 | 0xE0))
            scratch.append(UInt8(codepoint >> 6 & 0x3F | 0x80))
            scratch.append(UInt8(codepoint & 0x3F | 0x80))
        } else {
            scratch.append(UInt8(codepoint >> 18 | 0xF0))
            scratch.append(UInt8(codepoint >> 12 & 0x3F | 0x80))
            scratch.append(UInt8(codepoint >> 6 & 0x3F | 0x80))
            scratch.append(UInt8(codepoint & 0x3F | 0x80))
        }
        position += length
        return true
    }

    mutating func stringToken(_ token: inout Token) {
        position += 1
        scratch.removeAll(keepingCapacity: true)
        while true {
            var c = data[position]
            if c == UInt8(ascii: "\"") { break }
            if c == 0 {
                setError(&token, "unexpected end of string")
                return
            }
            if c == UInt8(ascii: "\\") {
                switch data[position + 1] {
                case UInt8(ascii: "\""): c = UInt8(ascii: "\"")
                case UInt8(ascii: "\\"): c = UInt8(ascii: "\\")
                case UInt8(ascii: "/"): c = UInt8(ascii: "/")
                case UInt8(ascii: "b"): c = 8
                case UInt8(ascii: "t"): c = 9
                case UInt8(ascii: "n"): c = 10
                case UInt8(ascii: "f"): c = 12
                case UInt8(ascii: "r"): c = 13
                case UInt8(ascii: "u"):
                    if unicodeEscape() { continue }
                    setError(&token, "invalid unicode escape code")
                    return
                default:
                    setError(&token, "invalid escape code")
                    return
                }
                position += 1
            }
            scratch.append(c)
            position += 1
        }
        position += 1
        token.type = .string
        token.string = LuaString(scratch)
    }

    /// `json_decode_descend`: depth and Lua stack checks before a nested
    /// array or object. The position reported is just after the bracket.
    mutating func descend(_ needed: Int) throws {
        depth += 1
        if depth <= Int(config.decodeMaxDepth) && slots + needed <= luaMaxCStack
            && args.state.nativeStackAddress() >= args.state.nativeStackLimit {
            return
        }
        throw args.error("Found too many nested data structures (\(depth)) at character \(position)")
    }

    mutating func value(_ token: inout Token) throws -> LuaValue {
        switch token.type {
        case .string: return .string(token.string ?? LuaString([UInt8]()))
        case .number: return .number(token.number)
        case .boolean: return .boolean(token.boolean)
        case .null: return .cjsonNull
        case .objectBegin: return try object()
        case .arrayBegin: return try array()
        default: throw parseError("value", token)
        }
    }

    mutating func object() throws -> LuaValue {
        try descend(3)
        let table = LuaTable()
        slots += 2  // the table and a key
        var token = Token()
        nextToken(&token)
        if token.type == .objectEnd {
            depth -= 1
            slots -= 2
            return .table(table)
        }
        while true {
            guard token.type == .string, let key = token.string else { throw parseError("object key string", token) }
            nextToken(&token)
            if token.type != .colon { throw parseError("colon", token) }
            nextToken(&token)
            let element = try value(&token)
            try table.rawSet(.string(key), element)
            nextToken(&token)
            if token.type == .objectEnd {
                depth -= 1
                slots -= 2
                return .table(table)
            }
            if token.type != .comma { throw parseError("comma or object end", token) }
            nextToken(&token)
        }
    }

    mutating func array() throws -> LuaValue {
        try descend(2)
        let table = LuaTable()
        slots += 1  // the table
        var token = Token()
        nextToken(&token)
        if token.type == .arrayEnd {
            depth -= 1
            slots -= 1
            return .table(table)
        }
        var i = 1
        while true {
            let element = try value(&token)
            try table.rawSet(.number(Double(i)), element)
            i += 1
            nextToken(&token)
            if token.type == .arrayEnd {
                depth -= 1
                slots -= 1
                return .table(table)
            }
            if token.type != .comma { throw parseError("comma or array end", token) }
            nextToken(&token)
        }
    }
}

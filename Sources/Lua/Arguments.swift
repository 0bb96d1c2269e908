/// Argument checking for builtins, with Lua 5.1's auxiliary-library
/// messages (`bad argument #n to 'name' (number expected, got nil)`).
/// Argument numbers here are 1-based, as in Lua's C API.
extension LuaArguments {
    /// Argument `n` (1-based); nil when absent.
    @inline(__always) public func value(_ n: Int) -> LuaValue { self[n - 1] }

    /// Whether argument `n` is absent or nil.
    @inline(__always) public func isNoneOrNil(_ n: Int) -> Bool { value(n).isNil }

    /// How the running builtin was called, for messages: the name and
    /// whether it was called as a method (`s:rep()`), or nil ("?").
    func calledName() -> VariableName? {
        // Names are known only when a Lua function made the call.
        guard state.depth >= 2, let caller = state.callInfos[state.depth - 1].function, caller.proto != nil else { return nil }
        return state.callInfos[state.depth].site?.calleeName()
    }

    /// `luaL_error`: message prefixed with the calling Lua line.
    public func error(_ message: String) -> LuaError {
        let prefix = state.position(level: 1)
        return LuaError(message: prefix.isEmpty ? message : "\(prefix) \(message)")
    }

    /// `luaL_argerror`.
    public func argumentError(_ n: Int, _ message: String) -> LuaError {
        var index = n
        let name = calledName()
        if let name, name.kind == "method" {
            index -= 1
            if index == 0 {
                return error("calling '\(name.name)' on bad self (\(message))")
            }
        }
        return error("bad argument #\(index) to '\(name?.name ?? "?")' (\(message))")
    }

    func typeName(_ n: Int) -> String { n > count ? "no value" : value(n).typeName }

    /// `luaL_typerror`.
    public func typeError(_ n: Int, expected: String) -> LuaError {
        argumentError(n, "\(expected) expected, got \(typeName(n))")
    }

    public func checkAny(_ n: Int) throws {
        if n > count { throw argumentError(n, "value expected") }
    }

    public func checkNumber(_ n: Int) throws -> Double {
        if let d = value(n).coercedNumber { return d }
        throw typeError(n, expected: "number")
    }

    public func optionalNumber(_ n: Int, default fallback: Double) throws -> Double {
        isNoneOrNil(n) ? fallback : try checkNumber(n)
    }

    /// `luaL_checkinteger`: the number truncated toward zero (out-of-range
    /// values become Int.min, as the C conversion does on x86-64).
    public func checkInteger(_ n: Int) throws -> Int {
        LuaArguments.truncate(try checkNumber(n))
    }

    public func optionalInteger(_ n: Int, default fallback: Int) throws -> Int {
        isNoneOrNil(n) ? fallback : try checkInteger(n)
    }

    /// `luaL_checkint`: the integer cut to C `int`.
    public func checkInt32(_ n: Int) throws -> Int {
        Int(Int32(truncatingIfNeeded: try checkInteger(n)))
    }

    static func truncate(_ d: Double) -> Int {
        if d.isNaN || d >= 9.2233720368547758e18 || d < -9.2233720368547758e18 { return Int.min }
        return Int(d)
    }

    /// `luaL_checklstring`: strings, and numbers converted to strings.
    public func checkString(_ n: Int) throws -> LuaString {
        switch value(n) {
        case .string(let s): return s
        case .number(let d): return LuaString(LuaNumberFormatter.format(d))
        default: throw typeError(n, expected: "string")
        }
    }

    public func optionalString(_ n: Int, default fallback: LuaString) throws -> LuaString {
        isNoneOrNil(n) ? fallback : try checkString(n)
    }

    public func checkTable(_ n: Int) throws -> LuaTable {
        if case .table(let t) = value(n) { return t }
        throw typeError(n, expected: "table")
    }

    /// `luaL_checktype(L, n, LUA_TFUNCTION)`.
    public func checkFunction(_ n: Int) throws -> LuaValue {
        if case .function = value(n) { return value(n) }
        throw typeError(n, expected: "function")
    }

    /// A table about to be modified by a library function: read-only
    /// tables refuse, as Redis's Lua does.
    func checkWritableTable(_ n: Int) throws -> LuaTable {
        let table = try checkTable(n)
        if table.isReadOnly { throw LuaError(message: "Attempt to modify a readonly table") }
        return table
    }
}

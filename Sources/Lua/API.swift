/// The host API: what Swift code (the Redis scripting layer) uses to load
/// and run Lua code, exchange values and install builtins.
extension LuaState {
    /// Compiles `source` into a function whose environment is the globals.
    /// - Parameter chunkName: Lua's chunk name: `@user_script` shows as
    ///   `user_script` in messages, `=name` as `name`, anything else as
    ///   `[string "..."]` (as `loadstring` does).
    /// - Throws: `LuaSyntaxError` carrying Lua's message.
    public func load(_ source: [UInt8], chunkName: [UInt8]) throws -> LuaFunction {
        let chunkID = ChunkID.make(chunkName, idSize: chunkNameLimit)
        let ast = try Parser.parseChunk(source, chunkName: chunkID)
        let proto = Compiler(chunkID: chunkID).compileFunction(ast)
        return LuaFunction(proto: proto, upvalues: [], environment: globals)
    }

    public func load(_ source: String, chunkName: String) throws -> LuaFunction {
        try load(Array(source.utf8), chunkName: Array(chunkName.utf8))
    }

    /// Calls `function` with `arguments` and returns all its results.
    /// Errors come back as `LuaError` (any Lua value); errors thrown by the
    /// hook that are not `LuaError` are rethrown unchanged. The state is
    /// consistent afterwards either way.
    public func call(_ function: LuaValue, _ arguments: [LuaValue] = []) throws -> [LuaValue] {
        let savedDepth = depth, savedTop = top, savedBoxTop = boxTop, savedReentry = reentryDepth
        if depth == 0 { computeNativeStackLimit() }
        do {
            // The host's call counts as one nested C call, as lua_pcall does.
            try enterReentry()
            let base = top
            try push(function)
            for argument in arguments { try push(argument) }
            let count = try call(base, arguments.count, site: nil)
            var results: [LuaValue] = []
            results.reserveCapacity(count)
            for i in 0..<count { results.append(stack[base + i]) }
            top = savedTop
            reentryDepth = savedReentry
            return results
        } catch {
            lastErrorLine = innermostLine()
            depth = savedDepth
            top = savedTop
            boxTop = savedBoxTop
            reentryDepth = savedReentry
            throw error
        }
    }

    /// Loads and runs a chunk (convenience for tests and tools).
    @discardableResult
    public func run(_ source: String, chunkName: String = "=chunk") throws -> [LuaValue] {
        let function = try load(Array(source.utf8), chunkName: Array(chunkName.utf8))
        return try call(.function(function))
    }

    /// Reads a global (raw, no metamethods).
    public func global(_ name: String) -> LuaValue {
        globals.get(string: LuaString(name))
    }

    /// Writes a global (raw: ignores metamethods and the read-only flag).
    public func setGlobal(_ name: String, _ value: LuaValue) {
        globals.rawSetString(LuaString(name), value)
    }

    /// `setGlobal` with a name made once (a script's KEYS and ARGV are set
    /// for every EVAL).
    public func setGlobal(_ name: LuaString, _ value: LuaValue) {
        globals.rawSetString(name, value)
    }

    /// Creates a builtin function (not registered anywhere).
    public func makeFunction(_ name: String, _ body: @escaping LuaBuiltin) -> LuaFunction {
        LuaFunction(name: name, environment: globals, body)
    }

    /// Registers `body` as `table[name]`.
    @discardableResult
    public func registerFunction(_ name: String, in table: LuaTable, _ body: @escaping LuaBuiltin) -> LuaFunction {
        register(table, name, body)
    }

    /// Registers a builtin that takes and returns arrays (simpler, but
    /// allocates per call).
    @discardableResult
    public func registerSimpleFunction(_ name: String, in table: LuaTable, _ body: @escaping ([LuaValue]) throws -> [LuaValue]) -> LuaFunction {
        register(table, name) { args in try args.return(body(args.all)) }
    }

    /// Builds a Lua string value from bytes.
    public func string(_ bytes: [UInt8]) -> LuaValue { .string(LuaString(bytes)) }

    /// Lua's `tostring` of a value (honours `__tostring`).
    public func toString(_ value: LuaValue) throws -> LuaString { try toStringValue(value) }

    /// The standard libraries.
    func openLibraries() {
        openBaseLibrary()
        openStringLibrary()
        openTableLibrary()
        openMathLibrary()
        openOSLibrary()
    }
}

import Lua

/// The Lua VM functions live in, apart from EVAL's as in Redis. Its
/// runtime globals are EVAL's (the same libraries, `redis` table and
/// protections) without KEYS and ARGV. Every library's code runs in one
/// environment table, `environment`: empty and read-only, its reads going
/// through its metatable's `__index` to the runtime globals, except while
/// FUNCTION LOAD runs a library's code, when they go to the load-time API:
/// `redis.register_function`, `redis.log` and the version and log-level
/// constants, nothing else. The functions a library creates keep that
/// environment, so when they run later they see the runtime globals.
final class FunctionsVM {
    let state: LuaState
    let environment = LuaTable()
    private let environmentMetatable = LuaTable()
    private let loadGlobals = LuaTable()

    init(engine: ScriptEngine, server: ServerContext) {
        state = ScriptEnvironment.make(engine: engine, server: server)
        state.setGlobal("__redis__err__handler", .nil)
        // Reading anything the load-time API lacks names the field read.
        let guardTable = LuaTable()
        state.registerFunction("__index", in: guardTable) { args in
            let name = args.count > 1 ? (args[1].coercedString?.description ?? "?") : "?"
            throw args.error("Script attempted to access nonexistent global variable '\(name)'")
        }
        guardTable.isReadOnly = true
        let loadRedis = LuaTable()
        if case .table(let redis) = state.global("redis") {
            // EVAL's debugger and replication helpers are not there for functions.
            redis.isReadOnly = false
            for name in ["breakpoint", "debug", "replicate_commands"] { try? redis.rawSet(.string(LuaString(name)), .nil) }
            redis.isReadOnly = true
            for name in ["log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"] {
                try? loadRedis.rawSet(.string(LuaString(name)), redis.get(string: LuaString(name)))
            }
        }
        FunctionLoader.installRegisterFunction(into: loadRedis, state: state, engine: engine)
        loadRedis.metatable = guardTable
        loadRedis.isReadOnly = true
        try? loadGlobals.rawSet(.string("redis"), .table(loadRedis))
        loadGlobals.metatable = guardTable
        loadGlobals.isReadOnly = true
        environment.metatable = environmentMetatable
        environment.isReadOnly = true
        useRuntimeGlobals()
    }

    /// Library code about to run: globals are the load-time API.
    func useLoadGlobals() { try? environmentMetatable.rawSet(.string("__index"), .table(loadGlobals)) }

    /// Functions about to run (the default): globals are the runtime ones.
    func useRuntimeGlobals() { try? environmentMetatable.rawSet(.string("__index"), .table(state.globals)) }
}

import Lua
import RESP
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// The globals an EVAL script sees, as in Redis 7.0 (the Debian build with
/// its security fixes): the base, string, table and math libraries without
/// `print`, `dofile`, `loadfile`, `getfenv`, `setfenv` and `os`; Redis's
/// cjson, struct, cmsgpack and bit; the `redis` table; Redis's `math.random`; every table reachable from `_G` read-only,
/// and reading an undefined global an error.
enum ScriptEnvironment {
    static func make(engine: ScriptEngine, server: ServerContext) -> LuaState {
        let state = LuaState(stackSlots: 1 << 18)
        state.openRedisLibraries()  // cjson, struct, cmsgpack, bit
        for name in ["print", "dofile", "loadfile", "getfenv", "setfenv", "newproxy", "os", "require", "module"] {
            state.setGlobal(name, .nil)
        }
        installRedisBaseFunctions(state)
        state.hook = { [unowned engine, unowned server] in try engine.hook(server) }
        state.random = { [unowned engine] in engine.nextRandom() }
        state.randomSeed = { [unowned engine] seed in engine.seedRandom(seed) }
        let redis = LuaTable()
        state.setGlobal("redis", .table(redis))
        ScriptCalls.install(into: redis, state: state, engine: engine, server: server)
        // Reading an undefined global is an error (Redis's _G metatable).
        let guardTable = LuaTable()
        state.registerFunction("__index", in: guardTable) { args in
            let name = args.count > 1 ? (args[1].coercedString?.description ?? "?") : "?"
            throw args.error("Script attempted to access nonexistent global variable '\(name)'")
        }
        state.globals.metatable = guardTable
        protect(state.globals, seen: [])
        guardTable.isReadOnly = true
        state.stringMetatable?.isReadOnly = true
        return state
    }

    /// Redis's replacements in the base and string libraries: `pcall`
    /// that hands back an error table's `err` text (and, called with
    /// nothing, reports calling the boolean it pushes first), the error
    /// handler Redis exposes, `string.gfind`, and a `string.dump` whose
    /// result `loadstring` refuses, as Redis refuses binary chunks.
    static func installRedisBaseFunctions(_ state: LuaState) {
        let originalPcall = state.global("pcall")
        state.registerFunction("pcall", in: state.globals) { args in
            if args.count == 0 { return try args.return([.boolean(false), .string("attempt to call a boolean value")]) }
            var results = try args.state.call(originalPcall, args.all)
            if case .boolean(false) = results.first, results.count > 1, case .table(let t) = results[1],
               case .string(let text) = t.get(string: LuaString("err")) {
                results[1] = .string(text)
            }
            return try args.return(results)
        }
        state.registerFunction("__redis__err__handler", in: state.globals) { args in
            let t = LuaTable()
            var err: LuaValue = .string("ERR " + ((try? args.state.toString(args.count > 0 ? args[0] : .nil))?.description ?? "nil"))
            if args.count > 0, case .table(let given) = args[0] { err = given.get(string: LuaString("err")) }
            try t.rawSet(.string("err"), err)
            try t.rawSet(.string("source"), .string("@user_script"))
            try t.rawSet(.string("line"), .number(Double(args.state.currentLine(level: 1) ?? 1)))
            return try args.return(.table(t))
        }
        if case .table(let string) = state.global("string") {
            try? string.rawSet(.string("gfind"), string.get(string: LuaString("gmatch")))
            state.registerFunction("dump", in: string) { args in
                _ = try args.checkFunction(1)
                return try args.return(.bytes([0x1B, 0x4C, 0x75, 0x61, 0x51, 0x00, 0x01, 0x04, 0x08, 0x04, 0x08, 0x00]))
            }
        }
    }

    /// Marks `table` and every table reachable from it read-only.
    static func protect(_ table: LuaTable, seen: Set<ObjectIdentifier>) {
        var seen = seen
        var pending = [table]
        while let t = pending.popLast() {
            guard seen.insert(ObjectIdentifier(t)).inserted else { continue }
            t.isReadOnly = true
            if let m = t.metatable { pending.append(m) }
            for (_, value) in t.entries { if case .table(let inner) = value { pending.append(inner) } }
        }
    }
}

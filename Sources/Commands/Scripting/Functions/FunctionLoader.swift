import CSystem
import Lua

/// FUNCTION LOAD's work: the library's metadata line, its code compiled
/// and run once in the load-time environment (`FunctionsVM`), where
/// `redis.register_function` collects its functions, then the library
/// checked against the others and added. Redis's checks, in Redis's order.
enum FunctionLoader {
    /// How long a library's code may run while loading (Redis's LOAD_TIMEOUT_MS).
    static let timeoutMs: Int64 = 500

    static let invalidName = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

    /// The `#!<engine> name=<library>` line: the library's name, and where
    /// the Lua code starts (at the line's newline, so lines keep their numbers).
    static func metadata(_ code: [UInt8]) -> Result<(name: [UInt8], codeStart: Int), LoadError> {
        guard code.starts(with: [35, 33]) else { return .failure(LoadError("ERR Missing library metadata")) }  // "#!"
        guard let newline = code.firstIndex(of: 10),
              let parts = Shebang.split(Array(code[..<newline])), !parts.isEmpty else {
            return .failure(LoadError("ERR Invalid library metadata"))
        }
        let engine = parts[0].dropFirst(2)
        var name: [UInt8]?
        for part in parts.dropFirst() {
            if part.prefix(5).withUnsafeBytes({ $0.equalsIgnoringCase("name=") }) {
                if name != nil { return .failure(LoadError("ERR Invalid metadata value, name argument was given multiple times")) }
                name = Array(part.dropFirst(5))
                continue
            }
            return .failure(LoadError("ERR Invalid metadata value given: " + String(decoding: part, as: UTF8.self)))
        }
        guard let name else { return .failure(LoadError("ERR Library name was not given")) }
        guard isValidName(name) else { return .failure(LoadError("ERR " + invalidName)) }
        guard engine.withUnsafeBytes({ $0.equalsIgnoringCase("lua") }) else {
            return .failure(LoadError("ERR Engine '\(String(decoding: engine, as: UTF8.self))' not found"))
        }
        return .success((name, newline))
    }

    /// Library and function names: letters, digits and underscores, at least one.
    static func isValidName(_ name: [UInt8]) -> Bool {
        !name.isEmpty && name.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 }
    }

    struct LoadError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// Creates the library `code` describes, checked against `libraries`
    /// (a library of the same name is an error unless `replace`). Nothing
    /// changes; the caller adds it. Holding the engine's lock.
    static func create(_ code: [UInt8], replace: Bool, libraries: FunctionLibraries, engine: ScriptEngine,
                       server: ServerContext, timeLimited: Bool = true) -> Result<FunctionLibrary, LoadError> {
        let (name, codeStart): ([UInt8], Int)
        switch metadata(code) {
        case .failure(let error): return .failure(error)
        case .success(let parsed): (name, codeStart) = parsed
        }
        let existing = libraries.library(named: name)
        if existing != nil && !replace {
            return .failure(LoadError("ERR Library '\(String(decoding: name, as: UTF8.self))' already exists"))
        }
        let vm = engine.functionsMachine(server)
        let chunk: LuaFunction
        do {
            chunk = try vm.state.load(Array(code[codeStart...]), chunkName: Array("@user_function".utf8))
        } catch let e as LuaSyntaxError {
            return .failure(LoadError("ERR Error compiling function: \(e.message)"))
        } catch {
            return .failure(LoadError("ERR Error compiling function: \(error)"))
        }
        chunk.environment = vm.environment
        let library = FunctionLibrary(name: name, code: code)
        engine.loading = library
        // A monotonic clock: a wall clock stepped meanwhile must not cut it short.
        engine.loadDeadlineMs = timeLimited ? cs_monotonic_us() / 1000 + timeoutMs : .max
        vm.useLoadGlobals()
        defer {
            vm.useRuntimeGlobals()
            engine.loading = nil
        }
        do {
            _ = try vm.state.call(.function(chunk))
        } catch let e as LuaError {
            return .failure(LoadError("ERR Error registering functions: " + String(decoding: errorText(e.value), as: UTF8.self)))
        } catch is FunctionLoadTimeout {
            return .failure(LoadError("ERR Error registering functions: ERR FUNCTION LOAD timeout"))
        } catch {
            return .failure(LoadError("ERR Error registering functions: \(error)"))
        }
        if library.functions.isEmpty { return .failure(LoadError("ERR No functions registered")) }
        if let taken = libraries.collision(library, replacing: existing) {
            return .failure(LoadError("ERR Function \(String(decoding: taken.name, as: UTF8.self)) already exists"))
        }
        return .success(library)
    }

    static func stringOrNumber(_ value: LuaValue) -> [UInt8]? {
        switch value {
        case .string(let s): return s.bytes
        case .number: return value.coercedString?.bytes
        default: return nil
        }
    }

    /// An error raised while loading, as Redis reports it: an error table's
    /// text, or `ERR ` and a message.
    static func errorText(_ value: LuaValue) -> [UInt8] {
        if case .table(let t) = value, let text = t.get(string: ScriptCalls.errorKey).coercedString { return text.bytes }
        return Array("ERR ".utf8) + (value.coercedString?.bytes ?? Array(value.typeName.utf8))
    }

    /// `redis.register_function(name, callback)` or
    /// `redis.register_function{function_name=, callback=, flags=, description=}`,
    /// only while FUNCTION LOAD runs the library's code.
    static func installRegisterFunction(into redis: LuaTable, state: LuaState, engine: ScriptEngine) {
        state.registerFunction("register_function", in: redis) { [unowned engine] args in
            func fail(_ message: String) -> LuaError { LuaError(ScriptCalls.errorTable("ERR " + message)) }
            guard let library = engine.loading else {
                throw fail("redis.register_function can only be called on FUNCTION LOAD command")
            }
            var name: [UInt8]?, callback: LuaFunction?, description: [UInt8]?
            var flags = ScriptFlags()
            flags.declared = true
            switch args.count {
            case 2:
                guard let given = stringOrNumber(args[0]) else { throw fail("first argument to redis.register_function must be a string") }
                name = given
                guard case .function(let f) = args[1] else { throw fail("second argument to redis.register_function must be a function") }
                callback = f
            case 1:
                guard case .table(let named) = args[0] else {
                    throw fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
                }
                for (key, value) in named.entries {
                    switch key {
                    case .string, .number: break
                    default: throw fail("named argument key given to redis.register_function is not a string")
                    }
                    switch key.coercedString?.description.lowercased() ?? "" {
                    // Strings or numbers, as Lua's lua_isstring accepts.
                    case "function_name":
                        guard let s = stringOrNumber(value) else { throw fail("function_name argument given to redis.register_function must be a string") }
                        name = s
                    case "description":
                        guard let s = stringOrNumber(value) else { throw fail("description argument given to redis.register_function must be a string") }
                        description = s
                    case "callback":
                        guard case .function(let f) = value else { throw fail("callback argument given to redis.register_function must be a function") }
                        callback = f
                    case "flags":
                        guard case .table(let list) = value else {
                            throw fail("flags argument to redis.register_function must be a table representing function flags")
                        }
                        // Entries 1, 2... up to the first nil, as Redis reads them.
                        var index = 1
                        while case let flag = list.get(number: Double(index)), !flag.isNil {
                            guard case .string(let s) = flag, flags.insert(s.description.lowercased()) else { throw fail("unknown flag given") }
                            index += 1
                        }
                    default:
                        throw fail("unknown argument given to redis.register_function")
                    }
                }
                guard name != nil else { throw fail("redis.register_function must get a function name argument") }
                guard callback != nil else { throw fail("redis.register_function must get a callback argument") }
            default:
                throw fail("wrong number of arguments to redis.register_function")
            }
            guard let name, let callback else { return 0 }
            guard isValidName(name) else { throw fail(invalidName) }
            if library.has(name) { throw fail("Function already exists in the library") }
            library.functions.append(RegisteredFunction(name: name, callback: callback, flags: flags, description: description))
            return 0
        }
    }
}

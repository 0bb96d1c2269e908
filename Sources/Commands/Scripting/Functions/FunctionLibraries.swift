import Lua

/// A function a library registered with `redis.register_function`: FCALL
/// runs it by name.
final class RegisteredFunction {
    /// As registered (FCALL finds it whatever the case).
    let name: [UInt8]
    let callback: LuaFunction
    /// Always `declared`: a function without flags may write, is refused
    /// under maxmemory and by FCALL_RO.
    let flags: ScriptFlags
    let description: [UInt8]?
    init(name: [UInt8], callback: LuaFunction, flags: ScriptFlags, description: [UInt8]?) {
        self.name = name; self.callback = callback; self.flags = flags; self.description = description
    }
}

/// A library FUNCTION LOAD created: its code as given (shebang included,
/// for FUNCTION LIST WITHCODE and DUMP) and its functions.
final class FunctionLibrary {
    let name: [UInt8]
    let code: [UInt8]
    var functions: [RegisteredFunction] = []
    init(name: [UInt8], code: [UInt8]) { self.name = name; self.code = code }

    /// Whether the library already registered `name` (compared as given:
    /// `f1` and `F1` may both be registered, as in Redis).
    func has(_ name: [UInt8]) -> Bool { functions.contains { $0.name == name } }
}

/// Every loaded library, in the order loaded, and every function by its
/// lower-cased name (function names are one case-insensitive namespace
/// across libraries; library names are case-sensitive). Used with the
/// engine's lock held.
struct FunctionLibraries {
    private(set) var libraries: [FunctionLibrary] = []
    private var byName: [[UInt8]: RegisteredFunction] = [:]

    var functionCount: Int { byName.count }

    func library(named name: [UInt8]) -> FunctionLibrary? { libraries.first { $0.name == name } }

    func function(named name: UnsafeRawBufferPointer) -> RegisteredFunction? { byName[Self.folded(name)] }

    func function(named name: [UInt8]) -> RegisteredFunction? { name.withUnsafeBytes { function(named: $0) } }

    /// The first function of `library` that another library (other than
    /// `replacing`) already has under the same name, if any.
    func collision(_ library: FunctionLibrary, replacing: FunctionLibrary?) -> RegisteredFunction? {
        let others = Set(replacing?.functions.map { Self.folded($0.name) } ?? [])
        return library.functions.first { byName[Self.folded($0.name)] != nil && !others.contains(Self.folded($0.name)) }
    }

    /// Adds `library`, replacing the one of the same name (the caller
    /// checked collisions).
    mutating func add(_ library: FunctionLibrary) {
        remove(library.name)
        libraries.append(library)
        for f in library.functions { byName[Self.folded(f.name)] = f }
    }

    @discardableResult
    mutating func remove(_ name: [UInt8]) -> FunctionLibrary? {
        guard let index = libraries.firstIndex(where: { $0.name == name }) else { return nil }
        let library = libraries.remove(at: index)
        for f in library.functions { byName[Self.folded(f.name)] = nil }
        return library
    }

    mutating func removeAll() {
        libraries.removeAll()
        byName.removeAll()
    }

    static func folded(_ name: UnsafeRawBufferPointer) -> [UInt8] { name.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 } }
    static func folded(_ name: [UInt8]) -> [UInt8] { name.withUnsafeBytes { folded($0) } }
}

extension ScriptEngine {
    /// Publishes the counts FUNCTION STATS and INFO read without the lock.
    func librariesChanged() {
        libraryCount.store(libraries.libraries.count, ordering: .relaxed)
        functionCount.store(libraries.functionCount, ordering: .relaxed)
    }

    /// The functions' VM, built on first use.
    func functionsMachine(_ server: ServerContext) -> FunctionsVM {
        if let functionsVM { return functionsVM }
        let vm = FunctionsVM(engine: self, server: server)
        functionsVM = vm
        return vm
    }
}

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
    /// By the case-insensitive hash of the name (the command table's), so
    /// that FCALL's lookup hashes its argument in place, allocating nothing.
    private var byName: [UInt64: [RegisteredFunction]] = [:]
    private(set) var functionCount = 0

    func library(named name: [UInt8]) -> FunctionLibrary? { libraries.first { $0.name == name } }

    func function(named name: UnsafeRawBufferPointer) -> RegisteredFunction? {
        byName[CommandTable.hash(name)]?.first { f in f.name.withUnsafeBytes { $0.equalsIgnoringCase(name) } }
    }

    func function(named name: [UInt8]) -> RegisteredFunction? { name.withUnsafeBytes { function(named: $0) } }

    /// The first function of `library` that another library (other than
    /// `replacing`) already has under the same name, if any.
    func collision(_ library: FunctionLibrary, replacing: FunctionLibrary?) -> RegisteredFunction? {
        library.functions.first { f in
            guard let existing = function(named: f.name) else { return false }
            return !(replacing?.functions.contains { $0 === existing } ?? false)
        }
    }

    /// Adds `library`, replacing the one of the same name (the caller
    /// checked collisions).
    mutating func add(_ library: FunctionLibrary) {
        remove(library.name)
        libraries.append(library)
        for f in library.functions {
            byName[f.name.withUnsafeBytes { CommandTable.hash($0) }, default: []].append(f)
            functionCount += 1
        }
    }

    @discardableResult
    mutating func remove(_ name: [UInt8]) -> FunctionLibrary? {
        guard let index = libraries.firstIndex(where: { $0.name == name }) else { return nil }
        let library = libraries.remove(at: index)
        for f in library.functions {
            let hash = f.name.withUnsafeBytes { CommandTable.hash($0) }
            byName[hash]?.removeAll { $0 === f }
            if byName[hash]?.isEmpty == true { byName[hash] = nil }
            functionCount -= 1
        }
        return library
    }

    mutating func removeAll() {
        libraries.removeAll()
        byName.removeAll()
        functionCount = 0
    }
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

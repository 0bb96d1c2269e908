#if canImport(Glibc)
import Glibc
#endif

/// Per-call bookkeeping, one entry per active call (Lua's CallInfo). The
/// references are unowned(unsafe): the function is kept alive by its stack
/// slot and the call site by the function's compiled tree, for as long as
/// the entry is live; not counting references keeps calls free of ARC
/// traffic here.
struct CallInfo {
    unowned(unsafe) var function: LuaFunction?
    /// The expression that made this call (for "bad argument ... to 'name'").
    unowned(unsafe) var site: ExprNode?
    /// The line this frame is executing a call from (Lua frames only).
    var line: Int32
}

/// One Lua interpreter: globals, the value stack, limits and hooks. Not
/// thread-safe: use a state from one thread at a time.
///
/// Calls use a single preallocated value stack the way Lua does: a caller
/// pushes the function and its arguments, the callee's parameters are the
/// argument slots themselves, and results come back where the function was.
public final class LuaState {
    // The interpreter's registers (stack, frames, counters) are read and
    // written on every step; dynamic exclusivity checks on them were 9% of
    // a call-heavy script's time. A state is used by one thread at a time
    // and none of them is ever passed inout, so they are unchecked.

    // MARK: Value stack

    /// Slots [0, stackInitialized) hold initialized values; the rest of the
    /// allocation is raw memory, initialized on demand so a state costs
    /// little until deep recursion actually uses the space.
    @exclusivity(unchecked) var stack: UnsafeMutablePointer<LuaValue>
    let stackCapacity: Int
    @exclusivity(unchecked) var stackInitialized: Int
    /// First free slot.
    @exclusivity(unchecked) var top: Int = 0

    /// Boxes for captured locals, per frame, parallel to the value stack.
    @exclusivity(unchecked) var boxes: UnsafeMutablePointer<LuaBox>
    let boxCapacity: Int
    @exclusivity(unchecked) var boxesInitialized: Int
    @exclusivity(unchecked) var boxTop: Int = 0
    let placeholderBox = LuaBox(.nil)

    @exclusivity(unchecked) var callInfos: UnsafeMutablePointer<CallInfo>
    /// Index of the running call's entry (0: the host).
    @exclusivity(unchecked) var depth: Int = 0
    /// The line the innermost Lua function was at when the last error left
    /// `call` (for hosts that report it, as Redis's error handler does).
    public internal(set) var lastErrorLine: Int?
    /// Nested host-level re-entries (pcall, metamethods, callbacks), Lua's
    /// nCcalls: more than 200 raises "C stack overflow" as Lua does.
    @exclusivity(unchecked) var reentryDepth: Int = 0
    static let maxReentryDepth = 200

    /// Where a returning function left its results.
    @exclusivity(unchecked) var returnBase: Int = 0
    @exclusivity(unchecked) var returnCount: Int = 0

    // MARK: Configuration

    /// The global table (`_G`).
    public let globals: LuaTable
    /// The metatable every string shares (its `__index` is `string`).
    @exclusivity(unchecked) public var stringMetatable: LuaTable?
    let registryLoaded: LuaTable

    /// Maximum nesting of calls (Lua and builtin); beyond it a call raises
    /// "stack overflow". See `defaultMaxCallDepth` for how it was chosen.
    @exclusivity(unchecked) public var maxCallDepth: Int
    /// Measured native stack use per Lua call level (a function calling
    /// itself from inside an expression): about 1.0 KiB in release builds
    /// and about 7 KiB in debug builds. 4000 levels is therefore about 4 MiB
    /// in release, half of an 8 MiB thread stack. Whatever the build or the
    /// thread, the native stack guard (`nativeStackReserve`) raises "stack
    /// overflow" before the real stack runs out, so a deeper limit or a
    /// smaller stack gives an error, never a crash. (Lua 5.1 itself allows
    /// about 16000 levels, since its Lua-to-Lua calls use no C stack.)
    public static let defaultMaxCallDepth = 4000
    /// Bytes of native stack to keep free: calls raise "stack overflow" when
    /// less than this remains on the running thread's stack.
    public var nativeStackReserve: Int = 256 * 1024
    @exclusivity(unchecked) var nativeStackLimit: UInt = 0
    /// Each thread's stack bounds, by its pthread_t (a VM used by several
    /// event loops sees several threads).
    var stackBounds: [UInt: (low: UInt, high: UInt)] = [:]

    /// Lua's LUA_IDSIZE: how much of a chunk name messages show. 60 as in
    /// upstream Lua 5.1 and Redis (Debian's lua5.1 uses 80).
    public var chunkNameLimit = 60

    /// Maximum length of any string a script builds (concatenation,
    /// `string.rep`, `string.format`, `table.concat`, `gsub`...). Longer
    /// results raise "not enough memory" instead of allocating.
    public var maxStringLength: Int = 512 * 1024 * 1024

    /// Called every `hookInterval` steps (loop iterations and calls). It may
    /// throw: a `LuaError` behaves like a Lua error raised at that point
    /// (pcall can catch it); any other error unwinds straight to the host,
    /// through every pcall (use that for timeouts and SCRIPT KILL).
    public var hook: (() throws -> Void)? {
        didSet { hookCountdown = hook == nil ? Int.max : hookInterval }
    }
    public var hookInterval: Int = 100_000 {
        didSet { if hook != nil { hookCountdown = hookInterval } }
    }
    @exclusivity(unchecked) var hookCountdown: Int = Int.max

    /// Receives `print`'s output, one call per line (including "\n").
    public var printSink: ([UInt8]) -> Void = { bytes in
        bytes.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
    }

    /// The random source behind `math.random`: a value in [0, 1). The
    /// default is Lua 5.1's `(rand() % RAND_MAX) / RAND_MAX` over the C
    /// library's generator (process-wide, as in C Lua); the host may
    /// replace it (Redis uses its own generator).
    public var random: () -> Double = { Double(Glibc.rand() % RAND_MAX) / Double(RAND_MAX) }
    /// `math.randomseed(n)`, with n already cut to a C int.
    public var randomSeed: (Int) -> Void = { seed in Glibc.srand(UInt32(truncatingIfNeeded: seed)) }

    /// The builtins the generic `for` runs inline (pairs' `next`, ipairs'
    /// iterator) when it sees them.
    var nextFunction: LuaFunction?
    var globalNextFunction: LuaFunction?
    var ipairsIterator: LuaFunction?
    var gcPause = 200
    var gcStepMultiplier = 200

    /// Creates a state with the standard libraries (base, string, table,
    /// math, os.clock) loaded into its globals.
    /// - Parameter stackSlots: capacity of the value stack (values).
    public init(stackSlots: Int = 1 << 20) {
        stackCapacity = stackSlots
        stack = UnsafeMutablePointer<LuaValue>.allocate(capacity: stackSlots)
        stackInitialized = min(1024, stackSlots)
        stack.initialize(repeating: .nil, count: stackInitialized)
        boxCapacity = stackSlots
        boxes = UnsafeMutablePointer<LuaBox>.allocate(capacity: boxCapacity)
        boxesInitialized = 256
        boxes.initialize(repeating: placeholderBox, count: boxesInitialized)
        maxCallDepth = LuaState.defaultMaxCallDepth
        callInfos = UnsafeMutablePointer<CallInfo>.allocate(capacity: 16)
        callInfoCapacity = 16
        callInfos.initialize(repeating: CallInfo(function: nil, site: nil, line: -1), count: 16)
        globals = LuaTable()
        registryLoaded = LuaTable()
        openLibraries()
    }

    var callInfoCapacity: Int

    deinit {
        stack.deinitialize(count: stackInitialized)
        stack.deallocate()
        boxes.deinitialize(count: boxesInitialized)
        boxes.deallocate()
        callInfos.deinitialize(count: callInfoCapacity)
        callInfos.deallocate()
    }

    // MARK: - Stack management

    @inline(__always) func push(_ value: LuaValue) throws {
        if top >= stackInitialized { try growStack(top + 1) }
        stack[top] = value
        top &+= 1
    }

    /// Makes slots up to `needed` usable, or raises "stack overflow".
    func growStack(_ needed: Int) throws {
        if needed <= stackInitialized { return }
        if needed > stackCapacity { throw runtimeError("stack overflow") }
        let newLimit = min(stackCapacity, max(needed, stackInitialized * 2))
        (stack + stackInitialized).initialize(repeating: .nil, count: newLimit - stackInitialized)
        stackInitialized = newLimit
    }

    func growBoxes(_ needed: Int) throws {
        if needed <= boxesInitialized { return }
        if needed > boxCapacity { throw runtimeError("stack overflow") }
        let newLimit = min(boxCapacity, max(needed, boxesInitialized * 2))
        (boxes + boxesInitialized).initialize(repeating: placeholderBox, count: newLimit - boxesInitialized)
        boxesInitialized = newLimit
    }

    func growCallInfos() {
        let newCapacity = callInfoCapacity * 2
        let fresh = UnsafeMutablePointer<CallInfo>.allocate(capacity: newCapacity)
        fresh.moveInitialize(from: callInfos, count: callInfoCapacity)
        (fresh + callInfoCapacity).initialize(repeating: CallInfo(function: nil, site: nil, line: -1), count: newCapacity - callInfoCapacity)
        callInfos.deallocate()
        callInfos = fresh
        callInfoCapacity = newCapacity
    }

    /// An approximation of the native stack pointer.
    @inline(__always) func nativeStackAddress() -> UInt {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    }

    static let getThreadAttributes = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pthread_getattr_np")

    /// Finds the running thread's stack bounds so calls can stop before the
    /// native stack runs out.
    func computeNativeStackLimit() {
        // Once per thread: asking glibc costs a sched_getaffinity system
        // call (8% of an EVAL's CPU when it was asked per script).
        // The bounds are checked against where the stack is now: a thread
        // id can be reused by a later thread with another stack.
        let thread = UInt(pthread_self()), here = nativeStackAddress()
        if let known = stackBounds[thread], here > known.low && here < known.high {
            nativeStackLimit = known.low + UInt(nativeStackReserve)
            return
        }
        var attributes = pthread_attr_t()
        var low: UnsafeMutableRawPointer? = nil
        var size = 0
        // pthread_getattr_np is a GNU extension the Glibc module does not
        // export; look it up by name.
        typealias GetAttr = @convention(c) (pthread_t, UnsafeMutablePointer<pthread_attr_t>) -> Int32
        if let symbol = LuaState.getThreadAttributes,
           unsafeBitCast(symbol, to: GetAttr.self)(pthread_self(), &attributes) == 0 {
            pthread_attr_getstack(&attributes, &low, &size)
            pthread_attr_destroy(&attributes)
        }
        if let low {
            nativeStackLimit = UInt(bitPattern: low) + UInt(nativeStackReserve)
            stackBounds[thread] = (UInt(bitPattern: low), UInt(bitPattern: low) + UInt(size))
        } else {
            // Unknown bounds: allow 4 MiB below the current position.
            nativeStackLimit = here > 4 << 20 ? here - (4 << 20) : 0
        }
    }

    // MARK: - Errors

    /// The name of the chunk running at call level `level` (0: current).
    func position(level: Int) -> String {
        let index = depth - level
        guard index > 0, let function = callInfos[index].function, let proto = function.proto else { return "" }
        return "\(proto.chunkID):\(callInfos[index].line):"
    }

    /// A runtime error raised by the running Lua function at `line`.
    func runtimeError(_ message: String, line: Int) -> LuaError {
        if let proto = callInfos[depth].function?.proto {
            return LuaError(message: "\(proto.chunkID):\(line): \(message)")
        }
        return LuaError(message: message)
    }

    /// A runtime error at the current line of the running function.
    func runtimeError(_ message: String) -> LuaError {
        let prefix = position(level: 0)
        return LuaError(message: prefix.isEmpty ? message : "\(prefix) \(message)")
    }

    /// Lua's `luaG_typeerror` wording, with the variable's name when known.
    func typeError(_ value: LuaValue, _ operation: String, _ name: VariableName?, line: Int) -> LuaError {
        if let name {
            return runtimeError("attempt to \(operation) \(name.kind) '\(name.name)' (a \(value.typeName) value)", line: line)
        }
        return runtimeError("attempt to \(operation) a \(value.typeName) value", line: line)
    }

    func typeError(_ value: LuaValue, _ operation: String, node: ExprNode?, line: Int) -> LuaError {
        typeError(value, operation, node?.variableName(), line: line)
    }

    // MARK: - Hook

    @inline(__always) func step() throws {
        hookCountdown &-= 1
        if hookCountdown <= 0 { try fireHook() }
    }

    func fireHook() throws {
        guard let hook else {
            hookCountdown = Int.max
            return
        }
        hookCountdown = hookInterval
        try hook()
    }

    // MARK: - Calls

    /// Calls the value at `stack[functionIndex]` with the `argumentCount`
    /// values above it. Results end up at `stack[functionIndex...]` and
    /// `top` just past them; returns their count. `site` is the expression
    /// making the call (for error messages), `line` the caller's line.
    func call(_ functionIndex: Int, _ argumentCount: Int, site: ExprNode?) throws -> Int {
        var argumentCount = argumentCount
        while true {
            let callee = stack[functionIndex]
            guard case .function(let function) = callee else {
                // __call: the object becomes the first argument.
                guard let handler = metamethod(callee, MetaName.call), case .function = handler else {
                    throw typeError(callee, "call", site?.calleeName(), line: Int(callInfos[depth].line))
                }
                if top >= stackInitialized { try growStack(top + 1) }
                var i = functionIndex + argumentCount + 1
                while i > functionIndex {
                    stack[i] = stack[i - 1]
                    i -= 1
                }
                stack[functionIndex] = handler
                argumentCount += 1
                top = functionIndex + argumentCount + 1
                continue
            }
            if depth >= maxCallDepth || nativeStackAddress() < nativeStackLimit {
                throw runtimeError("stack overflow")
            }
            if let proto = function.proto {
                let outcome = try runLua(function, proto, functionIndex, argumentCount, site: site)
                if outcome >= 0 { return outcome }
                // A tail call: the new function and its arguments are now at
                // functionIndex; loop without growing the native stack.
                argumentCount = -outcome - 1
                continue
            }
            // A builtin.
            depth += 1
            if depth >= callInfoCapacity { growCallInfos() }
            callInfos[depth] = CallInfo(function: function, site: site, line: -1)
            let resultCount = try function.builtin!(LuaArguments(state: self, base: functionIndex + 1, count: argumentCount))
            depth -= 1
            let first = top - resultCount
            if first != functionIndex {
                for i in 0..<resultCount { stack[functionIndex + i] = stack[first + i] }
            }
            top = functionIndex + resultCount
            return resultCount
        }
    }

    /// Runs a Lua function whose arguments are on the stack. Returns the
    /// result count, or -(argumentCount + 1) for a tail call it set up.
    private func runLua(_ function: LuaFunction, _ proto: FunctionProto, _ functionIndex: Int, _ argumentCount: Int, site: ExprNode?) throws -> Int {
        let parameterCount = proto.parameterCount
        var base = functionIndex + 1
        var varargBase = base
        var varargCount = 0
        if proto.isVararg {
            // Fixed parameters move above the extra arguments, which stay
            // where they are as the frame's `...`.
            varargCount = max(0, argumentCount - parameterCount)
            varargBase = base + parameterCount
            base = functionIndex + 1 + argumentCount
            try growStack(base + proto.slotCount + 1)
            for i in 0..<parameterCount {
                stack[base + i] = i < argumentCount ? stack[functionIndex + 1 + i] : .nil
            }
            if let argSlot = proto.argSlot, !proto.buildsArgTable {
                stack[base + argSlot] = .nil
            } else if let argSlot = proto.argSlot {
                let table = LuaTable(arrayCount: varargCount, hashCount: 1)
                for i in 0..<varargCount { table.array[i] = stack[varargBase + i] }
                try? table.rawSet(.string(MetaName.n), .number(Double(varargCount)))
                stack[base + argSlot] = .table(table)
            }
        } else {
            if base + proto.slotCount >= stackInitialized { try growStack(base + proto.slotCount + 1) }
            if argumentCount < parameterCount {
                for i in argumentCount..<parameterCount { stack[base + i] = .nil }
            }
        }
        top = base + proto.slotCount
        let savedBoxTop = boxTop
        var boxBase = boxTop
        if proto.hasBoxes {
            boxBase = boxTop
            if boxTop + proto.slotCount > boxesInitialized { try growBoxes(boxTop + proto.slotCount) }
            boxTop += proto.slotCount
            for slot in proto.capturedParameters {
                boxes[boxBase + slot] = LuaBox(stack[base + slot])
            }
            if proto.argCaptured, let argSlot = proto.argSlot {
                boxes[boxBase + argSlot] = LuaBox(stack[base + argSlot])
            }
        }
        depth += 1
        if depth >= callInfoCapacity { growCallInfos() }
        callInfos[depth] = CallInfo(function: function, site: site, line: Int32(proto.lineDefined))
        try step()
        let frame = Frame(slots: stack + base, boxes: boxes + boxBase, state: self, closure: function,
                          varargs: stack + varargBase, varargCount: varargCount)
        let flow = try proto.body.exec(frame)
        depth -= 1
        boxTop = savedBoxTop
        if flow == .returned {
            let count = returnCount
            let from = returnBase
            for i in 0..<count { stack[functionIndex + i] = stack[from + i] }
            top = functionIndex + count
            return count
        }
        if flow == .tailCall {
            let count = returnCount
            let from = returnBase
            for i in 0..<count { stack[functionIndex + i] = stack[from + i] }
            top = functionIndex + count
            return -(count - 1) - 1
        }
        top = functionIndex
        return 0
    }

    /// Calls `function` with `arguments` from Swift code inside the
    /// interpreter (metamethods, library callbacks); counts as a host-level
    /// re-entry as in Lua. Returns the results (truncated to `resultLimit`).
    func invoke(_ function: LuaValue, _ arguments: LuaValue..., resultLimit: Int = Int.max) throws -> [LuaValue] {
        try invoke(function, arguments: arguments, resultLimit: resultLimit)
    }

    func invoke(_ function: LuaValue, arguments: [LuaValue], resultLimit: Int = Int.max) throws -> [LuaValue] {
        let base = top
        try enterReentry()
        defer { reentryDepth -= 1 }
        try push(function)
        for argument in arguments { try push(argument) }
        let count = try call(base, arguments.count, site: nil)
        var results: [LuaValue] = []
        let kept = min(count, resultLimit)
        results.reserveCapacity(kept)
        for i in 0..<kept { results.append(stack[base + i]) }
        top = base
        return results
    }

    /// One-result call without building arrays (metamethods).
    func invoke1(_ function: LuaValue, _ a: LuaValue, _ b: LuaValue) throws -> LuaValue {
        let base = top
        try enterReentry()
        defer { reentryDepth -= 1 }
        try push(function)
        try push(a)
        try push(b)
        let count = try call(base, 2, site: nil)
        let result = count > 0 ? stack[base] : .nil
        top = base
        return result
    }

    func enterReentry() throws {
        reentryDepth += 1
        if reentryDepth >= LuaState.maxReentryDepth {
            if reentryDepth == LuaState.maxReentryDepth { throw runtimeError("C stack overflow") }
            throw LuaError(message: "error in error handling")
        }
    }

    // MARK: - Metatables and metamethods

    @inline(__always) func metatable(of value: LuaValue) -> LuaTable? {
        switch value {
        case .table(let t): return t.metatable
        case .string: return stringMetatable
        default: return nil
        }
    }

    @inline(__always) func metamethod(_ value: LuaValue, _ event: LuaString) -> LuaValue? {
        guard let mt = metatable(of: value) else { return nil }
        let handler = mt.get(string: event)
        return handler.isNil ? nil : handler
    }
}

/// Pre-built strings for metamethod names and other keys the interpreter
/// looks up often.
enum MetaName {
    static let index = LuaString("__index")
    static let newindex = LuaString("__newindex")
    static let call = LuaString("__call")
    static let add = LuaString("__add")
    static let sub = LuaString("__sub")
    static let mul = LuaString("__mul")
    static let div = LuaString("__div")
    static let mod = LuaString("__mod")
    static let pow = LuaString("__pow")
    static let unm = LuaString("__unm")
    static let len = LuaString("__len")
    static let concat = LuaString("__concat")
    static let eq = LuaString("__eq")
    static let lt = LuaString("__lt")
    static let le = LuaString("__le")
    static let tostring = LuaString("__tostring")
    static let metatable = LuaString("__metatable")
    static let mode = LuaString("__mode")
    static let n = LuaString("n")
}

/// What a running Lua function's nodes need: its slots, boxes, closure and
/// varargs. Passed by value; every field is a pointer or an unowned
/// reference, so passing it costs no reference counting.
struct Frame {
    let slots: UnsafeMutablePointer<LuaValue>
    let boxes: UnsafeMutablePointer<LuaBox>
    unowned(unsafe) let state: LuaState
    unowned(unsafe) let closure: LuaFunction
    let varargs: UnsafeMutablePointer<LuaValue>
    let varargCount: Int
}

/// A builtin's view of its arguments on the value stack.
public struct LuaArguments {
    public unowned(unsafe) let state: LuaState
    let base: Int
    /// Number of arguments passed.
    public let count: Int

    /// Argument `i` (0-based); nil past the end.
    @inline(__always) public subscript(i: Int) -> LuaValue {
        i < count ? state.stack[base + i] : .nil
    }

    /// All arguments copied out (allocates; for convenience APIs).
    public var all: [LuaValue] { (0..<count).map { self[$0] } }

    /// Pushes one result and returns the count for the builtin to return.
    @inline(__always) public func `return`(_ value: LuaValue) throws -> Int {
        try state.push(value)
        return 1
    }

    public func `return`(_ values: [LuaValue]) throws -> Int {
        for v in values { try state.push(v) }
        return values.count
    }
}

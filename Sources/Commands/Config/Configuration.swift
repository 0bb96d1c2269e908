#if canImport(Glibc)
import Sync
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Storage
import Synchronization

/// The server's configuration: every Redis 7.0 directive, loaded from
/// redis.conf and the command line at startup, read and changed at run time
/// by CONFIG GET / CONFIG SET.
///
/// Values are held as the text CONFIG GET prints (see `ConfigValueParser`),
/// behind a lock, because clients on any event-loop thread may read or set
/// them. Settings consulted on every command — the eviction policy, memory
/// limits, timeouts — are also mirrored into atomics (`ConfigurationHotValues`)
/// so the hot path never takes the lock.
///
/// Interested subsystems register `onChange` callbacks (called after a value
/// has changed) and, when a change can fail (binding a new port), `onApply`
/// hooks that may veto it.
public final class Configuration: @unchecked Sendable {
    /// The Redis version whose behaviour (defaults, messages) this emulates.
    public static let redisVersion = "7.0.15"

    struct State {
        var values: [String]
        var changeCallbacks: [Int: [@Sendable (String) -> Void]] = [:]
        var applyHooks: [Int: [@Sendable (String) -> String?]] = [:]
        var renamedCommands: [(from: String, to: String)] = []
        var userDirectives: [[String]] = []
        var configFilePath: String?
        var commandExists: (@Sendable (String) -> Bool)?
    }

    let state: Locked<State>
    /// Serialises writers (load, CONFIG SET) across their apply hooks, which
    /// run without `state` held so they may read the configuration.
    private let writerLock = Locked<Void>(())
    @usableFromInline let hot = ConfigurationHotValues()

    /// A configuration holding Redis's defaults.
    public init() {
        var defaults = ConfigDirective.all.map(\.defaultValue)
        defaults[ConfigDirectory.index(ofCanonical: "dir")] = ConfigSpecialValues.currentDirectory()
        state = Locked(State(values: defaults))
        let values = state.withLock { $0.values }
        for (index, value) in values.enumerated() { hot.update(ConfigDirective.all[index].name, value) }
    }

    // MARK: Startup

    /// Loads redis-server's arguments (those after the program name): an
    /// optional config file first, "-" (first or last) to read directives
    /// from `standardInput`, then `--name value...` options, applied in that
    /// order so later settings win.
    ///
    /// `readFile` is used for the config file and every `include`; throw
    /// `ConfigFileReadError` from it so messages name the system error
    /// (`Configuration.readFileFromDisk` does). A `ConfigFileError` it throws
    /// is passed on with its message unchanged, as a log message. Relative paths are resolved
    /// by the file system against the working directory, which a `dir`
    /// directive changes — exactly like Redis.
    ///
    /// The caller handles `--version`/`--help` first, and should log
    /// "Reading config from stdin" when "-" is given, as Redis does.
    /// On failure throws `ConfigFileError`; nothing is changed then (except
    /// the working directory if a `dir` line was already applied — but the
    /// server exits anyway). Afterwards every registered `onChange` callback
    /// is called once with its directive's loaded value.
    public func load(arguments: [String], readFile: (String) throws -> String, standardInput: () -> String) throws {
        let notifications = try writerLock.withLock { _ -> [Notification] in
            let (values, commandExists) = state.withLock { ($0.values, $0.commandExists) }
            let configFile = ConfigFileReader.parseCommandLine(arguments).configFile
            let path = configFile.map(ConfigFileReader.absolutePath)
            // The reader keeps `readFile` only while loading; copy its results out.
            let reader = try withoutActuallyEscaping(readFile) { readFile in
                var reader = ConfigFileReader(values: values, readFile: readFile, commandExists: commandExists)
                try reader.load(arguments: arguments, configFilePath: path, standardInput: standardInput)
                return (values: reader.values, renamedCommands: reader.renamedCommands, userDirectives: reader.userDirectives)
            }
            let notifications = state.withLock { state -> [Notification] in
                state.values = reader.values
                state.renamedCommands = reader.renamedCommands
                state.userDirectives = reader.userDirectives
                state.configFilePath = path
                return state.changeCallbacks.flatMap { index, callbacks in
                    callbacks.map { (callback: $0, value: reader.values[index]) }
                }
            }
            for (index, value) in reader.values.enumerated() { hot.update(ConfigDirective.all[index].name, value) }
            return notifications
        }
        for entry in notifications { entry.callback(entry.value) }
    }

    /// Reads a whole file, throwing `ConfigFileReadError` with errno.
    public static func readFileFromDisk(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else { throw ConfigFileReadError(code: errno) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count > 0 { bytes += buffer[..<count] }
            if count < buffer.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads standard input to its end.
    public static func readStandardInput() -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(0, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Tells `load` which commands exist, so `rename-command` can reject
    /// unknown ones ("No such command in rename-command") and clashes
    /// ("Target command name already exists") as Redis does. Names are
    /// passed lower-cased. Without it every rename is accepted.
    public func setCommandValidator(_ commandExists: @escaping @Sendable (String) -> Bool) {
        state.withLock { $0.commandExists = commandExists }
    }

    // MARK: CONFIG GET

    /// CONFIG GET: each pattern is a glob matched case-insensitively against
    /// every name — aliases included, since Redis 7.0 lists them as entries
    /// of their own — except the hidden test knobs, which only an exact name
    /// finds. A pattern without `*`, `?` or `[` is a plain name and is
    /// reported spelled as given. Each entry appears once, in pattern order
    /// and then table order (Redis's own order is its hash table's).
    public func get(patterns: [String]) -> [(name: String, value: String)] {
        let values = state.withLock { $0.values }
        var result: [(name: String, value: String)] = []
        var seen = Set<String>()
        for pattern in patterns {
            if !pattern.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) {
                let key = ConfigText.asciiLowercased(pattern)
                if !seen.contains(key), let index = ConfigDirectory.index(of: pattern) {
                    seen.insert(key)
                    result.append((name: pattern, value: displayValue(index, values)))
                }
                continue
            }
            for key in ConfigDirectory.keys where !seen.contains(key.name) {
                if ConfigDirective.all[key.index].flags.contains(.hidden) { continue }
                if Glob.match(pattern, key.name, caseInsensitive: true) {
                    seen.insert(key.name)
                    result.append((name: key.name, value: displayValue(key.index, values)))
                }
            }
        }
        return result
    }

    /// The current value of a directive (or alias) as CONFIG GET prints it;
    /// nil for unknown names.
    public func string(_ name: String) -> String? {
        guard let index = ConfigDirectory.index(of: name) else { return nil }
        return displayValue(index, state.withLock { $0.values })
    }

    /// `dir` is the live working directory, as Redis reports it.
    private func displayValue(_ index: Int, _ values: [String]) -> String {
        if case .directory = ConfigDirective.all[index].kind { return ConfigSpecialValues.currentDirectory() }
        if case .notifyKeyspaceEvents = ConfigDirective.all[index].kind {
            return KeyspaceEventClasses.classes(KeyspaceEventClasses.mask(values[index]) ?? 0)
        }
        return values[index]
    }

    /// Whether a directive's value must be redacted from logs, SLOWLOG and
    /// MONITOR (requirepass, masterauth, masteruser).
    public static func isSensitive(_ name: String) -> Bool {
        guard let index = ConfigDirectory.index(of: name) else { return false }
        return ConfigDirective.all[index].flags.contains(.sensitive)
    }

    // MARK: CONFIG SET

    /// CONFIG SET with Redis's all-or-nothing semantics. Returns nil on
    /// success, otherwise the error reply without its leading '-':
    ///
    /// - "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    /// - "ERR CONFIG SET failed (possibly related to argument 'x') - <reason>"
    ///   where the reason is "can't set immutable config", "can't set
    ///   protected config", "duplicate parameter" (the same name twice — an
    ///   alias and its canonical name may both appear, the last one wins) or
    ///   the value's own error.
    ///
    /// Names are checked first, in order, then every value is parsed; only if
    /// all are valid and every `onApply` hook agrees are the new values
    /// committed and `onChange` callbacks called. Protected directives
    /// (`dir`, `dbfilename`) need enable-protected-configs "yes" here; with
    /// "local" use `set(_:isLocalClient:)`.
    ///
    /// The caller answers arity problems itself: fewer than two arguments is
    /// "ERR wrong number of arguments for 'config|set' command", an odd
    /// number is "ERR syntax error".
    public func set(_ pairs: [(String, String)]) -> String? {
        set(pairs, isLocalClient: false)
    }

    /// CONFIG SET from a client whose locality is known (see `set(_:)`).
    public func set(_ pairs: [(String, String)], isLocalClient: Bool) -> String? {
        var notifications: [Notification] = []
        let reply = writerLock.withLock { _ in setLocked(pairs, isLocalClient: isLocalClient, notifications: &notifications) }
        // Outside the writer lock, so callbacks may use the configuration freely.
        for entry in notifications { entry.callback(entry.value) }
        return reply
    }

    typealias Notification = (callback: @Sendable (String) -> Void, value: String)

    private func setLocked(_ pairs: [(String, String)], isLocalClient: Bool, notifications: inout [Notification]) -> String? {
        func failed(_ name: String, _ reason: String) -> String {
            "ERR CONFIG SET failed (possibly related to argument '\(name)') - \(reason)"
        }
        let directoryIndex = ConfigDirectory.index(ofCanonical: "dir")
        let originalDirectory = ConfigSpecialValues.currentDirectory()
        var original = state.withLock { $0.values }
        original[directoryIndex] = originalDirectory

        // 1. Names: unknown, immutable, protected, duplicate — first problem wins.
        var indices: [Int] = []
        var keys: [String] = []
        for (name, _) in pairs {
            guard let index = ConfigDirectory.index(of: name) else {
                return "ERR Unknown option or number of arguments for CONFIG SET - '\(name)'"
            }
            let flags = ConfigDirective.all[index].flags
            if flags.contains(.immutable) { return failed(name, "can't set immutable config") }
            if flags.contains(.protected) {
                let allowed = original[ConfigDirectory.index(ofCanonical: "enable-protected-configs")]
                if !(allowed == "yes" || (allowed == "local" && isLocalClient)) {
                    return failed(name, "can't set protected config")
                }
            }
            let key = ConfigText.asciiLowercased(name)
            if keys.contains(key) { return failed(name, "duplicate parameter") }
            indices.append(index)
            keys.append(key)
        }

        // 2. Values, in order, against a working copy.
        var working = original
        func restoreDirectory() {
            if ConfigSpecialValues.currentDirectory() != originalDirectory { _ = chdir(originalDirectory) }
        }
        for (position, (_, value)) in pairs.enumerated() {
            let index = indices[position], directive = ConfigDirective.all[index]
            let arguments = directive.kind.takesMultipleArguments ? Configuration.splitOnSpaces(value) : [value]
            let snapshot = working
            let context = ConfigParseContext(origin: .configSet,
                                             valueOf: { snapshot[ConfigDirectory.index(ofCanonical: $0)] })
            do {
                working[index] = try ConfigValueParser.parse(arguments, for: directive, current: working[index], context: context)
            } catch let error as ConfigValueError {
                restoreDirectory()
                return failed(keys[position], error.message)
            } catch {
                restoreDirectory()
                return failed(keys[position], "\(error)")
            }
        }

        // 3. Apply hooks for what actually changed, in first-mention order.
        var changed: [(index: Int, key: String)] = []
        for (position, index) in indices.enumerated()
        where working[index] != original[index] && !changed.contains(where: { $0.index == index }) {
            changed.append((index, keys[position]))
        }
        let hooks = state.withLock { $0.applyHooks }
        var applied: [Int] = []
        for entry in changed {
            for hook in hooks[entry.index] ?? [] {
                if let reason = hook(working[entry.index]) {
                    // Put back what was applied so far, newest first.
                    for index in applied.reversed() { for hook in hooks[index] ?? [] { _ = hook(original[index]) } }
                    restoreDirectory()
                    return failed(entry.key, reason)
                }
            }
            applied.append(entry.index)
        }

        // 4. Commit; the caller notifies.
        notifications = state.withLock { state -> [Notification] in
            for entry in changed { state.values[entry.index] = working[entry.index] }
            return changed.flatMap { entry in
                (state.changeCallbacks[entry.index] ?? []).map { (callback: $0, value: working[entry.index]) }
            }
        }
        for entry in changed { hot.update(ConfigDirective.all[entry.index].name, working[entry.index]) }
        return nil
    }

    /// CONFIG SET splits multi-argument values on single spaces, keeping
    /// empty pieces: "a  b" is ["a", "", "b"] and "" is no arguments.
    static func splitOnSpaces(_ value: String) -> [String] {
        if value.isEmpty { return [] }
        return value.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    }

    // MARK: Observers

    /// Calls `callback` with the new value (as CONFIG GET prints it) after
    /// CONFIG SET changes the directive `name` (or its alias), and after
    /// `load`. Setting a directive to its current value is not a change.
    public func onChange(_ name: String, _ callback: @escaping @Sendable (String) -> Void) {
        let index = ConfigDirectory.index(ofCanonical: canonicalName(name))
        state.withLock { $0.changeCallbacks[index, default: []].append(callback) }
    }

    /// Registers a hook run during CONFIG SET, before the new value of `name`
    /// is committed; returning an error reason (e.g. "Unable to listen on
    /// this port") rejects the whole CONFIG SET. Hooks already run are then
    /// called again with the old values. Not run by `load`, like Redis's
    /// apply functions. Hooks run while CONFIG SET holds the writer lock:
    /// they may read the configuration but must not call `set` or `load`.
    public func onApply(_ name: String, _ hook: @escaping @Sendable (String) -> String?) {
        let index = ConfigDirectory.index(ofCanonical: canonicalName(name))
        state.withLock { $0.applyHooks[index, default: []].append(hook) }
    }

    private func canonicalName(_ name: String) -> String {
        guard let index = ConfigDirectory.index(of: name) else { preconditionFailure("unknown config directive '\(name)'") }
        return ConfigDirective.all[index].name
    }

    // MARK: Startup-only information

    /// `rename-command` lines in load order, lower-cased; an empty `to`
    /// means the command is disabled.
    public var renamedCommands: [(from: String, to: String)] { state.withLock { $0.renamedCommands } }

    /// The arguments of each `user` line (after "user"), for the ACL layer.
    public var userDirectives: [[String]] { state.withLock { $0.userDirectives } }

    /// The absolute path of the config file given at startup (INFO's
    /// config_file), nil when the server was started without one — INFO then
    /// shows "", and redis-server warns that it is using the default config.
    public var configFilePath: String? { state.withLock { $0.configFilePath } }
}

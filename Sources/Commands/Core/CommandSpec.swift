import RESP

/// Command flags as Redis names them in COMMAND INFO.
public struct CommandFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let write = CommandFlags(rawValue: 1 << 0)
    public static let readonly = CommandFlags(rawValue: 1 << 1)
    public static let denyoom = CommandFlags(rawValue: 1 << 2)
    public static let admin = CommandFlags(rawValue: 1 << 3)
    public static let pubsub = CommandFlags(rawValue: 1 << 4)
    public static let noscript = CommandFlags(rawValue: 1 << 5)
    public static let blocking = CommandFlags(rawValue: 1 << 6)
    public static let loading = CommandFlags(rawValue: 1 << 7)
    public static let stale = CommandFlags(rawValue: 1 << 8)
    public static let skipMonitor = CommandFlags(rawValue: 1 << 9)
    public static let skipSlowlog = CommandFlags(rawValue: 1 << 10)
    public static let fast = CommandFlags(rawValue: 1 << 11)
    public static let noAuth = CommandFlags(rawValue: 1 << 12)
    public static let mayReplicate = CommandFlags(rawValue: 1 << 13)
    public static let sentinel = CommandFlags(rawValue: 1 << 14)
    public static let onlySentinel = CommandFlags(rawValue: 1 << 15)
    public static let noMandatoryKeys = CommandFlags(rawValue: 1 << 16)
    public static let noMulti = CommandFlags(rawValue: 1 << 17)
    public static let allowBusy = CommandFlags(rawValue: 1 << 18)
    public static let noAsyncLoading = CommandFlags(rawValue: 1 << 19)
    /// Never declared: COMMAND INFO derives it from the key specs (`CommandSpec.hasMovableKeys`).
    public static let movableKeys = CommandFlags(rawValue: 1 << 20)

    /// Names in the order Redis prints them.
    public static let names: [(CommandFlags, String)] = [
        (.write, "write"), (.readonly, "readonly"), (.denyoom, "denyoom"), (.admin, "admin"),
        (.pubsub, "pubsub"), (.noscript, "noscript"), (.blocking, "blocking"), (.loading, "loading"),
        (.stale, "stale"), (.skipMonitor, "skip_monitor"), (.skipSlowlog, "skip_slowlog"), (.fast, "fast"),
        (.noAuth, "no_auth"), (.noMandatoryKeys, "no_mandatory_keys"), (.noAsyncLoading, "no_async_loading"),
        (.noMulti, "no_multi"), (.movableKeys, "movablekeys"), (.allowBusy, "allow_busy"),
    ]  // may_replicate, sentinel and only_sentinel exist but Redis does not print them
}

/// One argument of a command's grammar, for COMMAND DOCS (redis-cli builds
/// its hints from these).
public struct ArgumentSpec: Sendable {
    public enum Kind: String, Sendable {
        case string, integer, double, key, pattern, unixTime = "unix-time", pureToken = "pure-token", oneof, block
    }
    public var name: String
    public var kind: Kind
    public var token: String? = nil
    public var optional = false
    public var multiple = false
    public var multipleToken = false
    public var keySpecIndex: Int? = nil
    public var since: String? = nil
    public var children: [ArgumentSpec] = []

    public init(_ name: String, _ kind: Kind, token: String? = nil, optional: Bool = false, multiple: Bool = false,
                multipleToken: Bool = false, keySpecIndex: Int? = nil, since: String? = nil, children: [ArgumentSpec] = []) {
        self.name = name; self.kind = kind; self.token = token; self.optional = optional; self.multiple = multiple
        self.multipleToken = multipleToken; self.keySpecIndex = keySpecIndex; self.since = since; self.children = children
    }
}

/// A command's handler: reads `arguments` (argument 0 is the command name),
/// does the work, writes exactly one reply to `client.reply`.
public typealias CommandHandler = (_ client: Client, _ arguments: Arguments) -> Void

/// Everything the server knows about a command: dispatch (arity, flags,
/// handler), COMMAND INFO/DOCS metadata, and statistics.
public final class CommandSpec: @unchecked Sendable {
    /// Lowercase name; for subcommands the bare subcommand name (`get` of `config|get`).
    public let name: String
    // The `var`s below are written only while a command table is built
    // (before any traffic), hence no dynamic exclusivity checks on reads.
    /// `get`, or `config|get` for a subcommand.
    @exclusivity(unchecked) public internal(set) var fullName: String
    /// Redis arity: N means exactly N arguments, -N at least N (name included).
    public let arity: Int
    public let flags: CommandFlags
    public let aclCategories: [String]
    /// First key, last key (-1 = the last argument, -2 the one before), step; 0,0,0 for no keys.
    public let firstKey: Int, lastKey: Int, keyStep: Int
    public let group: String
    public let since: String
    public let summary: String
    public let complexity: String
    public let arguments: [ArgumentSpec]
    public let handler: CommandHandler?
    @exclusivity(unchecked) public private(set) var subcommands: [CommandSpec] = []
    // unowned(unsafe), not weak: a weak reference gives the parent a side
    // table, and then every retain of it takes the slow path. Parents own
    // their subcommands, so they outlive them.
    public unowned(unsafe) var parent: CommandSpec?
    /// Key specifications and tips for COMMAND INFO and GETKEYS, recorded
    /// from Redis (`CommandReferenceMetadata`), by full name.
    @exclusivity(unchecked) public internal(set) var keySpecs: [KeySpec] = []
    @exclusivity(unchecked) public internal(set) var tips: [String] = []
    /// Dense index used by per-loop statistics arrays.
    @exclusivity(unchecked) public internal(set) var id: Int = 0
    /// MULTI, EXEC, DISCARD, WATCH, QUIT and RESET run at once inside a
    /// transaction; every other command is queued. Stored, not compared by
    /// name for every queued command (string comparisons were 2% of EXEC's
    /// CPU); subcommands never qualify.
    @exclusivity(unchecked) public internal(set) var runsInsideTransaction = false
    @exclusivity(unchecked) public internal(set) var isExec = false
    /// PING, ECHO, TIME, SELECT and PUBLISH read and write nothing under a
    /// shard lock (PUBLISH takes only the pub/sub registry's lock, as it does
    /// outside a transaction), so a transaction holding them locks only its
    /// keyed commands' shards (`Client.shardMask`); any other command without
    /// key arguments makes EXEC hold every shard. Each name here is that
    /// claim; subcommands and renamed commands never qualify.
    @exclusivity(unchecked) public internal(set) var touchesNoShard = false
    /// EVAL and its variants: a script may touch keys it did not declare,
    /// so a transaction holding one locks every shard.
    @exclusivity(unchecked) public internal(set) var runsScripts = false

    public init(_ name: String, arity: Int, flags: CommandFlags, acl: [String] = [],
                keys: (Int, Int, Int) = (0, 0, 0), group: String, since: String, summary: String,
                complexity: String = "O(1)", arguments: [ArgumentSpec] = [],
                subcommands: [CommandSpec] = [], handler: CommandHandler?) {
        self.name = name
        self.fullName = name
        self.arity = arity
        self.flags = flags
        self.aclCategories = acl
        (firstKey, lastKey, keyStep) = keys
        self.group = group
        self.since = since
        self.summary = summary
        self.complexity = complexity
        self.arguments = arguments
        self.handler = handler
        self.subcommands = subcommands
        keySpecs = CommandReferenceMetadata.keySpecs(name)
        tips = CommandReferenceMetadata.tips(name)
        runsInsideTransaction = ["exec", "discard", "multi", "watch", "quit", "reset"].contains(name)
        isExec = name == "exec"
        touchesNoShard = ["ping", "echo", "time", "select", "publish"].contains(name)
        runsScripts = ["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"].contains(name)
        for sub in subcommands {
            sub.parent = self
            sub.runsInsideTransaction = false
            sub.isExec = false
            sub.touchesNoShard = false
            sub.fullName = name + "|" + sub.name
            sub.keySpecs = CommandReferenceMetadata.keySpecs(sub.fullName)
            sub.tips = CommandReferenceMetadata.tips(sub.fullName)
        }
    }

    public func subcommand(_ name: UnsafeRawBufferPointer) -> CommandSpec? {
        subcommands.first { name.count == $0.name.utf8.count && name.lowercasedString == $0.name }
    }

    /// Runs the handler (the caller checked there is one). Not through
    /// `handler.unsafelyUnwrapped`: that generic accessor hands the closure
    /// back at maximal abstraction, and calling it allocated a reabstraction
    /// thunk context on the heap for every command.
    @inline(__always)
    func invoke(_ client: Client, _ arguments: Arguments) {
        handler!(client, arguments)
    }

    /// Whether `count` arguments satisfy the arity.
    @inlinable public func accepts(_ count: Int) -> Bool {
        arity > 0 ? count == arity : count >= -arity
    }

    /// Key positions in an argument vector (COMMAND GETKEYS, multi-shard locking).
    public func keyPositions(_ count: Int) -> [Int] {
        if firstKey <= 0 { return [] }
        let last = lastKey >= 0 ? lastKey : count + lastKey
        var out: [Int] = []
        var i = firstKey
        while i <= last && i < count { out.append(i); i += max(keyStep, 1) }
        return out
    }
}

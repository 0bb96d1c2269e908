extension TestServer {
    /// How to start a ``TestServer``. Every property has a default; set only
    /// what the test is about:
    ///
    /// ```swift
    /// var options = TestServer.Options()
    /// options.password = "s3cret"
    /// options.maxMemory = 1_000_000
    /// options.maxMemoryPolicy = .allKeysLRU
    /// options.config["notify-keyspace-events"] = "Ex"
    /// let server = try await TestServer.start(options)
    /// ```
    public struct Options: Sendable {
        /// The address to listen on. Loopback by default; `"::1"` for IPv6.
        public var host: String
        /// The port to listen on; 0 (the default) lets the kernel pick a free
        /// one, so parallel tests never collide. Read it back from ``TestServer/port``.
        public var port: Int
        /// `requirepass`: clients must `AUTH` (or `HELLO 3 AUTH default …`)
        /// before other commands. Direct-access calls are never asked.
        public var password: String?
        /// `databases`: how many numbered databases exist (16, as in Redis).
        public var databases: Int
        /// `maxmemory` in bytes; nil leaves the default (no limit).
        public var maxMemory: Int?
        /// `maxmemory-policy`; nil leaves the default (`noeviction`).
        public var maxMemoryPolicy: EvictionPolicy?
        /// Virtual (the default: time moves only by ``TestServer/advanceClock(by:)``)
        /// or real (wall-clock) time.
        public var clock: ClockKind
        /// Any other directive, by its redis.conf name, with the value written
        /// as in redis.conf (`"save": "900 1"`, `"rename-command": "KEYS \"\""`).
        /// Applied after the typed properties above, so these win. An empty
        /// value is passed as `""`.
        public var config: [String: String]
        /// How many of the most recent wire commands ``TestServer/commandLog``
        /// keeps; 0 turns the log off.
        public var commandLogLimit: Int

        public init(host: String = "127.0.0.1", port: Int = 0, password: String? = nil, databases: Int = 16,
                    maxMemory: Int? = nil, maxMemoryPolicy: EvictionPolicy? = nil, clock: ClockKind = .virtual,
                    config: [String: String] = [:], commandLogLimit: Int = 10_000) {
            self.host = host
            self.port = port
            self.password = password
            self.databases = databases
            self.maxMemory = maxMemory
            self.maxMemoryPolicy = maxMemoryPolicy
            self.clock = clock
            self.config = config
            self.commandLogLimit = commandLogLimit
        }

        /// The options as redis.conf text, in the order they are applied.
        /// The fixture logs only warnings unless `config` says otherwise.
        var configurationText: String {
            var lines = ["loglevel warning"]
            if let password { lines.append("requirepass \(Options.quote(password))") }
            lines.append("databases \(databases)")
            if let maxMemory { lines.append("maxmemory \(maxMemory)") }
            if let maxMemoryPolicy { lines.append("maxmemory-policy \(maxMemoryPolicy.rawValue)") }
            for (name, value) in config.sorted(by: { $0.key < $1.key }) {
                lines.append("\(name) \(value.isEmpty ? "\"\"" : value)")
            }
            return lines.joined(separator: "\n") + "\n"
        }

        /// A redis.conf double-quoted string (backslash escapes, as `sdssplitargs`
        /// reads them): the same escaping redis-cli uses for display.
        static func quote(_ text: String) -> String { TestServer.quoted(Array(text.utf8)) }
    }

    /// Which time the server reads: everything time-dependent (TTLs, lazy and
    /// active expiry, LRU idle time, LFU decay, `TIME`, idle-client timeouts)
    /// follows it.
    public struct ClockKind: Sendable, Hashable, CustomStringConvertible {
        let isVirtual: Bool
        let startMilliseconds: Int64?

        /// A virtual clock starting at the current wall time, moved only by
        /// ``TestServer/advanceClock(by:)``. The default.
        public static var virtual: ClockKind { ClockKind(isVirtual: true, startMilliseconds: nil) }

        /// A virtual clock starting at a fixed Unix time (milliseconds), for
        /// tests that assert on `EXPIRETIME` or `TIME`.
        public static func virtual(startingAtUnixMilliseconds milliseconds: Int64) -> ClockKind {
            ClockKind(isVirtual: true, startMilliseconds: milliseconds)
        }

        /// The real wall clock: TTLs pass in real time and
        /// ``TestServer/advanceClock(by:)`` is not available.
        public static var real: ClockKind { ClockKind(isVirtual: false, startMilliseconds: nil) }

        public var description: String {
            guard isVirtual else { return "real" }
            return startMilliseconds.map { "virtual(startingAtUnixMilliseconds: \($0))" } ?? "virtual"
        }
    }

    /// A `maxmemory-policy` value.
    public struct EvictionPolicy: RawRepresentable, Sendable, Hashable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let noEviction = EvictionPolicy(rawValue: "noeviction")
        public static let allKeysLRU = EvictionPolicy(rawValue: "allkeys-lru")
        public static let allKeysLFU = EvictionPolicy(rawValue: "allkeys-lfu")
        public static let allKeysRandom = EvictionPolicy(rawValue: "allkeys-random")
        public static let volatileLRU = EvictionPolicy(rawValue: "volatile-lru")
        public static let volatileLFU = EvictionPolicy(rawValue: "volatile-lfu")
        public static let volatileRandom = EvictionPolicy(rawValue: "volatile-random")
        public static let volatileTTL = EvictionPolicy(rawValue: "volatile-ttl")
    }

    /// What a key holds, as `TYPE` names it.
    public struct KeyType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let string = KeyType(rawValue: "string")
        public static let list = KeyType(rawValue: "list")
        public static let set = KeyType(rawValue: "set")
        public static let sortedSet = KeyType(rawValue: "zset")
        public static let hash = KeyType(rawValue: "hash")
        public static let stream = KeyType(rawValue: "stream")

        public var description: String { rawValue }
    }
}

import Swiftlet

/// Direct state access: every method runs the equivalent Redis command
/// in-process, through the server's own dispatcher (no socket, no
/// authentication, not logged, not subject to injected faults), in the
/// database chosen with ``TestServer/select(db:)`` (0 by default).
extension TestServer {
    // MARK: Strings

    /// `SET key value [PX ttl]`: stores a string, replacing whatever the key held.
    ///
    /// - Parameters:
    ///   - key: the key, in the database chosen with ``select(db:)``.
    ///   - value: the string to store (as UTF-8).
    ///   - ttl: time to live (a positive whole number of milliseconds); nil
    ///     stores the key without expiry. It runs on the server's clock, so
    ///     with the virtual clock only ``advanceClock(by:)`` makes it pass.
    /// - Throws: ``TestServerError/Kind/invalidArgument`` for a TTL that is
    ///   not a positive whole number of milliseconds.
    public func set(_ key: String, _ value: String, ttl: Duration? = nil) async throws {
        try await set(key, bytes: Array(value.utf8), ttl: ttl)
    }

    /// `SET key value [PX ttl]` with a binary value.
    public func set(_ key: String, bytes value: [UInt8], ttl: Duration? = nil) async throws {
        var arguments: [[UInt8]] = [Array("SET".utf8), Array(key.utf8), value]
        if let ttl {
            let ms = try TestServer.milliseconds(ttl, for: "ttl")
            arguments += [Array("PX".utf8), Array(String(ms).utf8)]
        }
        _ = try run(arguments)
    }

    /// `GET key`: the value as UTF-8 text, or nil when the key is missing or
    /// has expired (by the server's clock, virtual or real).
    ///
    /// - Throws: ``TestServerError/Kind/commandFailed`` (`WRONGTYPE`) when the
    ///   key holds something other than a string.
    public func get(_ key: String) async throws -> String? {
        try await getBytes(key).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `GET key` as bytes.
    public func getBytes(_ key: String) async throws -> [UInt8]? {
        let reply = try run(["GET", key])
        if reply.isNull { return nil }
        guard let bytes = reply.bytes else { throw unexpected(reply, from: ["GET", key]) }
        return bytes
    }

    /// `INCRBY key by`: the new value.
    @discardableResult
    public func increment(_ key: String, by amount: Int = 1) async throws -> Int {
        let reply = try run(["INCRBY", key, String(amount)])
        guard let n = reply.integer else { throw unexpected(reply, from: ["INCRBY", key]) }
        return n
    }

    // MARK: Keys

    /// `EXISTS key`.
    public func exists(_ key: String) async throws -> Bool {
        try run(["EXISTS", key]).integer == 1
    }

    /// `DEL key…`: how many of the keys existed.
    @discardableResult
    public func delete(_ keys: String...) async throws -> Int {
        try await delete(keys)
    }

    /// `DEL key…`: how many of the keys existed.
    @discardableResult
    public func delete(_ keys: [String]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return try run(["DEL"] + keys).integer ?? 0
    }

    /// `KEYS pattern`, sorted: the live keys matching a Redis glob pattern
    /// (`*`, `?`, `[a-z]`, `\` escapes).
    public func keys(matching pattern: String = "*") async throws -> [String] {
        let reply = try run(["KEYS", pattern])
        guard let items = reply.elements else { throw unexpected(reply, from: ["KEYS", pattern]) }
        return items.compactMap(\.string).sorted()
    }

    /// `PTTL key`: the time left, or nil when the key does not exist or has no expiry.
    public func ttl(_ key: String) async throws -> Duration? {
        let reply = try run(["PTTL", key])
        guard let ms = reply.integer else { throw unexpected(reply, from: ["PTTL", key]) }
        return ms < 0 ? nil : .milliseconds(ms)
    }

    /// `PEXPIRE key ttl`: whether the key existed (and now expires).
    @discardableResult
    public func expire(_ key: String, in ttl: Duration) async throws -> Bool {
        let ms = try TestServer.milliseconds(ttl, for: "ttl")
        return try run(["PEXPIRE", key, String(ms)]).integer == 1
    }

    /// `PERSIST key`: whether a TTL was removed.
    @discardableResult
    public func persist(_ key: String) async throws -> Bool {
        try run(["PERSIST", key]).integer == 1
    }

    /// `TYPE key`: what the key holds, or nil when it does not exist.
    public func type(_ key: String) async throws -> KeyType? {
        let reply = try run(["TYPE", key])
        guard let name = reply.string else { throw unexpected(reply, from: ["TYPE", key]) }
        return name == "none" ? nil : KeyType(rawValue: name)
    }

    /// `DBSIZE`: how many keys the selected database holds.
    public func dbSize() async throws -> Int {
        try run(["DBSIZE"]).integer ?? 0
    }

    /// `FLUSHALL SYNC`: empties every database.
    public func flushAll() async throws {
        _ = try run(["FLUSHALL", "SYNC"])
    }

    /// `FLUSHDB SYNC`: empties the selected database.
    public func flushDB() async throws {
        _ = try run(["FLUSHDB", "SYNC"])
    }

    // MARK: Databases and configuration

    /// Chooses the database later direct-access calls use (0 at start).
    /// Wire clients are not affected: each selects its own with `SELECT`.
    ///
    /// - Throws: ``TestServerError/Kind/invalidArgument`` when `db` is not
    ///   below ``Options/databases``.
    public func select(db: Int) async throws {
        let count = server.configuration.databases
        guard db >= 0 && db < count else {
            throw TestServerError(.invalidArgument, "select(db: \(db)): the server has databases 0 to \(count - 1)")
        }
        state.withLock { $0.database = db }
    }

    /// The database direct-access calls use.
    public var selectedDatabase: Int { state.withLock { $0.database } }

    /// `CONFIG GET name`: the directive's current value, nil if unknown.
    public func config(_ name: String) async throws -> String? {
        let reply = try run(["CONFIG", "GET", name])
        guard let items = reply.elements else { throw unexpected(reply, from: ["CONFIG", "GET", name]) }
        return items.count >= 2 ? items[1].string : nil
    }

    /// `CONFIG SET name value`, for mutable directives at run time
    /// (`maxmemory`, `notify-keyspace-events`, …). Immutable ones go in ``Options``.
    public func setConfig(_ name: String, _ value: String) async throws {
        _ = try run(["CONFIG", "SET", name, value])
    }

    // MARK: Any command

    /// Runs any command in-process and returns its reply: the escape hatch
    /// for commands without a typed helper.
    ///
    /// ```swift
    /// let reply = try await server.command("OBJECT", "ENCODING", "counter")
    /// #expect(reply.string == "int")
    /// ```
    ///
    /// - Throws: ``TestServerError/Kind/commandFailed`` when the server
    ///   replies with an error (``TestServerError/serverError`` holds it).
    @discardableResult
    public func command(_ arguments: String...) async throws -> Reply {
        try run(arguments.map { Array($0.utf8) })
    }

    /// Runs any command in-process; `protocolVersion` 3 gives RESP3 replies (maps, doubles, …).
    @discardableResult
    public func command(_ arguments: [String], protocolVersion: Int = 2) async throws -> Reply {
        try run(arguments.map { Array($0.utf8) }, protocolVersion: protocolVersion)
    }

    /// Runs any command with binary arguments in-process.
    @discardableResult
    public func command(bytes arguments: [[UInt8]], protocolVersion: Int = 2) async throws -> Reply {
        try run(arguments, protocolVersion: protocolVersion)
    }

    // MARK: Snapshot

    /// A readable listing of every non-empty database, for failure messages:
    ///
    /// ```
    /// db0: 2 keys
    ///   "counter" = "41"
    ///   "session:1" = "abc"  (ttl 4.5 seconds)
    /// ```
    ///
    /// Strings are shown (escaped like `redis-cli`, cut after 200 bytes);
    /// other types by name. At most `limit` keys per database are listed.
    /// Never throws: a problem reading a key is written into the text.
    public func dump(limit: Int = 1000) async -> String {
        var out: [String] = []
        for db in 0..<server.configuration.databases {
            let count: Int
            do { count = try run(["DBSIZE"], db: db).integer ?? 0 } catch { out.append("db\(db): \(error)"); continue }
            if count == 0 { continue }
            out.append("db\(db): \(count) key\(count == 1 ? "" : "s")")
            let keys: [[UInt8]]
            do {
                keys = (try run(["KEYS", "*"], db: db).elements ?? []).compactMap(\.bytes)
                    .sorted { $0.lexicographicallyPrecedes($1) }
            } catch {
                out.append("  \(error)")
                continue
            }
            for key in keys.prefix(max(0, limit)) {
                out.append("  " + describeKey(key, db: db))
            }
            if keys.count > limit { out.append("  … \(keys.count - limit) more") }
        }
        return out.isEmpty ? "(no keys)" : out.joined(separator: "\n")
    }

    private func describeKey(_ key: [UInt8], db: Int) -> String {
        var line = TestServer.quoted(key)
        let type = (try? run([Array("TYPE".utf8), key], db: db).string) ?? "?"
        switch type {
        case "none":
            return line + " (expired or deleted while listing)"
        case "string":
            if let value = try? run([Array("GET".utf8), key], db: db).bytes {
                let shown = TestServer.quoted(Array(value.prefix(200)))
                line += " = " + shown + (value.count > 200 ? " … (\(value.count) bytes)" : "")
            }
        default:
            line += " (\(type))"
        }
        if let ms = try? run([Array("PTTL".utf8), key], db: db).integer, ms >= 0 {
            line += "  (ttl \(Duration.milliseconds(ms)))"
        }
        return line
    }

    // MARK: Plumbing

    /// Runs one command in-process and decodes its reply; error replies throw.
    func run(_ arguments: [String], db: Int? = nil, protocolVersion: Int = 2) throws -> Reply {
        try run(arguments.map { Array($0.utf8) }, db: db, protocolVersion: protocolVersion)
    }

    func run(_ arguments: [[UInt8]], db: Int? = nil, protocolVersion: Int = 2) throws -> Reply {
        guard !arguments.isEmpty else {
            throw TestServerError(.invalidArgument, "a command needs at least its name")
        }
        let database = db ?? state.withLock { $0.database }
        let bytes = server.call(arguments, db: database, protocolVersion: protocolVersion)
        let reply: Reply
        do {
            reply = try ReplyDecoder.decodeOne(bytes)
        } catch {
            throw TestServerError(.unexpectedReply, "\(TestServer.render(arguments)): could not decode the reply: \(error)")
        }
        if case .error(let text) = reply {
            throw TestServerError(.commandFailed, "\(TestServer.render(arguments)) failed: \(text)", serverError: text)
        }
        return reply
    }

    func unexpected(_ reply: Reply, from arguments: [String]) -> TestServerError {
        TestServerError(.unexpectedReply, "\(arguments.joined(separator: " ")): unexpected reply \(reply)")
    }

    /// A command for messages: `SET "k" "v"`, long arguments cut.
    static func render(_ arguments: [[UInt8]]) -> String {
        var parts: [String] = []
        for (i, a) in arguments.prefix(8).enumerated() {
            if i == 0 {
                parts.append(String(decoding: a, as: UTF8.self).uppercased())
            } else {
                parts.append(quoted(Array(a.prefix(64))) + (a.count > 64 ? "…" : ""))
            }
        }
        if arguments.count > 8 { parts.append("… (\(arguments.count - 8) more)") }
        return parts.joined(separator: " ")
    }

    /// A positive whole number of milliseconds, or an `invalidArgument` error.
    static func milliseconds(_ duration: Duration, for what: String) throws -> Int64 {
        let (seconds, attoseconds) = duration.components
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard duration > .zero, attoseconds % perMillisecond == 0, !overflow else {
            throw TestServerError(.invalidArgument,
                                  "\(what) must be a positive whole number of milliseconds, got \(duration)")
        }
        return scaled + attoseconds / perMillisecond
    }
}

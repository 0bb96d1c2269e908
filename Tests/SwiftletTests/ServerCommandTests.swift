import XCTest
import Swiftlet
import Commands
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Server-level commands whose output tools parse (INFO, CLIENT LIST) and
/// the limits that protect the server, each compared with redis-server.
final class ServerCommandTests: XCTestCase {
    var pair: DifferentialPair!

    override func setUpWithError() throws { pair = try DifferentialPair.start() }
    override func tearDown() { pair?.stop() }

    /// `field -> value` for every `name:value` line of an INFO reply, by section.
    func infoFields(_ port: Int, _ section: String) throws -> [String: [String]] {
        let c = try TestConnection(port: port)
        let text = try c.call("INFO", section).string ?? ""
        var out: [String: [String]] = [:]
        var current = ""
        for line in text.split(separator: "\r\n") {
            if line.hasPrefix("# ") { current = String(line.dropFirst(2)); out[current] = []; continue }
            if let colon = line.firstIndex(of: ":") { out[current, default: []].append(String(line[..<colon])) }
        }
        return out
    }

    /// INFO stats counts what Redis counts from CONFIG RESETSTAT on (at
    /// once, on every loop): commands, connections, hits and misses,
    /// expired keys, errors, socket reads (a pipeline of three in one
    /// write is one read; a peer that leaves is one more) and writes (one
    /// per flush of replies, RESETSTAT's own included).
    func testInfoStatsCountFromResetstatLikeRedis() throws {
        let wanted = ["total_connections_received", "total_commands_processed", "keyspace_hits", "keyspace_misses",
                      "expired_keys", "evicted_keys", "total_error_replies", "rejected_connections", "expired_stale_perc",
                      "total_reads_processed", "total_writes_processed"]
        var transcripts: [[String]] = []
        for (_, port) in pair.servers {
            let c = try TestConnection(port: port)
            _ = try c.call("SET", "before", "1"); _ = try c.call("GET", "before"); _ = try c.call("GET", "missing")
            _ = try c.call("CONFIG", "RESETSTAT")
            _ = try c.call("SET", "a", "1"); _ = try c.call("GET", "a"); _ = try c.call("GET", "nope")
            _ = try c.call("SET", "e", "1", "PX", "1")
            usleep(20_000)
            _ = try c.call("GET", "e"); _ = try c.call("LPUSH", "a", "x")
            try c.send("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n")
            for _ in 0..<3 { _ = try c.readFrame() }
            let other = try TestConnection(port: port)
            _ = try other.call("PING")
            other.close()
            usleep(50_000)
            let text = try c.call("INFO", "stats").string ?? ""
            transcripts.append(text.split(separator: "\r\n").filter { wanted.contains(String($0.split(separator: ":")[0])) }.map(String.init))
        }
        XCTAssertEqual(transcripts[0].count, wanted.count)
        XCTAssertEqual(transcripts[0], transcripts[1])
    }

    /// Every section and field Redis prints, Swiftlet prints too, in the same
    /// order (exporters and redis-cli --stat read them by name).
    func testInfoHasEveryRedisSectionAndField() throws {
        for section in ["default", "everything"] {
            let theirs = try infoFields(pair.redis.port, section)
            let ours = try infoFields(pair.swiftlet.port, section)
            XCTAssertEqual(Set(ours.keys).intersection(theirs.keys), Set(theirs.keys), "sections of INFO \(section)")
            for (name, fields) in theirs where !["Commandstats", "Errorstats", "Latencystats", "Keyspace"].contains(name) {
                let mine = ours[name] ?? []
                let missing = fields.filter { !mine.contains($0) }
                XCTAssertEqual(missing, [], "INFO \(section) # \(name) lacks fields")
                XCTAssertEqual(mine.filter { fields.contains($0) }, fields, "INFO # \(name) field order")
            }
        }
        // Sections are separated by a blank line and lines end in CRLF.
        let text = try TestConnection(port: pair.swiftlet.port).call("INFO").string ?? ""
        XCTAssertTrue(text.contains("\r\n\r\n# Clients\r\n"))
        XCTAssertTrue(text.contains("redis_version:7.0.15\r\n"))
    }

    /// MEMORY STATS (read as a dict by redis-py's `memory_stats()` and by
    /// dashboards) has Redis's fields, in Redis's order, with Redis's reply
    /// types in RESP2 and RESP3, a map per database with keys; ROLE (asked by
    /// sentinel-aware clients) is a master's, byte for byte.
    func testMemoryStatsShapeAndRoleMatchRedis() throws {
        try pair.setUpBoth([["SET", "a", "1"], ["SET", "b", "2", "EX", "100"], ["SELECT", "3"], ["SET", "c", "3"]])
        /// Each field's name and reply type, nested maps flattened as `db.N/field`.
        func shape(_ value: RESPValue, prefix: String = "") -> [String] {
            var out: [String] = []
            var pairs: [(RESPValue, RESPValue)] = []
            if case .map(let m) = value { pairs = m }
            if case .array(let a?) = value { pairs = stride(from: 0, to: a.count - 1, by: 2).map { (a[$0], a[$0 + 1]) } }
            for (k, v) in pairs {
                let name = prefix + (k.string ?? "?")
                switch v {
                case .map, .array: out += shape(v, prefix: name + "/")
                case .integer: out.append(name + ":integer")
                case .double: out.append(name + ":double")
                case .bulk: out.append(name + ":bulk")
                default: out.append(name + ":other")
                }
            }
            return out
        }
        for version in ["2", "3"] {
            var shapes: [String: [String]] = [:]
            for (label, port) in pair.servers {
                let c = try TestConnection(port: port)
                _ = try c.call("HELLO", version)
                shapes[label] = shape(try c.call("MEMORY", "STATS"))
            }
            XCTAssertEqual(shapes["swiftlet"], shapes["redis"], "MEMORY STATS with RESP\(version)")
            XCTAssertGreaterThan(shapes["redis"]?.count ?? 0, 25, "MEMORY STATS was vacuous")
        }
        try pair.replayOnBoth([["ROLE"], ["HELLO", "3"], ["ROLE"]], unchecked: [1])
    }

    /// Sections come in INFO's own order whatever order they are asked in,
    /// once each, unknown names skipped (Swiftlet used to follow the request).
    func testInfoSectionsComeInRedisOrderWhateverTheRequest() throws {
        func titles(_ port: Int, _ sections: [String]) throws -> [String] {
            let text = try TestConnection(port: port).call(["INFO"] + sections).string ?? "(not a string)"
            return text.split(separator: "\r\n").filter { $0.hasPrefix("# ") }.map(String.init)
        }
        let requests = [["keyspace", "cpu"], ["cluster", "CLUSTER", "modules", "nosuch"], ["nosuch"],
                        ["keyspace", "default"], ["everything", "server"], ["all"], ["Stats", "memory", "clients"]]
        for sections in requests {
            XCTAssertEqual(try titles(pair.swiftlet.port, sections), try titles(pair.redis.port, sections),
                           "INFO \(sections.joined(separator: " "))")
        }
    }

    func testInfoCountsCommandsErrorsAndKeyspace() throws {
        for (_, port) in pair.servers {
            let c = try TestConnection(port: port)
            _ = try c.call("CONFIG", "RESETSTAT")
            _ = try c.call("SET", "a", "1")
            _ = try c.call("SET", "b", "2", "EX", "100")
            _ = try c.call("GET", "a")
            _ = try c.call("GET", "missing")
            _ = try c.call("INCR", "b")
            _ = try c.call("LPUSHX_NOSUCH")
            _ = try c.call("GET")
        }
        func pick(_ port: Int) throws -> [String] {
            let text = try TestConnection(port: port).call("INFO", "everything").string ?? ""
            return text.split(separator: "\r\n").map(String.init).filter {
                $0.hasPrefix("cmdstat_set:calls") || $0.hasPrefix("cmdstat_get:calls") || $0.hasPrefix("errorstat_")
                    || $0.hasPrefix("keyspace_") || $0.hasPrefix("db0:") || $0.hasPrefix("total_error_replies")
            }.map { line in
                // usec figures are timings: keep the counts only.
                line.split(separator: ",").filter { !$0.hasPrefix("usec") && !$0.hasPrefix("avg_ttl") }.joined(separator: ",")
            }
        }
        // Redis lists commandstats in hash-table order: compare as sets.
        XCTAssertEqual(try pick(pair.swiftlet.port).sorted(), try pick(pair.redis.port).sorted())
    }

    /// CLIENT LIST has Redis's fields in Redis's order, and the values that
    /// do not depend on the process match.
    func testClientListFormat() throws {
        func fields(_ port: Int) throws -> [(String, String)] {
            let c = try TestConnection(port: port)
            _ = try c.call("CLIENT", "SETNAME", "probe")
            _ = try c.call("SELECT", "3")
            let line = try c.call("CLIENT", "LIST").string?.split(separator: "\n").first ?? ""
            return line.split(separator: " ").map { part in
                let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
            }
        }
        let theirs = try fields(pair.redis.port)
        let ours = try fields(pair.swiftlet.port)
        XCTAssertEqual(ours.map { $0.0 }, theirs.map { $0.0 })
        let stable = ["name", "flags", "db", "sub", "psub", "ssub", "multi", "cmd", "user", "redir", "resp"]
        for key in stable {
            XCTAssertEqual(ours.first { $0.0 == key }?.1, theirs.first { $0.0 == key }?.1, key)
        }
    }

    /// `cmd=` is the last command looked up (NULL after an unknown one, the
    /// command itself after an arity error, a queued command inside MULTI,
    /// EXEC while the queue runs), and a client running EXEC still shows as
    /// in MULTI: compared field by field with Redis.
    func testClientListShowsTheLastCommandLookedUpAsRedisDoes() throws {
        func fields(_ line: String) -> String {
            let keep = ["flags", "multi", "cmd"]
            return line.split(separator: " ").filter { part in keep.contains { part.hasPrefix($0 + "=") } }
                .joined(separator: " ")
        }
        func observe(_ port: Int) throws -> [String] {
            let subject = try TestConnection(port: port)
            let observer = try TestConnection(port: port)
            let id = try subject.call("CLIENT", "ID").int!
            func seen() throws -> String {
                fields(try observer.call("CLIENT", "LIST", "ID", String(id)).string ?? "")
            }
            var out: [String] = []
            _ = try subject.call("NOSUCHCOMMAND", "x"); out.append(try seen())
            _ = try subject.call("CLIENT", "NOSUCHSUB"); out.append(try seen())
            _ = try subject.call("GET"); out.append(try seen())
            _ = try subject.call("MULTI"); out.append(try seen())
            _ = try subject.call("SET", "k", "v"); out.append(try seen())
            _ = try subject.call("CLIENT", "INFO"); out.append(try seen())
            let results = try subject.call("EXEC").elements ?? []
            out.append(fields(results.last?.string ?? "(no CLIENT INFO reply)"))
            out.append(try seen())
            return out
        }
        XCTAssertEqual(try observe(pair.swiftlet.port), try observe(pair.redis.port))
    }

    func testClientKillByIdReachesAnotherConnection() throws {
        for (label, port) in pair.servers {
            let victim = try TestConnection(port: port)
            let id = try victim.call("CLIENT", "ID").int!
            let admin = try TestConnection(port: port)
            XCTAssertEqual(try admin.call("CLIENT", "KILL", "ID", String(id)), .integer(1), label)
            XCTAssertTrue(try victim.waitForClose(timeoutMs: 2000), "\(label): victim still connected")
            XCTAssertEqual(try admin.call("CLIENT", "KILL", "ID", String(id)), .integer(0), label)
        }
    }

    /// CLIENT PAUSE WRITE holds writes but lets reads through; UNPAUSE releases them.
    func testClientPauseWriteHoldsOnlyWrites() throws {
        let port = pair.swiftlet.port
        let admin = try TestConnection(port: port)
        let worker = try TestConnection(port: port)
        XCTAssertEqual(try admin.call("CLIENT", "PAUSE", "10000", "WRITE"), .simple("OK"))
        XCTAssertEqual(try worker.call("GET", "k"), .bulk(nil))
        try worker.send(command: ["SET", "k", "v"])
        XCTAssertThrowsError(try worker.readFrame(timeoutMs: 300), "SET must wait during the pause")
        XCTAssertEqual(try admin.call("CLIENT", "UNPAUSE"), .simple("OK"))
        XCTAssertEqual(try worker.readFrame(timeoutMs: 2000), .simple("OK"))
        XCTAssertEqual(try worker.call("GET", "k"), .bulk(Array("v".utf8)))
    }

    /// A client whose unparsed input passes client-query-buffer-limit is
    /// disconnected, as Redis does; others are unaffected.
    func testQueryBufferLimitDisconnects() throws {
        for (label, port) in pair.servers {
            let admin = try TestConnection(port: port)
            XCTAssertEqual(try admin.call("CONFIG", "SET", "client-query-buffer-limit", "1mb"), .simple("OK"), label)
            let greedy = try TestConnection(port: port)
            // A bulk announced as 3 MB but never finished.
            try greedy.send(Array("*2\r\n$4\r\nECHO\r\n$3000000\r\n".utf8))
            let chunk = [UInt8](repeating: 0x61, count: 256 * 1024)
            var closed = false
            for _ in 0..<10 {
                do { try greedy.send(chunk) } catch { closed = true; break }
            }
            closed = try closed || greedy.waitForClose(timeoutMs: 2000)
            XCTAssertTrue(closed, "\(label): client over the query buffer limit was not disconnected")
            XCTAssertEqual(try admin.call("PING"), .simple("PONG"), label)
            XCTAssertEqual(try admin.call("CONFIG", "SET", "client-query-buffer-limit", "1gb"), .simple("OK"), label)
        }
    }

    func testRenameCommandFromConfiguration() throws {
        let config = Configuration()
        try config.load(arguments: ["--rename-command", "flushall", "", "--rename-command", "get", "fetch"],
                        readFile: Configuration.readFileFromDisk, standardInput: Configuration.readStandardInput)
        let server = SwiftletServer(configuration: config)
        try server.start(port: 0, bind: ["127.0.0.1"])
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        XCTAssertEqual(try c.call("SET", "k", "v"), .simple("OK"))
        XCTAssertEqual(try c.call("FETCH", "k"), .bulk(Array("v".utf8)))
        XCTAssertEqual(try c.call("GET", "k"), .error("ERR unknown command 'GET', with args beginning with: 'k' "))
        XCTAssertEqual(try c.call("FLUSHALL"), .error("ERR unknown command 'FLUSHALL', with args beginning with: "))
    }
}

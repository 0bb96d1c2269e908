import XCTest
import Swiftlet
import Commands
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Who may connect and run commands: protected mode and requirepass, each
/// compared byte for byte with what redis-server sends in the same situation.
final class AccessTests: XCTestCase {
    /// Connects from `source` (e.g. 127.0.0.2: still this machine, but not
    /// what Redis calls local) and returns everything the server sends to PING.
    func ping(from source: String, port: Int) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        _ = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let rc = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        XCTAssertEqual(rc, 0)
        _ = "PING\r\n".withCString { write(fd, $0, 6) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 2000) <= 0 { break }
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }

    func testProtectedModeRefusesNonLocalPeersLikeRedis() throws {
        guard let redis = ReferenceRedis.start(extraArguments: ["--bind", "127.0.0.1"]) else { throw XCTSkip("redis-server not installed") }
        defer { redis.stop() }
        let server = SwiftletServer(configuration: Configuration())
        try server.start(port: 0, bind: ["127.0.0.1"])
        defer { server.stop() }
        let expected = try ping(from: "127.0.0.2", port: redis.port)
        XCTAssertTrue(expected.starts(with: Array("-DENIED".utf8)))
        XCTAssertEqual(RESPValue.escape(try ping(from: "127.0.0.2", port: server.port)), RESPValue.escape(expected))
        // 127.0.0.1 itself is local.
        XCTAssertEqual(try ping(from: "127.0.0.1", port: server.port), Array("+PONG\r\n".utf8))
    }

    func testRequirePassGatesCommandsLikeRedis() throws {
        guard let redis = ReferenceRedis.start(extraArguments: ["--requirepass", "s3cret"]) else { throw XCTSkip("redis-server not installed") }
        defer { redis.stop() }
        let config = Configuration()
        XCTAssertNil(config.set([("requirepass", "s3cret")]))
        let server = SwiftletServer(configuration: config)
        try server.start(port: 0, bind: ["127.0.0.1"])
        defer { server.stop() }
        let script: [[String]] = [
            ["GET", "k"], ["PING"], ["AUTH", "wrong"], ["AUTH", "default", "wrong"], ["AUTH", "nobody", "s3cret"],
            ["HELLO", "3"], ["HELLO", "2", "AUTH", "default", "wrong"], ["AUTH", "s3cret"], ["SET", "k", "v"], ["GET", "k"],
            ["RESET"], ["GET", "k"], ["HELLO", "2", "AUTH", "default", "s3cret"], ["GET", "k"], ["AUTH", "a", "b", "c"],
        ]
        let theirs = try TestConnection(port: redis.port)
        let ours = try TestConnection(port: server.port)
        for command in script {
            let expected = try theirs.call(command)
            let got = try ours.call(command)
            if command.first == "HELLO", case .array = expected {
                XCTAssertEqual(got.elements?.count, expected.elements?.count, "\(command)")  // ids differ
            } else {
                XCTAssertEqual(got, expected, "\(command)")
            }
        }
    }

    /// Passwords given to AUTH, HELLO AUTH, ACL SETUSER and CONFIG SET
    /// requirepass never show in SLOWLOG (Redis's "(redacted)" in the same
    /// places), CLIENT LIST, INFO or the log file, even at debug level.
    func testSecretsStayOutOfSlowlogClientListInfoAndLog() throws {
        guard let redis = ReferenceRedis.start(extraArguments: ["--slowlog-log-slower-than", "0"]) else {
            throw XCTSkip("redis-server not installed")
        }
        defer { redis.stop() }
        // The executable, so that its whole log (start-up to shutdown) is read.
        let port = ReferenceRedis.freePort()
        let server = try ServerProcess([ServerProcess.swiftletExecutable, "--port", String(port), "--bind", "127.0.0.1",
                                        "--slowlog-log-slower-than", "0", "--loglevel", "debug"])
        XCTAssertTrue(server.waitForLog("Ready to accept connections"), server.log)
        let secrets = ["first-secret", "second-secret", "third-secret", "wrong-secret"]
        let script: [[String]] = [
            ["ACL", "SETUSER", "default", ">first-secret"], ["AUTH", "wrong-secret"], ["AUTH", "first-secret"],
            ["HELLO", "2", "AUTH", "default", "first-secret", "SETNAME", "app"],
            ["CONFIG", "SET", "requirepass", "second-secret", "maxmemory-samples", "5"],
            ["AUTH", "default", "second-secret"], ["ACL", "SETUSER", "default", ">third-secret", "on"],
            ["CONFIG", "SET", "requirepass", ""], ["ACL", "SETUSER", "default", "nopass"],
        ]
        var slowlogs: [[[String]]] = []
        for port in [redis.port, port] {
            let connection = try TestConnection(port: port)
            XCTAssertEqual(try connection.call("SLOWLOG", "RESET"), .simple("OK"))
            for command in script { _ = try connection.call(command) }
            // Each entry: [id, time, duration, [arguments], peer, name]; keep the arguments.
            let entries = try connection.call("SLOWLOG", "GET", "100").elements ?? []
            slowlogs.append(entries.compactMap { $0.elements?[3].elements?.compactMap(\.string) }.filter { $0.first != "SLOWLOG" }.reversed())
            for text in [try connection.call("CLIENT", "LIST").string ?? "", try connection.call("INFO", "everything").string ?? ""] {
                for secret in secrets { XCTAssertFalse(text.contains(secret), "\(port): \(secret) in \(text)") }
            }
        }
        XCTAssertEqual(slowlogs[1], slowlogs[0], "SLOWLOG arguments differ from Redis's")
        XCTAssertTrue(slowlogs[1].joined().contains("(redacted)"))
        let last = try TestConnection(port: port)
        try last.send(command: ["SHUTDOWN"])
        XCTAssertEqual(server.waitForExit(timeoutMs: 5000), 0)
        let log = server.log
        XCTAssertTrue(log.contains("ready to exit, bye bye"), log)
        for secret in secrets { XCTAssertFalse(log.contains(secret), "\(secret) in the log") }
    }

    /// The default user set by ACL SETUSER gates connections exactly as
    /// requirepass does: over TCP, Swiftlet and Redis answer alike, and
    /// protected mode counts a user with a password as protected.
    func testAclPasswordsGateConnectionsLikeRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        for (label, port) in pair.servers {
            let admin = try TestConnection(port: port)
            XCTAssertEqual(try admin.call("ACL", "SETUSER", "default", ">alpha", ">beta"), .simple("OK"), label)
            let before = try TestConnection(port: port)
            XCTAssertEqual(try before.call("GET", "k"), .error("NOAUTH Authentication required."), label)
            // An oversized request before AUTH is a protocol error, as in Redis.
            try before.send("*2\r\n$3\r\nGET\r\n$100000\r\n")
            XCTAssertEqual(try before.readFrame(), .error("ERR Protocol error: unauthenticated bulk length"), label)
            let user = try TestConnection(port: port)
            XCTAssertEqual(try user.call("AUTH", "beta"), .simple("OK"), label)
            XCTAssertEqual(try user.call("ACL", "WHOAMI"), .bulk(Array("default".utf8)), label)
            XCTAssertEqual(try admin.call("ACL", "SETUSER", "default", "<beta"), .simple("OK"), label)
            // Already authenticated connections stay so.
            XCTAssertEqual(try user.call("PING"), .simple("PONG"), label)
            let late = try TestConnection(port: port)
            XCTAssertEqual(try late.call("AUTH", "beta"), .error("WRONGPASS invalid username-password pair or user is disabled."), label)
            XCTAssertEqual(try late.call("AUTH", "alpha"), .simple("OK"), label)
            XCTAssertEqual(try admin.call("ACL", "SETUSER", "default", "nopass"), .simple("OK"), label)
        }
    }

    /// `bind` with IPv6: both servers bound to `127.0.0.1 ::1` answer on
    /// both; bound to `::1` only, IPv4 is refused; a ::1 peer is local
    /// for protected mode, and CLIENT INFO shows its address the same way.
    func testBindIncludingIPv6LikeRedis() throws {
        try requireTool("redis-cli")
        for bind in [["127.0.0.1", "::1"], ["::1"]] {
            guard let redis = ReferenceRedis.start(extraArguments: ["--bind"] + bind) else { throw XCTSkip("redis-server not installed") }
            defer { redis.stop() }
            let config = Configuration()
            try config.load(arguments: ["--bind"] + bind, readFile: Configuration.readFileFromDisk, standardInput: Configuration.readStandardInput)
            let server = SwiftletServer(configuration: config)
            try server.start(port: ReferenceRedis.freePort())
            defer { server.stop() }
            for (label, port) in [("redis", redis.port), ("swiftlet", server.port)] {
                let six = Subprocess.run(["redis-cli", "-h", "::1", "-p", String(port), "CLIENT", "INFO"])
                XCTAssertTrue(six.output.hasPrefix("id="), "\(label) \(bind): \(six.output) \(six.error)")
                XCTAssertTrue(six.output.contains("addr=[::1]:") && six.output.contains("laddr=[::1]:\(port)"), "\(label): \(six.output)")
                let four = Subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", String(port), "PING"])
                XCTAssertEqual(four.output.hasPrefix("PONG"), bind.contains("127.0.0.1"), "\(label) \(bind): \(four.output) \(four.error)")
            }
        }
    }

    /// Failed authentications land in ACL LOG as in Redis: one entry per
    /// username and command as typed, counted, newest first, with the
    /// client's info; ACL LOG RESET empties it.
    func testFailedAuthenticationsAreInTheAclLogLikeRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var logs: [[[String]]] = []
        for (_, port) in pair.servers {
            let admin = try TestConnection(port: port)
            XCTAssertEqual(try admin.call("ACL", "SETUSER", "default", ">pw"), .simple("OK"))
            let c = try TestConnection(port: port)
            for command in [["AUTH", "default", "wrong"], ["AUTH", "wrong"], ["HeLLo", "3", "AUTH", "default", "bad"],
                            ["auth", "nobody", "x"], ["AUTH", "default", "again"], ["AUTH", "pw"]] {
                _ = try c.call(command)
            }
            let entries = try c.call("ACL", "LOG").elements ?? []
            // The fields whose values are deterministic, in order; the rest by shape.
            logs.append(entries.map { entry in
                let fields = entry.elements ?? []
                var described: [String] = []
                for i in stride(from: 0, to: fields.count - 1, by: 2) {
                    let name = fields[i].string ?? "?"
                    switch name {
                    case "age-seconds": described.append(name + (Double(fields[i + 1].string ?? "") != nil ? ":number" : ":?"))
                    case "client-info": described.append(name + ((fields[i + 1].string ?? "").hasPrefix("id=") ? ":id=…" : ":?"))
                    default: described.append(name + ":" + (fields[i + 1].string ?? String(fields[i + 1].int ?? -1)))
                    }
                }
                return described
            })
            XCTAssertEqual(try c.call("ACL", "LOG", "1").elements?.count, 1)
            XCTAssertEqual(try c.call("ACL", "LOG", "RESET"), .simple("OK"))
            XCTAssertEqual(try c.call("ACL", "LOG"), .array([]))
            XCTAssertEqual(try admin.call("ACL", "SETUSER", "default", "nopass"), .simple("OK"))
        }
        XCTAssertEqual(logs[1], logs[0])
        XCTAssertEqual(logs[0].count, 3, "\(logs[0])")
    }
}

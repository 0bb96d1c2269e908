import XCTest
import Swiftlet
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The limits that protect the server from its clients: output buffer
/// limits for normal clients, a client that never reads, `maxclients`,
/// `timeout`, `tcp-backlog`, `tcp-keepalive` and CLIENT KILL's filters.
/// Where Redis has the same behaviour, it runs side by side and is the
/// oracle.
final class LimitsTests: XCTestCase {
    var pair: DifferentialPair!

    override func setUpWithError() throws { pair = try DifferentialPair.start() }
    override func tearDown() { pair?.stop() }

    /// Reads until the server closes the connection (true) or stays silent
    /// for a second (false); the bytes read are returned too.
    func readUntilClosed(_ connection: TestConnection) throws -> (closed: Bool, bytes: Int) {
        let bytes = try connection.drain(timeoutMs: 1000)
        return (connection.closedByPeer, bytes.count)
    }

    /// `client-output-buffer-limit normal 1mb 0 0`: a client whose unread
    /// replies pass 1 MB is disconnected, as in Redis: one 2 MB value, or
    /// three 500 KB values pipelined; one 500 KB value is fine.
    func testNormalClientOutputLimitDisconnectsLikeRedis() throws {
        let big = String(repeating: "x", count: 2 << 20), mid = String(repeating: "y", count: 500 << 10)
        try pair.setUpBoth([["CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"],
                            ["SET", "big", big], ["SET", "mid", mid]])
        for (label, port) in pair.servers {
            let one = try TestConnection(port: port)
            try one.send(command: ["GET", "mid"])
            let fine = try readUntilClosed(one)
            XCTAssertFalse(fine.closed, "\(label): one 500 KB reply is under the limit")
            XCTAssertEqual(fine.bytes, mid.utf8.count + 11, label)

            let greedy = try TestConnection(port: port)
            try greedy.send(command: ["GET", "big"])
            XCTAssertTrue(try readUntilClosed(greedy).closed, "\(label): a 2 MB reply passes the 1 MB hard limit")

            let pipelined = try TestConnection(port: port)
            try pipelined.send(Array((0..<3).map { _ in TestConnection.encode([Array("GET".utf8), Array("mid".utf8)]) }.joined()))
            XCTAssertTrue(try readUntilClosed(pipelined).closed, "\(label): three 500 KB replies pass the limit")

            let other = try TestConnection(port: port)
            XCTAssertEqual(try other.call("STRLEN", "big"), .integer(2 << 20), "\(label): the server and its data are unharmed")
            XCTAssertEqual(try other.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"), .simple("OK"))
        }
    }

    /// The soft limit: over it for longer than its seconds disconnects;
    /// under the hard limit, and only briefly over the soft one, does not.
    func testSoftOutputLimitNeedsItsSeconds() throws {
        let value = String(repeating: "z", count: 300 << 10)
        for (label, port) in pair.servers {
            let admin = try TestConnection(port: port)
            XCTAssertEqual(try admin.call("SET", "v", value), .simple("OK"))
            XCTAssertEqual(try admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 256kb 1"), .simple("OK"))
            // A reader that keeps up is never over the soft limit for long.
            let reader = try TestConnection(port: port)
            for _ in 0..<5 {
                XCTAssertEqual(try reader.call("GET", "v").bytes?.count, value.utf8.count, label)
            }
            // A client that stops reading with replies queued beyond what
            // the kernel buffers is over the soft limit; after 1 s it goes.
            let stalled = try TestConnection(port: port, receiveBuffer: 4096)
            XCTAssertEqual(try stalled.call("CLIENT", "SETNAME", "stalled"), .simple("OK"))
            var request: [UInt8] = []
            for _ in 0..<60 { request += TestConnection.encode([Array("GET".utf8), Array("v".utf8)]) }
            try stalled.send(request)
            var closed = false
            for _ in 0..<40 where !closed {
                usleep(100_000)
                // Only a write after the limit's seconds notices, as in Redis
                // (the check runs when output is added): keep adding.
                try? stalled.send(command: ["PING"])
                let listed = try admin.call("CLIENT", "LIST").string ?? ""
                closed = !listed.contains("name=stalled ")
            }
            XCTAssertTrue(closed, "\(label): the stalled client should be gone after the soft limit's 1 s")
            XCTAssertEqual(try reader.call("PING"), .simple("PONG"), "\(label): other clients stay")
            XCTAssertEqual(try admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"), .simple("OK"))
        }
    }

    /// A client that pipelines requests and never reads the replies cannot
    /// make Swiftlet's memory grow without bound: past 32 MB of unread
    /// replies its requests wait (Redis would keep buffering: 160 MB here).
    /// Once it reads, every reply arrives, complete and in order.
    func testClientThatDoesNotReadIsPausedNotBuffered() throws {
        let port = pair.swiftlet.port
        let admin = try TestConnection(port: port)
        let value = String(repeating: "v", count: 4 << 20)
        XCTAssertEqual(try admin.call("SET", "four-mb", value), .simple("OK"))
        let before = try XCTUnwrap(admin.info("memory", "used_memory"))

        let stalled = try TestConnection(port: port, receiveBuffer: 4096)
        XCTAssertEqual(try stalled.call("CLIENT", "SETNAME", "stalled"), .simple("OK"))
        let requests = 40
        var request: [UInt8] = []
        for i in 0..<requests {
            request += TestConnection.encode([Array("GET".utf8), Array("four-mb".utf8)])
            request += TestConnection.encode([Array("ECHO".utf8), Array("marker-\(i)".utf8)])
        }
        try stalled.send(request)
        usleep(500_000)
        let listed = try admin.call("CLIENT", "LIST").string ?? ""
        let line = try XCTUnwrap(listed.split(separator: "\n").first { $0.contains("name=stalled ") })
        let omem = Int(line.split(separator: " ").first { $0.hasPrefix("omem=") }!.dropFirst(5))!
        let qbuf = Int(line.split(separator: " ").first { $0.hasPrefix("qbuf=") }!.dropFirst(5))!
        XCTAssertLessThan(omem, 40 << 20, "unread replies must stop near 32 MB: \(line)")
        XCTAssertGreaterThan(qbuf, 0, "the remaining requests wait in the query buffer: \(line)")
        let during = try XCTUnwrap(admin.info("memory", "used_memory"))
        // The reply buffer's capacity (counted in used_memory) doubles past
        // 32 MB to 64 MB, and stops there; Redis would hold all 160 MB.
        XCTAssertLessThan(during - before, 72 << 20, "used_memory grew by \(during - before) bytes")

        // Now read everything: 40 values and 40 markers, in order.
        for i in 0..<requests {
            XCTAssertEqual(try stalled.readFrame(timeoutMs: 10_000).bytes?.count, value.utf8.count, "reply \(i)")
            XCTAssertEqual(try stalled.readFrame(timeoutMs: 10_000), .bulk(Array("marker-\(i)".utf8)))
        }
        XCTAssertEqual(try stalled.call("PING"), .simple("PONG"))
    }

    /// `maxclients`: the connection over the limit gets Redis's error and
    /// is closed; the others keep working, and a slot frees on close.
    func testMaxclientsRefusesLikeRedis() throws {
        for (label, port) in pair.servers {
            let admin = try TestConnection(port: port)
            XCTAssertEqual(try admin.call("CONFIG", "SET", "maxclients", "3"), .simple("OK"), label)
            let second = try TestConnection(port: port)
            let third = try TestConnection(port: port)
            XCTAssertEqual(try third.call("PING"), .simple("PONG"), label)
            let fourth = try TestConnection(port: port)
            XCTAssertEqual(try fourth.readFrame(), .error("ERR max number of clients reached"), label)
            XCTAssertTrue(try fourth.waitForClose(timeoutMs: 2000), label)
            XCTAssertEqual(try second.call("PING"), .simple("PONG"), label)
            third.close()
            usleep(100_000)
            let again = try TestConnection(port: port)
            XCTAssertEqual(try again.call("PING"), .simple("PONG"), "\(label): a freed slot is usable")
            XCTAssertEqual(try admin.call("CONFIG", "SET", "maxclients", "10000"), .simple("OK"), label)
        }
    }

    /// `timeout 1`: an idle client is closed after about a second; a busy
    /// one is not; a subscriber is exempt, as in Redis.
    func testIdleTimeoutClosesIdleClientsOnly() throws {
        for (label, port) in pair.servers {
            let admin = try TestConnection(port: port)
            XCTAssertEqual(try admin.call("CONFIG", "SET", "timeout", "1"), .simple("OK"), label)
            let idle = try TestConnection(port: port)
            XCTAssertEqual(try idle.call("PING"), .simple("PONG"))
            let subscriber = try TestConnection(port: port)
            try subscriber.send(command: ["SUBSCRIBE", "news"])
            _ = try subscriber.readFrame()
            let busy = try TestConnection(port: port)
            for _ in 0..<25 {
                XCTAssertEqual(try busy.call("PING"), .simple("PONG"), label)
                XCTAssertEqual(try admin.call("PING"), .simple("PONG"), label)
                usleep(100_000)
            }
            XCTAssertTrue(try idle.waitForClose(timeoutMs: 2000), "\(label): the idle client should be closed")
            XCTAssertEqual(try busy.call("PING"), .simple("PONG"), "\(label): the busy client stays")
            XCTAssertEqual(try admin.call("PUBLISH", "news", "still-here"), .integer(1), "\(label): subscribers are exempt")
            XCTAssertEqual(try admin.call("CONFIG", "SET", "timeout", "0"), .simple("OK"), label)
        }
    }

    /// CLIENT KILL's filters (ADDR, LADDR, TYPE, USER, SKIPME, ID and the
    /// old addr:port form) kill the same clients, with the same counts and
    /// errors, as in Redis.
    func testClientKillFiltersMatchRedis() throws {
        for (label, port) in pair.servers {
            let admin = try TestConnection(port: port)
            let victims = try (0..<3).map { _ in try TestConnection(port: port) }
            for v in victims { XCTAssertEqual(try v.call("PING"), .simple("PONG")) }
            let subscriber = try TestConnection(port: port)
            try subscriber.send(command: ["SUBSCRIBE", "c"])
            _ = try subscriber.readFrame()
            let victimAddress = (try victims[0].call("CLIENT", "INFO").string ?? "").split(separator: " ")
                .first { $0.hasPrefix("addr=") }!.dropFirst(5)
            XCTAssertEqual(try admin.call("CLIENT", "KILL", "ADDR", String(victimAddress)), .integer(1), label)
            XCTAssertTrue(try victims[0].waitForClose(timeoutMs: 2000), label)
            XCTAssertEqual(try admin.call("CLIENT", "KILL", String(victimAddress)), .error("ERR No such client"), label)
            XCTAssertEqual(try admin.call("CLIENT", "KILL", "TYPE", "pubsub"), .integer(1), label)
            XCTAssertTrue(try subscriber.waitForClose(timeoutMs: 2000), label)
            XCTAssertEqual(try admin.call("CLIENT", "KILL", "TYPE", "master"), .integer(0), label)
            XCTAssertEqual(try admin.call("CLIENT", "KILL", "TYPE", "bogus"), .error("ERR Unknown client type 'bogus'"), label)
            XCTAssertEqual(try admin.call("CLIENT", "KILL", "USER", "nobody"), .error("ERR No such user 'nobody'"), label)
            XCTAssertEqual(try admin.call("CLIENT", "KILL", "ID", "0"), .error("ERR client-id should be greater than 0"), label)
            XCTAssertEqual(try admin.call("CLIENT", "KILL", "LADDR", "127.0.0.1:1"), .integer(0), label)
            // Everyone else but the admin itself (SKIPME defaults to yes).
            XCTAssertEqual(try admin.call("CLIENT", "KILL", "USER", "default"), .integer(2), label)
            XCTAssertEqual(try admin.call("PING"), .simple("PONG"), label)
            XCTAssertEqual(try admin.call("CLIENT", "KILL", "USER", "default", "SKIPME", "maybe"), .error("ERR syntax error"), label)
            XCTAssertEqual(try admin.call("CLIENT", "KILL", "USER", "default", "SKIPME", "no"), .integer(1), label)
            XCTAssertTrue(try admin.waitForClose(timeoutMs: 2000), "\(label): SKIPME no kills the caller too")
        }
    }

    /// `tcp-backlog` reaches listen(2) (the kernel shows it as the listening
    /// socket's Send-Q), and `tcp-keepalive` arms keepalive probes on
    /// accepted connections (shown as a keepalive timer): both as in Redis.
    func testBacklogAndKeepaliveReachTheSockets() throws {
        try requireTool("ss")
        pair.stop()
        pair = nil
        guard let redis = ReferenceRedis.start(extraArguments: ["--tcp-backlog", "77", "--tcp-keepalive", "45"]) else {
            throw XCTSkip("redis-server is not installed")
        }
        defer { redis.stop() }
        let swiftlet = try startServer(["--tcp-backlog", "77", "--tcp-keepalive", "45"])
        defer { swiftlet.stop() }
        for (label, port) in [("redis", redis.port), ("swiftlet", swiftlet.port)] {
            let listening = Subprocess.run(["ss", "-ltnH", "sport = :\(port)"]).output
            let columns = listening.split(separator: " ", omittingEmptySubsequences: true)
            XCTAssertGreaterThanOrEqual(columns.count, 3, "\(label): \(listening)")
            XCTAssertEqual(columns.count >= 3 ? String(columns[2]) : "", "77", "\(label) backlog: \(listening)")

            let client = try TestConnection(port: port)
            XCTAssertEqual(try client.call("PING"), .simple("PONG"))
            let established = Subprocess.run(["ss", "-tnoH", "state", "established", "sport = :\(port)"]).output
            XCTAssertTrue(established.contains("timer:(keepalive"), "\(label) keepalive: \(established)")
        }
    }
}

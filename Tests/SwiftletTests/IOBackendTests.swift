import XCTest
import Swiftlet
import Networking
import Commands
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The transport under both event-loop backends (epoll and io_uring): the
/// rest of the suite runs on whichever `auto` picks, so each scenario here
/// whose failure would be the loop's runs on each backend explicitly. The
/// io_uring runs are skipped where the kernel or sandbox has no io_uring.
final class IOBackendTests: XCTestCase {
    var backends: [IOBackend] { IOBackend.ringIsAvailable ? [.epoll, .ioUring] : [.epoll] }

    func start(_ backend: IOBackend, port: Int = 0, _ arguments: [String] = []) throws -> SwiftletServer {
        let config = Configuration()
        try config.load(arguments: arguments, readFile: Configuration.readFileFromDisk, standardInput: Configuration.readStandardInput)
        let server = SwiftletServer(configuration: config)
        server.ioBackend = backend
        try server.start(port: port, bind: ["127.0.0.1"])
        XCTAssertEqual(server.usesRing, backend == .ioUring, "\(backend)")
        return server
    }

    /// Random bytes, CRLFs and all, so framing errors show.
    func payload(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    func testLargeValuesAndSplitRequestsArriveWhole() throws {
        for backend in backends {
            let server = try start(backend)
            defer { server.stop() }
            let c = try TestConnection(port: server.port)
            // 3 MB: many reads (or pool buffers) per request.
            let big = payload(3 << 20, seed: 1)
            try c.send(TestConnection.encode([Array("SET".utf8), Array("big".utf8), big]))
            XCTAssertEqual(try c.readFrame(), .simple("OK"), "\(backend)")
            XCTAssertEqual(try c.call("GET", "big").bytes, big, "\(backend)")
            // A request written one byte at a time.
            for byte in TestConnection.encode([Array("ECHO".utf8), Array("split".utf8)]) {
                try c.send([byte])
                usleep(200)
            }
            XCTAssertEqual(try c.readFrame(), .bulk(Array("split".utf8)), "\(backend)")
            // 20000 requests in one write, replies in order.
            var batch: [UInt8] = []
            for _ in 0..<20000 { batch += TestConnection.encode([Array("INCR".utf8), Array("n".utf8)]) }
            try c.send(batch)
            for i in 1...20000 {
                let reply = try c.readFrame()
                if reply != .integer(i) { XCTFail("\(backend): reply \(i) was \(reply)"); break }
            }
        }
    }

    /// More connections sending at once than the ring has receive buffers:
    /// the loop sleeps (DEBUG SLEEP) while 300 clients each send 100 KB, so
    /// when it wakes the kernel runs out of buffers, ends those receives,
    /// and the loop must ask again for each.
    func testManyConnectionsSendingAtOnceAllGetTheirReplies() throws {
        for backend in backends {
            let server = try start(backend, ["--enable-debug-command", "yes"])
            defer { server.stop() }
            let clients = try (0..<300).map { _ in try TestConnection(port: server.port) }
            let values = (0..<clients.count).map { payload(100_000 + $0, seed: UInt64($0) + 7) }
            let sleeper = try TestConnection(port: server.port)
            try sleeper.send(command: ["DEBUG", "SLEEP", "0.5"])
            usleep(50_000)
            for (i, c) in clients.enumerated() {
                try c.send(TestConnection.encode([Array("SET".utf8), Array("k\(i)".utf8), values[i]])
                           + TestConnection.encode([Array("GET".utf8), Array("k\(i)".utf8)]))
            }
            XCTAssertEqual(try sleeper.readFrame(), .simple("OK"))
            for (i, c) in clients.enumerated() {
                XCTAssertEqual(try c.readFrame(), .simple("OK"), "\(backend) client \(i)")
                let value = try c.readFrame().bytes
                if value != values[i] { XCTFail("\(backend) client \(i): wrong value"); break }
            }
            XCTAssertEqual(try clients[0].call("DBSIZE").int, clients.count, "\(backend)")
        }
    }

    /// A client that stops reading: the socket fills, the loop waits for it
    /// to drain, and every reply arrives intact once the client reads.
    func testRepliesToASlowReaderArriveWhole() throws {
        for backend in backends {
            let server = try start(backend)
            defer { server.stop() }
            let c = try TestConnection(port: server.port, receiveBuffer: 4096)
            let value = payload(1 << 20, seed: 3)
            try c.send(TestConnection.encode([Array("SET".utf8), Array("v".utf8), value]))
            XCTAssertEqual(try c.readFrame(), .simple("OK"))
            var batch: [UInt8] = []
            for _ in 0..<40 { batch += TestConnection.encode([Array("GET".utf8), Array("v".utf8)]) }
            try c.send(batch)
            usleep(300_000)  // the server writes until the socket is full
            for i in 0..<40 {
                guard let reply = try? c.readFrame(timeoutMs: 10_000) else { XCTFail("\(backend): reply \(i) never came"); break }
                if reply.bytes != value { XCTFail("\(backend): reply \(i) damaged"); break }
            }
            XCTAssertEqual(try c.call("PING"), .simple("PONG"), "\(backend)")
        }
    }

    /// Closes in both directions: a client that goes away leaves CLIENT
    /// LIST, and a killed client's socket is closed for it promptly.
    func testClosesAreSeenAndDoneAtOnce() throws {
        for backend in backends {
            let server = try start(backend)
            defer { server.stop() }
            let observer = try TestConnection(port: server.port)
            let leaving = try TestConnection(port: server.port)
            XCTAssertEqual(try leaving.call("PING"), .simple("PONG"))
            XCTAssertEqual(try clientCount(observer), 2, "\(backend)")
            leaving.close()
            XCTAssertTrue(try waitFor { try self.clientCount(observer) == 1 }, "\(backend): the closed client stayed listed")

            let victim = try TestConnection(port: server.port)
            let id = try victim.call("CLIENT", "ID").int!
            XCTAssertEqual(try observer.call("CLIENT", "KILL", "ID", String(id)).int, 1)
            XCTAssertTrue(try victim.waitForClose(timeoutMs: 2000), "\(backend): the killed client's socket stayed open")
            XCTAssertEqual(try clientCount(observer), 1, "\(backend)")
        }
    }

    /// Work handed between loops (a message for a subscriber on another
    /// loop, a blocked client woken by another) wakes the loop.
    func testOtherLoopsWakeThisOne() throws {
        for backend in backends {
            let server = try start(backend, ["--io-threads", "2"])
            defer { server.stop() }
            let subscribers = try (0..<8).map { _ in try TestConnection(port: server.port) }
            for s in subscribers { _ = try s.call("SUBSCRIBE", "news") }
            let publisher = try TestConnection(port: server.port)
            XCTAssertEqual(try publisher.call("PUBLISH", "news", "hello").int, subscribers.count, "\(backend)")
            for s in subscribers {
                XCTAssertEqual(try s.readFrame(), .array([.bulk(Array("message".utf8)), .bulk(Array("news".utf8)), .bulk(Array("hello".utf8))]), "\(backend)")
            }
            let waiters = try (0..<4).map { _ in try TestConnection(port: server.port) }
            for (i, w) in waiters.enumerated() { try w.send(command: ["BLPOP", "q\(i)", "5"]) }
            usleep(100_000)
            for i in waiters.indices { XCTAssertEqual(try publisher.call("RPUSH", "q\(i)", "item\(i)").int, 1) }
            for (i, w) in waiters.enumerated() {
                XCTAssertEqual(try w.readFrame(), .array([.bulk(Array("q\(i)".utf8)), .bulk(Array("item\(i)".utf8))]), "\(backend)")
            }
        }
    }

    /// A stopped server gives its port back at once: a new one binds it.
    func testRestartOnTheSamePort() throws {
        for backend in backends {
            let port = ReferenceRedis.freePort()
            for round in 0..<3 {
                let server = try start(backend, port: port)
                let c = try TestConnection(port: port)
                XCTAssertEqual(try c.call("SET", "round", String(round)), .simple("OK"), "\(backend)")
                server.stop()
                XCTAssertTrue(try c.waitForClose(timeoutMs: 2000), "\(backend): connection left open after stop")
            }
        }
    }

    /// Requests that reach many connections in the same loop turn: the
    /// turn's read pass parses each connection's first request (for its
    /// key's prefetch) and the run pass starts from that parse. Each
    /// connection gets one input (pipelines, inline lines, empty requests,
    /// each protocol error of ProtocolTests, 70 KB lines that arrive in
    /// several pieces) while the loop sleeps, so they all wake it together;
    /// what each client receives, and whether it is closed, must be what
    /// Redis does with the same input on a connection of its own.
    func testRequestsArrivingTogetherOnManyConnectionsAnswerAsRedis() throws {
        guard let redis = ReferenceRedis.start() else {
            throw XCTSkip("redis-server is not installed: no reference to compare with")
        }
        defer { redis.stop() }
        signal(SIGPIPE, SIG_IGN)
        let b = ProtocolTests.bytes
        var inputs = ProtocolTests.malformedRequests
        for i in 0..<6 {
            inputs.append(("inline pipeline \(i)", b("SET il\(i) v\(i)\r\nGET il\(i)\r\nDEL il\(i)\r\n")))
            let pipeline = [["SET", "mb\(i)", "x"], ["APPEND", "mb\(i)", "yz"], ["GET", "mb\(i)"], ["INCR", "n\(i)"],
                            ["INCR", "n\(i)"], ["STRLEN", "mb\(i)"], ["DEL", "mb\(i)", "n\(i)"]]
            inputs.append(("multibulk pipeline \(i)", pipeline.flatMap { TestConnection.encode($0.map { Array($0.utf8) }) }))
            inputs.append(("empty requests then commands \(i)", b("\r\n\r\n*0\r\n*-1\r\nPING\r\n*1\r\n$4\r\nPING\r\nECHO e\(i)\r\n")))
            inputs.append(("a command then half of the next \(i)", b("ECHO whole\(i)\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhal")))
        }
        let expected = try outcomes(of: inputs.map(\.bytes), port: redis.port)
        for backend in backends {
            let server = try start(backend, ["--enable-debug-command", "yes"])
            defer { server.stop() }
            let got = try outcomes(of: inputs.map(\.bytes), port: server.port) { clients in
                let sleeper = try TestConnection(port: server.port)
                try sleeper.send(command: ["DEBUG", "SLEEP", "0.3"])
                usleep(50_000)
                return { XCTAssertEqual(try sleeper.readFrame(), .simple("OK")) }
            }
            for (i, input) in inputs.enumerated() {
                XCTAssertEqual(RESPValue.escape(got[i].reply), RESPValue.escape(expected[i].reply), "\(backend), \(input.name)")
                XCTAssertEqual(got[i].closed, expected[i].closed, "\(backend), \(input.name): closed")
            }
        }
    }

    /// What each of `inputs`, sent on a connection of its own, receives and
    /// whether it is closed (as `ProtocolTests.outcome`, for many at once).
    /// `beforeSending` may put the server to sleep first; the closure it
    /// returns runs after every input is sent.
    func outcomes(of inputs: [[UInt8]], port: Int,
                  beforeSending: ([TestConnection]) throws -> () throws -> Void = { _ in {} }) throws -> [(reply: [UInt8], closed: Bool)] {
        let clients = try inputs.map { _ in try TestConnection(port: port) }
        let afterSending = try beforeSending(clients)
        for (c, input) in zip(clients, inputs) { try? c.send(input) }
        try afterSending()
        // The first drain waits for the server; the rest have been answered by then.
        return try clients.enumerated().map { i, c in (try c.drain(timeoutMs: i == 0 ? 300 : 30), c.closedByPeer) }
    }

    func clientCount(_ c: TestConnection) throws -> Int {
        let list = try c.call("CLIENT", "LIST").string ?? ""
        return list.split(separator: "\n").count
    }

    func waitFor(_ condition: () throws -> Bool) throws -> Bool {
        for _ in 0..<200 {
            if try condition() { return true }
            usleep(10_000)
        }
        return false
    }
}

import XCTest
import Swiftlet
import Networking
import Commands
import Storage
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The library API: in-process calls, restart keeping data, manual clock.
final class EmbeddingTests: XCTestCase {
    func testInProcessCallsShareStateWithTheWire() throws {
        let server = SwiftletServer(configuration: Configuration())
        try server.start(port: 0, bind: ["127.0.0.1"])
        defer { server.stop() }
        XCTAssertEqual(server.call(["SET", "k", "v"]), Array("+OK\r\n".utf8))
        let c = try TestConnection(port: server.port)
        XCTAssertEqual(try c.call("GET", "k"), .bulk(Array("v".utf8)))
        _ = try c.call("SET", "n", "41")
        XCTAssertEqual(server.call(["INCR", "n"]), Array(":42\r\n".utf8))
        XCTAssertEqual(server.call(["GET", "missing"], protocolVersion: 3), Array("_\r\n".utf8))
        XCTAssertEqual(server.call(["SET", "x", "1"], db: 5), Array("+OK\r\n".utf8))
        XCTAssertEqual(try c.call("EXISTS", "x"), .integer(0))
        _ = try c.call("SELECT", "5")
        XCTAssertEqual(try c.call("EXISTS", "x"), .integer(1))
        // In-process commands are not wire clients.
        let list = try c.call("CLIENT", "LIST").string ?? ""
        XCTAssertEqual(list.split(separator: "\n").count, 1)
    }

    func testRestartKeepsDataAndPort() throws {
        let server = SwiftletServer(configuration: Configuration())
        try server.start(port: 0, bind: ["127.0.0.1"])
        let port = server.port
        _ = server.call(["SET", "kept", "yes"])
        server.stop()
        XCTAssertThrowsError(try TestConnection(port: port), "the port is released by stop()")
        try server.start(port: port, bind: ["127.0.0.1"])
        defer { server.stop() }
        XCTAssertEqual(try TestConnection(port: port).call("GET", "kept"), .bulk(Array("yes".utf8)))
    }

    /// A test suite starts and stops many servers: a stopped one leaves no
    /// descriptor behind (its loops' epoll, eventfd and io_uring, its
    /// listening sockets), on either backend.
    func testStoppedServersLeaveNoDescriptors() throws {
        func openDescriptors() -> Int {
            guard let directory = opendir("/proc/self/fd") else { return -1 }
            defer { closedir(directory) }
            var count = 0
            while readdir(directory) != nil { count += 1 }
            return count
        }
        for backend in IOBackend.ringIsAvailable ? [IOBackend.epoll, .ioUring] : [.epoll] {
            func cycle() throws {
                let config = Configuration()
                try config.load(arguments: ["--io-threads", "2"], readFile: Configuration.readFileFromDisk,
                                standardInput: Configuration.readStandardInput)
                let server = SwiftletServer(configuration: config)
                server.ioBackend = backend
                try server.start(port: 0, bind: ["127.0.0.1"])
                let c = try TestConnection(port: server.port)
                XCTAssertEqual(try c.call("PING"), .simple("PONG"))
                server.stop()
            }
            try cycle()  // warm-up: anything created once per process
            let before = openDescriptors()
            for _ in 0..<10 { try cycle() }
            XCTAssertLessThanOrEqual(openDescriptors() - before, 2, "\(backend): descriptors left open by stopped servers")
        }
    }

    func testExpireDueKeysFollowsTheManualClock() throws {
        let clock = ServerClock(mode: .manual, startingAt: 1_700_000_000_000)
        let server = SwiftletServer(configuration: Configuration(), clock: clock)
        try server.start(port: 0, bind: ["127.0.0.1"])
        defer { server.stop() }
        for i in 0..<100 { _ = server.call(["SET", "k\(i)", "v", "EX", "10"]) }
        clock.advance(byMilliseconds: 10_001)
        server.expireDueKeys()
        XCTAssertEqual(server.call(["DBSIZE"]), Array(":0\r\n".utf8))
    }
}

import XCTest
import SwiftletTesting
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Fault injection, observed by real clients over TCP.
final class FaultTests: XCTestCase {
    var server: TestServer!

    override func setUp() async throws {
        server = try await TestServer.start()
    }

    override func tearDown() async throws {
        await server.stop()
    }

    func testAnInjectedErrorReachesTheWireExactlyOnce() async throws {
        try await server.set("k", "v")
        let wire = try TestConnection(port: server.port)
        await server.failNextCommands(1, withError: "LOADING Redis is loading the dataset in memory")
        XCTAssertEqual(try wire.call("GET", "k"), .error("LOADING Redis is loading the dataset in memory"))
        XCTAssertEqual(try wire.call("GET", "k"), .bulk(Array("v".utf8)))
        XCTAssertEqual(try wire.call("GET", "k"), .bulk(Array("v".utf8)))
        // The failed command did not run, and the server counted the error.
        let stats = try wire.call("INFO", "errorstats").string ?? ""
        XCTAssertTrue(stats.contains("errorstat_LOADING:count=1"), stats)
        let log = await server.commandLog
        XCTAssertEqual(log.map(\.injected), [.error("LOADING Redis is loading the dataset in memory"), nil, nil, nil])
    }

    func testInjectedErrorsSkipDirectAccessAndAreNotRun() async throws {
        let wire = try TestConnection(port: server.port)
        await server.failNextCommands(2, withError: "ERR injected")
        try await server.set("direct", "ok")  // not affected, not counted
        XCTAssertEqual(try wire.call("SET", "k", "1"), .error("ERR injected"))
        XCTAssertEqual(try wire.call("SET", "k", "2"), .error("ERR injected"))
        XCTAssertEqual(try wire.call("GET", "k"), .bulk(nil), "failed commands did not run")
        XCTAssertEqual(try wire.call("GET", "direct"), .bulk(Array("ok".utf8)))
    }

    func testFailuresAcrossConnectionsAndPipelines() async throws {
        let first = try TestConnection(port: server.port)
        let second = try TestConnection(port: server.port)
        await server.failNextCommands(3, withError: "TRYAGAIN later")
        try first.send(TestConnection.encode([Array("PING".utf8)]) + TestConnection.encode([Array("PING".utf8)]))
        XCTAssertEqual(try first.readFrame(), .error("TRYAGAIN later"))
        XCTAssertEqual(try first.readFrame(), .error("TRYAGAIN later"))
        XCTAssertEqual(try second.call("PING"), .error("TRYAGAIN later"))
        XCTAssertEqual(try second.call("PING"), .simple("PONG"))
        XCTAssertEqual(try first.call("PING"), .simple("PONG"))
    }

    func testFailuresForChosenCommandsQueueInOrder() async throws {
        let wire = try TestConnection(port: server.port)
        await server.failNextCommands(1, withError: "READONLY You can't write against a read only replica.",
                                      commands: ["set", "DEL"])
        await server.failNextCommands(1, withError: "ERR second", commands: ["SET"])
        XCTAssertEqual(try wire.call("PING"), .simple("PONG"))
        XCTAssertEqual(try wire.call("GET", "k"), .bulk(nil))
        XCTAssertEqual(try wire.call("SET", "k", "v"), .error("READONLY You can't write against a read only replica."))
        XCTAssertEqual(try wire.call("SET", "k", "v"), .error("ERR second"))
        XCTAssertEqual(try wire.call("SET", "k", "v"), .simple("OK"))
    }

    func testFailAllUntilCleared() async throws {
        let wire = try TestConnection(port: server.port)
        await server.failAllCommands(withError: "-MASTERDOWN Link with MASTER is down", commands: ["GET"])
        for _ in 0..<3 { XCTAssertEqual(try wire.call("GET", "k"), .error("MASTERDOWN Link with MASTER is down")) }
        XCTAssertEqual(try wire.call("SET", "k", "v"), .simple("OK"))
        await server.clearFailures()
        XCTAssertEqual(try wire.call("GET", "k"), .bulk(Array("v".utf8)))
        await server.failNextCommands(5, withError: "ERR pending")
        await server.clearFailures()
        XCTAssertEqual(try wire.call("PING"), .simple("PONG"), "clearFailures drops pending failures too")
    }

    func testDropAllConnections() async throws {
        let a = try TestConnection(port: server.port)
        let b = try TestConnection(port: server.port)
        XCTAssertEqual(try a.call("SET", "k", "v"), .simple("OK"))
        XCTAssertEqual(try b.call("PING"), .simple("PONG"))
        await server.dropAllConnections()
        XCTAssertTrue(try a.waitForClose(timeoutMs: 5000))
        XCTAssertTrue(try b.waitForClose(timeoutMs: 5000))
        // The server keeps running, with its data.
        let c = try TestConnection(port: server.port)
        XCTAssertEqual(try c.call("GET", "k"), .bulk(Array("v".utf8)))
    }

    func testCloseConnectionsAfterCommands() async throws {
        let a = try TestConnection(port: server.port)
        let b = try TestConnection(port: server.port)
        await server.closeConnections(afterCommands: 2)
        XCTAssertEqual(try a.call("SET", "k", "1"), .simple("OK"))
        XCTAssertEqual(try b.call("GET", "k"), .bulk(Array("1".utf8)))
        // The third command gets no reply, does not run, and every connection ends.
        try a.send(command: ["SET", "k", "2"])
        XCTAssertThrowsError(try a.readFrame(), "no reply: the connection is closed")
        XCTAssertTrue(try b.waitForClose(timeoutMs: 5000))
        let c = try TestConnection(port: server.port)
        XCTAssertEqual(try c.call("GET", "k"), .bulk(Array("1".utf8)))
        XCTAssertEqual(try c.call("PING"), .simple("PONG"), "one-shot: later commands are served")
        let log = await server.commandLog
        XCTAssertEqual(log.map(\.injected), [nil, nil, .connectionClosed, nil, nil])
    }

    func testCloseAtTheNextCommand() async throws {
        let a = try TestConnection(port: server.port)
        await server.closeConnections(afterCommands: 0)
        try a.send(command: ["PING"])
        XCTAssertThrowsError(try a.readFrame())
    }

    /// Latency is real time (it exists to trigger client timeouts). The
    /// check is a lower bound only, which cannot fail on a slow machine.
    func testLatency() async throws {
        let wire = try TestConnection(port: server.port)
        await server.setLatency(.milliseconds(50), commands: ["GET"])
        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        XCTAssertEqual(try wire.call("GET", "k"), .bulk(nil))
        clock_gettime(CLOCK_MONOTONIC, &end)
        let elapsedMs = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1_000_000
        XCTAssertGreaterThanOrEqual(elapsedMs, 49)
        // A client with a shorter timeout than the latency sees no reply in time.
        try wire.send(command: ["GET", "k"])
        XCTAssertThrowsError(try wire.readFrame(timeoutMs: 5), "the reply is 50 ms late")
        XCTAssertEqual(try wire.readFrame(), .bulk(nil), "and arrives afterwards")
        await server.setLatency(.zero)
        XCTAssertEqual(try wire.call("PING"), .simple("PONG"))
    }
}

import XCTest
import Swiftlet
import Commands
import TestSupport
import Sync
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// List behaviour beyond the recorded cases (Conformance/cases/lists.case,
/// blocking.case): long random edit sequences replayed on real Redis and on
/// Swiftlet (node splits, removals across node boundaries), blocked clients
/// seen from CLIENT LIST/INFO/CLIENT UNBLOCK, disconnects while blocked,
/// fairness across event loops, memory accounting.
final class ListTests: XCTestCase {
    /// Random edits at every position of lists that span many nodes; every
    /// reply, and the final contents, must equal Redis's.
    func testRandomEditsMatchRedisAcrossNodeBoundaries() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var generator = SplitMix(seed: 0x5EED_1157)
        for fill in ["-1", "4", "-2"] {
            var commands: [[String]] = [["CONFIG", "SET", "list-max-listpack-size", fill], ["DEL", "l"]]
            func element() -> String {
                let n = Int(generator.next() % 6)
                // Mostly short elements, some long ones (own node at fill 4), a few repeats for LREM/LPOS.
                switch n {
                case 0: return String(repeating: "x", count: 300 + Int(generator.next() % 5000))
                case 1, 2: return "v\(generator.next() % 8)"
                default: return "e\(generator.next() % 100_000)"
                }
            }
            func index() -> String { String(Int(generator.next() % 400) - 200) }
            for _ in 0..<3000 {
                switch generator.next() % 14 {
                case 0, 1: commands.append(["RPUSH", "l", element(), element(), element()])
                case 2, 3: commands.append(["LPUSH", "l", element()])
                case 4: commands.append(["LINSERT", "l", generator.next() % 2 == 0 ? "BEFORE" : "AFTER", "v\(generator.next() % 8)", element()])
                case 5: commands.append(["LSET", "l", index(), element()])
                case 6: commands.append(["LREM", "l", String(Int(generator.next() % 5) - 2), "v\(generator.next() % 8)"])
                case 7: commands.append(["LPOP", "l", String(generator.next() % 4)])
                case 8: commands.append(["RPOP", "l"])
                case 9: commands.append(["LINDEX", "l", index()])
                case 10: commands.append(["LRANGE", "l", index(), index()])
                case 11: commands.append(["LPOS", "l", "v\(generator.next() % 8)", "RANK", String(Int(generator.next() % 3) + 1), "COUNT", "0"])
                case 12: commands.append(["LTRIM", "l", String(generator.next() % 3), String(-1 - Int(generator.next() % 3))])
                default: commands.append(["LMOVE", "l", "l", generator.next() % 2 == 0 ? "LEFT" : "RIGHT", "LEFT"])
                }
            }
            commands.append(["LRANGE", "l", "0", "-1"])
            let finalLength = try pair.replayOnBoth(commands, context: "fill \(fill), ")
            // Not vacuous: the list ends long enough to span several nodes.
            XCTAssertGreaterThan(finalLength, 100, "fill \(fill)")
        }
    }

    func testBlockedClientShowsInClientListInfoAndCanBeUnblocked() throws {
        let server = try startServer()
        defer { server.stop() }
        let admin = try TestConnection(port: server.port)
        let waiter = try TestConnection(port: server.port)
        let id = try waiter.call("CLIENT", "ID").int!
        try waiter.send(command: ["BLPOP", "k", "0"])
        try waitUntil { try admin.info("clients", "blocked_clients") == 1 }
        let line = try admin.call("CLIENT", "LIST", "ID", String(id)).string!
        XCTAssertTrue(line.contains(" flags=b "), line)
        XCTAssertEqual(try admin.call("CLIENT", "UNBLOCK", String(id)).int, 1)
        XCTAssertEqual(try waiter.readFrameBytes(), Array("*-1\r\n".utf8))
        XCTAssertEqual(try admin.call("CLIENT", "UNBLOCK", String(id)).int, 0, "no longer blocked")
        XCTAssertEqual(try admin.info("clients", "blocked_clients"), 0)

        try waiter.send(command: ["BLMOVE", "a", "b", "LEFT", "LEFT", "0"])
        try waitUntil { try admin.info("clients", "blocked_clients") == 1 }
        XCTAssertEqual(try admin.call("CLIENT", "UNBLOCK", String(id), "ERROR").int, 1)
        XCTAssertEqual(try waiter.readFrameBytes(), Array("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n".utf8))
        // The connection works normally afterwards, and a push now finds no waiter.
        XCTAssertEqual(try waiter.call("PING").string, "PONG")
        XCTAssertEqual(try admin.call("RPUSH", "a", "x").int, 1)
        XCTAssertEqual(try admin.call("LLEN", "a").int, 1)
    }

    func testTimeoutFiresAfterItsDeadlineAndNotBefore() throws {
        let server = try startServer()
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        let start = DispatchTime.now().uptimeNanoseconds
        XCTAssertEqual(try c.call("BRPOP", "nokey", "0.3"), .array(nil))
        let elapsedMs = (DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
        XCTAssertGreaterThanOrEqual(elapsedMs, 300)
        XCTAssertLessThan(elapsedMs, 3000)
    }

    /// A waiter that disconnects leaves the queue: the element goes to the
    /// next waiter, and nothing is lost.
    func testDisconnectedWaiterIsSkipped() throws {
        let server = try startServer(["--io-threads", "2"])
        defer { server.stop() }
        let admin = try TestConnection(port: server.port)
        let first = try TestConnection(port: server.port)
        let second = try TestConnection(port: server.port)
        try first.send(command: ["BLPOP", "k", "0"])
        try waitUntil { try admin.info("clients", "blocked_clients") == 1 }
        try second.send(command: ["BLPOP", "k", "0"])
        try waitUntil { try admin.info("clients", "blocked_clients") == 2 }
        first.close()
        try waitUntil { try admin.info("clients", "blocked_clients") == 1 }
        XCTAssertEqual(try admin.call("RPUSH", "k", "x").int, 1)
        XCTAssertEqual(try second.readFrame().elements?.map { $0.string }, ["k", "x"])
        XCTAssertEqual(try admin.call("EXISTS", "k").int, 0)
    }

    /// Clients on different event loops are served in the order they
    /// blocked, each element exactly once, and the pusher's next command
    /// sees them served.
    func testFairnessAcrossEventLoops() throws {
        let server = try startServer(["--io-threads", "3"])
        defer { server.stop() }
        let admin = try TestConnection(port: server.port)
        var waiters: [TestConnection] = []
        for i in 0..<9 {
            let w = try TestConnection(port: server.port)
            try w.send(command: ["BLPOP", "q", "0"])
            try waitUntil { try admin.info("clients", "blocked_clients") == i + 1 }
            waiters.append(w)
        }
        let pushed = (0..<9).map { "job\($0)" }
        XCTAssertEqual(try admin.call(["RPUSH", "q"] + pushed).int, 9)
        XCTAssertEqual(try admin.call("LLEN", "q").int, 0, "served before the pusher's next command")
        for (i, w) in waiters.enumerated() {
            XCTAssertEqual(try w.readFrame().elements?.map { $0.string }, ["q", pushed[i]], "waiter \(i)")
        }
    }

    /// Many producers and blocked consumers on several loops: every element
    /// is delivered exactly once.
    func testConcurrentProducersAndBlockedConsumersLoseNothing() throws {
        let server = try startServer(["--io-threads", "2"])
        defer { server.stop() }
        let perProducer = 400, producers = 3, consumers = 4
        let received = Locked([String]())
        let group = DispatchGroup()
        for _ in 0..<consumers {
            group.enter()
            let c = try TestConnection(port: server.port)
            Thread.detachNewThread {
                defer { group.leave() }
                while true {
                    guard let reply = try? c.call("BLPOP", "jobs", "other", "2"), let pair = reply.elements else { return }
                    received.withLock { $0.append(pair[1].string!) }
                }
            }
        }
        for p in 0..<producers {
            group.enter()
            let c = try TestConnection(port: server.port)
            Thread.detachNewThread {
                defer { group.leave() }
                for i in 0..<perProducer { _ = try? c.call("RPUSH", i % 5 == 0 ? "other" : "jobs", "p\(p)-\(i)") }
            }
        }
        group.wait()
        let all = received.withLock { $0 }
        XCTAssertEqual(all.count, producers * perProducer)
        XCTAssertEqual(Set(all).count, producers * perProducer, "an element was delivered twice")
    }

    func testMemoryIsAccountedAndReturned() throws {
        let server = try startServer()
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        let before = try c.info("memory", "used_memory")!
        let element = String(repeating: "y", count: 100)
        for chunk in 0..<100 { try c.pipeline((0..<100).map { _ in ["RPUSH", "big\(chunk % 2)", element] }) }
        let full = try c.info("memory", "used_memory")!
        // 10,000 elements of 100 bytes: at least the payload is counted.
        XCTAssertGreaterThan(full - before, 1_000_000)
        XCTAssertLessThan(full - before, 1_600_000)
        let usage = try c.call("MEMORY", "USAGE", "big0").int!
        XCTAssertGreaterThan(usage, 500_000)
        XCTAssertEqual(try c.call("UNLINK", "big0").int, 1)
        XCTAssertEqual(try c.call("DEL", "big1").int, 1)
        try waitUntil { try c.info("memory", "used_memory")! < before + 100_000 }
    }

    func waitUntil(timeoutMs: Int = 5000, _ condition: () throws -> Bool) throws {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeoutMs) * 1_000_000
        while !(try condition()) {
            if DispatchTime.now().uptimeNanoseconds > deadline { XCTFail("condition not met in \(timeoutMs) ms"); return }
            usleep(5000)
        }
    }
}

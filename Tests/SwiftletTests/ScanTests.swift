import XCTest
import Swiftlet
import Commands
import TestSupport

/// SCAN's guarantee over TCP: a full iteration returns every key that was
/// present from start to end, while other keys are added and removed and
/// the tables resize.
final class ScanTests: XCTestCase {
    func testFullIterationUnderChurnReturnsEveryStableKey() throws {
        let server = SwiftletServer(configuration: Configuration())
        try server.start(port: 0, bind: ["127.0.0.1"])
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        let writer = try TestConnection(port: server.port)
        var batch: [UInt8] = []
        for i in 0..<5000 { batch += TestConnection.encode([Array("SET".utf8), Array("stable:\(i)".utf8), [1]]) }
        try c.send(batch)
        for _ in 0..<5000 { _ = try c.readFrame() }
        var seen = Set<String>()
        var cursor = "0"
        var churn = 0
        repeat {
            let reply = try c.call("SCAN", cursor, "COUNT", "100")
            guard let parts = reply.elements, parts.count == 2 else { return XCTFail("bad reply \(reply)") }
            cursor = parts[0].string!
            for k in parts[1].elements ?? [] { seen.insert(k.string!) }
            // Grow by 300 keys, then delete them again: tables resize both ways.
            for _ in 0..<300 { _ = try writer.call("SET", "churn:\(churn)", "x"); churn += 1 }
            if churn % 3000 == 0 { for k in (churn - 3000)..<churn { _ = try writer.call("DEL", "churn:\(k)") } }
        } while cursor != "0"
        for i in 0..<5000 { XCTAssertTrue(seen.contains("stable:\(i)"), "SCAN missed stable:\(i)") }
    }

    func testMatchAndTypeFilters() throws {
        let server = SwiftletServer(configuration: Configuration())
        try server.start(port: 0, bind: ["127.0.0.1"])
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        for i in 0..<300 { _ = try c.call("SET", "user:\(i)", "x"); _ = try c.call("SET", "order:\(i)", "y") }
        var matched = Set<String>()
        var cursor = "0"
        repeat {
            let parts = try c.call("SCAN", cursor, "MATCH", "user:1*", "TYPE", "string").elements!
            cursor = parts[0].string!
            for k in parts[1].elements! { matched.insert(k.string!) }
        } while cursor != "0"
        let expected = Set((0..<300).map { "user:\($0)" }.filter { $0.hasPrefix("user:1") })
        XCTAssertEqual(matched, expected)
        let none = try c.call("SCAN", "0", "COUNT", "1000", "TYPE", "list").elements!
        XCTAssertEqual(none[1].elements?.count, 0)
    }

    /// Clients parse cursors their own way: hiredis programs with `strtoll`
    /// (which clamps at 2^63 - 1), node-redis as a JavaScript number (exact
    /// below 2^53), some as 32-bit integers. Redis's cursors, bounded by its
    /// table sizes, suit all of them; ours must too. Full SCAN, HSCAN, SSCAN
    /// and ZSCAN iterations on both servers: the same elements, and every
    /// cursor below 2^32 on both (Swiftlet's cursors were 64-bit hash
    /// positions, half of them above 2^63, until 2026-12-07).
    func testCursorsFitWhereClientsParseThemAsRedisCursorsDo() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var setup: [[String]] = []
        for batch in stride(from: 0, to: 3000, by: 100) {
            let range = batch..<(batch + 100)
            setup.append(["MSET"] + range.flatMap { ["key:\($0)", "v"] })
            setup.append(["HSET", "hash"] + range.flatMap { ["field:\($0)", "v"] })
            setup.append(["SADD", "set"] + range.map { "member:\($0)" })
            setup.append(["ZADD", "zset"] + range.flatMap { ["\($0)", "member:\($0)"] })
        }
        try pair.setUpBoth(setup)
        for (command, key, stride) in [("SCAN", nil, 1), ("HSCAN", "hash", 2), ("SSCAN", "set", 1), ("ZSCAN", "zset", 2)] as [(String, String?, Int)] {
            var elements: [String: Set<String>] = [:]
            for (label, port) in pair.servers {
                let c = try TestConnection(port: port)
                defer { c.close() }
                var cursor: UInt64 = 0
                var seen = Set<String>()
                var calls = 0
                repeat {
                    let reply = try c.call([command] + (key.map { [$0] } ?? []) + ["\(cursor)", "COUNT", "7"])
                    guard let parts = reply.elements, parts.count == 2, let text = parts[0].string,
                          let next = UInt64(text) else { return XCTFail("\(label) \(command): bad reply \(reply)") }
                    XCTAssertLessThan(next, 1 << 32, "\(label) \(command) cursor \(text)")
                    let items = parts[1].elements ?? []
                    for i in Swift.stride(from: 0, to: items.count, by: stride) { seen.insert(items[i].string ?? "") }
                    cursor = next
                    calls += 1
                } while cursor != 0 && calls < 100_000
                XCTAssertEqual(cursor, 0, "\(label) \(command) never came back to cursor 0")
                elements[label] = seen
            }
            XCTAssertEqual(elements["swiftlet"], elements["redis"], "\(command) returned other elements than Redis")
            XCTAssertGreaterThanOrEqual(elements["redis"]?.count ?? 0, 3000, "\(command): the iteration was vacuous")
        }
    }
}

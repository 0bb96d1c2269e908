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
}

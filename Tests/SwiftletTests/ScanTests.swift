import XCTest
import Swiftlet
import Commands
import Storage
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
    /// and ZSCAN iterations on both servers: the same elements, every cursor
    /// below 2^32 on both (Swiftlet's cursors were 64-bit hash positions, half
    /// of them above 2^63, until 2026-12-07), and about as many calls.
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
            var callsTaken: [String: Int] = [:]
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
                callsTaken[label] = calls
            }
            XCTAssertEqual(elements["swiftlet"], elements["redis"], "\(command) returned other elements than Redis")
            // COUNT is a hint, but a client paging with it expects about that
            // many elements per call, as Redis gives: not many more round trips.
            XCTAssertLessThanOrEqual(Double(callsTaken["swiftlet"] ?? 0), Double(callsTaken["redis"] ?? 0) * 1.25,
                                     "\(command) COUNT 7: \(callsTaken) calls")
            XCTAssertGreaterThanOrEqual(elements["redis"]?.count ?? 0, 3000, "\(command): the iteration was vacuous")
        }
    }

    /// `Keyspace.scan` itself, for shapes the server's defaults do not take:
    /// one shard (the cursor is all bucket bits) as well as 64; COUNT 1, 3 and
    /// 1000 (a step wider than all of hash space); keys added between calls
    /// (tables grow under the cursor); a filter that rejects every key, where
    /// each call stops on its work budget and must still move on.
    func testScanStepsOverOneShardOrManyWhileTablesGrow() {
        for shards in [1, 64] {
            let clock = ServerClock(mode: .manual, startingAt: 1_800_000_000_000)
            let keyspace = Keyspace(databases: 1, shardCount: shards, clock: clock, seed: 7)
            for i in 0..<2000 { storeKey(keyspace, "stable:\(i)") }
            var added = 0
            for count in [1, 3, 1000] {
                var cursor: UInt64 = 0
                var seen: [String: Int] = [:]
                var calls = 0
                repeat {
                    let (next, keys) = keyspace.scan(db: 0, cursor: cursor, count: count, now: clock.milliseconds) { _ in true }
                    XCTAssertLessThan(next, 1 << 32, "\(shards) shards, COUNT \(count)")
                    keys.forEach { seen[String(decoding: $0, as: UTF8.self), default: 0] += 1 }
                    for _ in 0..<3 { storeKey(keyspace, "added:\(added)"); added += 1 }
                    cursor = next
                    calls += 1
                } while cursor != 0 && calls < 100_000
                XCTAssertEqual(cursor, 0, "\(shards) shards, COUNT \(count): the iteration did not end")
                let missed = (0..<2000).filter { seen["stable:\($0)"] != 1 }
                XCTAssertEqual(missed, [], "\(shards) shards, COUNT \(count): stable keys not returned exactly once")
                if count == 1000 { XCTAssertLessThan(calls, 200, "COUNT 1000 took \(calls) calls") }
            }
            var cursor: UInt64 = 0
            var calls = 0
            repeat {
                let (next, keys) = keyspace.scan(db: 0, cursor: cursor, count: 10, now: clock.milliseconds) { _ in false }
                XCTAssertEqual(keys.count, 0)
                XCTAssertTrue(next == 0 || next > cursor, "a call that matched nothing did not move on from \(cursor)")
                cursor = next
                calls += 1
            } while cursor != 0 && calls < 1_000_000
            XCTAssertEqual(cursor, 0, "\(shards) shards: a scan that matches nothing did not end")
        }
    }
}

import XCTest
import Swiftlet
import Commands
import TestSupport

/// Hash behaviour that the recorded conformance cases cannot pin down
/// (random choices, iteration guarantees, memory): checked as properties
/// over TCP. Exact replies are in Conformance/cases/hashes.case.
final class HashTests: XCTestCase {
    /// Fills `key` with `fields` fields (`f0`… → `v0`…) in pipelined HSETs.
    func fill(_ c: TestConnection, _ key: String, _ fields: Range<Int>, prefix: String = "f") throws {
        try c.pipeline(fields.map { ["HSET", key, "\(prefix)\($0)", "v\($0)"] })
    }

    func testHscanFullIterationUnderChurnReturnsEveryStableField() throws {
        let server = try startServer()
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        let writer = try TestConnection(port: server.port)
        try fill(c, "h", 0..<3000)
        XCTAssertEqual(try c.call("OBJECT", "ENCODING", "h").string, "hashtable")
        var seen = [String: String]()
        var cursor = "0"
        var churn = 0
        repeat {
            let parts = try c.call("HSCAN", "h", cursor, "COUNT", "50").elements!
            cursor = parts[0].string!
            let flat = parts[1].elements!
            XCTAssertEqual(flat.count % 2, 0)
            for i in stride(from: 0, to: flat.count, by: 2) { seen[flat[i].string!] = flat[i + 1].string! }
            // Add then delete batches of fields: the table grows and shrinks.
            try fill(writer, "h", churn..<(churn + 200), prefix: "churn")
            churn += 200
            if churn % 2000 == 0 {
                _ = try writer.call(["HDEL", "h"] + ((churn - 2000)..<churn).map { "churn\($0)" })
            }
        } while cursor != "0"
        for i in 0..<3000 { XCTAssertEqual(seen["f\(i)"], "v\(i)", "HSCAN missed f\(i)") }
    }

    func testConversionToHashtableKeepsEveryField() throws {
        let server = try startServer()
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        try fill(c, "h", 0..<512)
        XCTAssertEqual(try c.call("OBJECT", "ENCODING", "h").string, "listpack")
        try fill(c, "h", 512..<700)
        XCTAssertEqual(try c.call("OBJECT", "ENCODING", "h").string, "hashtable")
        let flat = try c.call("HGETALL", "h").elements!
        var all = [String: String]()
        for i in stride(from: 0, to: flat.count, by: 2) { all[flat[i].string!] = flat[i + 1].string! }
        XCTAssertEqual(all.count, 700)
        for i in 0..<700 { XCTAssertEqual(all["f\(i)"], "v\(i)") }
        XCTAssertEqual(try c.call("HLEN", "h").int, 700)
    }

    func testHrandfieldCountsAndDistinctness() throws {
        let server = try startServer()
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        try fill(c, "small", 0..<20)
        try fill(c, "big", 0..<1000)
        for key in ["small", "big"] {
            let size = key == "small" ? 20 : 1000
            let members = Set((0..<size).map { "f\($0)" })
            for _ in 0..<20 {
                let distinct = try c.call("HRANDFIELD", key, "7").elements!.map { $0.string! }
                XCTAssertEqual(distinct.count, 7)
                XCTAssertEqual(Set(distinct).count, 7, "positive count must not repeat fields")
                XCTAssertTrue(Set(distinct).isSubset(of: members))
                let repeated = try c.call("HRANDFIELD", key, "-30", "WITHVALUES").elements!.map { $0.string! }
                XCTAssertEqual(repeated.count, 60)
                for i in stride(from: 0, to: 60, by: 2) {
                    XCTAssertTrue(members.contains(repeated[i]))
                    XCTAssertEqual("v" + repeated[i].dropFirst(), repeated[i + 1])
                }
            }
            // Over many single picks every field of the small hash shows up.
            if key == "small" {
                var picked = Set<String>()
                for _ in 0..<400 { picked.insert(try c.call("HRANDFIELD", key).string!) }
                XCTAssertEqual(picked, members)
            }
        }
    }

    /// Redis 7.0 hangs on these (it builds the whole reply); Swiftlet refuses them.
    func testHugeNegativeRandomCountsAreRefusedNotHung() throws {
        let server = try startServer()
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        _ = try c.call("HSET", "h", "a", "1")
        _ = try c.call("SADD", "s", "a")
        for command in [["HRANDFIELD", "h"], ["SRANDMEMBER", "s"]] {
            let refused = try c.call(command + ["-922337203342738794"])
            XCTAssertEqual(refused.string, "ERR value is out of range, value must between -1000000 and 9223372036854775807")
            XCTAssertEqual(try c.call(command + ["-3"]).elements?.count, 3)
        }
    }

    func testUsedMemoryFollowsHashesAndReturnsAfterDelete() throws {
        let server = try startServer()
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        let base = try c.info("memory", "used_memory")!
        try fill(c, "h", 0..<20000)
        let full = try c.info("memory", "used_memory")!
        let usage = try c.call("MEMORY", "USAGE", "h").int!
        // 20k fields of ~6-byte names and values: at least 20 bytes each.
        XCTAssertGreaterThan(full - base, 20000 * 20)
        XCTAssertGreaterThan(usage, 20000 * 20)
        XCTAssertLessThan(abs((full - base) - usage), 64 * 1024, "MEMORY USAGE and used_memory disagree")
        _ = try c.call("HDEL", "h", "f0", "f1")
        XCTAssertLessThan(try c.info("memory", "used_memory")!, full)
        XCTAssertEqual(try c.call("UNLINK", "h").int, 1)
        let after = try c.info("memory", "used_memory")!
        // (The connection's input buffer grew for the pipelined fill: it is
        // counted too, as in Redis, and shrinks only when idle.)
        XCTAssertLessThan(abs(after - base), 40 * 1024, "hash memory not released: \(base) -> \(after)")
    }

    func testEvictionSeesHashMemory() throws {
        let server = try startServer(["--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"])
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        // 1,000 hashes of 100 fields with 40-byte names: about 5 MB of data.
        let longName = String(repeating: "n", count: 40)
        for k in 0..<1000 { try fill(c, "h:\(k)", 0..<100, prefix: longName) }
        let used = try c.info("memory", "used_memory")!
        XCTAssertLessThanOrEqual(used, 4 * 1024 * 1024 + 64 * 1024)
        XCTAssertGreaterThan(try c.info("stats", "evicted_keys")!, 0)
    }
}

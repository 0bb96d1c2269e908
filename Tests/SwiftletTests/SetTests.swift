import XCTest
import Swiftlet
import Commands
import TestSupport

/// Set behaviour the recorded cases cannot pin down (random choices,
/// iteration guarantees, memory), as properties over TCP. Exact replies are
/// in Conformance/cases/sets.case.
final class SetTests: XCTestCase {
    func add(_ c: TestConnection, _ key: String, _ members: [String]) throws {
        try c.pipeline(members.map { ["SADD", key, $0] })
    }

    /// Small sets of strings are packed (Swiftlet only; both servers say
    /// "hashtable"): random writes that cross the packed limits (128
    /// members, 64-byte members) and the intset limit, replayed on real
    /// Redis and on Swiftlet. Replies whose order is the set's own are
    /// compared as sorted member lists; everything else byte for byte.
    func testRandomOperationsOnSmallSetsMatchRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var g = SplitMix(seed: 0x5E7_5A11)
        let keys = (0..<6).map { "s\($0)" }
        func key() -> String { keys[Int(g.next() % UInt64(keys.count))] }
        // The first keys draw from few names (they stay packed, mostly),
        // the others from many (they outgrow it).
        func member(_ key: String) -> String {
            switch g.next() % 10 {
            case 0: return String(Int(g.next() % 40) - 20)  // an integer (intset while all are)
            case 1: return String(repeating: "x", count: 60 + Int(g.next() % 8)) + "\(g.next() % 2)"  // around the 64-byte limit
            default: return "m\(g.next() % (key < "s3" ? 60 : 400))"
            }
        }
        var commands: [[String]] = [["CONFIG", "SET", "set-max-intset-entries", "64"], ["DEL"] + keys]
        var unordered = Set<Int>()
        for _ in 0..<6000 {
            switch g.next() % 16 {
            case 0, 1, 2, 3, 4: let k = key(); commands.append(["SADD", k, member(k), member(k)])
            case 5, 6: let k = key(); commands.append(["SREM", k, member(k)])
            case 7: let k = key(); commands.append(["SISMEMBER", k, member(k)])
            case 8: let k = key(); commands.append(["SMISMEMBER", k, member(k), member(k), member(k)])
            case 9: commands.append(["SCARD", key()])
            case 10: let k = key(); commands.append(["SMOVE", k, key(), member(k)])
            case 11: // One destination key: the others keep their size.
                commands.append([["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"][Int(g.next() % 3)], keys[5], key(), key()])
            case 12: commands.append(["SINTERCARD", "2", key(), key()])
            case 13: commands.append(["OBJECT", "ENCODING", key()])
            case 14: unordered.insert(commands.count); commands.append(["SMEMBERS", key()])
            default: unordered.insert(commands.count); commands.append([["SINTER", "SUNION", "SDIFF"][Int(g.next() % 3)], key(), key()])
            }
        }
        for k in keys { unordered.insert(commands.count); commands.append(["SMEMBERS", k]) }
        let expected = try DifferentialPair.pipeline(commands, port: pair.redis.port)
        let got = try DifferentialPair.pipeline(commands, port: pair.swiftlet.port)
        func members(_ frame: [UInt8]) throws -> [String] {
            (try RESPValue.parse(frame)?.0.elements ?? []).map { $0.string ?? "" }.sorted()
        }
        var sizes: [Int] = []
        for (i, (e, g)) in zip(expected, got).enumerated() {
            if unordered.contains(i) {
                let (a, b) = (try members(e), try members(g))
                if i >= commands.count - keys.count { sizes.append(a.count) }
                if a != b { XCTFail("command \(i) \(commands[i]): redis \(a), swiftlet \(b)"); break }
            } else if e != g {
                XCTFail("command \(i) \(commands[i]): redis \(RESPValue.escape(e)), swiftlet \(RESPValue.escape(g))")
                break
            }
        }
        // Not vacuous: some sets end past the packed limit, others below it.
        XCTAssertTrue(sizes.contains { $0 > 128 } && sizes.contains { $0 > 0 && $0 <= 128 }, "final sizes \(sizes)")
    }

    func testSscanFullIterationUnderChurnReturnsEveryStableMember() throws {
        let server = try startServer()
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        let writer = try TestConnection(port: server.port)
        try add(c, "s", (0..<3000).map { "m\($0)" })
        var seen = Set<String>()
        var cursor = "0"
        var churn = 0
        repeat {
            let parts = try c.call("SSCAN", "s", cursor, "COUNT", "50").elements!
            cursor = parts[0].string!
            for m in parts[1].elements! { seen.insert(m.string!) }
            try add(writer, "s", (churn..<(churn + 200)).map { "churn\($0)" })
            churn += 200
            if churn % 2000 == 0 { _ = try writer.call(["SREM", "s"] + ((churn - 2000)..<churn).map { "churn\($0)" }) }
        } while cursor != "0"
        for i in 0..<3000 { XCTAssertTrue(seen.contains("m\(i)"), "SSCAN missed m\(i)") }
    }

    func testSpopAndSrandmemberChooseFromTheSet() throws {
        let server = try startServer()
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        for (key, members) in [("ints", (0..<300).map { "\($0 * 7 - 1000)" }), ("strings", (0..<300).map { "s\($0)" })] {
            try add(c, key, members)
            let all = Set(members)
            let distinct = try c.call("SRANDMEMBER", key, "20").elements!.map { $0.string! }
            XCTAssertEqual(Set(distinct).count, 20)
            XCTAssertTrue(Set(distinct).isSubset(of: all))
            let repeated = try c.call("SRANDMEMBER", key, "-500").elements!.map { $0.string! }
            XCTAssertEqual(repeated.count, 500)
            XCTAssertTrue(Set(repeated).isSubset(of: all))
            var popped = Set<String>()
            for _ in 0..<10 {
                let batch = try c.call("SPOP", key, "25").elements!.map { $0.string! }
                XCTAssertEqual(batch.count, 25)
                for m in batch { XCTAssertTrue(popped.insert(m).inserted, "SPOP returned \(m) twice") }
            }
            XCTAssertTrue(popped.isSubset(of: all))
            XCTAssertEqual(try c.call("SCARD", key).int, 50)
            let rest = Set(try c.call("SMEMBERS", key).elements!.map { $0.string! })
            XCTAssertEqual(rest.union(popped), all)
            XCTAssertTrue(rest.isDisjoint(with: popped))
        }
    }

    func testAlgebraOnLargeSetsMatchesSwiftSets() throws {
        let server = try startServer()
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        let a = (0..<2000).map { "\($0)" }, b = (1000..<3000).map { "\($0)" }, t = (0..<1500).map { "x\($0)" } + (0..<500).map { "\($0 * 3)" }
        try add(c, "a", a); try add(c, "b", b); try add(c, "t", t)
        let sa = Set(a), sb = Set(b), st = Set(t)
        func members(_ args: String...) throws -> Set<String> { Set(try c.call(args).elements!.map { $0.string! }) }
        XCTAssertEqual(try members("SINTER", "a", "b", "t"), sa.intersection(sb).intersection(st))
        XCTAssertEqual(try members("SUNION", "a", "b", "t"), sa.union(sb).union(st))
        XCTAssertEqual(try members("SDIFF", "t", "a", "b"), st.subtracting(sa).subtracting(sb))
        XCTAssertEqual(try c.call("SINTERCARD", "2", "a", "t").int, sa.intersection(st).count)
        XCTAssertEqual(try c.call("SUNIONSTORE", "u", "a", "t").int, sa.union(st).count)
        XCTAssertEqual(try c.call("OBJECT", "ENCODING", "u").string, "hashtable")
        XCTAssertEqual(try members("SMEMBERS", "u"), sa.union(st))
    }

    func testUsedMemoryFollowsSetsAndReturnsAfterDelete() throws {
        let server = try startServer()
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        let base = try c.info("memory", "used_memory")!
        try add(c, "ints", (0..<400).map { "\($0)" })
        try add(c, "big", (0..<20000).map { "member:\($0)" })
        let full = try c.info("memory", "used_memory")!
        let usage = try c.call("MEMORY", "USAGE", "big").int! + (try c.call("MEMORY", "USAGE", "ints").int!)
        XCTAssertLessThan(abs((full - base) - usage), 64 * 1024, "MEMORY USAGE and used_memory disagree")
        XCTAssertEqual(try c.call("DEL", "ints", "big").int, 2)
        XCTAssertLessThan(abs(try c.info("memory", "used_memory")! - base), 40 * 1024)
    }
}

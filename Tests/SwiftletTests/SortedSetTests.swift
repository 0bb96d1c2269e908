import XCTest
import Swiftlet
import Commands
import TestSupport
import Foundation

/// Sorted-set behaviour beyond Conformance/cases/sorted-sets.case: long
/// random sequences on big sets (the table form, many nodes) replayed on
/// real Redis and on Swiftlet, every reply compared; memory accounting.
final class SortedSetTests: XCTestCase {
    func testRandomOperationsOnBigSetsMatchRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var g = SplitMix(seed: 0x2E7_5E75)
        for (entries, members) in [("128", 3000), ("4", 400)] {
            var commands: [[String]] = [["CONFIG", "SET", "zset-max-listpack-entries", entries], ["DEL", "z", "d"]]
            func member() -> String { "m\(g.next() % UInt64(members))" }
            // Few distinct scores, so ties (ordered by member) are common.
            func score() -> String {
                switch g.next() % 6 {
                case 0: return String(Int(g.next() % 50) - 25)
                case 1: return "\(Double(Int(g.next() % 1000)) / 8)"
                case 2: return g.next() % 2 == 0 ? "inf" : "-inf"
                default: return String(g.next() % 10)
                }
            }
            func bound() -> String { (g.next() % 3 == 0 ? "(" : "") + score() }
            func index() -> String { String(Int(g.next() % 200) - 100) }
            for _ in 0..<3000 {
                switch g.next() % 20 {
                case 0, 1, 2, 16, 17, 18, 19: commands.append(["ZADD", "z", score(), member(), score(), member(), score(), member()])
                case 3: commands.append(["ZADD", "z", ["NX", "XX", "GT", "LT", "CH"][Int(g.next() % 5)], score(), member()])
                case 4: commands.append(["ZINCRBY", "z", score(), member()])
                case 5: commands.append(["ZREM", "z", member(), member()])
                case 6: commands.append(["ZSCORE", "z", member()])
                case 7: commands.append([g.next() % 2 == 0 ? "ZRANK" : "ZREVRANK", "z", member()])
                case 8: commands.append(["ZCOUNT", "z", bound(), bound()])
                case 9: commands.append(["ZRANGE", "z", index(), index(), "WITHSCORES"])
                case 10: commands.append(["ZRANGEBYSCORE", "z", bound(), bound(), "WITHSCORES", "LIMIT", String(g.next() % 5), String(Int(g.next() % 20) - 1)])
                case 11: commands.append(["ZREVRANGEBYSCORE", "z", bound(), bound(), "LIMIT", String(g.next() % 5), "10"])
                case 12: commands.append(["ZREMRANGEBYRANK", "z", index(), String(Int(g.next() % 3))])
                case 13: commands.append([g.next() % 2 == 0 ? "ZPOPMIN" : "ZPOPMAX", "z", String(g.next() % 3)])
                case 14:
                    switch g.next() % 4 {
                    case 0: commands.append(["ZRANGESTORE", "d", "z", bound(), bound(), "BYSCORE"])
                    case 1: commands.append(["ZUNION", "2", "z", "d", "WEIGHTS", score(), "1", "AGGREGATE", ["SUM", "MIN", "MAX"][Int(g.next() % 3)], "WITHSCORES"])
                    case 2: commands.append(["ZINTER", "2", "d", "z", "WITHSCORES"])
                    default: commands.append(["ZDIFF", "2", "z", "d", "WITHSCORES"])
                    }
                default: let s = score(); commands.append(["ZREMRANGEBYSCORE", "z", s, s])
                }
            }
            commands.append(["ZRANGE", "z", "0", "-1", "WITHSCORES"])
            commands.append(["ZCARD", "z"])
            let card = try pair.replayOnBoth(commands, context: "entries \(entries), ")
            // Not vacuous: the set ends big, in its table form at the default limits.
            XCTAssertGreaterThan(card, 129, "entries \(entries)")
        }
    }

    /// Lex ranges need equal scores; with all scores 0 the walks (which start
    /// by bisecting the nodes and stop at the far bound) cross many 64-element
    /// nodes, forward and reversed, with offsets and limits past either end.
    /// Index ranges anywhere in the set check the count index's descent.
    func testLexAndReversedRangesOnBigSetsMatchRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var g = SplitMix(seed: 0x1E7_0B1E)
        var commands: [[String]] = [["DEL", "z", "d"]]
        func member() -> String { "m\(g.next() % 1500)" }
        func lexBound() -> String {
            switch g.next() % 8 {
            case 0: return "-"
            case 1: return "+"
            case 2, 3: return "(" + member()
            default: return "[" + member()
            }
        }
        func scoreBound() -> String { (g.next() % 3 == 0 ? "(" : "") + String(Int(g.next() % 12) - 1) }
        func limit() -> [String] {
            g.next() % 4 == 0 ? [] : ["LIMIT", String(Int(g.next() % 140) - 2), String(Int(g.next() % 140) - 2)]
        }
        for _ in 0..<600 { commands.append(["ZADD", "z", "0", member(), "0", member(), "0", member()]) }
        for _ in 0..<1500 {
            switch g.next() % 11 {
            case 10:
                // Index ranges anywhere in the set, not just near its ends.
                let start = Int(g.next() % 1200) - 100
                commands.append([g.next() % 2 == 0 ? "ZRANGE" : "ZREVRANGE", "z", String(start), String(start + Int(g.next() % 80))])
            case 0, 1: commands.append(["ZRANGEBYLEX", "z", lexBound(), lexBound()] + limit())
            case 2, 3: commands.append(["ZREVRANGEBYLEX", "z", lexBound(), lexBound()] + limit())
            case 4: commands.append(["ZRANGE", "z", lexBound(), lexBound(), "BYLEX"] + (g.next() % 2 == 0 ? ["REV"] : []) + limit())
            case 5: commands.append(["ZRANGESTORE", "d", "z", lexBound(), lexBound(), "BYLEX"] + limit())
            case 6: commands.append(["ZLEXCOUNT", "z", lexBound(), lexBound()])
            case 7: commands.append(["ZADD", "z", "0", member()])
            case 8: let m = member(); commands.append(["ZREMRANGEBYLEX", "z", "[" + m, "(" + m + "5"])
            default:
                // Score ranges over a second set with a few distinct scores.
                commands.append(["ZADD", "s", String(g.next() % 10), member()])
                commands.append(["ZRANGE", "s", scoreBound(), scoreBound(), "BYSCORE", "REV", "WITHSCORES"] + limit())
            }
        }
        commands.append(["ZCARD", "z"])
        let card = try pair.replayOnBoth(commands)
        XCTAssertGreaterThan(card, 640, "the set should span at least ten nodes")
    }

    func testMemoryIsAccountedAndReturned() throws {
        let server = try startServer()
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        let before = try c.info("memory", "used_memory")!
        for chunk in 0..<50 { try c.pipeline((0..<200).map { ["ZADD", "big", "\(chunk * 200 + $0)", "member-\(chunk)-\($0)"] }) }
        XCTAssertEqual(try c.call("OBJECT", "ENCODING", "big").string, "skiplist")
        let full = try c.info("memory", "used_memory")!
        // 10,000 members of ~14 bytes, each in the order and in the index.
        XCTAssertGreaterThan(full - before, 300_000)
        XCTAssertLessThan(full - before, 2_000_000)
        XCTAssertEqual(try c.call("UNLINK", "big").int, 1)
        let deadline = Date().addingTimeInterval(5)
        while try c.info("memory", "used_memory")! > before + 100_000 && Date() < deadline { usleep(10_000) }
        XCTAssertLessThan(try c.info("memory", "used_memory")!, before + 100_000)
    }
}

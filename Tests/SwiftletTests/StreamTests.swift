import XCTest
import Swiftlet
import Commands
import TestSupport

/// Stream behaviour beyond Conformance/cases/streams.case and
/// stream-groups.case: long random sequences (explicit IDs, deletions,
/// exact and node-granular trims, group reads and acknowledgements)
/// replayed on real Redis and on Swiftlet, every reply compared.
final class StreamTests: XCTestCase {
    /// Consumers that XCLAIM and XAUTOCLAIM create are counted in
    /// used_memory once, so deleting the stream gives all its bytes back
    /// (they were counted twice, and 100 claims by new consumers left about
    /// 8 KB in used_memory for good).
    func testClaimsByNewConsumersLeaveNoMemoryBehind() throws {
        let server = try startServer()
        defer { server.stop() }
        let c = try TestConnection(port: server.port)
        // Warm the connection's buffers and the stream's table slot first.
        for _ in 0..<2 {
            try c.pipeline([["XADD", "s", "1-1", "f", "v"], ["XGROUP", "CREATE", "s", "g", "0"],
                            ["XREADGROUP", "GROUP", "g", "c0", "STREAMS", "s", ">"], ["DEL", "s"]])
        }
        let before = try c.info("memory", "used_memory") ?? -1
        try c.pipeline([["XADD", "s", "1-1", "f", "v"], ["XGROUP", "CREATE", "s", "g", "0"],
                        ["XREADGROUP", "GROUP", "g", "c0", "STREAMS", "s", ">"]])
        try c.pipeline((1...50).map { ["XCLAIM", "s", "g", "claimer\($0)", "0", "1-1"] })
        try c.pipeline((1...50).map { ["XAUTOCLAIM", "s", "g", "autoclaimer\($0)", "0", "0"] })
        XCTAssertEqual(try c.call("XINFO", "GROUPS", "s").elements?.first?.elements?[3], .integer(101), "consumers")
        XCTAssertEqual(try c.call("DEL", "s"), .integer(1))
        let after = try c.info("memory", "used_memory") ?? -1
        XCTAssertLessThan(abs(after - before), 1000, "used_memory \(before) before the stream, \(after) after deleting it")
    }

    func testRandomOperationsMatchRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var g = SplitMix(seed: 0x57_2EA4)
        for nodeEntries in ["100", "7"] {
            var commands: [[String]] = [["CONFIG", "SET", "stream-node-max-entries", nodeEntries], ["DEL", "s"],
                                        ["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"]]
            var ms = 1
            func existing() -> String { "\(1 + Int(g.next() % UInt64(ms)))-\(g.next() % 3)" }
            for _ in 0..<2500 {
                switch g.next() % 16 {
                case 0, 1, 2, 3, 4:
                    ms += Int(g.next() % 3)
                    commands.append(["XADD", "s", "\(ms)-*", "f", "v\(g.next() % 100)", "n", "\(ms)"])
                case 5: commands.append(["XDEL", "s", existing(), existing()])
                case 6: commands.append(["XRANGE", "s", existing(), "+", "COUNT", "\(g.next() % 8)"])
                case 7: commands.append(["XREVRANGE", "s", "+", "(" + existing(), "COUNT", "5"])
                case 8: commands.append(["XLEN", "s"])
                case 9: commands.append(["XTRIM", "s", "MAXLEN", g.next() % 2 == 0 ? "~" : "=", "\(150 + Int(g.next() % 100))"])
                case 10: commands.append(["XTRIM", "s", "MINID", "~", "\(max(1, ms - 400))"])
                case 11: commands.append(["XREADGROUP", "GROUP", "g", "c\(g.next() % 3)", "COUNT", "3", "STREAMS", "s", ">"])
                case 12: commands.append(["XACK", "s", "g", existing(), existing()])
                case 13: commands.append(["XREADGROUP", "GROUP", "g", "c\(g.next() % 3)", "COUNT", "4", "STREAMS", "s", "0"])
                case 14: commands.append(["XREAD", "COUNT", "3", "STREAMS", "s", existing()])
                default: commands.append(["XINFO", "GROUPS", "s"])
                }
            }
            commands.append(["XRANGE", "s", "-", "+"])
            commands.append(["XPENDING", "s", "g"])
            commands.append(["XLEN", "s"])
            let length = try pair.replayOnBoth(commands, context: "node entries \(nodeEntries), ")
            XCTAssertGreaterThan(length, 100, "node entries \(nodeEntries): the stream stays long enough to span nodes")
        }
    }

    /// Range reads written straight from the nodes (XRANGE, XREVRANGE and
    /// XREAD, whose array lengths are filled in after the entries): whole
    /// ranges and exclusive bounds crossing node boundaries and deleted
    /// entries, and XREAD over several keys at once, some missing, some
    /// repeated, some with nothing new, in RESP2 and RESP3.
    func testRangesAndMultiStreamReadsMatchRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var g = SplitMix(seed: 0x5E_AD_0F)
        for (protocolVersion, nodeEntries) in [("2", "5"), ("3", "100")] {
            var commands: [[String]] = [["HELLO", protocolVersion], ["CONFIG", "SET", "stream-node-max-entries", nodeEntries],
                                        ["DEL", "s", "t", "u"]]
            var ms = 1
            func id() -> String { "\(Int(g.next() % UInt64(ms + 2)))-\(g.next() % 3)" }
            func bound() -> String {
                switch g.next() % 6 {
                case 0: return "-"
                case 1: return "+"
                case 2: return "(" + id()
                default: return id()
                }
            }
            func count() -> [String] { g.next() % 3 == 0 ? [] : ["COUNT", "\(Int(g.next() % 30))"] }
            func key() -> String { ["s", "t", "u", "missing"][Int(g.next() % 4)] }
            for _ in 0..<1500 {
                switch g.next() % 10 {
                case 0, 1, 2, 3:
                    ms += Int(g.next() % 3)
                    commands.append(["XADD", ["s", "t"][Int(g.next() % 2)], "\(ms)-*", "f", "v\(g.next() % 100)"])
                case 4: commands.append(["XDEL", key(), id(), id(), id()])
                case 5: commands.append(["XRANGE", key(), bound(), bound()] + count())
                case 6: commands.append(["XREVRANGE", key(), bound(), bound()] + count())
                case 7:
                    let keys = (0..<(1 + Int(g.next() % 3))).map { _ in key() }
                    commands.append(["XREAD"] + count() + ["STREAMS"] + keys + keys.map { _ in g.next() % 4 == 0 ? "$" : id() })
                case 8: commands.append(["XADD", "u", "\(ms)-*", "only", "\(g.next() % 10)"]); commands.append(["XTRIM", "u", "MAXLEN", "1"])
                default: commands.append(["XREVRANGE", key(), "+", "-"])
                }
            }
            commands.append(["XLEN", "s"])
            let length = try pair.replayOnBoth(commands, context: "RESP\(protocolVersion), node entries \(nodeEntries), ",
                                               unchecked: [0])
            XCTAssertGreaterThan(length, 150, "the stream spans many nodes")
        }
    }
}

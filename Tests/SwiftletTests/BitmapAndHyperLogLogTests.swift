import XCTest
import Swiftlet
import Commands
import TestSupport

/// Bitmaps and HyperLogLogs beyond Conformance/cases/bitmaps.case and
/// hyperloglog.case: long random sequences replayed on real Redis and on
/// Swiftlet, every reply compared byte for byte (the values themselves
/// included, through GET, since both are plain strings clients can read).
final class BitmapAndHyperLogLogTests: XCTestCase {
    func testRandomBitmapOperationsMatchRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var g = SplitMix(seed: 0xB17_F1E1D)
        func pick<T>(_ options: [T]) -> T { options[Int(g.next() % UInt64(options.count))] }
        func int(_ range: ClosedRange<Int>) -> String { String(range.lowerBound + Int(g.next() % UInt64(range.count))) }
        func key() -> String { pick(["b0", "b1", "b2", "b3"]) }
        func encoding() -> String {
            g.next() % 10 == 0 ? pick(["u64", "i65", "I8", "u0", "x"]) : pick(["i", "u"]) + int(1...63)
        }
        func offset() -> String { g.next() % 4 == 0 ? "#" + int(0...8) : int(0...120) }
        func operand() -> String {
            pick([int(-300...300), String(Int64.max), String(Int64.min), int(-1_000_000_000_000...1_000_000_000_000)])
        }
        var commands: [[String]] = [["DEL", "b0", "b1", "b2", "b3"], ["RPUSH", "b3", "x"]]
        for _ in 0..<3000 {
            switch g.next() % 12 {
            case 0, 1: commands.append(["SETBIT", key(), int(0...200), int(0...1)])
            case 2: commands.append(["SET", key(), pick(["", "abc", "\u{7f}\u{7f}\u{7f}", "0", "12345", String(repeating: "x", count: 40)])])
            case 3, 4:
                var c = ["BITPOS", key(), pick(["0", "1", "2"])]
                if g.next() % 3 != 0 { c.append(int(-30...30)) }
                if c.count == 4 && g.next() % 2 == 0 { c.append(int(-30...30)) }
                if c.count == 5 && g.next() % 2 == 0 { c.append(pick(["BIT", "BYTE", "bit", "nope"])) }
                commands.append(c)
            case 5:
                commands.append(["BITOP", pick(["AND", "OR", "XOR", "NOT", "nand"]), key()]
                                + (0..<Int(1 + g.next() % 3)).map { _ in pick(["b0", "b1", "b2", "b3", "none"]) })
            case 6, 7, 8:
                var c = [pick(["BITFIELD", "BITFIELD", "BITFIELD_RO"]), key()]
                for _ in 0..<Int(g.next() % 5) {
                    switch g.next() % 7 {
                    case 0, 1: c += ["GET", encoding(), offset()]
                    case 2, 3: c += ["SET", encoding(), offset(), operand()]
                    case 4, 5: c += ["INCRBY", encoding(), offset(), operand()]
                    default: c += ["OVERFLOW", pick(["WRAP", "SAT", "FAIL", "fail", "MAYBE"])]
                    }
                }
                commands.append(c)
            case 9: commands.append(["BITCOUNT", key()] + (g.next() % 2 == 0 ? [int(-20...20), int(-20...20), pick(["BIT", "BYTE"])] : []))
            case 10: commands.append(["GET", key()])
            default: commands.append(["OBJECT", "ENCODING", key()])
            }
        }
        commands.append(["STRLEN", "b0"])
        let length = try pair.replayOnBoth(commands)
        XCTAssertGreaterThan(length, 0, "b0 ended empty: the run proved little")
    }

    func testRandomHyperLogLogOperationsMatchRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var g = SplitMix(seed: 0x4117_0C0C)
        func pick<T>(_ options: [T]) -> T { options[Int(g.next() % UInt64(options.count))] }
        func key() -> String { pick(["h0", "h1", "h2", "h3"]) }
        var commands: [[String]] = [["SET", "str", "not a hyperloglog"], ["RPUSH", "list", "x"]]
        for round in 0..<4000 {
            switch g.next() % 10 {
            case 0, 1, 2, 3:
                // From a few elements (sparse) to thousands (dense), some repeated.
                let spread = pick([40, 2_000, 1_000_000])
                let count = pick([0, 1, 3, 30, 300, 1000])
                commands.append(["PFADD", key()] + (0..<count).map { _ in "e\(g.next() % UInt64(spread))" })
            case 4, 5: commands.append(["PFCOUNT"] + (0..<Int(1 + g.next() % 3)).map { _ in pick(["h0", "h1", "h2", "h3", "none", "str"]) })
            case 6: commands.append(["PFMERGE", key()] + (0..<Int(g.next() % 3)).map { _ in pick(["h0", "h1", "h2", "h3", "none", "list"]) })
            case 7: commands.append(["GET", key()])
            // Large limits keep thousands of registers sparse, where
            // neighbouring runs of equal registers are joined.
            case 8: commands.append(["CONFIG", "SET", "hll-sparse-max-bytes", pick(["0", "50", "300", "3000", "20000", "100000"])])
            default: commands.append(round % 3 == 0 ? ["DEL", key()] : ["STRLEN", key()])
            }
        }
        commands.append(["PFCOUNT", "h0", "h1", "h2", "h3"])
        let union = try pair.replayOnBoth(commands)
        // Hundreds of distinct elements: PFADDs of 300 and limits of 0-300
        // bytes turned values dense along the way.
        XCTAssertGreaterThan(union, 500, "the HyperLogLogs ended small: the run proved little")
    }
    /// Values no client would write, answered as Redis answers them: an
    /// estimate past Int64 (Redis's llroundl gives LLONG_MIN), a sparse value
    /// with an opcode past the last register, NUL bytes under SORT ALPHA,
    /// and a BITFIELD read far past the end of any value. Each one crashed
    /// or answered differently before.
    func testCraftedValuesAnswerAsRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        let allRegistersMax = Array("HYLL".utf8) + [UInt8](repeating: 0, count: 11) + [0x80] + [UInt8](repeating: 0xFF, count: 12288)
        let trailingOpcode = Array("HYLL".utf8) + [1, 0, 0, 0] + [UInt8](repeating: 0, count: 8) + [0x7F, 0xFF, 0xF4]
        let commands: [[[UInt8]]] = [
            [Array("SET".utf8), Array("h".utf8), allRegistersMax],
            [Array("PFCOUNT".utf8), Array("h".utf8)],
            [Array("PFCOUNT".utf8), Array("h".utf8), Array("none".utf8)],
            [Array("SET".utf8), Array("t".utf8), trailingOpcode],
            [Array("PFCOUNT".utf8), Array("t".utf8)],
            [Array("PFCOUNT".utf8), Array("t".utf8), Array("none".utf8)],
            [Array("PFMERGE".utf8), Array("m".utf8), Array("t".utf8)],
            [Array("RPUSH".utf8), Array("l".utf8), [0x61, 0, 0x62], [0x61, 0, 0x61], [0x61], [0x42], [0x62]],
            [Array("SORT".utf8), Array("l".utf8), Array("ALPHA".utf8)],
            [Array("SORT".utf8), Array("l".utf8), Array("ALPHA".utf8), Array("STORE".utf8), Array("d".utf8)],
            [Array("LRANGE".utf8), Array("d".utf8), Array("0".utf8), Array("-1".utf8)],
            [Array("CONFIG".utf8), Array("SET".utf8), Array("proto-max-bulk-len".utf8), Array("9223372036854775807".utf8)],
            [Array("BITFIELD_RO".utf8), Array("b".utf8), Array("GET".utf8), Array("u8".utf8), Array("9223372036854775800".utf8)],
            [Array("BITFIELD".utf8), Array("b".utf8), Array("GET".utf8), Array("i64".utf8), Array("9223372036854775743".utf8)],
        ]
        var replies: [[[UInt8]]] = []
        for (_, port) in pair.servers {
            let connection = try TestConnection(port: port)
            defer { connection.close() }
            try connection.send(commands.flatMap { TestConnection.encode($0) })
            replies.append(try commands.map { _ in try connection.readFrameBytes(timeoutMs: 10_000) })
        }
        for (i, (r, s)) in zip(replies[0], replies[1]).enumerated() {
            XCTAssertEqual(RESPValue.escape(s), RESPValue.escape(r), "command \(i): \(String(decoding: commands[i][0], as: UTF8.self))")
        }
        XCTAssertEqual(String(decoding: replies[0][1], as: UTF8.self), ":-9223372036854775808\r\n")
    }
}

import XCTest
import Swiftlet
import Commands
import TestSupport

/// COMMAND INFO and COMMAND GETKEYS(ANDFLAGS) against real Redis, for every
/// command Swiftlet has: flags (movablekeys included), ACL categories, tips
/// and key specs are what cluster-aware clients and proxies route by.
final class CommandIntrospectionTests: XCTestCase {
    var pair: DifferentialPair!

    override func setUpWithError() throws { pair = try DifferentialPair.start() }
    override func tearDown() { pair?.stop() }

    /// A COMMAND INFO entry with its subcommands in a canonical order:
    /// Redis lists them in its hash table's order, which a random seed
    /// picks at each start.
    func canonical(_ v: RESPValue) -> String {
        guard case .array(var fields?) = v, fields.count == 10 else { return RESPValue.escape(v.serialized) }
        if case .array(let subs?) = fields[9] {
            // CLIENT SETINFO is a Redis 7.2 subcommand Swiftlet accepts on
            // purpose (Conformance/known-differences.txt).
            let kept = subs.filter { $0.elements?.first?.string != "client|setinfo" }
            fields[9] = .array(kept.sorted { canonical($0) < canonical($1) })
        }
        return fields.map { RESPValue.escape($0.serialized) }.joined(separator: " ")
    }

    func info(_ port: Int, _ name: String, resp3: Bool) throws -> RESPValue {
        let c = try TestConnection(port: port)
        defer { c.close() }
        if resp3 { _ = try c.call("HELLO", "3") }
        return try c.call("COMMAND", "INFO", name).elements?.first ?? .null
    }

    func testCommandInfoMatchesRedisForEveryCommand() throws {
        let names = try TestConnection(port: pair.swiftlet.port).call("COMMAND", "LIST").elements!.compactMap(\.string)
            .filter { !$0.contains("|") }
        XCTAssertGreaterThan(names.count, 150)
        var mismatches: [String] = []
        for resp3 in [false, true] {
            for name in names.sorted() {
                let expected = canonical(try info(pair.redis.port, name, resp3: resp3))
                let got = canonical(try info(pair.swiftlet.port, name, resp3: resp3))
                if expected != got { mismatches.append("\(name) (RESP\(resp3 ? 3 : 2)):\n  redis    \(expected.prefix(600))\n  swiftlet \(got.prefix(600))") }
            }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) commands differ:\n" + mismatches.prefix(5).joined(separator: "\n"))
    }

    func testGetKeysMatchesRedis() throws {
        let lines: [[String]] = [
            ["GET", "k"], ["SET", "k", "v"], ["SET", "k", "v", "GET"], ["SET", "k", "v", "EX", "10", "get"],
            ["MSET", "a", "1", "b", "2"], ["MSET", "a", "1", "b"], ["MGET", "a", "b", "c"], ["DEL", "a", "b"],
            ["SMOVE", "src", "dst", "m"], ["LMOVE", "a", "b", "LEFT", "RIGHT"], ["BLMOVE", "a", "b", "LEFT", "RIGHT", "0"],
            ["RPOPLPUSH", "a", "b"], ["BLPOP", "a", "b", "0"], ["COPY", "a", "b"], ["RENAME", "a", "b"],
            ["SINTERCARD", "2", "a", "b"], ["SINTERCARD", "2", "a", "b", "LIMIT", "1"], ["SINTERCARD", "3", "a", "b"],
            ["SINTERCARD", "x", "a"], ["SINTERCARD", "-1", "a"], ["SINTERSTORE", "d", "a", "b"],
            ["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"], ["ZUNION", "2", "a", "b"], ["ZINTERCARD", "1", "a"],
            ["ZDIFF", "0", "a"], ["ZRANGESTORE", "d", "s", "0", "-1"], ["ZMPOP", "2", "a", "b", "MIN"],
            ["BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "2"], ["LMPOP", "1", "a", "LEFT"], ["BLMPOP", "0", "1", "a", "LEFT"],
            ["BZPOPMIN", "a", "b", "0"],
            ["XREAD", "STREAMS", "a", "b", "0", "0"], ["XREAD", "COUNT", "2", "STREAMS", "a", "0"], ["XREAD", "STREAMS", "a", "b", "0"],
            ["XREAD", "COUNT", "1", "streams", "s", "$"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", ">"],
            ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "a", "b", ">", ">"],
            ["XADD", "s", "*", "f", "v"], ["XGROUP", "CREATE", "s", "g", "$"], ["XINFO", "STREAM", "s"],
            ["XGROUP", "NOSUCH", "s"], ["OBJECT", "ENCODING", "k"], ["MEMORY", "USAGE", "k"], ["OBJECT", "HELP"],
            ["PING"], ["PUBLISH", "ch", "m"], ["SPUBLISH", "ch", "m"], ["SSUBSCRIBE", "a", "b"],
            ["EXISTS", "a", "b"], ["TOUCH", "a"], ["WATCH", "a", "b"], ["EVAL"], ["NOSUCHCOMMAND", "x"], ["GET"],
            ["GET", "a", "b"], ["HSET", "h", "f", "v"], ["GETEX", "k", "PERSIST"], ["LCS", "a", "b"], ["MSETNX", "a", "1"],
            ["SORT_RO"], ["EXPIRE", "k", "10"], ["TYPE", "k"], ["UNLINK", "a"], ["SCAN", "0"], ["CONFIG", "GET", "x"],
        ]
        func replies(_ port: Int) throws -> [String] {
            let c = try TestConnection(port: port)
            defer { c.close() }
            var out: [String] = []
            for line in lines {
                for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
                    out.append(RESPValue.escape(try c.call(["COMMAND", sub] + line).serialized))
                }
            }
            return out
        }
        let expected = try replies(pair.redis.port)
        let got = try replies(pair.swiftlet.port)
        for (i, (e, g)) in zip(expected, got).enumerated() where e != g {
            XCTFail("COMMAND \(i % 2 == 0 ? "GETKEYS" : "GETKEYSANDFLAGS") \(lines[i / 2].joined(separator: " ")): redis \(e), swiftlet \(g)")
        }
    }
}

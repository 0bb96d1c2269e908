import Foundation
import XCTest
import Lua

/// cjson, bit, struct and cmsgpack against the real Redis: every script of
/// `corpus/redis/*.lua` (blocks separated by `----` lines; a first block
/// starting with `--prelude` is put in front of every script, on the same
/// line) runs through `EVAL` on a private redis-server and through our
/// `LuaState`, and the returned strings (results or error messages, with
/// their `user_script:1:` positions) must be identical byte for byte.
final class RedisLibrariesTests: XCTestCase {
    var redis: RedisReference?

    override func setUpWithError() throws {
        guard let path = RedisReference.serverPath else { throw XCTSkip("redis-server not in PATH") }
        redis = try RedisReference(serverPath: path)
    }

    override func tearDown() {
        redis?.stop()
        redis = nil
    }

    static var corpusDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("corpus/redis")
    }

    static func scripts(in name: String) throws -> [[UInt8]] {
        let data = try Data(contentsOf: corpusDirectory.appendingPathComponent(name))
        let text = Array(data)
        var blocks: [[UInt8]] = []
        var current: [UInt8] = []
        for line in text.split(separator: 10, omittingEmptySubsequences: false) {
            if Array(line) == Array("----".utf8) {
                blocks.append(current)
                current = []
            } else {
                if !current.isEmpty { current.append(10) }
                current += line
            }
        }
        blocks.append(current)
        blocks = blocks.filter { !$0.allSatisfy { $0 == 10 || $0 == 32 } }
        let marker = Array("--prelude ".utf8)
        if let first = blocks.first, first.starts(with: marker) {
            let prelude = Array(first.dropFirst(marker.count)) + [32]
            return blocks.dropFirst().map { prelude + $0 }
        }
        return blocks
    }

    /// Runs one corpus file in one session (settings persist from script to
    /// script on both sides, as they do across EVALs).
    func check(_ file: String, minimum: Int) throws {
        let redis = try XCTUnwrap(redis)
        let session = try RedisLibrarySession(redis: redis)
        let scripts = try RedisLibrariesTests.scripts(in: file)
        XCTAssertGreaterThanOrEqual(scripts.count, minimum, "\(file) lost scripts")
        var failures: [String] = []
        for script in scripts {
            let (expected, actual) = try session.compare(script)
            if expected != actual {
                failures.append("\(script.shown.suffix(160))\n  redis: \(expected.shown.prefix(300))\n  ours:  \(actual.shown.prefix(300))")
            }
        }
        if !failures.isEmpty {
            XCTFail("\(file): \(failures.count) of \(scripts.count) scripts differ from Redis:\n" + failures.prefix(20).joined(separator: "\n"))
        }
        print("\(file): \(scripts.count) scripts compared with redis-server, \(failures.count) differ")
    }

    func testCJSONMatchesRedis() throws { try check("cjson.lua", minimum: 200) }
    func testBitMatchesRedis() throws { try check("bit.lua", minimum: 100) }
    func testStructMatchesRedis() throws { try check("struct.lua", minimum: 140) }
    func testMessagePackMatchesRedis() throws { try check("cmsgpack.lua", minimum: 170) }

    /// The comparison must be able to fail.
    func testComparisonDetectsDifferences() throws {
        let session = try RedisLibrarySession(redis: try XCTUnwrap(redis))
        let reference = try session.reference(Array("return cjson.encode({1,'a/b'})".utf8))
        XCTAssertEqual(reference, Array("OK:[1,\"a\\/b\"]".utf8))
        XCTAssertNotEqual(reference, session.ours(Array("return cjson.encode({1,'a/c'})".utf8)))
        let error = try session.reference(Array("return bit.tohex({})".utf8))
        XCTAssertEqual(error, Array("ERR:user_script:1: bad argument #1 to 'tohex' (number expected, got table)".utf8))
        XCTAssertNotEqual(error, session.ours(Array("return bit.tohex(nil)".utf8)))
    }

    // MARK: - Randomized differential tests

    /// SplitMix64: the same sequence everywhere, so a failure reproduces.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    }

    /// A Lua numeral for an interesting double (exact via %a-free forms).
    static func randomNumber(_ r: inout Random) -> String {
        switch r.below(10) {
        case 0: return r.pick(["0", "-0", "1", "-1", "0.5", "2.5", "-1.5", "1/0", "-1/0", "0/0"])
        case 1: return "2^\(r.below(70))"
        case 2: return "-2^\(r.below(70))"
        case 3: return "(2^\(r.below(64)) + \(r.below(1000)))"
        case 4: return "\(Int64(bitPattern: r.next()) >> Int64(r.below(63)))"
        case 5: return "\(r.below(100000)).\(r.below(100000))"
        case 6: return "-\(r.below(1000)).\(r.below(1000))e\(r.below(40) - 20)"
        case 7: return "\(r.below(300))"
        case 8: return "0x\(String(r.next() >> UInt64(r.below(64)), radix: 16))"
        default: return "\(Double(bitPattern: r.next() & 0x7FEF_FFFF_FFFF_FFFF))"
        }
    }

    static func randomString(_ r: inout Random) -> String {
        // Three-digit escapes, so that a following digit never joins them.
        let pieces = ["a", "b", "\\000", "\\n", "\\\"", "/", "\\\\", "\\001", "\\031", "\\127", "\\128", "\\255", "\\226\\130\\172", "x y", "1", ""]
        var s = ""
        for _ in 0..<r.below(6) { s += r.pick(pieces) }
        return "\"" + s + "\""
    }

    static func randomValue(_ r: inout Random, depth: Int) -> String {
        switch r.below(depth > 3 ? 5 : 8) {
        case 0: return randomNumber(&r)
        case 1: return randomString(&r)
        case 2: return r.pick(["true", "false", "cjson.null"])
        case 3: return "\(r.below(50))"
        case 4: return randomString(&r)
        case 5:  // array-like, maybe with holes
            let n = r.below(8)
            return "{" + (0..<n).map { _ in r.below(6) == 0 ? "nil" : randomValue(&r, depth: depth + 1) }.joined(separator: ",") + "}"
        default:  // mixed keys
            var parts: [String] = []
            for _ in 0..<r.below(7) {
                let key: String
                switch r.below(4) {
                case 0: key = "[\(r.below(30))]"
                case 1: key = "[\(randomString(&r))]"
                case 2: key = "k\(r.below(20))"
                default: key = "[\(r.below(5) + 1)]"
                }
                parts.append(key + "=" + randomValue(&r, depth: depth + 1))
            }
            return "{" + parts.joined(separator: ",") + "}"
        }
    }

    /// Random values through cjson.encode, a decode/encode round trip,
    /// cmsgpack.pack and a pack/unpack/pack round trip, with random
    /// settings; each script checks 10 values.
    func testRandomEncodingsMatchRedis() throws {
        let session = try RedisLibrarySession(redis: try XCTUnwrap(redis))
        var r = Random(state: 20261207)
        var failures: [String] = []
        let scripts = 150
        for _ in 0..<scripts {
            var body = "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end "
            body += "local c = cjson.new() c.encode_sparse_array(\(r.pick(["true", "false"])), \(r.below(4)), \(r.below(12))) "
            body += "c.encode_invalid_numbers(\(r.pick(["true", "false", "'null'"]))) c.encode_number_precision(\(r.below(14) + 1)) "
            body += "local out = {} local function try(f, ...) local ok, v = pcall(f, ...) out[#out+1] = tostring(v) return ok and v end "
            for _ in 0..<10 {
                let value = RedisLibrariesTests.randomValue(&r, depth: 0)
                body += "do local v = \(value) local j = try(c.encode, v) if j then try(function() return c.encode(c.decode(j)) end) end "
                body += "local m = try(cmsgpack.pack, v) if m then out[#out+1] = hex(m) try(function() return hex(cmsgpack.pack(cmsgpack.unpack(m))) end) end end "
            }
            body += "return table.concat(out, '|')"
            let bytes = Array(body.utf8)
            let (expected, actual) = try session.compare(bytes)
            if expected != actual {
                failures.append("\(body)\n  redis: \(expected.shown.prefix(600))\n  ours:  \(actual.shown.prefix(600))")
            }
        }
        if !failures.isEmpty {
            XCTFail("\(failures.count) of \(scripts) random encoding scripts differ:\n" + failures.prefix(5).joined(separator: "\n"))
        }
        print("random encodings: \(scripts * 10) values compared with redis-server, \(failures.count) scripts differ")
    }

    /// Random bit operations and struct round trips (20 per script).
    func testRandomBitAndStructMatchRedis() throws {
        let session = try RedisLibrarySession(redis: try XCTUnwrap(redis))
        var r = Random(state: 77)
        var failures: [String] = []
        let scripts = 150
        let bitFunctions = ["tobit", "bnot", "band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "ror", "bswap", "tohex"]
        let formats = ["b", "B", "h", "H", "l", "L", "T", "i", "I", "i1", "I3", "i7", "I8", "i12", "f", "d"]
        for _ in 0..<scripts {
            var body = "local out = {} local function try(f, ...) local ok, v = pcall(f, ...) out[#out+1] = tostring(v) end "
            for _ in 0..<20 {
                let f = r.pick(bitFunctions)
                let arguments = (0..<(r.below(4) + (f == "tobit" || f == "bnot" || f == "bswap" ? 0 : 1))).map { _ in RedisLibrariesTests.randomNumber(&r) }
                body += "try(" + (["bit.\(f)"] + arguments).joined(separator: ", ") + ") "
            }
            for _ in 0..<6 {
                let count = r.below(4) + 1
                let format = r.pick(["", "<", ">", "!", "!4", "<!2", ">!8"]) + (0..<count).map { _ in r.pick(formats) }.joined()
                let values = (0..<count).map { _ in RedisLibrariesTests.randomNumber(&r) }.joined(separator: ", ")
                body += "try(function() local s = struct.pack('\(format)', \(values)) return #s .. ':' .. table.concat({struct.unpack('\(format)', s)}, ',') .. ':' .. struct.size('\(format)') end) "
            }
            body += "return table.concat(out, ' ')"
            let bytes = Array(body.utf8)
            let (expected, actual) = try session.compare(bytes)
            if expected != actual {
                failures.append("\(body)\n  redis: \(expected.shown.prefix(600))\n  ours:  \(actual.shown.prefix(600))")
            }
        }
        if !failures.isEmpty {
            XCTFail("\(failures.count) of \(scripts) random bit/struct scripts differ:\n" + failures.prefix(5).joined(separator: "\n"))
        }
        print("random bit/struct: \(scripts * 26) operations compared with redis-server, \(failures.count) scripts differ")
    }

    // MARK: - Host-facing representation

    func testCJSONNullIsLightUserdataNull() throws {
        let state = LuaState()
        state.openRedisLibraries()
        let results = try state.run("return cjson.null, cjson.decode('null'), type(cjson.null), tostring(cjson.null), cjson.null == cjson.decode('[null]')[1], ({[cjson.null] = 7})[cjson.decode('null')]")
        guard results.count == 6, case .lightUserdata(0) = results[0], case .lightUserdata(0) = results[1] else {
            return XCTFail("cjson.null is not light userdata NULL: \(results)")
        }
        XCTAssertTrue(LuaValue.rawEquals(results[0], .cjsonNull))
        XCTAssertEqual(try state.toString(results[2]).description, "userdata")
        XCTAssertEqual(try state.toString(results[3]).description, "userdata: (nil)")
        XCTAssertTrue(results[4].isTruthy)
        XCTAssertTrue(LuaValue.rawEquals(results[5], .number(7)))
        XCTAssertTrue(results[0].isTruthy, "light userdata is true in Lua")
    }

    func testLibrariesAreInstalledAsGlobals() throws {
        let state = LuaState()
        state.openRedisLibraries()
        for name in ["cjson", "bit", "struct", "cmsgpack"] {
            guard case .table = state.global(name) else { return XCTFail("\(name) missing") }
        }
    }
}

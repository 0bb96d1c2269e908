import XCTest
import Swiftlet
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The bad-input battery: hostile or broken clients, each run against
/// Swiftlet and a real Redis side by side. For every input the reply and
/// whether the connection was closed must be Redis's, the server must
/// still answer, and a canary client connected throughout must still read
/// its 1,000 keys exactly. (Protocol errors proper are in ProtocolTests.)
final class BadInputBatteryTests: XCTestCase {
    var pair: DifferentialPair!
    var canaries: [TestConnection] = []
    static let canaryKeys = (0..<1000).map { "canary:\($0)" }

    override func setUpWithError() throws {
        pair = try DifferentialPair.start()
        try pair.setUpBoth(Self.canaryKeys.map { ["SET", $0, "value-of-\($0)"] })
        canaries = try pair.servers.map { try TestConnection(port: $0.port) }
    }

    override func tearDown() { pair?.stop() }

    /// The canary on each server reads all its keys; Swiftlet's must be
    /// byte-identical to Redis's, and the servers accept new clients.
    func assertCanariesIntact(after label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var replies: [[UInt8]] = []
        for canary in canaries {
            try canary.send(command: ["MGET"] + Self.canaryKeys)
            replies.append(try canary.readFrameBytes(timeoutMs: 10_000))
        }
        XCTAssertEqual(replies[1], replies[0], "after \(label): the canary's keys differ from Redis's", file: file, line: line)
        XCTAssertFalse(RESPValue.escape(replies[1]).contains("$-1"), "after \(label): a canary key is missing", file: file, line: line)
        XCTAssertEqual(try TestConnection(port: pair.swiftlet.port).call("PING"), .simple("PONG"),
                       "after \(label): new connections are served", file: file, line: line)
    }

    /// Sends `bytes` on a fresh connection to each server and compares
    /// what comes back (until close or 300 ms of quiet) and whether it closed.
    func assertSameOutcome(_ label: String, _ bytes: [UInt8], quietMs: Int = 300,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        // Both servers get the bytes before either is drained: half the waiting.
        let connections = try pair.servers.map { try TestConnection(port: $0.port) }
        for connection in connections { try? connection.send(bytes) }
        let outcomes = try connections.map { (reply: try $0.drain(timeoutMs: quietMs), closed: $0.closedByPeer) }
        let (expected, got) = (outcomes[0], outcomes[1])
        XCTAssertEqual(RESPValue.escape(got.reply), RESPValue.escape(expected.reply), "\(label): reply", file: file, line: line)
        XCTAssertEqual(got.closed, expected.closed, "\(label): closed (Redis: \(expected.closed))", file: file, line: line)
    }

    // MARK: random bytes

    /// 90 seeded random inputs (raw bytes, RESP-looking noise, inline
    /// noise): Swiftlet's answer to each is Redis's answer.
    func testRandomBytesGetRedisAnswers() throws {
        var rng = SplitMix(seed: 0x5eed_2026)
        for round in 0..<90 {
            let length = 1 + Int(rng.next() % 300)
            var bytes: [UInt8]
            switch round % 3 {
            case 0:  // anything at all
                bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case 1:  // RESP markers, digits, CRLFs and letters
                let alphabet = Array("*$\r\n0123456789-+:abcSETGEPING \r\n".utf8)
                bytes = [0x2A] + (0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            default:  // inline commands of printable noise, quotes and escapes
                let alphabet = Array("abcdefGHIJ \"'\\x0123 \t".utf8)
                bytes = (0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] } + [13, 10]
            }
            // Never send something that would be a real destructive command by chance.
            let text = String(decoding: bytes, as: UTF8.self).lowercased()
            if ["flush", "shutdown", "debug", "config", "client", "swapdb", "del", "unlink", "rename", "move", "acl", "set", "copy", "getdel"]
                .contains(where: text.contains) { continue }
            try assertSameOutcome("random input \(round) \(RESPValue.escape(bytes))", bytes, quietMs: 150)
        }
        try assertCanariesIntact(after: "random bytes")
    }

    // MARK: clients that vanish

    /// Clients that close half-way through a request, a large bulk, a
    /// MULTI block or a pile of unread replies leave nothing behind: the
    /// half-sent SET never runs, queued commands never run.
    func testClientsVanishingMidFrameLeaveNoTrace() throws {
        let big = String(repeating: "b", count: 1 << 20)
        try pair.setUpBoth([["SET", "big", big]])
        let halfFrames: [[UInt8]] = [
            Array("*3\r\n$3\r\nSET\r\n$6\r\nghost1\r\n$10\r\nabc".utf8),
            Array("*3\r\n$3\r\nSET\r\n$6\r\nghost2".utf8),
            Array("*3\r\n$3\r\nSET\r\n$6\r\nghost3\r\n$2000000\r\n".utf8) + [UInt8](repeating: 0x7A, count: 500_000),
            Array("SET ghost4 abc".utf8),
            Array("*1000000\r\n$3\r\nSET\r\n".utf8),
            Array("MULTI\r\nSET ghost5 1\r\nINCR ghost6\r\n".utf8),
            Array("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".utf8) + Array(repeating: TestConnection.encode([Array("GET".utf8), Array("big".utf8)]), count: 60).flatMap { $0 },
            Array("SUBSCRIBE news\r\nPSUBSCRIBE n*\r\n".utf8),
        ]
        for (port, label) in pair.servers.map({ ($0.port, $0.label) }) {
            for round in 0..<5 {
                for frame in halfFrames {
                    let connection = try TestConnection(port: port)
                    try connection.send(frame)
                    if round % 2 == 1 { usleep(2000) }  // sometimes after the server has read it
                    connection.close()
                }
            }
            usleep(200_000)
            let admin = try TestConnection(port: port)
            for key in ["ghost1", "ghost2", "ghost3", "ghost4", "ghost5", "ghost6"] {
                XCTAssertEqual(try admin.call("EXISTS", key), .integer(0), "\(label): \(key) must not exist")
            }
            XCTAssertEqual(try admin.call("PUBSUB", "NUMSUB", "news"), .array([.bulk(Array("news".utf8)), .integer(0)]), label)
            XCTAssertEqual(try admin.call("PUBSUB", "NUMPAT"), .integer(0), label)
            // Only the canary, the admin and at most a straggler still closing.
            let clients = (try admin.call("CLIENT", "LIST").string ?? "").split(separator: "\n").count
            XCTAssertLessThanOrEqual(clients, 3, "\(label): vanished clients are still listed")
        }
        try assertCanariesIntact(after: "vanishing clients")
    }

    // MARK: binary keys and values

    /// Keys and values holding every byte value (NUL, CR, LF, 0xFF, …)
    /// round-trip through SET/GET/APPEND/EXISTS/KEYS/SCAN/RENAME/DEL exactly
    /// as in Redis, inline and multibulk.
    func testBinaryKeysAndValuesRoundTrip() throws {
        let everyByte = (0..<256).map { UInt8($0) }
        let keys: [[UInt8]] = [everyByte, [0], [13, 10], [0xFF, 0xFE], Array("*1\r\n$4\r\nPING\r\n".utf8), Array("key with spaces".utf8)]
        var script: [[[UInt8]]] = []
        for (i, key) in keys.enumerated() {
            let value = everyByte.reversed() + [UInt8(i)]
            script.append([Array("SET".utf8), key, Array(value)])
            script.append([Array("GET".utf8), key])
            script.append([Array("APPEND".utf8), key, [0, 13, 10]])
            script.append([Array("STRLEN".utf8), key])
            script.append([Array("EXISTS".utf8), key])
            script.append([Array("RENAME".utf8), key, key + [0]])
            script.append([Array("GET".utf8), key + [0]])
        }
        script.append([Array("KEYS".utf8), Array("*\u{0}".utf8)])
        script.append([Array("DEL".utf8)] + keys.map { $0 + [0] })
        for (index, command) in script.enumerated() {
            var replies: [[UInt8]] = []
            for (_, port) in pair.servers {
                let connection = try TestConnection(port: port)
                try connection.send(TestConnection.encode(command))
                var frame = try connection.readFrameBytes()
                if command[0] == Array("KEYS".utf8) { frame = Array(RESPValue.escape(frame).utf8.sorted()) }
                replies.append(frame)
            }
            XCTAssertEqual(RESPValue.escape(replies[1]), RESPValue.escape(replies[0]), "binary command \(index)")
        }
        try assertCanariesIntact(after: "binary keys")
    }

    // MARK: argument counts at the extremes

    /// Zero arguments, an empty command name, a million arguments, 100,000
    /// keys in one DEL/MGET/MSET/EXISTS, a negative multibulk count:
    /// Redis's replies, and the server stays healthy.
    func testArgumentCountsAtTheExtremes() throws {
        let b = { (s: String) in Array(s.utf8) }
        try assertSameOutcome("*0 then PING", b("*0\r\nPING\r\n"))
        try assertSameOutcome("*-1 then PING", b("*-1\r\nPING\r\n"))
        try assertSameOutcome("empty command name", b("*1\r\n$0\r\n\r\nPING\r\n"))
        try assertSameOutcome("empty inline line", b("\r\n\r\n   \r\nPING\r\n"))
        try assertSameOutcome("PING with three arguments", TestConnection.encode([b("PING"), b("a"), b("b"), b("c")]))

        let million = TestConnection.encode([b("ECHO")] + Array(repeating: b("x"), count: 1_000_000))
        try assertSameOutcome("ECHO with a million arguments", million, quietMs: 3000)
        let manyKeys = (0..<100_000).map { b("many:\($0)") }
        for command in [[b("MSET")] + manyKeys.flatMap { [$0, $0] }, [b("MGET")] + manyKeys, [b("EXISTS")] + manyKeys,
                        [b("DEL")] + manyKeys, [b("MSET")] + manyKeys, [b("TOUCH")] + manyKeys] {
            var replies: [[UInt8]] = []
            for (_, port) in pair.servers {
                let connection = try TestConnection(port: port)
                try connection.send(TestConnection.encode(command))
                replies.append(try connection.readFrameBytes(timeoutMs: 20_000))
            }
            XCTAssertEqual(replies[1], replies[0], "\(String(decoding: command[0], as: UTF8.self)) with \(command.count - 1) arguments")
        }
        try assertCanariesIntact(after: "extreme argument counts")
    }

    /// Lengths at the limits: a bulk of exactly proto-max-bulk-len's
    /// configured size is accepted and one byte more is refused; a
    /// multibulk count of 1024*1024 is accepted, one more is not when
    /// unauthenticated … all as Redis decides.
    func testLengthLimitsAreRedis() throws {
        for (_, port) in pair.servers {
            XCTAssertEqual(try TestConnection(port: port).call("CONFIG", "SET", "proto-max-bulk-len", "1mb"), .simple("OK"))
        }
        let exact = 1 << 20
        let atLimit = Array("*2\r\n$4\r\nECHO\r\n$\(exact)\r\n".utf8) + [UInt8](repeating: 0x61, count: exact) + Array("\r\n".utf8)
        try assertSameOutcome("bulk of exactly proto-max-bulk-len", atLimit)
        try assertSameOutcome("bulk one byte over proto-max-bulk-len", Array("*2\r\n$4\r\nECHO\r\n$\(exact + 1)\r\n".utf8))
        try assertSameOutcome("bulk length 2^63", Array("*2\r\n$4\r\nECHO\r\n$9223372036854775808\r\n".utf8))
        try assertSameOutcome("bulk length -1 in a request", Array("*2\r\n$4\r\nECHO\r\n$-1\r\n".utf8))
        try assertSameOutcome("multibulk 2^31", Array("*2147483648\r\n".utf8))
        try assertSameOutcome("multibulk 2^31-1 (announced only)", Array("*2147483647\r\n$4\r\nPING\r\n".utf8))
        try assertSameOutcome("inline of exactly 64 KB", Array(repeating: UInt8(0x61), count: 64 * 1024 - 2) + [13, 10])
        try assertSameOutcome("inline of 64 KB + 1", Array(repeating: UInt8(0x61), count: 64 * 1024 + 1))
        for (_, port) in pair.servers {
            XCTAssertEqual(try TestConnection(port: port).call("CONFIG", "SET", "proto-max-bulk-len", "512mb"), .simple("OK"))
        }
        try assertCanariesIntact(after: "length limits")
    }

    /// 10,000 inline commands and 10,000 multibulk commands in one write,
    /// mixed with errors: every reply in order, as Redis's.
    func testTenThousandPipelinedCommandsWithErrorsInOneWrite() throws {
        var bytes: [UInt8] = []
        for i in 0..<10_000 {
            switch i % 5 {
            case 0: bytes += Array("SET pipe:\(i) \(i)\r\n".utf8)
            case 1: bytes += TestConnection.encode([Array("INCR".utf8), Array("pipe:\(i - 1)".utf8)])
            case 2: bytes += Array("NOSUCHCOMMAND \(i)\r\n".utf8)
            case 3: bytes += TestConnection.encode([Array("GET".utf8)])
            default: bytes += TestConnection.encode([Array("GET".utf8), Array("pipe:\(i - 4)".utf8)])
            }
        }
        var outputs: [[UInt8]] = []
        for (_, port) in pair.servers {
            let connection = try TestConnection(port: port)
            try connection.send(bytes + Array("ECHO end\r\n".utf8))
            var all: [UInt8] = []
            for _ in 0...10_000 { all += try connection.readFrameBytes(timeoutMs: 10_000) }
            outputs.append(all)
        }
        XCTAssertEqual(outputs[1].count, outputs[0].count)
        XCTAssertTrue(outputs[1] == outputs[0], "pipelined replies differ from Redis's")
        try assertCanariesIntact(after: "10,000 pipelined commands")
    }
}

/// A small seeded generator (SplitMix64), so the random inputs are the
/// same on every run and a failure can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

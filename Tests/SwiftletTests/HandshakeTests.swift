import XCTest
import Foundation
import TestSupport

/// The connection handshake of a modern client library. redis-py 5,
/// node-redis and others pipeline it in ONE write before reading anything:
///
///     HELLO 3 | CLIENT SETINFO LIB-NAME | CLIENT SETINFO LIB-VER |
///     SELECT db | CLIENT SETNAME | (INFO, to sniff the server version)
///
/// So the server must parse several requests from one read and answer each
/// in order, in the protocol HELLO just switched to. Every reply is compared
/// with a real Redis 7.0 given the same bytes, except the two SETINFO
/// replies: Redis 7.0 does not know CLIENT SETINFO (added in 7.2) and
/// answers with an error, while Swiftlet accepts it like 7.2 so that these
/// clients' handshakes succeed.
final class HandshakeTests: XCTestCase {
    var pair: DifferentialPair!

    override func setUpWithError() throws {
        pair = try DifferentialPair.start()
    }

    override func tearDown() {
        pair?.stop()
        pair = nil
    }

    static func handshake(protocolVersion: String) -> [[String]] {
        [
            ["HELLO", protocolVersion],
            ["CLIENT", "SETINFO", "LIB-NAME", "redis-py"],
            ["CLIENT", "SETINFO", "LIB-VER", "5.0.1"],
            ["SELECT", "0"],
            ["CLIENT", "SETNAME", "app"],
            ["INFO"],
            ["CLIENT", "GETNAME"],
        ]
    }

    /// Writes all commands with a single send and reads one frame per command.
    static func sendAtOnce(_ commands: [[String]], on connection: TestConnection) throws -> [RESPValue] {
        var bytes: [UInt8] = []
        for c in commands { bytes += TestConnection.encode(c.map { Array($0.utf8) }) }
        try connection.send(bytes)
        return try commands.map { _ in try connection.readFrame(timeoutMs: 5000) }
    }

    /// HELLO replies carry the connection id, which no two servers share.
    /// Replaces it (map or flat array form) with 0 so the rest compares exactly.
    static func maskingClientId(_ value: RESPValue) -> RESPValue {
        switch value {
        case .map(let pairs):
            return .map(pairs.map { $0.0.string == "id" && $0.1.int != nil ? ($0.0, .integer(0)) : $0 })
        case .array(let items?):
            var out = items
            for i in stride(from: 0, to: out.count - 1, by: 2) where out[i].string == "id" && out[i + 1].int != nil {
                out[i + 1] = .integer(0)
            }
            return .array(out)
        default:
            return value
        }
    }

    static func field(_ hello: RESPValue, _ name: String) -> RESPValue? {
        guard let items = hello.elements else { return nil }
        return stride(from: 0, to: items.count - 1, by: 2).first { items[$0].string == name }.map { items[$0 + 1] }
    }

    func runHandshake(protocolVersion: String) throws {
        let commands = HandshakeTests.handshake(protocolVersion: protocolVersion)
        let redisConnection = try TestConnection(port: pair.redis.port)
        let swiftletConnection = try TestConnection(port: pair.swiftlet.port)
        let expected = try HandshakeTests.sendAtOnce(commands, on: redisConnection)
        let got = try HandshakeTests.sendAtOnce(commands, on: swiftletConnection)

        // HELLO: same fields in the same order, same values apart from the id.
        XCTAssertNotNil(HandshakeTests.field(got[0], "id")?.int, "HELLO reply has no integer id: \(got[0])")
        XCTAssertEqual(HandshakeTests.maskingClientId(got[0]), HandshakeTests.maskingClientId(expected[0]), "HELLO \(protocolVersion)")
        // The fields clients branch on, read from Redis's own reply.
        for name in ["server", "version", "proto"] {
            XCTAssertNotNil(HandshakeTests.field(expected[0], name), "reference HELLO lacks \(name)")
            XCTAssertEqual(HandshakeTests.field(got[0], name), HandshakeTests.field(expected[0], name), "HELLO field \(name)")
        }

        // SETINFO: the one deliberate divergence (see the type comment).
        XCTAssertEqual(got[1], .simple("OK"), "CLIENT SETINFO LIB-NAME")
        XCTAssertEqual(got[2], .simple("OK"), "CLIENT SETINFO LIB-VER")

        XCTAssertEqual(got[3], expected[3], "SELECT 0")
        XCTAssertEqual(got[4], expected[4], "CLIENT SETNAME")
        assertSameInfoShape(got[5], expected[5])
        XCTAssertEqual(got[6], expected[6], "CLIENT GETNAME after the pipelined SETNAME")

        // Nothing beyond one reply per command, and the connection is usable
        // in the negotiated protocol (RESP3 null vs RESP2 nil bulk for GET).
        XCTAssertEqual(try swiftletConnection.drain(timeoutMs: 50), [], "unexpected extra bytes after the handshake")
        let after: [[String]] = [["SET", "hk", "v"], ["GET", "hk"], ["GET", "missing"], ["DBSIZE"], ["PING"], ["CLIENT", "GETNAME"]]
        XCTAssertEqual(try HandshakeTests.sendAtOnce(after, on: swiftletConnection),
                       try HandshakeTests.sendAtOnce(after, on: redisConnection), "commands after the handshake")
    }

    /// INFO's text is full of per-process figures, so compare its shape:
    /// the frame type (RESP3 sends a verbatim string `=...txt:`, RESP2 a bulk),
    /// the version line clients parse, the section list, and that every
    /// field Redis prints exists in Swiftlet's output too.
    func assertSameInfoShape(_ got: RESPValue, _ expected: RESPValue, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.serialized.first.map { Character(Unicode.Scalar($0)) }, expected.serialized.first.map { Character(Unicode.Scalar($0)) },
                       "INFO reply type", file: file, line: line)
        if case .verbatim(let e) = expected {
            if case .verbatim(let g) = got {
                XCTAssertEqual(String(decoding: g.prefix(4), as: UTF8.self), String(decoding: e.prefix(4), as: UTF8.self),
                               "INFO verbatim format", file: file, line: line)
            }
        }
        let expectedLines = ToolsTests.lines(expected.string ?? "").map(String.init)
        let gotLines = ToolsTests.lines(got.string ?? "").map(String.init)
        guard let versionLine = expectedLines.first(where: { $0.hasPrefix("redis_version:") }) else {
            return XCTFail("reference INFO has no redis_version", file: file, line: line)
        }
        XCTAssertTrue(gotLines.contains(versionLine), "INFO lacks \(versionLine)", file: file, line: line)
        XCTAssertEqual(gotLines.filter { $0.hasPrefix("# ") }, expectedLines.filter { $0.hasPrefix("# ") }, "INFO sections", file: file, line: line)
        // errorstat_* lines exist only for errors that happened; Redis just
        // answered two SETINFO errors that Swiftlet did not, so skip them.
        func names(_ lines: [String]) -> Set<String> {
            Set(lines.filter { !$0.hasPrefix("#") && $0.contains(":") && !$0.hasPrefix("errorstat_") }
                .map { String($0[..<$0.firstIndex(of: ":")!]) })
        }
        XCTAssertEqual(names(expectedLines).subtracting(names(gotLines)).sorted(), [], "INFO fields Redis has and Swiftlet lacks",
                       file: file, line: line)
    }

    func testRESP3HandshakeInOneWrite() throws {
        try runHandshake(protocolVersion: "3")
    }

    func testRESP2HandshakeInOneWrite() throws {
        try runHandshake(protocolVersion: "2")
    }

    /// Clients that prefer RESP3 but must cope with older or stricter
    /// servers try HELLO and fall back: an unsupported version must fail
    /// with NOPROTO and leave the connection in RESP2; HELLO with AUTH and
    /// SETNAME options, bare HELLO, and switching back to 2 must all behave
    /// as in Redis. Every frame is compared (client ids masked).
    func testHelloFallbackAndOptionsMatchRedis() throws {
        let commands: [[String]] = [
            ["HELLO", "4"],
            ["GET", "missing"],
            ["HELLO", "3", "AUTH", "default", "anything", "SETNAME", "app2"],
            ["CLIENT", "GETNAME"],
            ["GET", "missing"],
            ["HELLO"],
            ["HELLO", "2"],
            ["GET", "missing"],
            ["HELLO", "3", "SETNAME", "bad name"],
            ["HELLO", "2", "AUTH", "nosuchuser", "pw"],
            ["HELLO", "x"],
            ["CLIENT", "GETNAME"],
        ]
        let expected = try HandshakeTests.sendAtOnce(commands, on: TestConnection(port: pair.redis.port))
        let got = try HandshakeTests.sendAtOnce(commands, on: TestConnection(port: pair.swiftlet.port))
        for (index, command) in commands.enumerated() {
            XCTAssertEqual(HandshakeTests.maskingClientId(got[index]), HandshakeTests.maskingClientId(expected[index]),
                           command.joined(separator: " "))
        }
    }
}

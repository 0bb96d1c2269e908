import XCTest
import SwiftletTesting
import TestSupport

/// Direct state access: the same state wire clients see, without a socket.
final class DirectAccessTests: XCTestCase {
    var server: TestServer!
    var wire: TestConnection!

    override func setUp() async throws {
        server = try await TestServer.start()
        wire = try TestConnection(port: server.port)
    }

    override func tearDown() async throws {
        await server.stop()
    }

    func testStringsBothWays() async throws {
        try await server.set("greeting", "héllo")
        XCTAssertEqual(try wire.call("GET", "greeting"), .bulk(Array("héllo".utf8)))
        _ = try wire.call("SET", "from-wire", "1")
        let fromWire = try await server.get("from-wire")
        let missing = try await server.get("missing")
        XCTAssertEqual(fromWire, "1")
        XCTAssertNil(missing)

        try await server.set("binary", bytes: [0, 1, 0xFF, 13, 10])
        XCTAssertEqual(try wire.call("GET", "binary"), .bulk([0, 1, 0xFF, 13, 10]))
        let bytes = try await server.getBytes("binary")
        XCTAssertEqual(bytes, [0, 1, 0xFF, 13, 10])

        let n = try await server.increment("counter", by: 41)
        XCTAssertEqual(n, 41)
        let m = try await server.increment("counter")
        XCTAssertEqual(m, 42)
        XCTAssertEqual(try wire.call("GET", "counter"), .bulk(Array("42".utf8)))
    }

    func testKeysTypesTTLAndDeletion() async throws {
        try await server.set("user:1", "a")
        try await server.set("user:2", "b", ttl: .milliseconds(1500))
        try await server.set("order:1", "c")
        let users = try await server.keys(matching: "user:*")
        let all = try await server.keys()
        XCTAssertEqual(users, ["user:1", "user:2"])
        XCTAssertEqual(all, ["order:1", "user:1", "user:2"])

        let ttl2 = try await server.ttl("user:2")
        let ttl1 = try await server.ttl("user:1")
        let ttlMissing = try await server.ttl("nope")
        XCTAssertEqual(ttl2, .milliseconds(1500))
        XCTAssertNil(ttl1)
        XCTAssertNil(ttlMissing)

        let expired = try await server.expire("user:1", in: .seconds(30))
        XCTAssertTrue(expired)
        XCTAssertEqual(try wire.call("TTL", "user:1"), .integer(30))
        let persisted = try await server.persist("user:1")
        XCTAssertTrue(persisted)
        XCTAssertEqual(try wire.call("TTL", "user:1"), .integer(-1))

        let type = try await server.type("user:1")
        let noType = try await server.type("nope")
        XCTAssertEqual(type, .string)
        XCTAssertNil(noType)

        let exists = try await server.exists("order:1")
        XCTAssertTrue(exists)
        let deleted = try await server.delete("order:1", "user:1", "nope")
        XCTAssertEqual(deleted, 2)
        let size = try await server.dbSize()
        XCTAssertEqual(size, 1)
        try await server.flushAll()
        let after = try await server.keys()
        XCTAssertEqual(after, [])
    }

    func testInvalidTTLsAreClearErrors() async throws {
        for bad: Duration in [.zero, .seconds(-1), .microseconds(1500)] {
            do {
                try await server.set("k", "v", ttl: bad)
                XCTFail("\(bad) is not a valid ttl")
            } catch let error as TestServerError {
                XCTAssertEqual(error.kind, .invalidArgument)
                XCTAssertTrue(error.description.hasPrefix("ttl must be a positive whole number of milliseconds"),
                              error.description)
            }
        }
        let exists = try await server.exists("k")
        XCTAssertFalse(exists)
    }

    func testServerErrorsAreThrownWithTheirText() async throws {
        _ = try wire.call("SET", "name", "ada")
        do {
            try await server.increment("name")
            XCTFail("not an integer")
        } catch let error as TestServerError {
            XCTAssertEqual(error.kind, .commandFailed)
            XCTAssertEqual(error.serverError, "ERR value is not an integer or out of range")
            XCTAssertEqual(error.description, "INCRBY \"name\" \"1\" failed: ERR value is not an integer or out of range")
        }
        do {
            try await server.command("NOSUCHCOMMAND", "x")
            XCTFail("unknown command")
        } catch let error as TestServerError {
            XCTAssertEqual(error.serverError?.hasPrefix("ERR unknown command 'NOSUCHCOMMAND'"), true)
        }
    }

    func testAnyCommandWithDecodedReplies() async throws {
        try await server.set("k", "12345")
        let encoding = try await server.command("OBJECT", "ENCODING", "k")
        XCTAssertEqual(encoding.string, "int")
        let mget = try await server.command("MGET", "k", "missing")
        XCTAssertEqual(mget, .array([.bulkString(Array("12345".utf8)), .null]))
        XCTAssertEqual(mget.description, "1) \"12345\"\n2) (nil)")
        let resp3 = try await server.command(["HELLO", "3"], protocolVersion: 3)
        guard case .map(let pairs) = resp3 else { return XCTFail("HELLO 3 replies with a map: \(resp3)") }
        XCTAssertEqual(pairs.first?.key.string, "server")
        let double = try await server.command(["INCRBYFLOAT", "f", "1.5"], protocolVersion: 3)
        XCTAssertEqual(double.string, "1.5")
        let binary = try await server.command(bytes: [Array("SET".utf8), [0, 1], [2, 3]])
        XCTAssertEqual(binary, .simpleString("OK"))
        XCTAssertEqual(try wire.call(["GET", "\u{0}\u{1}"]), .bulk([2, 3]))
    }

    func testDumpIsReadable() async throws {
        let empty = await server.dump()
        XCTAssertEqual(empty, "(no keys)")
        try await server.set("session:1", "abc", ttl: .milliseconds(4500))
        try await server.set("counter", "41")
        try await server.set("bin", bytes: [0, 0x22, 10])
        try await server.select(db: 2)
        try await server.set("elsewhere", "x")
        try await server.select(db: 0)
        let text = await server.dump()
        XCTAssertEqual(text, """
            db0: 3 keys
              "bin" = "\\x00\\"\\n"
              "counter" = "41"
              "session:1" = "abc"  (ttl 4.5 seconds)
            db2: 1 key
              "elsewhere" = "x"
            """)
        let limited = await server.dump(limit: 1)
        XCTAssertTrue(limited.contains("… 2 more"), limited)
    }

    func testConfigReadAndWrite() async throws {
        let before = try await server.config("notify-keyspace-events")
        XCTAssertEqual(before, "")
        try await server.setConfig("notify-keyspace-events", "Ex")
        let after = try await server.config("notify-keyspace-events")
        XCTAssertEqual(after, "xE")
        let unknown = try await server.config("no-such-thing")
        XCTAssertNil(unknown)
        do {
            try await server.setConfig("databases", "4")
            XCTFail("immutable")
        } catch let error as TestServerError {
            XCTAssertEqual(error.kind, .commandFailed)
            XCTAssertTrue(error.serverError?.contains("can't set immutable config") == true)
        }
    }

    /// Direct access never appears on the wire side: not in CLIENT LIST,
    /// not in the command log.
    func testDirectAccessIsInvisibleToClients() async throws {
        try await server.set("k", "v")
        _ = try await server.get("k")
        let list = try wire.call("CLIENT", "LIST").string ?? ""
        XCTAssertEqual(list.split(separator: "\n").count, 1)
        let log = await server.commandLog.map(\.name)
        XCTAssertEqual(log, ["CLIENT"])
    }
}

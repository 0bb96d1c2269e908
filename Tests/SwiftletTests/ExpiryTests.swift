import XCTest
import Swiftlet
import Commands
import Storage
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Expiry over TCP with a manual clock: lazy expiry on access, the active
/// cycle reclaiming keys nobody reads, and the statistics Redis reports.
final class ExpiryTests: XCTestCase {
    var server: SwiftletServer!
    var clock: ServerClock!
    var c: TestConnection!

    override func setUpWithError() throws {
        clock = ServerClock(mode: .manual, startingAt: 1_800_000_000_000)
        let config = Configuration()
        try config.load(arguments: ["--enable-debug-command", "yes"], readFile: Configuration.readFileFromDisk,
                        standardInput: Configuration.readStandardInput)
        server = SwiftletServer(configuration: config, clock: clock)
        try server.start(port: 0, bind: ["127.0.0.1"])
        c = try TestConnection(port: server.port)
    }

    override func tearDown() { server.stop() }

    func info(_ field: String) throws -> String? {
        let text = try c.call("INFO", "everything").string ?? ""
        for line in text.split(separator: "\r\n") where line.hasPrefix(field + ":") {
            return String(line.dropFirst(field.count + 1))
        }
        return nil
    }

    /// Polls until `condition` holds (the cron runs `hz` times a second in real time).
    func eventually(_ condition: () throws -> Bool, timeoutMs: Int = 5000) rethrows -> Bool {
        for _ in 0..<(timeoutMs / 10) {
            if try condition() { return true }
            usleep(10_000)
        }
        return try condition()
    }

    func testLazyExpiryHidesAndDeletesOnAccess() throws {
        XCTAssertEqual(try c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0"), .simple("OK"))
        XCTAssertEqual(try c.call("SET", "k", "v", "PX", "100"), .simple("OK"))
        XCTAssertEqual(try c.call("PTTL", "k"), .integer(100))
        clock.advance(byMilliseconds: 100)
        // Not yet: Redis expires when now > expiry.
        XCTAssertEqual(try c.call("GET", "k"), .bulk(Array("v".utf8)))
        clock.advance(byMilliseconds: 1)
        XCTAssertEqual(try c.call("DBSIZE"), .integer(1), "still stored until touched")
        XCTAssertEqual(try c.call("GET", "k"), .bulk(nil))
        XCTAssertEqual(try c.call("DBSIZE"), .integer(0))
        XCTAssertEqual(try info("expired_keys"), "1")
    }

    func testActiveExpiryReclaimsUnreadKeys() throws {
        var batch: [UInt8] = []
        for i in 0..<2000 {
            var args = ["SET", "v:\(i)", "x"]
            if i % 2 == 0 { args += ["PX", "\(100 + i % 50)"] }
            batch += TestConnection.encode(args.map { Array($0.utf8) })
        }
        try c.send(batch)
        for _ in 0..<2000 { _ = try c.readFrame() }
        // avg_ttl is 0 until the cron's first expiry pass estimates it (a
        // slow build may already have run one): between 0 and the TTLs set.
        let before = try XCTUnwrap(try info("db0"))
        XCTAssertTrue(before.hasPrefix("keys=2000,expires=1000,avg_ttl="), before)
        XCTAssertLessThanOrEqual(Int(before.split(separator: "=").last!) ?? -1, 150, before)
        clock.advance(byMilliseconds: 1000)
        XCTAssertTrue(try eventually { try c.call("DBSIZE") == .integer(1000) }, "active expiry did not reclaim the keys")
        XCTAssertEqual(try info("expired_keys"), "1000")
        XCTAssertEqual(try info("db0"), "keys=1000,expires=0,avg_ttl=0")
    }

    func testDebugSetActiveExpireZeroStopsTheCycle() throws {
        XCTAssertEqual(try c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0"), .simple("OK"))
        for i in 0..<100 { _ = try c.call("SET", "k\(i)", "v", "PX", "10") }
        clock.advance(byMilliseconds: 100)
        usleep(300_000)  // three cron ticks
        XCTAssertEqual(try c.call("DBSIZE"), .integer(100))
        XCTAssertEqual(try c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1"), .simple("OK"))
        XCTAssertTrue(try eventually { try c.call("DBSIZE") == .integer(0) })
    }

    func testTTLFollowsTheClock() throws {
        _ = try c.call("SET", "k", "v", "EX", "100")
        clock.advance(byMilliseconds: 40_400)
        XCTAssertEqual(try c.call("TTL", "k"), .integer(60))
        XCTAssertEqual(try c.call("PTTL", "k"), .integer(59_600))
        XCTAssertEqual(try c.call("EXPIRETIME", "k"), .integer(1_800_000_100))
        XCTAssertEqual(try c.call("PERSIST", "k"), .integer(1))
        XCTAssertEqual(try c.call("TTL", "k"), .integer(-1))
    }

    func testAverageTTLIsReported() throws {
        for i in 0..<500 { _ = try c.call("SET", "k\(i)", "v", "EX", "1000") }
        // The estimate is built by the active cycle's samples.
        XCTAssertTrue(try eventually {
            let db = try info("db0") ?? ""
            guard let avg = db.split(separator: "=").last.flatMap({ Int($0) }) else { return false }
            return avg > 900_000 && avg <= 1_000_000
        })
    }
}

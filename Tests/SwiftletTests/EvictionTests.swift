import XCTest
import Swiftlet
import Commands
import Storage
import TestSupport

/// maxmemory behaviour that depends on time or volume: LRU idle time and LFU
/// decay under a manual clock, which keys an LRU/LFU policy keeps, and
/// used_memory staying at the limit under sustained writes.
final class EvictionTests: XCTestCase {
    var clock: ServerClock!
    var server: SwiftletServer!
    var c: TestConnection!

    func start(_ arguments: [String] = []) throws {
        clock = ServerClock(mode: .manual, startingAt: 1_800_000_000_000)
        let config = Configuration()
        try config.load(arguments: arguments, readFile: Configuration.readFileFromDisk, standardInput: Configuration.readStandardInput)
        server = SwiftletServer(configuration: config, clock: clock)
        try server.start(port: 0, bind: ["127.0.0.1"])
        c = try TestConnection(port: server.port)
    }

    override func tearDown() { server?.stop() }

    func info(_ field: String) throws -> Int? {
        let text = try c.call("INFO", "everything").string ?? ""
        for line in text.split(separator: "\r\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1))
        }
        return nil
    }

    func testIdleTimeFollowsTheClockAndAccessResetsIt() throws {
        try start()
        _ = try c.call("SET", "k", "v")
        clock.advance(byMilliseconds: 10_000)
        XCTAssertEqual(try c.call("OBJECT", "IDLETIME", "k"), .integer(10))
        // TTL and OBJECT do not count as access; GET does.
        _ = try c.call("TTL", "k")
        XCTAssertEqual(try c.call("OBJECT", "IDLETIME", "k"), .integer(10))
        _ = try c.call("GET", "k")
        XCTAssertEqual(try c.call("OBJECT", "IDLETIME", "k"), .integer(0))
    }

    /// Switching maxmemory-policy between LRU and LFU rewrites the access
    /// words: Redis shows OBJECT FREQ 0 for a key stamped under LRU
    /// (Conformance eviction.case, object-freq-needs-lfu). Read as LFU
    /// words, Swiftlet's LRU stamps gave counters up to 255 for about one
    /// key in eight; here keys are stamped at 256 different ticks.
    func testPolicySwitchBetweenLRUAndLFUResetsAccessWords() throws {
        try start(["--maxmemory-policy", "allkeys-lru"])
        for i in 0..<256 {
            _ = try c.call("SET", "k\(i)", "v")
            clock.advance(byMilliseconds: 16 * 37)
        }
        XCTAssertEqual(try c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), .simple("OK"))
        for i in 0..<256 { XCTAssertEqual(try c.call("OBJECT", "FREQ", "k\(i)"), .integer(0), "k\(i)") }
        _ = try c.call("GET", "k0")
        XCTAssertEqual(try c.call("OBJECT", "FREQ", "k0"), .integer(1), "a hit on counter 0 makes it 1, as in Redis")
        clock.advance(byMilliseconds: 5_000)
        XCTAssertEqual(try c.call("CONFIG", "SET", "maxmemory-policy", "volatile-lru"), .simple("OK"))
        clock.advance(byMilliseconds: 3_000)
        for i in 0..<256 { XCTAssertEqual(try c.call("OBJECT", "IDLETIME", "k\(i)"), .integer(3), "k\(i)") }
    }

    func testLFUCounterStartsAtFiveDecaysPerPeriodAndGrowsLogarithmically() throws {
        try start(["--maxmemory-policy", "allkeys-lfu", "--lfu-decay-time", "1"])
        _ = try c.call("SET", "k", "v")
        XCTAssertEqual(try c.call("OBJECT", "FREQ", "k"), .integer(5))
        clock.advance(byMilliseconds: 3 * 60_000)
        XCTAssertEqual(try c.call("OBJECT", "FREQ", "k"), .integer(2), "one step down per elapsed minute")
        clock.advance(byMilliseconds: 10 * 60_000)
        XCTAssertEqual(try c.call("OBJECT", "FREQ", "k"), .integer(0))
        // 1,000 hits with lfu-log-factor 10: Redis's table gives about 18.
        var batch: [UInt8] = []
        for _ in 0..<1000 { batch += TestConnection.encode([Array("GET".utf8), Array("k".utf8)]) }
        try c.send(batch)
        for _ in 0..<1000 { _ = try c.readFrame() }
        let counter = try c.call("OBJECT", "FREQ", "k").int ?? -1
        XCTAssertTrue((12...26).contains(counter), "counter \(counter) after 1000 hits")
        // lfu-decay-time 0 disables decay (the 7.0 code, not its comments).
        XCTAssertEqual(try c.call("CONFIG", "SET", "lfu-decay-time", "0"), .simple("OK"))
        clock.advance(byMilliseconds: 100 * 60_000)
        XCTAssertEqual(try c.call("OBJECT", "FREQ", "k").int, counter)
    }

    /// Keys read recently survive; keys idle for long go first.
    func testLRUPolicyKeepsRecentlyUsedKeys() throws {
        try start(["--maxmemory-policy", "allkeys-lru"])
        for i in 0..<2000 { _ = try c.call("SET", "cold:\(i)", String(repeating: "x", count: 100)) }
        clock.advance(byMilliseconds: 100_000)
        for i in 0..<200 { _ = try c.call("SET", "hot:\(i)", String(repeating: "y", count: 100)) }
        let used = try XCTUnwrap(info("used_memory"))
        // Room for roughly half of what is stored: the cold keys must go first.
        XCTAssertEqual(try c.call("CONFIG", "SET", "maxmemory", String(used - 150_000)), .simple("OK"))
        clock.advance(byMilliseconds: 1_000)
        for i in 0..<200 { _ = try c.call("GET", "hot:\(i)") }
        _ = try c.call("SET", "trigger", "1")
        var hotKept = 0
        for i in 0..<200 where try c.call("EXISTS", "hot:\(i)") == .integer(1) { hotKept += 1 }
        XCTAssertEqual(hotKept, 200, "recently used keys were evicted")
        XCTAssertGreaterThan(try XCTUnwrap(info("evicted_keys")), 0)
        XCTAssertLessThanOrEqual(try XCTUnwrap(info("used_memory")), used - 150_000)
    }

    func testLFUPolicyKeepsFrequentlyUsedKeys() throws {
        try start(["--maxmemory-policy", "allkeys-lfu"])
        for i in 0..<100 { _ = try c.call("SET", "hot:\(i)", String(repeating: "y", count: 100)) }
        for _ in 0..<30 { for i in 0..<100 { _ = try c.call("GET", "hot:\(i)") } }
        for i in 0..<2000 { _ = try c.call("SET", "once:\(i)", String(repeating: "x", count: 100)) }
        let used = try XCTUnwrap(info("used_memory"))
        XCTAssertEqual(try c.call("CONFIG", "SET", "maxmemory", String(used - 100_000)), .simple("OK"))
        _ = try c.call("SET", "trigger", "1")
        var hotKept = 0
        for i in 0..<100 where try c.call("EXISTS", "hot:\(i)") == .integer(1) { hotKept += 1 }
        XCTAssertEqual(hotKept, 100, "frequently used keys were evicted")
    }

    /// Under sustained writes used_memory stays at maxmemory (within 1%).
    func testUsedMemoryStaysAtTheLimitUnderSustainedWrites() throws {
        try start(["--maxmemory", "8mb", "--maxmemory-policy", "allkeys-lru"])
        let limit = 8 * 1024 * 1024
        var peak = 0
        for round in 0..<20 {
            var batch: [UInt8] = []
            for i in 0..<5000 {
                batch += TestConnection.encode([Array("SET".utf8), Array("k:\(round):\(i)".utf8), Array(repeating: 0x61, count: 64)])
            }
            try c.send(batch)
            for _ in 0..<5000 { XCTAssertEqual(try c.readFrame(), .simple("OK")) }
            peak = max(peak, try XCTUnwrap(info("used_memory")))
        }
        XCTAssertLessThanOrEqual(peak, limit + limit / 100)
        XCTAssertGreaterThan(try XCTUnwrap(info("evicted_keys")), 0)
        XCTAssertGreaterThan(try XCTUnwrap(info("used_memory")), limit * 9 / 10, "evicted far more than needed")
    }

    /// Lowering maxmemory at runtime evicts down to it without a command
    /// asking (the cron works in time-boxed steps).
    func testLoweringMaxmemoryEvictsInTheBackground() throws {
        try start(["--maxmemory-policy", "allkeys-random"])
        var batch: [UInt8] = []
        for i in 0..<50_000 { batch += TestConnection.encode([Array("SET".utf8), Array("k\(i)".utf8), Array(repeating: 0x61, count: 50)]) }
        try c.send(batch)
        for _ in 0..<50_000 { _ = try c.readFrame() }
        let used = try XCTUnwrap(info("used_memory"))
        let target = used / 2
        XCTAssertEqual(try c.call("CONFIG", "SET", "maxmemory", String(target)), .simple("OK"))
        var reached = false
        for _ in 0..<500 {
            let probe = try TestConnection(port: server.port)
            if let now = try probe.call("INFO", "memory").string?.split(separator: "\r\n").first(where: { $0.hasPrefix("used_memory:") }),
               let value = Int(now.dropFirst("used_memory:".count)), value <= target {
                reached = true
                break
            }
            usleep(10_000)
        }
        XCTAssertTrue(reached, "memory did not come down to the new maxmemory")
    }
}

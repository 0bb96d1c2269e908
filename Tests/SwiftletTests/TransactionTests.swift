import XCTest
import Swiftlet
import Commands
import TestSupport
import Sync
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// MULTI/EXEC and WATCH where several event loops run at once: the parts
/// the single-connection conformance cases cannot show.
final class TransactionTests: XCTestCase {
    /// Transactions that bump two keys (in different shards) run on four
    /// loops while readers on other connections MGET both: no reader ever
    /// sees one incremented without the other.
    func testExecIsAtomicAcrossLoops() throws {
        try assertTransactionsAreNeverSeenHalfApplied([["MULTI"], ["INCR", "left"], ["INCR", "right"], ["EXEC"]])
    }

    /// The same with a PUBLISH between the increments: PUBLISH locks no
    /// shard inside EXEC, and must not make EXEC lock fewer than its keys'.
    func testExecWithPublishIsAtomicAcrossLoops() throws {
        try assertTransactionsAreNeverSeenHalfApplied(
            [["MULTI"], ["INCR", "left"], ["PUBLISH", "invalidate", "left"], ["INCR", "right"], ["EXEC"]])
    }

    private func assertTransactionsAreNeverSeenHalfApplied(_ transaction: [[String]]) throws {
        let s = try startServer(["--io-threads", "4"])
        defer { s.stop() }
        let port = s.port
        let writers = 4, rounds = 300
        let failures = Locked(0)
        let group = DispatchGroup()
        for _ in 0..<writers {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                do {
                    let c = try TestConnection(port: port)
                    var batch: [UInt8] = []
                    for _ in 0..<rounds {
                        for cmd in transaction {
                            batch += TestConnection.encode(cmd.map { Array($0.utf8) })
                        }
                    }
                    try c.send(batch)
                    for _ in 0..<(rounds * transaction.count) { _ = try c.readFrame() }
                } catch { failures.withLock { $0 += 1 } }
            }
        }
        let reader = try TestConnection(port: port)
        var observations = 0, torn = 0
        var done = false
        while !done {
            let reply = try reader.call("MGET", "left", "right")
            let values = reply.elements?.map { $0.string.flatMap { Int($0) } ?? 0 } ?? []
            if values.count == 2 && values[0] != values[1] { torn += 1 }
            observations += 1
            done = group.wait(timeout: .now()) == .success
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
        XCTAssertEqual(torn, 0, "MGET saw a transaction half-applied (\(observations) observations)")
        XCTAssertEqual(try reader.call("MGET", "left", "right").elements?.map { $0.string },
                       ["\(writers * rounds)", "\(writers * rounds)"])
    }

    /// Optimistic increments (WATCH, GET, MULTI, SET, EXEC, retry on null)
    /// from eight connections spread over loops lose no update.
    func testWatchMakesOptimisticIncrementsExact() throws {
        let s = try startServer(["--io-threads", "4"])
        defer { s.stop() }
        let port = s.port
        let clients = 8, increments = 60
        let errors = Locked<[String]>([])
        let retries = Locked(0)
        let group = DispatchGroup()
        for _ in 0..<clients {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                do {
                    let c = try TestConnection(port: port)
                    var done = 0
                    while done < increments {
                        _ = try c.call("WATCH", "counter")
                        let current = Int(try c.call("GET", "counter").string ?? "0") ?? 0
                        _ = try c.call("MULTI")
                        _ = try c.call("SET", "counter", String(current + 1))
                        let result = try c.call("EXEC")
                        if case .array(nil) = result { retries.withLock { $0 += 1 }; continue }
                        done += 1
                    }
                } catch { errors.withLock { $0.append("\(error)") } }
            }
        }
        group.wait()
        XCTAssertEqual(errors.withLock { $0 }, [])
        let c = try TestConnection(port: port)
        XCTAssertEqual(try c.call("GET", "counter").string, String(clients * increments))
        // Contention must actually have happened for the test to mean anything.
        XCTAssertGreaterThan(retries.withLock { $0 }, 0)
    }

    /// A watched key removed by active expiry (no client touches it) dooms EXEC.
    func testWatchedKeyRemovedByActiveExpiryAbortsExec() throws {
        let s = try startServer(["--hz", "100"])
        defer { s.stop() }
        let c = try TestConnection(port: s.port)
        _ = try c.call("SET", "session", "1", "PX", "30")
        XCTAssertEqual(try c.call("WATCH", "session"), .simple("OK"))
        let observer = try TestConnection(port: s.port)
        var gone = false
        for _ in 0..<200 where !gone {
            usleep(10_000)
            let info = try observer.call("INFO", "stats").string ?? ""
            gone = info.contains("expired_keys:1\r")
        }
        XCTAssertTrue(gone, "active expiry did not remove the key")
        _ = try c.call("MULTI")
        _ = try c.call("GET", "session")
        XCTAssertEqual(try c.call("EXEC"), .array(nil))
    }

    /// A watched key evicted under maxmemory dooms EXEC.
    func testWatchedKeyRemovedByEvictionAbortsExec() throws {
        let s = try startServer(["--maxmemory-policy", "allkeys-random"])
        defer { s.stop() }
        let c = try TestConnection(port: s.port)
        let value = String(repeating: "v", count: 1000)
        _ = try c.call("SET", "watched", value)
        XCTAssertEqual(try c.call("WATCH", "watched"), .simple("OK"))
        let other = try TestConnection(port: s.port)
        let usedMemory = try other.info("memory", "used_memory") ?? 0
        _ = try other.call("CONFIG", "SET", "maxmemory", String(usedMemory + 200_000))
        var evicted = false
        for i in 0..<5000 where !evicted {
            _ = try other.call("SET", "filler:\(i)", value)
            evicted = try other.call("EXISTS", "watched") == .integer(0)
        }
        XCTAssertTrue(evicted, "the watched key was never evicted")
        _ = try c.call("MULTI")
        _ = try c.call("SET", "watched", "new")
        XCTAssertEqual(try c.call("EXEC"), .array(nil))
        _ = try other.call("CONFIG", "SET", "maxmemory", "0")
    }

    /// FLUSHALL from another loop dooms a watcher of an existing key.
    func testFlushFromAnotherConnectionAbortsExec() throws {
        let s = try startServer(["--io-threads", "2"])
        defer { s.stop() }
        let c = try TestConnection(port: s.port)
        _ = try c.call("SET", "k", "v")
        _ = try c.call("WATCH", "k")
        let others = try (0..<4).map { _ in try TestConnection(port: s.port) }
        _ = try others[3].call("FLUSHALL")
        _ = try c.call("MULTI")
        _ = try c.call("SET", "k", "w")
        XCTAssertEqual(try c.call("EXEC"), .array(nil))
        XCTAssertEqual(try c.call("EXISTS", "k"), .integer(0))
    }
}

import XCTest
import Swiftlet
import Commands
import TestSupport
import Sync
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Client-side caching invalidation paths over TCP, with the writer and
/// the tracking client on different connections (and loops).
final class TrackingTests: XCTestCase {
    func resp3(_ port: Int) throws -> TestConnection {
        let c = try TestConnection(port: port)
        _ = try c.call("HELLO", "3")
        return c
    }

    func invalidatedKeys(_ frame: RESPValue) -> [String]? {
        guard case .push(let items) = frame, items.count == 2, items[0].string == "invalidate" else { return nil }
        return items[1].elements?.compactMap { $0.string }
    }

    /// Every writer on every loop invalidates a key another loop's client read.
    func testWritesOnOtherLoopsInvalidate() throws {
        let s = try startServer(["--io-threads", "4"])
        defer { s.stop() }
        let reader = try resp3(s.port)
        XCTAssertEqual(try reader.call("CLIENT", "TRACKING", "ON"), .simple("OK"))
        let writers = try (0..<6).map { _ in try TestConnection(port: s.port) }
        for (i, w) in writers.enumerated() {
            let key = "item:\(i)"
            _ = try reader.call("GET", key)
            _ = try w.call("SET", key, "v\(i)")
            XCTAssertEqual(invalidatedKeys(try reader.readFrame()), [key])
            // Not read again: a second write sends nothing.
            _ = try w.call("SET", key, "again")
        }
        XCTAssertEqual(try reader.drain(timeoutMs: 100), [])
    }

    /// Keys leave the cache when they expire or are evicted, not only on writes.
    func testExpiryAndEvictionInvalidate() throws {
        let s = try startServer(["--hz", "100", "--maxmemory-policy", "allkeys-random"])
        defer { s.stop() }
        let reader = try resp3(s.port)
        _ = try reader.call("CLIENT", "TRACKING", "ON")
        let w = try TestConnection(port: s.port)
        _ = try w.call("SET", "short", "1", "PX", "20")
        _ = try reader.call("GET", "short")
        XCTAssertEqual(invalidatedKeys(try reader.readFrame(timeoutMs: 3000)), ["short"])

        let value = String(repeating: "x", count: 1000)
        _ = try w.call("SET", "big", value)
        _ = try reader.call("GET", "big")
        let used = try w.info("memory", "used_memory") ?? 0
        _ = try w.call("CONFIG", "SET", "maxmemory", String(used + 100_000))
        var i = 0
        while try w.call("EXISTS", "big") == .integer(1) && i < 5000 {
            _ = try w.call("SET", "fill:\(i)", value)
            i += 1
        }
        XCTAssertEqual(invalidatedKeys(try reader.readFrame()), ["big"])
        _ = try w.call("CONFIG", "SET", "maxmemory", "0")
    }

    /// RESP2 clients get invalidations through a REDIRECT connection
    /// subscribed to `__redis__:invalidate`.
    func testRedirectToRESP2Subscriber() throws {
        let s = try startServer(["--io-threads", "2"])
        defer { s.stop() }
        let sink = try TestConnection(port: s.port)
        let sinkId = try sink.call("CLIENT", "ID").int ?? 0
        try sink.send(command: ["SUBSCRIBE", "__redis__:invalidate"])
        _ = try sink.readFrame()
        let reader = try TestConnection(port: s.port)
        XCTAssertEqual(try reader.call("CLIENT", "TRACKING", "ON", "REDIRECT", String(sinkId)), .simple("OK"))
        XCTAssertEqual(try reader.call("CLIENT", "GETREDIR"), .integer(sinkId))
        _ = try reader.call("GET", "a")
        let w = try TestConnection(port: s.port)
        _ = try w.call("SET", "a", "1")
        let message = try sink.readFrame()
        XCTAssertEqual(message.elements?.count, 3)
        XCTAssertEqual(message.elements?[0].string, "message")
        XCTAssertEqual(message.elements?[1].string, "__redis__:invalidate")
        XCTAssertEqual(message.elements?[2].elements?.map { $0.string }, ["a"])
        // The redirect target leaves: the tracking client is flagged.
        sink.close()
        usleep(100_000)
        _ = try reader.call("GET", "a")
        _ = try w.call("SET", "a", "2")
        usleep(100_000)
        let info = try reader.call("CLIENT", "TRACKINGINFO")
        XCTAssertTrue(info.elements?.contains { $0.elements?.contains { $0.string == "broken_redirect" } ?? false } ?? false, "\(info)")
    }

    /// BCAST: changes to keys under the prefix are sent without any read,
    /// one message per prefix, and nothing for other keys.
    func testBroadcastPrefixes() throws {
        let s = try startServer(["--io-threads", "2"])
        defer { s.stop() }
        let listener = try resp3(s.port)
        XCTAssertEqual(try listener.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "cart:"), .simple("OK"))
        let w = try TestConnection(port: s.port)
        _ = try w.call("SET", "user:1", "a")
        XCTAssertEqual(invalidatedKeys(try listener.readFrame()), ["user:1"])
        _ = try w.call("SET", "other", "b")
        _ = try w.call("DEL", "cart:9")      // nothing deleted: no change
        _ = try w.call("SET", "cart:9", "c")
        XCTAssertEqual(invalidatedKeys(try listener.readFrame()), ["cart:9"])
        XCTAssertEqual(try listener.drain(timeoutMs: 100), [])
        let infoReply = try w.call("INFO", "stats").string ?? ""
        XCTAssertTrue(infoReply.contains("tracking_total_prefixes:2"), infoReply)
    }

    /// The property client-side caching exists for: a client that caches
    /// what it reads and drops what it is told to never keeps a stale value,
    /// while writers on other loops race with its reads.
    func testClientCacheNeverStaysStaleUnderConcurrentWrites() throws {
        let s = try startServer(["--io-threads", "4"])
        defer { s.stop() }
        let port = s.port
        let keys = (0..<8).map { "hot:\($0)" }
        let reader = try resp3(port)
        _ = try reader.call("CLIENT", "TRACKING", "ON")
        var cache: [String: String] = [:]
        let stop = Locked(false)
        let group = DispatchGroup()
        for w in 0..<3 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                guard let c = try? TestConnection(port: port) else { return }
                var n = 0
                while !stop.withLock({ $0 }) {
                    _ = try? c.call("SET", keys[(n + w) % keys.count], "w\(w)-\(n)")
                    n += 1
                }
            }
        }
        // Reads: serve from the cache when present, else GET and cache.
        func handle(_ frame: RESPValue) -> RESPValue? {
            if let invalid = invalidatedKeys(frame) { for k in invalid { cache[k] = nil }; return nil }
            return frame
        }
        for round in 0..<3000 {
            let key = keys[round % keys.count]
            if cache[key] != nil { continue }
            try reader.send(command: ["GET", key])
            var reply: RESPValue? = nil
            while reply == nil { reply = handle(try reader.readFrame()) }
            cache[key] = reply?.string
            // Apply invalidations that already arrived.
            while !reader.unread.isEmpty { _ = handle(try reader.readFrame()) }
        }
        stop.withLock { $0 = true }
        group.wait()
        // Quiesce: every invalidation still in flight arrives.
        for frame in try reader.drainFrames(timeoutMs: 200) { _ = handle(frame) }
        let checker = try TestConnection(port: port)
        for (key, value) in cache {
            XCTAssertEqual(try checker.call("GET", key).string, value, "stale cached value for \(key)")
        }
    }

    /// `tracking-table-max-keys`: past the limit, keys are invalidated early
    /// (their readers are told) until the table fits again.
    func testTrackingTableLimitInvalidatesEarly() throws {
        let s = try startServer(["--tracking-table-max-keys", "10"])
        defer { s.stop() }
        let reader = try resp3(s.port)
        _ = try reader.call("CLIENT", "TRACKING", "ON")
        var pushed: Set<String> = []
        for i in 0..<50 {
            try reader.send(command: ["GET", "k\(i)"])
            while true {
                let frame = try reader.readFrame()
                if let keys = invalidatedKeys(frame) { pushed.formUnion(keys) } else { break }
            }
        }
        usleep(50_000)
        for frame in try reader.drainFrames() { if let keys = invalidatedKeys(frame) { pushed.formUnion(keys) } }
        let observer = try TestConnection(port: s.port)
        let tracked = try observer.info("stats", "tracking_total_keys") ?? -1
        XCTAssertLessThanOrEqual(tracked, 10)
        XCTAssertEqual(pushed.count + tracked, 50, "every key dropped from the table was announced")
    }
}

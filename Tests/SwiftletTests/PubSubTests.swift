import XCTest
import Swiftlet
import Commands
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Pub/Sub across event loops, publisher ordering, keyspace notifications
/// and the output buffer limit that protects the server from slow readers.
final class PubSubTests: XCTestCase {
    /// PUBLISH matches the channel against every subscribed pattern, kept
    /// end to end in one buffer that a PUNSUBSCRIBE rebuilds. Against real
    /// Redis: one subscriber with many patterns (overlapping, with sets and
    /// escapes), some dropped and taken again, and the pmessages each
    /// publish brings. Compared as a sorted list per publish: Redis 7.0
    /// delivers several matching patterns in its dict's hash order, which
    /// changes from one process to the next.
    func testPatternSubscriptionsMatchRedisThroughChanges() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var g = SplitMix(seed: 0x9A77_E2)
        let alphabet = ["a", "b", "c", "*", "?", "[ab]", "[^c]", "\\*", "."]
        func pattern() -> String { (0..<(1 + Int(g.next() % 4))).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] }.joined() }
        func channel() -> String { (0..<Int(g.next() % 5)).map { _ in ["a", "b", "c", "*", "."][Int(g.next() % 5)] }.joined() }
        var script: [(command: [String], publish: Bool)] = []
        var patterns: [String] = []
        for _ in 0..<400 {
            switch g.next() % 6 {
            case 0, 1:
                let p = pattern(); patterns.append(p); script.append((["PSUBSCRIBE", p], false))
            case 2 where !patterns.isEmpty:
                script.append((["PUNSUBSCRIBE", patterns[Int(g.next() % UInt64(patterns.count))]], false))
            default: script.append((["PUBLISH", channel(), "m"], true))
            }
        }
        var seen: [[String]] = []
        for (label, port) in pair.servers {
            let subscriber = try TestConnection(port: port)
            let publisher = try TestConnection(port: port)
            var log: [String] = []
            for step in script {
                if step.publish {
                    guard case .integer(let receivers) = try publisher.call(step.command) else { XCTFail("\(label): PUBLISH"); return }
                    var messages: [String] = []
                    for _ in 0..<receivers { messages.append("\(try subscriber.readFrame())") }
                    log.append("\(step.command[1]) -> \(receivers): \(messages.sorted())")
                } else {
                    try subscriber.send(command: step.command)
                    log.append("\(step.command) -> \(try subscriber.readFrame())")
                }
            }
            seen.append(log)
        }
        for (i, (expected, got)) in zip(seen[0], seen[1]).enumerated() where expected != got {
            XCTFail("step \(i): redis \(expected), swiftlet \(got)")
            break
        }
        XCTAssertGreaterThan(seen[0].filter { !$0.contains("-> 0:") && $0.contains("-> ") && !$0.hasPrefix("[") }.count, 20,
                             "many publishes reach at least one pattern")
    }

    /// Subscribers spread over four loops all get every message, in the
    /// order the publisher sent them.
    func testDeliveryAcrossLoopsKeepsPublisherOrder() throws {
        let s = try startServer(["--io-threads", "4"])
        defer { s.stop() }
        var subscribers: [TestConnection] = []
        for _ in 0..<8 {
            let c = try TestConnection(port: s.port)
            try c.send(command: ["SUBSCRIBE", "feed"])
            _ = try c.readFrame()
            subscribers.append(c)
        }
        let publisher = try TestConnection(port: s.port)
        var batch: [UInt8] = []
        for i in 0..<500 { batch += TestConnection.encode([Array("PUBLISH".utf8), Array("feed".utf8), Array("m\(i)".utf8)]) }
        try publisher.send(batch)
        for _ in 0..<500 { XCTAssertEqual(try publisher.readFrame(), .integer(8)) }
        for c in subscribers {
            for i in 0..<500 {
                XCTAssertEqual(try c.readFrame().elements?.last?.string, "m\(i)")
            }
        }
    }

    func testKeyspaceNotificationsForWritesAndExpiry() throws {
        let s = try startServer(["--notify-keyspace-events", "KEA"])
        defer { s.stop() }
        let listener = try TestConnection(port: s.port)
        try listener.send(command: ["PSUBSCRIBE", "__keyevent@0__:*"])
        _ = try listener.readFrame()
        let c = try TestConnection(port: s.port)
        _ = try c.call("SET", "k", "v")
        _ = try c.call("RENAME", "k", "k2")
        _ = try c.call("SET", "t", "1", "PX", "1")
        usleep(5_000)
        _ = try c.call("GET", "t")
        let events = try (0..<6).map { _ in try listener.readFrame().elements?[2].string ?? "" }
        XCTAssertEqual(events, ["__keyevent@0__:set", "__keyevent@0__:rename_from", "__keyevent@0__:rename_to",
                                "__keyevent@0__:set", "__keyevent@0__:expire", "__keyevent@0__:expired"])
    }

    /// A subscriber that never reads is disconnected at the hard limit;
    /// the publisher and other subscribers carry on.
    func testSlowSubscriberIsCutOffAtTheOutputLimit() throws {
        let s = try startServer(["--client-output-buffer-limit", "pubsub 1mb 512kb 60"])
        defer { s.stop() }
        let slow = try TestConnection(port: s.port)
        var size: Int32 = 4096
        setsockopt(slow.fd, SOL_SOCKET, SO_RCVBUF, &size, 4)
        try slow.send(command: ["SUBSCRIBE", "firehose"])
        _ = try slow.readFrame()
        let healthy = try TestConnection(port: s.port)
        try healthy.send(command: ["SUBSCRIBE", "firehose"])
        _ = try healthy.readFrame()
        let publisher = try TestConnection(port: s.port)
        let payload = String(repeating: "x", count: 16 * 1024)
        var received = 0
        for _ in 0..<400 {
            _ = try publisher.call("PUBLISH", "firehose", payload)
            _ = try healthy.readFrame()
            received += 1
        }
        XCTAssertEqual(received, 400)
        // Only the healthy subscriber is left.
        XCTAssertEqual(try publisher.call("PUBSUB", "NUMSUB", "firehose").elements?.last, .integer(1))
        let list = try publisher.call("CLIENT", "LIST").string ?? ""
        XCTAssertEqual(list.split(separator: "\n").count, 2)
    }

    /// Bytes delivered to subscribers count in `total_net_output_bytes`, and
    /// a subscriber that stops reading shows its backlog as `omem` in CLIENT
    /// LIST although it never sends a command (as in Redis).
    func testDeliveredBytesAreVisibleInStatsAndClientList() throws {
        let s = try startServer()
        defer { s.stop() }
        let reader = try TestConnection(port: s.port)
        try reader.send(command: ["SUBSCRIBE", "news"])
        _ = try reader.readFrame()
        let slow = try TestConnection(port: s.port)
        var size: Int32 = 4096
        setsockopt(slow.fd, SOL_SOCKET, SO_RCVBUF, &size, 4)
        try slow.send(command: ["CLIENT", "SETNAME", "slow"])
        _ = try slow.readFrame()
        try slow.send(command: ["SUBSCRIBE", "news"])
        _ = try slow.readFrame()
        let publisher = try TestConnection(port: s.port)
        let before = try publisher.info("stats", "total_net_output_bytes") ?? 0
        let payload = String(repeating: "p", count: 8 * 1024)
        // 12 MB: more than the kernel's socket buffers can absorb.
        for _ in 0..<1500 {
            _ = try publisher.call("PUBLISH", "news", payload)
            _ = try reader.readFrame()
        }
        let after = try publisher.info("stats", "total_net_output_bytes") ?? 0
        XCTAssertGreaterThan(after - before, 1500 * 8 * 1024, "delivered messages are output too")
        // The backlog is memory the server holds: it counts in used_memory
        // (and so toward maxmemory), as Redis counts it in mem_clients_normal.
        let clients = try publisher.info("memory", "mem_clients_normal") ?? 0
        XCTAssertGreaterThan(clients, 4 * 1024 * 1024, "a subscriber's unread backlog must count in used_memory")
        let list = try publisher.call("CLIENT", "LIST").string ?? ""
        let line = list.split(separator: "\n").first { $0.contains("name=slow ") } ?? ""
        let omem = line.split(separator: " ").first { $0.hasPrefix("omem=") }.flatMap { Int($0.dropFirst(5)) } ?? 0
        XCTAssertGreaterThan(omem, 1024 * 1024, String(line))
    }
}

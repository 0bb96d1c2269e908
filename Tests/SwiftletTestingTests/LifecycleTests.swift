import XCTest
import SwiftletTesting
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Starting, stopping, restarting, isolation and options (XCTest).
final class LifecycleTests: XCTestCase {
    func testStartListensOnAnEphemeralLoopbackPort() async throws {
        let server = try await TestServer.start()
        XCTAssertGreaterThan(server.port, 0)
        XCTAssertNotEqual(server.port, 6379)
        XCTAssertEqual(server.url, "redis://127.0.0.1:\(server.port)")
        XCTAssertEqual(server.description, "TestServer(redis://127.0.0.1:\(server.port))")
        let wire = try TestConnection(port: server.port)
        XCTAssertEqual(try wire.call("PING"), .simple("PONG"))
        let running = await server.isRunning
        XCTAssertTrue(running)
        await server.stop()
    }

    func testStopFreesThePort() async throws {
        let server = try await TestServer.start()
        let port = server.port
        let wire = try TestConnection(port: port)
        XCTAssertEqual(try wire.call("PING"), .simple("PONG"))
        await server.stop()
        await server.stop()  // idempotent
        XCTAssertTrue(try wire.waitForClose(timeoutMs: 5000), "stop() closes client connections")
        XCTAssertThrowsError(try TestConnection(port: port), "nothing listens after stop()")
        // The port can be bound again, here by another fixture.
        let next = try await TestServer.start(TestServer.Options(port: port))
        XCTAssertEqual(next.port, port)
        XCTAssertEqual(try TestConnection(port: port).call("PING"), .simple("PONG"))
        await next.stop()
        let running = await server.isRunning
        XCTAssertFalse(running)
    }

    func testDataStaysReadableAfterStop() async throws {
        let server = try await TestServer.start()
        try await server.set("k", "v")
        await server.stop()
        let value = try await server.get("k")
        XCTAssertEqual(value, "v")
    }

    func testRestartKeepsDataPortAndClock() async throws {
        let server = try await TestServer.start()
        let port = server.port
        try await server.set("kept", "yes", ttl: .seconds(100))
        await server.advanceClock(by: .seconds(10))
        let before = try TestConnection(port: port)
        XCTAssertEqual(try before.call("GET", "kept"), .bulk(Array("yes".utf8)))

        try await server.restart()
        XCTAssertEqual(server.port, port)
        XCTAssertTrue(try before.waitForClose(timeoutMs: 5000), "a restart disconnects clients")
        let after = try TestConnection(port: port)
        XCTAssertEqual(try after.call("GET", "kept"), .bulk(Array("yes".utf8)))
        XCTAssertEqual(try after.call("PTTL", "kept"), .integer(90_000), "the virtual clock carries over")
        let value = try await server.get("kept")
        XCTAssertEqual(value, "yes")

        // restart() also brings a stopped server back.
        await server.stop()
        try await server.restart()
        XCTAssertEqual(try TestConnection(port: port).call("GET", "kept"), .bulk(Array("yes".utf8)))
        await server.stop()
    }

    func testConcurrentRestartsAndStops() async throws {
        let server = try await TestServer.start()
        try await server.set("k", "v")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask { if i % 3 == 0 { await server.stop() } else { try await server.restart() } }
            }
            try await group.waitForAll()
        }
        try await server.restart()
        XCTAssertEqual(try TestConnection(port: server.port).call("GET", "k"), .bulk(Array("v".utf8)))
        await server.stop()
    }

    func testTwoServersAreIsolated() async throws {
        let a = try await TestServer.start()
        let b = try await TestServer.start()
        XCTAssertNotEqual(a.port, b.port)
        try await a.set("shared-name", "from a", ttl: .seconds(10))
        try await b.set("shared-name", "from b")
        let wireA = try TestConnection(port: a.port)
        let wireB = try TestConnection(port: b.port)
        XCTAssertEqual(try wireA.call("GET", "shared-name"), .bulk(Array("from a".utf8)))
        XCTAssertEqual(try wireB.call("GET", "shared-name"), .bulk(Array("from b".utf8)))
        _ = try wireB.call("SET", "only-in-b", "1")

        // Clocks are separate: advancing a's expires nothing in b.
        await a.advanceClock(by: .seconds(11))
        let aValue = try await a.get("shared-name")
        let bValue = try await b.get("shared-name")
        XCTAssertNil(aValue)
        XCTAssertEqual(bValue, "from b")
        // Faults, logs and clients are separate too.
        await a.failNextCommands(1, withError: "ERR only a")
        XCTAssertEqual(try wireB.call("GET", "only-in-b"), .bulk(Array("1".utf8)))
        XCTAssertEqual(try wireA.call("PING"), .error("ERR only a"))
        let aKeys = try await a.keys()
        XCTAssertEqual(aKeys, [])
        let bLog = await b.commandLog.map(\.name)
        XCTAssertEqual(bLog, ["GET", "SET", "GET"])
        await a.stop()
        XCTAssertEqual(try wireB.call("PING"), .simple("PONG"), "stopping one leaves the other running")
        await b.stop()
    }

    /// Servers share no state: a `rename-command` in one (which renumbers
    /// its command table) must not change what another one counts.
    func testServersShareNoCommandState() async throws {
        let plain = try await TestServer.start()
        let renamed = try await TestServer.start(TestServer.Options(config: ["rename-command": "GET FETCH"]))
        let wire = try TestConnection(port: plain.port)
        _ = try wire.call("SET", "k", "v")
        _ = try wire.call("GET", "k")
        let stats = try wire.call("INFO", "commandstats").string ?? ""
        let names = stats.split(separator: "\r\n").filter { $0.hasPrefix("cmdstat_") }.map { $0.prefix(while: { $0 != ":" }) }
        XCTAssertEqual(names.sorted(), ["cmdstat_get", "cmdstat_set"], stats)
        XCTAssertEqual(try wire.call("CLIENT", "INFO").string?.contains(" cmd=client|info "), true)
        let other = try TestConnection(port: renamed.port)
        XCTAssertEqual(try other.call("FETCH", "k"), .bulk(nil))
        await renamed.stop()
        await plain.stop()
    }

    func testAHundredServersAliveInOneProcess() async throws {
        var servers: [TestServer] = []
        for i in 0..<100 {
            let server = try await TestServer.start()
            try await server.set("id", String(i))
            servers.append(server)
        }
        XCTAssertEqual(Set(servers.map(\.port)).count, 100, "every server has its own port")
        // All serve over the wire at the same time, each its own data.
        var connections: [TestConnection] = []
        for server in servers { connections.append(try TestConnection(port: server.port)) }
        for (i, connection) in connections.enumerated() {
            XCTAssertEqual(try connection.call("GET", "id"), .bulk(Array(String(i).utf8)))
        }
        for server in servers { await server.stop() }
        for connection in connections { XCTAssertTrue(try connection.waitForClose(timeoutMs: 5000)) }
    }

    func testConcurrentServersFromManyTasks() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask {
                    try await withTestServer { server in
                        try await server.set("k", "\(i)", ttl: .seconds(1))
                        let wire = try TestConnection(port: server.port)
                        XCTAssertEqual(try wire.call("GET", "k"), .bulk(Array("\(i)".utf8)))
                        await server.advanceClock(by: .seconds(2))
                        XCTAssertEqual(try wire.call("GET", "k"), .bulk(nil))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    func testWithTestServerStopsWhenTheBodyReturnsOrThrows() async throws {
        var port = 0
        let result = try await withTestServer { server -> String in
            port = server.port
            try await server.set("k", "v")
            return try await server.get("k") ?? ""
        }
        XCTAssertEqual(result, "v")
        XCTAssertThrowsError(try TestConnection(port: port), "stopped after the body returned")

        struct Expected: Error {}
        do {
            try await withTestServer { server in
                port = server.port
                throw Expected()
            }
            XCTFail("the body's error is rethrown")
        } catch is Expected {}
        XCTAssertThrowsError(try TestConnection(port: port), "stopped after the body threw")
    }

    /// Every subscribe stream's socket and reader thread go away, whether the
    /// stream is dropped, its reading task cancelled, or its server restarted
    /// or stopped. (XCTest runs tests one at a time, so the process's counts
    /// are this test's.)
    func testSubscriptionsLeaveNoSocketsOrThreads() async throws {
        func counts() -> (sockets: Int, readerThreads: Int) {
            var sockets = 0
            if let directory = opendir("/proc/self/fd") {
                while let entry = readdir(directory) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                    var target = [CChar](repeating: 0, count: 256)
                    let n = readlink("/proc/self/fd/" + name, &target, 255)
                    if n > 0 && String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self).hasPrefix("socket:") {
                        sockets += 1
                    }
                }
                closedir(directory)
            }
            // Subscription reader threads (they name themselves).
            var threads = 0
            if let directory = opendir("/proc/self/task") {
                while let entry = readdir(directory) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                    guard !name.hasPrefix("."), let file = fopen("/proc/self/task/\(name)/comm", "r") else { continue }
                    var line = [CChar](repeating: 0, count: 64)
                    if fgets(&line, 64, file) != nil && String(cString: line) == "swiftlet-sub\n" { threads += 1 }
                    fclose(file)
                }
                closedir(directory)
            }
            return (sockets, threads)
        }
        let server = try await TestServer.start()
        let wire = try TestConnection(port: server.port)
        func subscribers() throws -> Int {  // every subscription here is to a channel
            try wire.call("PUBSUB", "CHANNELS").elements?.count ?? -1
        }
        _ = try subscribers()  // the server has accepted `wire`
        let socketsAtStart = counts().sockets
        // Warm up, then measure once the warm-up streams are gone.
        for _ in 0..<2 { _ = try await server.subscribe(to: "warm-up") }
        let settled = try await eventually { try subscribers() == 0 && counts().sockets == socketsAtStart }
        XCTAssertTrue(settled, "now \(counts()), \(socketsAtStart) sockets at the start")
        let noReaders = await eventually { counts().readerThreads == 0 }
        XCTAssertTrue(noReaders, "now \(counts())")
        let before = counts()

        for i in 0..<40 {
            let stream = try await server.subscribe(to: "channel:\(i)")
            if i % 2 == 1 {
                let reader = Task { for await _ in stream {} }
                reader.cancel()
                await reader.value
            }
        }
        let closed = try await eventually { try subscribers() == 0 }
        XCTAssertTrue(closed, "dropped and cancelled streams closed their connections")
        let afterCancel = await eventually { counts().sockets == before.sockets && counts().readerThreads == 0 }
        XCTAssertTrue(afterCancel, "before \(before), now \(counts())")

        // Streams ended by the server: restart, then stop.
        var kept: [AsyncStream<TestServer.PubSubMessage>] = []
        for i in 0..<10 { kept.append(try await server.subscribe(to: "kept:\(i)")) }
        XCTAssertEqual(counts().readerThreads, 10)
        try await server.restart()
        for i in 0..<10 { kept.append(try await server.subscribe(to: "kept:\(i)")) }
        await server.stop()
        for stream in kept {
            let rest = await remainingMessages(stream)
            XCTAssertTrue(rest.ended)
        }
        let afterStop = await eventually { counts().readerThreads == 0 }
        XCTAssertTrue(afterStop, "before \(before), now \(counts())")
        // The stopped server holds no sockets; the wire client still has its own.
        XCTAssertLessThan(counts().sockets, before.sockets, "now \(counts())")
        withExtendedLifetime(kept) {}
    }

    // MARK: Options

    func testPassword() async throws {
        try await withTestServer(TestServer.Options(password: "s3 \"cret\"")) { server in
            let wire = try TestConnection(port: server.port)
            XCTAssertEqual(try wire.call("GET", "k").string?.hasPrefix("NOAUTH"), true)
            XCTAssertEqual(try wire.call("AUTH", "s3 \"cret\""), .simple("OK"))
            XCTAssertEqual(try wire.call("SET", "k", "v"), .simple("OK"))
            // Direct access needs no password.
            let value = try await server.get("k")
            XCTAssertEqual(value, "v")
        }
    }

    func testDatabasesAndSelect() async throws {
        try await withTestServer(TestServer.Options(databases: 4)) { server in
            let wire = try TestConnection(port: server.port)
            XCTAssertEqual(try wire.call("SELECT", "3"), .simple("OK"))
            XCTAssertEqual(try wire.call("SELECT", "4"), .error("ERR DB index is out of range"))
            try await server.select(db: 3)
            XCTAssertEqual(server.selectedDatabase, 3)
            try await server.set("in3", "x")
            XCTAssertEqual(try wire.call("GET", "in3"), .bulk(Array("x".utf8)))
            do {
                try await server.select(db: 4)
                XCTFail("db 4 does not exist")
            } catch let error as TestServerError {
                XCTAssertEqual(error.kind, .invalidArgument)
                XCTAssertEqual(error.description, "select(db: 4): the server has databases 0 to 3")
            }
            try await server.select(db: 0)
            let inZero = try await server.exists("in3")
            XCTAssertFalse(inZero)
        }
    }

    func testMaxmemoryPolicyAndAnyDirective() async throws {
        let options = TestServer.Options(maxMemory: 50_000_000, maxMemoryPolicy: .allKeysLFU,
                                         config: ["hz": "50", "save": "", "rename-command": "KEYS LISTKEYS",
                                                  "slowlog-max-len": "7"])
        try await withTestServer(options) { server in
            let maxmemory = try await server.config("maxmemory")
            let policy = try await server.config("maxmemory-policy")
            let hz = try await server.config("hz")
            let save = try await server.config("save")
            let slowlog = try await server.config("slowlog-max-len")
            XCTAssertEqual(maxmemory, "50000000")
            XCTAssertEqual(policy, "allkeys-lfu")
            XCTAssertEqual(hz, "50")
            XCTAssertEqual(save, "")
            XCTAssertEqual(slowlog, "7")
            let wire = try TestConnection(port: server.port)
            XCTAssertEqual(try wire.call("KEYS", "*").string?.hasPrefix("ERR unknown command"), true)
            XCTAssertEqual(try wire.call("LISTKEYS", "*"), .array([]))
            try await server.setConfig("maxmemory-policy", "volatile-ttl")
            XCTAssertEqual(try wire.call("CONFIG", "GET", "maxmemory-policy"),
                           .array([.bulk(Array("maxmemory-policy".utf8)), .bulk(Array("volatile-ttl".utf8))]))
        }
    }

    func testInvalidOptionsAreClearErrors() async throws {
        do {
            _ = try await TestServer.start(TestServer.Options(config: ["maxmemory-policy": "sometimes"]))
            XCTFail("an invalid value must be refused")
        } catch let error as TestServerError {
            XCTAssertEqual(error.kind, .invalidConfiguration)
            XCTAssertTrue(error.description.hasPrefix("TestServer options were refused:"), error.description)
            XCTAssertTrue(error.description.contains("maxmemory-policy sometimes"), error.description)
        }
        do {
            _ = try await TestServer.start(TestServer.Options(config: ["no-such-directive": "1"]))
            XCTFail("an unknown directive must be refused")
        } catch let error as TestServerError {
            XCTAssertEqual(error.kind, .invalidConfiguration)
            XCTAssertTrue(error.description.contains("no-such-directive"), error.description)
        }
        do {
            _ = try await TestServer.start(TestServer.Options(databases: 0))
            XCTFail("zero databases must be refused")
        } catch let error as TestServerError {
            XCTAssertEqual(error.kind, .invalidConfiguration)
        }
    }

    func testAPortInUseIsAStartError() async throws {
        let first = try await TestServer.start()
        do {
            _ = try await TestServer.start(TestServer.Options(port: first.port))
            XCTFail("the port is taken")
        } catch let error as TestServerError {
            XCTAssertEqual(error.kind, .startFailed)
            XCTAssertTrue(error.description.contains("127.0.0.1:\(first.port)"), error.description)
        }
        await first.stop()
    }

    func testRealClock() async throws {
        try await withTestServer(TestServer.Options(clock: .real)) { server in
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            let wall = Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec / 1_000_000)
            let serverNow = await server.unixTimeMilliseconds
            // Real time moves on its own; only check it is today's wall clock.
            XCTAssertLessThan(abs(serverNow - wall), 60_000)
            try await server.set("k", "v", ttl: .seconds(100))
            let ttl = try await server.ttl("k")
            XCTAssertNotNil(ttl)
        }
    }

    func testIPv6Loopback() async throws {
        // Skipped where the machine has no IPv6 loopback.
        let server: TestServer
        do { server = try await TestServer.start(TestServer.Options(host: "::1")) } catch { throw XCTSkip("no ::1: \(error)") }
        XCTAssertEqual(server.url, "redis://[::1]:\(server.port)")
        // Subscriptions connect over IPv6 too, and are recognised as the fixture's.
        let stream = try await server.subscribe(to: "v6")
        let receivers = try await server.publish("v6", "hello")
        XCTAssertEqual(receivers, 1)
        let received = await nextMessages(stream)
        XCTAssertEqual(received, [TestServer.PubSubMessage(channel: "v6", message: "hello")])
        let log = await server.commandLog
        XCTAssertEqual(log, [])
        await server.stop()
    }
}

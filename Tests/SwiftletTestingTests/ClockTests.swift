import Testing
import SwiftletTesting
import TestSupport

/// The virtual clock (Swift Testing; these run in parallel, each with its
/// own server). Nothing here sleeps: time moves only by `advanceClock`.
@Suite struct ClockTests {
    @Test func ttlPassesForDirectAccessAndTheWire() async throws {
        try await withTestServer { server in
            let wire = try TestConnection(port: server.port)
            try await server.set("session", "abc", ttl: .seconds(5))
            #expect(try wire.call("GET", "session") == .bulk(Array("abc".utf8)))
            #expect(try await server.ttl("session") == .seconds(5))

            await server.advanceClock(by: .milliseconds(4999))
            #expect(try await server.get("session") == "abc")
            #expect(try wire.call("PTTL", "session") == .integer(1))

            // As in Redis, a key expires once the clock is past its expiry
            // time: at exactly 5 s it is still there, with PTTL 0.
            await server.advanceClock(by: .milliseconds(1))
            #expect(try await server.get("session") == "abc")
            #expect(try wire.call("PTTL", "session") == .integer(0))

            await server.advanceClock(by: .milliseconds(1))
            #expect(try await server.get("session") == nil)
            #expect(try wire.call("GET", "session") == .bulk(nil))
            #expect(try await server.ttl("session") == nil)
        }
    }

    @Test func keysSetOverTheWireExpireToo() async throws {
        try await withTestServer { server in
            let wire = try TestConnection(port: server.port)
            #expect(try wire.call("SET", "k", "v", "EX", "60") == .simple("OK"))
            #expect(try wire.call("EXPIRE", "other", "1") == .integer(0))
            await server.advanceClock(by: .seconds(59))
            #expect(try wire.call("TTL", "k") == .integer(1))
            await server.advanceClock(by: .milliseconds(1001))
            #expect(try await server.exists("k") == false)
            #expect(try wire.call("EXISTS", "k") == .integer(0))
        }
    }

    /// Active expiry runs inside advanceClock: keys nobody reads are removed
    /// (DBSIZE and INFO's expired_keys count them), not just hidden on access.
    @Test func activeExpiryFollowsTheClock() async throws {
        try await withTestServer { server in
            for i in 0..<500 { try await server.set("temp:\(i)", "x", ttl: .seconds(10)) }
            try await server.set("forever", "x")
            #expect(try await server.dbSize() == 501)
            await server.advanceClock(by: .seconds(11))
            #expect(try await server.dbSize() == 1)
            let wire = try TestConnection(port: server.port)
            let stats = try wire.call("INFO", "stats").string ?? ""
            #expect(stats.contains("expired_keys:500"))
        }
    }

    @Test func subMillisecondStepsAddUp() async throws {
        try await withTestServer { server in
            try await server.set("k", "v", ttl: .milliseconds(1))
            await server.advanceClock(by: .microseconds(1600))
            #expect(try await server.get("k") == "v", "1.6 ms: the clock moved 1 ms, the key is at its expiry time")
            await server.advanceClock(by: .microseconds(400))
            #expect(try await server.get("k") == nil, "2 ms: past it")
        }
    }

    @Test func fixedStartTimeForAbsoluteExpiry() async throws {
        let options = TestServer.Options(clock: .virtual(startingAtUnixMilliseconds: 1_700_000_000_000))
        try await withTestServer(options) { server in
            #expect(await server.unixTimeMilliseconds == 1_700_000_000_000)
            let wire = try TestConnection(port: server.port)
            #expect(try wire.call("TIME") == .array([.bulk(Array("1700000000".utf8)), .bulk(Array("0".utf8))]))
            #expect(try wire.call("SET", "k", "v", "EXAT", "1700000030") == .simple("OK"))
            #expect(try wire.call("EXPIRETIME", "k") == .integer(1_700_000_030))
            await server.advanceClock(by: .milliseconds(30_001))
            #expect(await server.unixTimeMilliseconds == 1_700_000_030_001)
            #expect(try wire.call("GET", "k") == .bulk(nil))
        }
    }

    /// LRU idle time is measured on the same clock.
    @Test func idleTimeFollowsTheClock() async throws {
        try await withTestServer { server in
            try await server.set("k", "v")
            await server.advanceClock(by: .seconds(120))
            let idle = try await server.command("OBJECT", "IDLETIME", "k")
            #expect(idle == .integer(120))
            let wire = try TestConnection(port: server.port)
            #expect(try wire.call("OBJECT", "IDLETIME", "k") == .integer(120))
        }
    }

    /// Idle times far beyond the 37 hours Swiftlet's fine LRU stamp spans
    /// read as in Redis (whose one-second stamp wraps after 194 days): the
    /// sweep keeps old stamps in seconds.
    @Test func idleTimeSpansDays() async throws {
        try await withTestServer { server in
            try await server.set("k", "v")
            await server.advanceClock(by: .seconds(5 * 86_400 + 7))
            #expect(try await server.command("OBJECT", "IDLETIME", "k") == .integer(5 * 86_400 + 7))
        }
    }

    /// LFU counters decay by the same clock (lfu-decay-time is in minutes).
    @Test func lfuDecayFollowsTheClock() async throws {
        let (before, after) = try await hotKeyFrequency(hits: 200, decayTime: 1, idle: .seconds(60 * 3))
        #expect(before > 5)
        #expect(after == before - 3)
    }

    /// A key left alone for 20 hours decays by 20 periods of
    /// `lfu-decay-time 60`, as in Redis: longer than the 18 hours Swiftlet's
    /// LFU stamp spans on its own, so this needs the renormalizing sweep.
    @Test func lfuDecaySpansLongIdleTimes() async throws {
        let (before, after) = try await hotKeyFrequency(hits: 2000, decayTime: 60, idle: .seconds(20 * 3600))
        #expect(before > 21)
        #expect(after == before - 20)
    }

    /// OBJECT FREQ of a key read `hits` times under allkeys-lfu, then again
    /// after the clock moved on by `idle`.
    private func hotKeyFrequency(hits: Int, decayTime: Int, idle: Duration) async throws -> (before: Int, after: Int) {
        let options = TestServer.Options(maxMemoryPolicy: .allKeysLFU, config: ["lfu-decay-time": "\(decayTime)"])
        return try await withTestServer(options) { server in
            try await server.set("hot", "v")
            for _ in 0..<hits { _ = try await server.get("hot") }
            let before = try await server.command("OBJECT", "FREQ", "hot").integer ?? 0
            await server.advanceClock(by: idle)
            let after = try await server.command("OBJECT", "FREQ", "hot").integer ?? 0
            return (before, after)
        }
    }

    /// Idle clients beyond `timeout` are closed by the server's cron, which
    /// reads the virtual clock: advance past the timeout and the next tick
    /// (hz 100: every 10 ms of real time) closes the connection.
    @Test func idleClientTimeoutFollowsTheClock() async throws {
        try await withTestServer(TestServer.Options(config: ["timeout": "300", "hz": "100"])) { server in
            let wire = try TestConnection(port: server.port)
            #expect(try wire.call("PING") == .simple("PONG"))
            await server.advanceClock(by: .seconds(301))
            #expect(try wire.waitForClose(timeoutMs: 10_000))
        }
    }

    /// Keyspace notifications fired by advanceClock: the expired event
    /// reaches a subscribe(to:) stream without any sleeping, and not before
    /// the clock is past the key's expiry time.
    @Test func expiryNotificationsFireOnAdvance() async throws {
        try await withTestServer(TestServer.Options(config: ["notify-keyspace-events": "Ex"])) { server in
            let events = try await server.subscribe(to: "__keyevent@0__:expired")
            try await server.set("session", "abc", ttl: .seconds(5))
            try await server.set("later", "xyz", ttl: .seconds(60))
            await server.advanceClock(by: .seconds(5))       // at its expiry time: still there
            #expect(try await server.exists("session"))
            await server.advanceClock(by: .milliseconds(1))  // past it
            #expect(await nextMessages(events) == [Message(channel: "__keyevent@0__:expired", message: "session")])
            // "later" had not expired: the next event is it, after 55 s more.
            await server.advanceClock(by: .seconds(55))
            #expect(await nextMessages(events) == [Message(channel: "__keyevent@0__:expired", message: "later")])
        }
    }

    /// A blocking pop times out once the clock is past its deadline, as in
    /// Redis (`timeout < now`), not in the deadline's own millisecond: with
    /// whole-millisecond clocks that would answer up to 1 ms early.
    @Test func blockingTimeoutFiresOnlyPastItsDeadline() async throws {
        try await withTestServer(TestServer.Options(config: ["hz": "100"])) { server in
            let waiter = try TestConnection(port: server.port)
            let admin = try TestConnection(port: server.port)
            try waiter.send(command: ["BRPOP", "nokey", "0.1"])
            var blocked = false
            for _ in 0..<500 where !blocked {
                let info = try admin.call("INFO", "clients").string ?? ""
                blocked = info.contains("blocked_clients:1")
                if !blocked { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(blocked)
            await server.advanceClock(by: .milliseconds(100))
            // The loop wakes at every cron tick (10 ms at hz 100): in 300 ms
            // it has looked at the waiter many times.
            #expect(try waiter.drainFrames(timeoutMs: 300) == [])
            await server.advanceClock(by: .milliseconds(1))
            #expect(try waiter.readFrame(timeoutMs: 5000) == .array(nil))
        }
    }
}

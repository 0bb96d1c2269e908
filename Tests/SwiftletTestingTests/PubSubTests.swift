import Testing
import SwiftletTesting
import TestSupport

typealias Message = TestServer.PubSubMessage

/// Reads `stream` until `count` messages arrived, it ended, or `timeout`
/// passed. The timeout is real time, but only a bound for a failing test:
/// nothing here waits for it to pass. On a timeout the stream is cancelled
/// (its connection closed).
func collect(_ stream: AsyncStream<Message>, count: Int,
             timeout: Duration) async -> (messages: [Message], ended: Bool) {
    await withTaskGroup(of: (messages: [Message], ended: Bool)?.self) { group in
        group.addTask {
            var received: [Message] = []
            for await message in stream {
                received.append(message)
                if received.count == count { return (received, false) }
            }
            // The loop also ends when the timeout cancels this task.
            return (received, !Task.isCancelled)
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        if let result = first { return result }
        while let next = await group.next() {
            if let result = next { return result }
        }
        return ([], false)
    }
}

/// The next `count` messages of `stream` (fewer if it ends or they do not
/// all arrive within `timeout`).
func nextMessages(_ stream: AsyncStream<Message>, count: Int = 1,
                  timeout: Duration = .seconds(10)) async -> [Message] {
    await collect(stream, count: count, timeout: timeout).messages
}

/// Everything left in `stream`, and whether it ended within `timeout`.
func remainingMessages(_ stream: AsyncStream<Message>,
                       timeout: Duration = .seconds(10)) async -> (messages: [Message], ended: Bool) {
    await collect(stream, count: Int.max, timeout: timeout)
}

/// Polls `condition` (with short real-time pauses, up to `timeout`) for
/// effects that happen on another thread without a signal to wait for.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return try await condition()
}

/// `subscribe(to:)` and `publish(_:_:)`: real subscriptions over the wire,
/// keyspace notifications driven by the virtual clock (Swift Testing; these
/// run in parallel, each with its own server).
@Suite struct PubSubTests {
    @Test func publishReachesASubscribeStream() async throws {
        try await withTestServer { server in
            #expect(try await server.publish("news", "nobody listens") == 0)
            let news = try await server.subscribe(to: "news")
            // subscribe returned after the confirmation: publishing at once is not a race.
            #expect(try await server.publish("news", "hello") == 1)
            #expect(try await server.publish("other", "not for us") == 0)
            #expect(try await server.publish("news", "again") == 1)
            #expect(await nextMessages(news, count: 2) == [Message(channel: "news", message: "hello"),
                                                           Message(channel: "news", message: "again")])
        }
    }

    @Test func aWireClientsPublishReachesTheStream() async throws {
        try await withTestServer { server in
            let stream = try await server.subscribe(to: "orders", "refunds")
            let wire = try TestConnection(port: server.port)
            #expect(try wire.call("PUBSUB", "NUMSUB", "orders", "refunds")
                    == .array([.bulk(Array("orders".utf8)), .integer(1), .bulk(Array("refunds".utf8)), .integer(1)]))
            #expect(try wire.call("PUBLISH", "refunds", "r1") == .integer(1))
            #expect(try wire.call("PUBLISH", "orders", "o1") == .integer(1))
            #expect(try wire.call("PUBLISH", "orders", "") == .integer(1))
            #expect(await nextMessages(stream, count: 3) == [Message(channel: "refunds", message: "r1"),
                                                             Message(channel: "orders", message: "o1"),
                                                             Message(channel: "orders", message: "")])
        }
    }

    @Test func serverPublishReachesAWireSubscriber() async throws {
        try await withTestServer { server in
            let wire = try TestConnection(port: server.port)
            try wire.send(command: ["SUBSCRIBE", "news"])
            #expect(try wire.readFrame() == .array([.bulk(Array("subscribe".utf8)), .bulk(Array("news".utf8)), .integer(1)]))
            #expect(try await server.publish("news", "hello") == 1)
            #expect(try wire.readFrame() == .array([.bulk(Array("message".utf8)), .bulk(Array("news".utf8)),
                                                    .bulk(Array("hello".utf8))]))
            // The wire subscriber and a stream both count.
            let stream = try await server.subscribe(to: "news")
            #expect(try await server.publish("news", "both") == 2)
            #expect(try wire.readFrame() == .array([.bulk(Array("message".utf8)), .bulk(Array("news".utf8)),
                                                    .bulk(Array("both".utf8))]))
            #expect(await nextMessages(stream) == [Message(channel: "news", message: "both")])
        }
    }

    @Test func patternSubscriptions() async throws {
        try await withTestServer { server in
            let stream = try await server.subscribe(toPatterns: "news.*", "h?llo")
            #expect(try await server.publish("sports", "not matched") == 0)
            #expect(try await server.publish("news.tech", "a") == 1)
            #expect(try await server.publish("hello", "b") == 1)
            #expect(await nextMessages(stream, count: 2) == [
                Message(channel: "news.tech", message: "a", pattern: "news.*"),
                Message(channel: "hello", message: "b", pattern: "h?llo"),
            ])
        }
    }

    /// As in Redis, a channel matched both ways is delivered (and counted) twice.
    @Test func channelsAndPatternsOnOneStream() async throws {
        try await withTestServer { server in
            let stream = try await server.subscribe(channels: ["news.tech", "alerts"], patterns: ["news.*"])
            #expect(try await server.publish("news.tech", "x") == 2)
            #expect(try await server.publish("alerts", "y") == 1)
            #expect(await nextMessages(stream, count: 3) == [
                Message(channel: "news.tech", message: "x"),
                Message(channel: "news.tech", message: "x", pattern: "news.*"),
                Message(channel: "alerts", message: "y"),
            ])
        }
    }

    @Test func unicodeNamesAndPayloads() async throws {
        try await withTestServer { server in
            let stream = try await server.subscribe(to: "kanäle 📦")
            #expect(try await server.publish("kanäle 📦", "größe\r\n\"quoted\"") == 1)
            let received = await nextMessages(stream)
            #expect(received == [Message(channel: "kanäle 📦", message: "größe\r\n\"quoted\"")])
            #expect(received.first?.description == #""gr\xc3\xb6\xc3\x9fe\r\n\"quoted\"" on "kan\xc3\xa4le \xf0\x9f\x93\xa6""#)
        }
    }

    // MARK: Keyspace notifications

    /// advanceClock runs active expiry; the expired events reach the stream
    /// on both the keyevent and the keyspace channel. Nothing sleeps.
    @Test func expiryOnAdvanceFiresKeyeventAndKeyspaceEvents() async throws {
        try await withTestServer(TestServer.Options(config: ["notify-keyspace-events": "KEx"])) { server in
            let events = try await server.subscribe(channels: ["__keyevent@0__:expired"],
                                                    patterns: ["__keyspace@0__:session:*"])
            try await server.set("session:1", "ada", ttl: .seconds(5))
            try await server.set("session:2", "bob", ttl: .seconds(50))
            try await server.set("forever", "x")
            await server.advanceClock(by: .seconds(6))
            #expect(await nextMessages(events, count: 2) == [
                Message(channel: "__keyspace@0__:session:1", message: "expired", pattern: "__keyspace@0__:session:*"),
                Message(channel: "__keyevent@0__:expired", message: "session:1"),
            ])
            await server.advanceClock(by: .seconds(45))
            #expect(await nextMessages(events, count: 2) == [
                Message(channel: "__keyspace@0__:session:2", message: "expired", pattern: "__keyspace@0__:session:*"),
                Message(channel: "__keyevent@0__:expired", message: "session:2"),
            ])
        }
    }

    /// Notifications switched on at run time, for keys a wire client wrote
    /// in another database; other event classes stay off.
    @Test func notificationsEnabledAtRunTime() async throws {
        try await withTestServer { server in
            try await server.setConfig("notify-keyspace-events", "Ex")
            let events = try await server.subscribe(toPatterns: "__keyevent@*__:*")
            let wire = try TestConnection(port: server.port)
            #expect(try wire.call("SELECT", "3") == .simple("OK"))
            #expect(try wire.call("SET", "cart:9", "x", "PX", "1500") == .simple("OK"))  // no `set` event: only E and x are on
            await server.advanceClock(by: .milliseconds(1501))
            #expect(await nextMessages(events) == [
                Message(channel: "__keyevent@3__:expired", message: "cart:9", pattern: "__keyevent@*__:*"),
            ])
        }
    }

    // MARK: The fixture's own connection

    /// The stream's connection is the fixture's: not in the command log or
    /// the client list, and faults aimed at the app's connections skip it.
    @Test func theFixturesConnectionIsNotTheApps() async throws {
        try await withTestServer { server in
            await server.failNextCommands(1, withError: "ERR injected")
            let stream = try await server.subscribe(to: "news")  // the pending fault is not consumed
            #expect(await server.commandLog == [])
            #expect(await server.connectedClients == [])

            let app = try TestConnection(port: server.port)
            #expect(try app.call("PING") == .error("ERR injected"), "still pending for the app")
            #expect(await server.connectedClients.count == 1)
            let list = try app.call("CLIENT", "LIST").string ?? ""
            #expect(list.contains(" name=swiftlet-testing "), "the server does list it, by name")

            await server.dropAllConnections()
            #expect(try app.waitForClose(timeoutMs: 5000))
            #expect(try await server.publish("news", "after a drop") == 1)

            let next = try TestConnection(port: server.port)
            await server.closeConnections(afterCommands: 0)
            try next.send(command: ["PING"])
            #expect(try next.waitForClose(timeoutMs: 5000))
            #expect(try await server.publish("news", "after a close") == 1)

            #expect(await nextMessages(stream, count: 2) == [Message(channel: "news", message: "after a drop"),
                                                             Message(channel: "news", message: "after a close")])
            #expect(await server.commandLog.map(\.name) == ["PING", "CLIENT", "PING"])
        }
    }

    @Test func passwordProtectedServer() async throws {
        try await withTestServer(TestServer.Options(password: "s3 \"cret\"")) { server in
            let stream = try await server.subscribe(to: "news")
            #expect(try await server.publish("news", "authenticated") == 1)
            #expect(await nextMessages(stream) == [Message(channel: "news", message: "authenticated")])
        }
    }

    /// A password changed at run time is the one the subscription uses.
    @Test func passwordSetAtRunTime() async throws {
        try await withTestServer { server in
            try await server.setConfig("requirepass", "later")
            let stream = try await server.subscribe(to: "news")
            #expect(try await server.publish("news", "ok") == 1)
            #expect(await nextMessages(stream) == [Message(channel: "news", message: "ok")])
        }
    }

    @Test func renamedSubscribeCommands() async throws {
        let options = TestServer.Options(config: ["rename-command": "SUBSCRIBE LISTEN"])
        try await withTestServer(options) { server in
            let stream = try await server.subscribe(to: "news")
            #expect(try await server.publish("news", "renamed") == 1)
            #expect(await nextMessages(stream) == [Message(channel: "news", message: "renamed")])
        }
        try await withTestServer(TestServer.Options(config: ["rename-command": "PSUBSCRIBE \"\""])) { server in
            do {
                _ = try await server.subscribe(toPatterns: "news.*")
                Issue.record("PSUBSCRIBE was removed")
            } catch let error as TestServerError {
                #expect(error.kind == .invalidConfiguration)
                #expect(error.description == "subscribe(toPatterns:): rename-command removed PSUBSCRIBE, which it needs")
            }
        }
    }

    // MARK: Ending

    @Test func stopEndsStreamsAfterTheirMessages() async throws {
        let server = try await TestServer.start()
        let a = try await server.subscribe(to: "news")
        let b = try await server.subscribe(toPatterns: "*")
        // Published by a client on the subscribers' event loop (one loop by
        // default): the message is in their connections' output when PUBLISH
        // answers, and stop() writes queued output before closing.
        let wire = try TestConnection(port: server.port)
        #expect(try wire.call("PUBLISH", "news", "last") == .integer(2))
        await server.stop()
        let restA = await remainingMessages(a)
        let restB = await remainingMessages(b)
        #expect(restA.ended && restB.ended)
        #expect(restA.messages == [Message(channel: "news", message: "last")])
        #expect(restB.messages == [Message(channel: "news", message: "last", pattern: "*")])
        do {
            _ = try await server.subscribe(to: "news")
            Issue.record("the server is stopped")
        } catch let error as TestServerError {
            #expect(error.kind == .connectionFailed)
            #expect(error.description == "subscribe(to:): the server is stopped")
        }
    }

    @Test func restartEndsStreamsAndNewOnesWork() async throws {
        try await withTestServer { server in
            let before = try await server.subscribe(to: "news")
            try await server.restart()
            let rest = await remainingMessages(before)
            #expect(rest.ended)
            #expect(rest.messages == [])
            let after = try await server.subscribe(to: "news")
            #expect(try await server.publish("news", "restarted") == 1)
            #expect(await nextMessages(after) == [Message(channel: "news", message: "restarted")])
        }
    }

    /// A stream nobody holds any more, or whose reading task is cancelled,
    /// closes its connection: the server forgets the subscriber.
    @Test func droppingOrCancellingAStreamClosesItsConnection() async throws {
        try await withTestServer { server in
            let wire = try TestConnection(port: server.port)
            func subscribers() throws -> Int {
                try wire.call("PUBSUB", "NUMSUB", "news").elements?.last?.int ?? -1
            }
            do {
                let dropped = try await server.subscribe(to: "news")
                _ = dropped
                #expect(try subscribers() == 1)
            }
            #expect(try await eventually { try subscribers() == 0 }, "the dropped stream's connection was closed")

            let stream = try await server.subscribe(to: "news")
            let reader = Task { () -> [Message] in
                var received: [Message] = []
                for await message in stream { received.append(message) }
                return received
            }
            #expect(try await server.publish("news", "one") == 1)
            #expect(try await eventually { try subscribers() == 1 })
            reader.cancel()
            #expect(await reader.value.count <= 1)
            #expect(try await eventually { try subscribers() == 0 }, "the cancelled stream's connection was closed")
        }
    }

    /// `CLIENT KILL` from the app ends the stream too.
    @Test func killingTheConnectionEndsTheStream() async throws {
        try await withTestServer { server in
            let stream = try await server.subscribe(to: "news")
            let wire = try TestConnection(port: server.port)
            let list = try wire.call("CLIENT", "LIST").string ?? ""
            let line = list.split(separator: "\n").first { $0.contains(" name=swiftlet-testing ") } ?? ""
            let id = line.split(separator: " ").first { $0.hasPrefix("id=") }.map { String($0.dropFirst(3)) } ?? "?"
            #expect(try wire.call("CLIENT", "KILL", "ID", id) == .integer(1))
            let rest = await remainingMessages(stream)
            #expect(rest.ended)
        }
    }

    @Test func subscribingToNothingIsAnError() async throws {
        try await withTestServer { server in
            do {
                _ = try await server.subscribe(channels: [], patterns: [])
                Issue.record("nothing to subscribe to")
            } catch let error as TestServerError {
                #expect(error.kind == .invalidArgument)
                #expect(error.description == "subscribe(channels:patterns:): name at least one channel or pattern")
            }
        }
    }

    /// Many streams and publishers at once (also a thread-sanitizer workload).
    @Test func manyStreamsAtOnce() async throws {
        try await withTestServer(TestServer.Options(config: ["io-threads": "2"])) { server in
            let streams = try await withThrowingTaskGroup(of: AsyncStream<Message>.self) { group in
                for _ in 0..<8 { group.addTask { try await server.subscribe(to: "fanout") } }
                var all: [AsyncStream<Message>] = []
                for try await stream in group { all.append(stream) }
                return all
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for p in 0..<4 {
                    group.addTask {
                        let wire = try TestConnection(port: server.port)
                        for i in 0..<25 { _ = try wire.call("PUBLISH", "fanout", "\(p):\(i)") }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await server.publish("fanout", "end") == 8)
            for stream in streams {
                let received = await nextMessages(stream, count: 101)
                #expect(received.count == 101)
                #expect(received.last == Message(channel: "fanout", message: "end"))
                // Each publisher's messages arrive in the order it sent them.
                for p in 0..<4 {
                    let mine = received.map(\.message).filter { $0.hasPrefix("\(p):") }
                    #expect(mine == (0..<25).map { "\(p):\($0)" })
                }
            }
        }
    }
}

import Testing
import Synchronization
import SwiftletTesting
@testable import CacheAside

/// A stand-in for the slow source behind the cache: counts how often it is asked.
final class FakeDatabase: Sendable {
    private let loads = Mutex(0)
    var loadCount: Int { loads.withLock { $0 } }

    func profile(_ id: Int) async throws -> String {
        loads.withLock { $0 += 1 }
        return "{\"id\":\(id),\"name\":\"user \(id)\"}"
    }
}

/// Each test gets its own in-process server on its own port (they run in
/// parallel), and the cache talks to it over TCP exactly as in production.
@Suite struct CacheAsideTests {
    @Test func aMissLoadsAndCachesWithTheTTL() async throws {
        try await withTestServer { server in
            let database = FakeDatabase()
            let cache = CacheAside(client: try RESPClient(url: server.url), ttl: .seconds(60))

            let first = try await cache.value(for: "user:1") { try await database.profile(1) }
            let second = try await cache.value(for: "user:1") { try await database.profile(1) }

            #expect(first == second)
            #expect(database.loadCount == 1)
            #expect(cache.stats == CacheAside.Stats(hits: 1, misses: 1))
            // The fixture sees the state and the commands directly.
            #expect(try await server.get("cache:user:1") == first)
            #expect(try await server.ttl("cache:user:1") == .seconds(60))
            let commands = await server.commandLog.map(\.arguments)
            #expect(commands == [["GET", "cache:user:1"], ["SET", "cache:user:1", first, "EX", "60"], ["GET", "cache:user:1"]])
        }
    }

    /// The TTL passes on the server's virtual clock: no sleeping.
    @Test func anEntryIsReloadedAfterItsTTL() async throws {
        try await withTestServer { server in
            let database = FakeDatabase()
            let cache = CacheAside(client: try RESPClient(url: server.url), ttl: .seconds(60))
            _ = try await cache.value(for: "user:2") { try await database.profile(2) }

            await server.advanceClock(by: .seconds(59))
            _ = try await cache.value(for: "user:2") { try await database.profile(2) }
            #expect(database.loadCount == 1, "still cached at 59 s")

            await server.advanceClock(by: .seconds(2))
            #expect(try await server.get("cache:user:2") == nil)
            _ = try await cache.value(for: "user:2") { try await database.profile(2) }
            #expect(database.loadCount == 2, "reloaded after 61 s")
        }
    }

    @Test func invalidateUnlinksTheEntry() async throws {
        try await withTestServer { server in
            let database = FakeDatabase()
            let cache = CacheAside(client: try RESPClient(url: server.url), ttl: .seconds(60))
            _ = try await cache.value(for: "user:3") { try await database.profile(3) }

            try await cache.invalidate("user:3")

            #expect(try await server.exists("cache:user:3") == false)
            #expect(await server.commandLog.last?.arguments == ["UNLINK", "cache:user:3"])
            _ = try await cache.value(for: "user:3") { try await database.profile(3) }
            #expect(database.loadCount == 2)
        }
    }

    /// The failure path: Redis answers an error (here, still loading its
    /// dataset after a restart). The request is served from the source, the
    /// error is counted, and the next request is a normal hit.
    @Test func aCacheErrorFallsBackToTheSource() async throws {
        try await withTestServer { server in
            let database = FakeDatabase()
            let cache = CacheAside(client: try RESPClient(url: server.url), ttl: .seconds(60))
            try await server.set("cache:user:4", "stale but cached")
            await server.failNextCommands(1, withError: "LOADING Redis is loading the dataset in memory")

            let value = try await cache.value(for: "user:4") { try await database.profile(4) }

            #expect(value == "{\"id\":4,\"name\":\"user 4\"}")
            #expect(database.loadCount == 1)
            #expect(cache.stats.cacheErrors == 1)
            // The SET after the load was not failed: the fresh value is cached.
            #expect(try await server.get("cache:user:4") == value)
            #expect(try await cache.value(for: "user:4") { try await database.profile(4) } == value)
            #expect(database.loadCount == 1)
        }
    }

    @Test func invalidationFailuresAreReported() async throws {
        try await withTestServer { server in
            let cache = CacheAside(client: try RESPClient(url: server.url), ttl: .seconds(60))
            await server.failAllCommands(withError: "READONLY You can't write against a read only replica.",
                                         commands: ["UNLINK"])
            await #expect(throws: RESPClientError.self) { try await cache.invalidate("user:5") }
        }
    }

    /// The connection breaks (a network blip, a failover): the client
    /// reconnects and the caller never notices.
    @Test func aDroppedConnectionIsReopened() async throws {
        try await withTestServer { server in
            let database = FakeDatabase()
            let cache = CacheAside(client: try RESPClient(url: server.url), ttl: .seconds(60))
            _ = try await cache.value(for: "user:6") { try await database.profile(6) }
            let before = await server.connectedClients.map(\.id)

            await server.dropAllConnections()
            _ = try await cache.value(for: "user:6") { try await database.profile(6) }

            #expect(database.loadCount == 1, "served from the cache over a new connection")
            #expect(cache.stats.cacheErrors == 0)
            let after = await server.connectedClients.map(\.id)
            #expect(after.contains { !before.contains($0) }, "a new connection")
        }
    }

    /// A server restart keeps the data (as Redis with persistence would).
    @Test func aRestartIsSurvived() async throws {
        try await withTestServer { server in
            let database = FakeDatabase()
            let cache = CacheAside(client: try RESPClient(url: server.url), ttl: .seconds(60))
            _ = try await cache.value(for: "user:7") { try await database.profile(7) }
            try await server.restart()
            _ = try await cache.value(for: "user:7") { try await database.profile(7) }
            #expect(database.loadCount == 1)
        }
    }

    /// A slow cache is worse than none: past the client's timeout, the
    /// source answers instead.
    @Test func aSlowCacheTimesOutToTheSource() async throws {
        try await withTestServer { server in
            let database = FakeDatabase()
            let cache = CacheAside(client: try RESPClient(url: server.url, timeout: .milliseconds(20)), ttl: .seconds(60))
            await server.setLatency(.milliseconds(300), commands: ["GET"])
            let value = try await cache.value(for: "user:8") { try await database.profile(8) }
            #expect(value.contains("user 8"))
            // The GET timed out (and the SET after it too, unless it was sent
            // after the server's delay ended).
            #expect(cache.stats.cacheErrors >= 1)
        }
    }

    @Test func passwordFromTheOptions() async throws {
        try await withTestServer(TestServer.Options(password: "s3cret")) { server in
            let database = FakeDatabase()
            let cache = CacheAside(client: RESPClient(port: server.port, password: "s3cret"), ttl: .seconds(10))
            _ = try await cache.value(for: "user:9") { try await database.profile(9) }
            #expect(try await server.exists("cache:user:9"))
            #expect(cache.stats.cacheErrors == 0)

            let noPassword = CacheAside(client: RESPClient(port: server.port), ttl: .seconds(10))
            _ = try await noPassword.value(for: "user:9") { try await database.profile(9) }
            #expect(noPassword.stats.cacheErrors == 2, "NOAUTH for GET and SET")
        }
    }

    @Test func urlsAreParsed() throws {
        let plain = try RESPClient(url: "redis://127.0.0.1:6380")
        #expect(plain.host == "127.0.0.1" && plain.port == 6380 && plain.password == nil)
        let secret = try RESPClient(url: "redis://:pw@localhost:7000/0")
        #expect(secret.host == "localhost" && secret.port == 7000 && secret.password == "pw")
        let v6 = try RESPClient(url: "redis://[::1]:7001")
        #expect(v6.host == "::1" && v6.port == 7001)
    }
}

import Synchronization

/// The cache-aside pattern in front of a slow source (a database, an HTTP
/// service): read the cache, on a miss load from the source and store the
/// result with a TTL; invalidate after the source changes.
///
/// The cache is an optimisation, never a point of failure: if Redis answers
/// with an error, times out or drops the connection, the value is loaded
/// from the source and the problem is counted in ``stats``.
///
/// ```swift
/// let cache = CacheAside(client: RESPClient(port: 6379), ttl: .seconds(60))
/// let profile = try await cache.value(for: "user:42") { try await database.profile(42) }
/// ...
/// try await database.update(profile)
/// try await cache.invalidate("user:42")
/// ```
public final class CacheAside: Sendable {
    public struct Stats: Sendable, Equatable {
        public var hits = 0
        public var misses = 0
        /// Cache commands that failed (the request was served from the source anyway).
        public var cacheErrors = 0
        public init(hits: Int = 0, misses: Int = 0, cacheErrors: Int = 0) {
            self.hits = hits; self.misses = misses; self.cacheErrors = cacheErrors
        }
    }

    public let client: RESPClient
    public let ttl: Duration
    public let keyPrefix: String
    private let counters = Mutex(Stats())

    /// - Parameter ttl: how long a loaded value stays cached (whole seconds, `SET … EX`; rounded up).
    public init(client: RESPClient, ttl: Duration, keyPrefix: String = "cache:") {
        self.client = client
        self.ttl = ttl
        self.keyPrefix = keyPrefix
    }

    public var stats: Stats { counters.withLock { $0 } }

    /// The cached value for `key`, or `load()`'s result, which is then cached.
    /// Errors thrown by `load` are passed on (and nothing is cached).
    public func value(for key: String, load: () async throws -> String) async throws -> String {
        let cacheKey = keyPrefix + key
        do {
            if let cached = try cached(cacheKey) {
                counters.withLock { $0.hits += 1 }
                return cached
            }
            counters.withLock { $0.misses += 1 }
        } catch {
            counters.withLock { $0.cacheErrors += 1 }
        }
        let value = try await load()
        do {
            let reply = try client.send(["SET", cacheKey, value, "EX", String(ttlSeconds)])
            if case .error = reply { counters.withLock { $0.cacheErrors += 1 } }
        } catch {
            counters.withLock { $0.cacheErrors += 1 }
        }
        return value
    }

    /// Removes `key` from the cache (`UNLINK`). Unlike reads, this throws when
    /// the cache cannot be reached: a stale entry would be served until its TTL.
    public func invalidate(_ key: String) async throws {
        let reply = try client.send(["UNLINK", keyPrefix + key])
        if case .error(let message) = reply {
            throw RESPClientError(kind: .serverError, description: "UNLINK failed: \(message)")
        }
    }

    private func cached(_ cacheKey: String) throws -> String? {
        let reply = try client.send(["GET", cacheKey])
        switch reply {
        case .bulk(nil): return nil
        case .error(let message): throw RESPClientError(kind: .serverError, description: message)
        default: return reply.string
        }
    }

    var ttlSeconds: Int64 {
        let (seconds, attoseconds) = ttl.components
        return max(1, seconds + (attoseconds > 0 ? 1 : 0))
    }
}

import XCTest
import Swiftlet
import Commands
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Several event loops serving clients that hammer the same keys. Run under
/// the thread sanitizer by `.ci/sanitize thread ConcurrencyTests` (it reports any data race).
final class ConcurrencyTests: XCTestCase {
    func testLoopsHammeringSharedKeysLoseNoUpdate() throws {
        let server = try startServer(["--io-threads", "4"])
        defer { server.stop() }
        let port = server.port
        let workers = 8, rounds = 500
        let failure = FailureLog()
        runWorkers(workers, port: port, failure: failure) { w, c in
            for i in 0..<rounds {
                _ = try c.call("INCR", "shared:counter")
                _ = try c.call("SET", "shared:key:\(i % 10)", "w\(w)")
                _ = try c.call("MSET", "shared:a", "\(i)", "shared:b", "\(i)")
                _ = try c.call("APPEND", "shared:log", "x")
                let r = try c.call("MGET", "shared:a", "shared:b")
                // MSET is atomic across shards: a and b are always seen equal.
                if let e = r.elements, e.count == 2, e[0] != e[1] {
                    failure.add("MGET saw \(e[0]) != \(e[1])")
                }
                if i % 50 == 0 { _ = try c.call("DEL", "shared:key:\(i % 10)") }
            }
        }
        XCTAssertEqual(failure.messages, [])
        let c = try TestConnection(port: port)
        XCTAssertEqual(try c.call("GET", "shared:counter"), .bulk(Array("\(workers * rounds)".utf8)))
        XCTAssertEqual(try c.call("STRLEN", "shared:log"), .integer(workers * rounds))
        // Connections land on different loops (SO_REUSEPORT spreads them).
        let info = try c.call("INFO", "server").string ?? ""
        XCTAssertTrue(info.contains("io_threads_active:1"))
    }

    /// EXEC holds only the shards of its transaction's keys (and of the
    /// WATCHed keys), or every shard when a command may touch any (DBSIZE
    /// here); PING, ECHO, TIME and SELECT add no shard. Writers set several keys in one transaction, readers read
    /// them in one transaction or one MGET, and WATCH-guarded increments
    /// retry on conflict: no reader may see a half-applied transaction and
    /// no increment may be lost, with the two kinds of EXEC interleaving.
    func testTransactionsStayAtomicWhileLockingOnlyTheirShards() throws {
        let server = try startServer(["--io-threads", "4"])
        defer { server.stop() }
        let port = server.port
        let keys = (0..<4).map { "tx:key:\($0)" }
        let workers = 8, rounds = 300
        let failure = FailureLog()
        final class Counter: @unchecked Sendable { var increments = 0; let lock = NSLockish() }
        let counter = Counter()
        runWorkers(workers, port: port, failure: failure) { w, c in
            for i in 0..<rounds {
                switch (w + i) % 4 {
                case 0:
                    // Every key set to one value, in one transaction.
                    let value = "w\(w)r\(i)"
                    // Some also hold every shard (DBSIZE), some run commands
                    // that hold none (PING, ECHO, TIME, SELECT) among the keyed ones.
                    let extra: [[String]] = i % 8 == 0 ? [["DBSIZE"]]
                        : i % 8 == 4 ? [["PING"], ["SELECT", "0"], ["ECHO", "x"], ["TIME"]] : []
                    _ = try c.pipeline([["MULTI"]] + keys.map { ["SET", $0, value] } + extra + [["EXEC"]])
                case 1:
                    let keyless: [[String]] = i % 8 == 1 ? [["PING"], ["TIME"]] : []
                    let r = try ConcurrencyTests.replies(c, [["MULTI"]] + keyless + keys.map { ["GET", $0] } + [["EXEC"]])
                    if let values = r.last?.elements?.dropFirst(keyless.count), Set(values.map { "\($0)" }).count > 1 {
                        failure.add("EXEC read \(values)")
                    }
                case 2:
                    let values = try c.call(["MGET"] + keys).elements ?? []
                    if Set(values.map { "\($0)" }).count > 1 { failure.add("MGET read \(values)") }
                default:
                    // Optimistic increment: WATCH, read, write in MULTI, retry when EXEC says nil.
                    while true {
                        _ = try c.call("WATCH", "tx:counter")
                        let current = Int(try c.call("GET", "tx:counter").string ?? "0") ?? 0
                        let r = try ConcurrencyTests.replies(c, [["MULTI"], ["SET", "tx:counter", "\(current + 1)"], ["EXEC"]])
                        if r.last?.elements != nil { break }
                    }
                    counter.lock.with { counter.increments += 1 }
                }
            }
        }
        XCTAssertEqual(failure.messages.prefix(5), [])
        let c = try TestConnection(port: port)
        XCTAssertEqual(try c.call("GET", "tx:counter"), .bulk(Array("\(counter.increments)".utf8)))
        XCTAssertGreaterThan(counter.increments, 0)
    }

    /// Multi-key commands over more than 16 keys sort their shards with a
    /// 64-bit mask (and pad the list with the last shard). Writers MSET 40
    /// keys to one value while readers MGET them: every read must see one
    /// value, and DEL of all 40 must leave none.
    func testWideMultiKeyCommandsStayAtomic() throws {
        let server = try startServer(["--io-threads", "4"])
        defer { server.stop() }
        let port = server.port
        let keys = (0..<40).map { "wide:\($0)" }
        let failure = FailureLog()
        runWorkers(6, port: port, failure: failure) { w, c in
            for i in 0..<300 {
                if w % 2 == 0 {
                    _ = try c.call(["MSET"] + keys.flatMap { [$0, "w\(w)i\(i)"] })
                } else {
                    let values = try c.call(["MGET"] + keys).elements ?? []
                    if Set(values.map { "\($0)" }).count > 1 {
                        failure.add("MGET read \(Set(values.map { "\($0)" }))")
                    }
                }
            }
        }
        XCTAssertEqual(failure.messages.prefix(3), [])
        let c = try TestConnection(port: port)
        XCTAssertEqual(try c.call(["DEL"] + keys), .integer(40))
        XCTAssertEqual(try c.call(["EXISTS"] + keys), .integer(0))
    }

    /// Sends `commands` in one write and returns their replies.
    private static func replies(_ c: TestConnection, _ commands: [[String]]) throws -> [RESPValue] {
        try c.send(commands.flatMap { TestConnection.encode($0.map { Array($0.utf8) }) })
        return try commands.map { _ in try c.readFrame() }
    }
}

/// A pthread running `body` (tests avoid Foundation's Thread on purpose).
func spawn(_ body: @escaping () -> Void) -> pthread_t {
    final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }
    var t = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    pthread_create(&t, nil, { arg in
        Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
        return nil
    }, box)
    return t
}

/// Runs `body(worker, connection)` on `count` threads, each with its own
/// connection to `port`, and returns once all have ended; an error thrown
/// by a worker ends that worker and goes to `failure`.
func runWorkers(_ count: Int, port: Int, failure: FailureLog,
                _ body: @escaping (Int, TestConnection) throws -> Void) {
    let threads = (0..<count).map { w in
        spawn {
            do { try body(w, try TestConnection(port: port)) } catch { failure.add("\(error)") }
        }
    }
    for t in threads { pthread_join(t, nil) }
}

/// Failures reported by worker threads, checked once they are joined.
final class FailureLog: @unchecked Sendable {
    private var log: [String] = []
    private let lock = NSLockish()
    func add(_ message: String) { lock.with { log.append(message) } }
    var messages: [String] { lock.with { log } }
}

/// A tiny mutex for test bookkeeping.
final class NSLockish: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func with<T>(_ body: () -> T) -> T { pthread_mutex_lock(&mutex); defer { pthread_mutex_unlock(&mutex) }; return body() }
}

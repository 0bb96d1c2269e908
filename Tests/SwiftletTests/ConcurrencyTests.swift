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
        let config = Configuration()
        try config.load(arguments: ["--io-threads", "4"], readFile: Configuration.readFileFromDisk,
                        standardInput: Configuration.readStandardInput)
        let server = SwiftletServer(configuration: config)
        try server.start(port: 0, bind: ["127.0.0.1"])
        defer { server.stop() }
        let port = server.port
        let workers = 8, rounds = 500
        var threads: [pthread_t] = []
        final class Failure: @unchecked Sendable { var messages: [String] = []; let lock = NSLockish() }
        let failure = Failure()
        for w in 0..<workers {
            threads.append(spawn {
                do {
                    let c = try TestConnection(port: port)
                    for i in 0..<rounds {
                        _ = try c.call("INCR", "shared:counter")
                        _ = try c.call("SET", "shared:key:\(i % 10)", "w\(w)")
                        _ = try c.call("MSET", "shared:a", "\(i)", "shared:b", "\(i)")
                        _ = try c.call("APPEND", "shared:log", "x")
                        let r = try c.call("MGET", "shared:a", "shared:b")
                        // MSET is atomic across shards: a and b are always seen equal.
                        if let e = r.elements, e.count == 2, e[0] != e[1] {
                            failure.lock.with { failure.messages.append("MGET saw \(e[0]) != \(e[1])") }
                        }
                        if i % 50 == 0 { _ = try c.call("DEL", "shared:key:\(i % 10)") }
                    }
                } catch {
                    failure.lock.with { failure.messages.append("\(error)") }
                }
            })
        }
        for t in threads { pthread_join(t, nil) }
        XCTAssertEqual(failure.messages, [])
        let c = try TestConnection(port: port)
        XCTAssertEqual(try c.call("GET", "shared:counter"), .bulk(Array("\(workers * rounds)".utf8)))
        XCTAssertEqual(try c.call("STRLEN", "shared:log"), .integer(workers * rounds))
        // Connections land on different loops (SO_REUSEPORT spreads them).
        let info = try c.call("INFO", "server").string ?? ""
        XCTAssertTrue(info.contains("io_threads_active:1"))
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

/// A tiny mutex for test bookkeeping.
final class NSLockish: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func with<T>(_ body: () -> T) -> T { pthread_mutex_lock(&mutex); defer { pthread_mutex_unlock(&mutex) }; return body() }
}

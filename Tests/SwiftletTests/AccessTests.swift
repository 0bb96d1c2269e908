import XCTest
import Swiftlet
import Commands
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Who may connect and run commands: protected mode and requirepass, each
/// compared byte for byte with what redis-server sends in the same situation.
final class AccessTests: XCTestCase {
    /// Connects from `source` (e.g. 127.0.0.2: still this machine, but not
    /// what Redis calls local) and returns everything the server sends to PING.
    func ping(from source: String, port: Int) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        _ = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let rc = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        XCTAssertEqual(rc, 0)
        _ = "PING\r\n".withCString { write(fd, $0, 6) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 2000) <= 0 { break }
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }

    func testProtectedModeRefusesNonLocalPeersLikeRedis() throws {
        guard let redis = ReferenceRedis.start(extraArguments: ["--bind", "127.0.0.1"]) else { throw XCTSkip("redis-server not installed") }
        defer { redis.stop() }
        let server = SwiftletServer(configuration: Configuration())
        try server.start(port: 0, bind: ["127.0.0.1"])
        defer { server.stop() }
        let expected = try ping(from: "127.0.0.2", port: redis.port)
        XCTAssertTrue(expected.starts(with: Array("-DENIED".utf8)))
        XCTAssertEqual(RESPValue.escape(try ping(from: "127.0.0.2", port: server.port)), RESPValue.escape(expected))
        // 127.0.0.1 itself is local.
        XCTAssertEqual(try ping(from: "127.0.0.1", port: server.port), Array("+PONG\r\n".utf8))
    }

    func testRequirePassGatesCommandsLikeRedis() throws {
        guard let redis = ReferenceRedis.start(extraArguments: ["--requirepass", "s3cret"]) else { throw XCTSkip("redis-server not installed") }
        defer { redis.stop() }
        let config = Configuration()
        XCTAssertNil(config.set([("requirepass", "s3cret")]))
        let server = SwiftletServer(configuration: config)
        try server.start(port: 0, bind: ["127.0.0.1"])
        defer { server.stop() }
        let script: [[String]] = [
            ["GET", "k"], ["PING"], ["AUTH", "wrong"], ["AUTH", "default", "wrong"], ["AUTH", "nobody", "s3cret"],
            ["HELLO", "3"], ["HELLO", "2", "AUTH", "default", "wrong"], ["AUTH", "s3cret"], ["SET", "k", "v"], ["GET", "k"],
            ["RESET"], ["GET", "k"], ["HELLO", "2", "AUTH", "default", "s3cret"], ["GET", "k"], ["AUTH", "a", "b", "c"],
        ]
        let theirs = try TestConnection(port: redis.port)
        let ours = try TestConnection(port: server.port)
        for command in script {
            let expected = try theirs.call(command)
            let got = try ours.call(command)
            if command.first == "HELLO", case .array = expected {
                XCTAssertEqual(got.elements?.count, expected.elements?.count, "\(command)")  // ids differ
            } else {
                XCTAssertEqual(got, expected, "\(command)")
            }
        }
    }
}

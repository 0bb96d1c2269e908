import XCTest
import Swiftlet
import Commands
import TestSupport
#if canImport(Glibc)
import Glibc
import Networking
#endif

/// A real Redis 7.0 and an in-process Swiftlet, started side by side so a
/// test can do the same thing to both and compare. Redis is the oracle: no
/// expected reply in these tests is typed by hand.
///
/// Shared by ToolsTests, HandshakeTests and ProtocolTests.
final class DifferentialPair {
    let redis: ReferenceRedis
    let swiftlet: SwiftletServer

    /// Skips the calling test when `redis-server` is not installed: without
    /// the oracle there is nothing trustworthy to compare against.
    /// `arguments` (redis-server style) configure both servers alike.
    static func start(_ arguments: [String] = [], backend: IOBackend = .fromEnvironment) throws -> DifferentialPair {
        // A peer may close while we are still writing (protocol-error tests);
        // that must surface as EPIPE, not kill the test process.
        signal(SIGPIPE, SIG_IGN)
        guard let redis = ReferenceRedis.start(extraArguments: arguments) else {
            throw XCTSkip("redis-server is not installed: no reference to compare with")
        }
        let configuration = Configuration()
        let swiftlet = SwiftletServer(configuration: configuration)
        swiftlet.ioBackend = backend
        do {
            try configuration.load(arguments: arguments, readFile: Configuration.readFileFromDisk,
                                   standardInput: Configuration.readStandardInput)
            try swiftlet.start(port: 0, bind: ["127.0.0.1"])
        } catch {
            redis.stop()
            throw error
        }
        return DifferentialPair(redis: redis, swiftlet: swiftlet)
    }

    private init(redis: ReferenceRedis, swiftlet: SwiftletServer) {
        self.redis = redis
        self.swiftlet = swiftlet
    }

    func stop() {
        swiftlet.stop()
        redis.stop()
    }

    /// Both servers, reference first, labelled for failure messages.
    var servers: [(label: String, port: Int)] {
        [("redis", redis.port), ("swiftlet", swiftlet.port)]
    }

    /// Runs the same setup commands on both servers (pipelined, replies
    /// checked to be identical so a setup divergence is reported where it
    /// happens rather than as a confusing later mismatch).
    func setUpBoth(_ commands: [[String]], file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try Self.pipeline(commands, port: redis.port)
        let got = try Self.pipeline(commands, port: swiftlet.port)
        for (index, (e, g)) in zip(expected, got).enumerated() where e != g {
            XCTFail("setup command \(commands[index]) diverged: redis \(RESPValue.escape(e)), swiftlet \(RESPValue.escape(g))",
                    file: file, line: line)
            return
        }
    }

    /// Sends `commands` pipelined to Redis, then to Swiftlet, and fails on the
    /// first reply that differs (`context` prefixes the message). Returns the
    /// number heading Redis's last reply (`:N` or `*N`), so that the caller
    /// can check the run was not vacuous (a key that ended big enough).
    @discardableResult
    /// `unchecked`: indices of commands whose replies legitimately differ
    /// (HELLO's, which carries the connection's id).
    func replayOnBoth(_ commands: [[String]], context: String = "", unchecked: Set<Int> = [],
                      file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let expected = try Self.pipeline(commands, port: redis.port)
        let got = try Self.pipeline(commands, port: swiftlet.port)
        for (i, (e, g)) in zip(expected, got).enumerated() where e != g && !unchecked.contains(i) {
            XCTFail("\(context)command \(i) \(commands[i].map { $0.prefix(40) }): redis \(RESPValue.escape(e).prefix(400)), "
                    + "swiftlet \(RESPValue.escape(g).prefix(400))", file: file, line: line)
            break
        }
        return Int(String(decoding: (expected.last ?? []).dropFirst().prefix { $0 != 0x0D }, as: UTF8.self)) ?? 0
    }

    /// Sends `commands` in one write on a fresh connection and returns the
    /// raw reply frames in order.
    static func pipeline(_ commands: [[String]], port: Int) throws -> [[UInt8]] {
        let connection = try TestConnection(port: port)
        defer { connection.close() }
        var bytes: [UInt8] = []
        for command in commands { bytes += TestConnection.encode(command.map { Array($0.utf8) }) }
        try connection.send(bytes)
        return try commands.map { _ in try connection.readFrameBytes(timeoutMs: 10_000) }
    }
}

/// Skips when a command-line tool the test drives is missing.
func requireTool(_ name: String) throws {
    if ReferenceRedis.findExecutable(name) == nil { throw XCTSkip("\(name) is not installed") }
}

import XCTest
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The `swiftlet-server` executable as an operator uses it: flags, config
/// errors, log lines, signals and SHUTDOWN.
final class ExecutableTests: XCTestCase {
    var executable: String { ServerProcess.swiftletExecutable }

    override func setUpWithError() throws {
        guard access(executable, X_OK) == 0 else { throw XCTSkip("swiftlet-server not built at \(executable)") }
    }

    func startServer(_ extra: [String] = []) throws -> (ServerProcess, Int) {
        let port = ReferenceRedis.freePort()
        let process = try ServerProcess([executable, "--port", String(port), "--bind", "127.0.0.1"] + extra)
        XCTAssertTrue(process.waitForLog("Ready to accept connections tcp"), process.log)
        return (process, port)
    }

    func testSigtermWritesQueuedRepliesAndExitsCleanly() throws {
        let (process, port) = try startServer()
        let c = try TestConnection(port: port)
        // A pipeline whose replies are queued just before the signal.
        var batch: [UInt8] = []
        for i in 0..<1000 { batch += TestConnection.encode([Array("SET".utf8), Array("k\(i)".utf8), Array("v".utf8)]) }
        try c.send(batch)
        for _ in 0..<1000 { XCTAssertEqual(try c.readFrame(), .simple("OK")) }
        process.signal(SIGTERM)
        XCTAssertEqual(process.waitForExit(timeoutMs: 5000), 0)
        let log = process.log
        XCTAssertTrue(log.contains("Received SIGTERM scheduling shutdown..."), log)
        XCTAssertTrue(log.contains("ready to exit, bye bye"), log)
        XCTAssertTrue(try c.waitForClose(timeoutMs: 2000))
    }

    func testSigintStopsTheServer() throws {
        let (process, _) = try startServer()
        process.signal(SIGINT)
        XCTAssertEqual(process.waitForExit(timeoutMs: 5000), 0)
        XCTAssertTrue(process.log.contains("Received SIGINT scheduling shutdown..."))
    }

    func testShutdownCommandAnswersOthersFirstAndExits() throws {
        let (process, port) = try startServer()
        let other = try TestConnection(port: port)
        XCTAssertEqual(try other.call("PING"), .simple("PONG"))
        let admin = try TestConnection(port: port)
        try admin.send(command: ["SHUTDOWN", "NOSAVE"])
        XCTAssertEqual(process.waitForExit(timeoutMs: 5000), 0)
        XCTAssertTrue(try admin.waitForClose(timeoutMs: 2000))
        XCTAssertTrue(try other.waitForClose(timeoutMs: 2000))
        XCTAssertTrue(process.log.contains("User requested shutdown..."))
    }

    func testLogLinesUseRedisFormat() throws {
        let (process, _) = try startServer()
        defer { process.signal(SIGTERM); _ = process.waitForExit(timeoutMs: 5000) }
        // pid:M dd Mon yyyy hh:mm:ss.mmm <marker> message
        let line = process.log.split(separator: "\n").first { $0.hasSuffix("Ready to accept connections tcp") }
        let text = String(try XCTUnwrap(line))
        let pattern = try Regex(#"[0-9]+:M [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} \* Ready to accept connections tcp"#)
        XCTAssertNotNil(text.wholeMatch(of: pattern), text)
    }

    func testVersionAndHelp() throws {
        let version = Subprocess.run([executable, "--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.output.contains("v="))
        let help = Subprocess.run([executable, "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.output.contains("Usage"))
    }

    /// Bad configuration fails the way redis-server fails: same message on
    /// the same stream, exit status 1. The expected output is redis-server's own.
    func testConfigErrorsMatchRedisServer() throws {
        guard let redis = ReferenceRedis.findExecutable("redis-server") else { throw XCTSkip("redis-server not installed") }
        let cases: [[String]] = [
            ["--port", "abc"],
            ["--no-such-directive", "1"],
            ["--maxmemory", "lots"],
            ["--maxmemory-policy", "sometimes"],
            ["--databases", "0"],
            ["--port"],
        ]
        for args in cases {
            let theirs = Subprocess.run([redis] + args, timeoutSeconds: 10)
            let ours = Subprocess.run([executable] + args, timeoutSeconds: 10)
            XCTAssertEqual(ours.status, theirs.status, "\(args)")
            XCTAssertEqual(ours.status, 1, "\(args)")
            XCTAssertEqual(ours.error, theirs.error, "\(args): stderr differs")
            XCTAssertEqual(ours.output, theirs.output, "\(args): stdout differs")
        }
    }

    func testConfigFileWithIncludeAndUnits() throws {
        let dir = "/tmp/swiftlet-conf-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        mkdir(dir, 0o700)
        defer { unlink(dir + "/main.conf"); unlink(dir + "/extra.conf"); rmdir(dir) }
        let port = ReferenceRedis.freePort()
        try write(dir + "/extra.conf", "maxmemory 2mb\nhz 20\n")
        try write(dir + "/main.conf", "# comment\nport \(port)\nbind 127.0.0.1\ninclude \(dir)/extra.conf\nmaxmemory-policy \"allkeys-lru\"\n")
        let process = try ServerProcess([executable, dir + "/main.conf", "--databases", "4"])
        XCTAssertTrue(process.waitForLog("Ready to accept connections tcp"), process.log)
        defer { process.signal(SIGTERM); _ = process.waitForExit(timeoutMs: 5000) }
        let c = try TestConnection(port: port)
        XCTAssertEqual(try c.call("CONFIG", "GET", "maxmemory").elements?.last?.string, "2097152")
        XCTAssertEqual(try c.call("CONFIG", "GET", "maxmemory-policy").elements?.last?.string, "allkeys-lru")
        XCTAssertEqual(try c.call("CONFIG", "GET", "hz").elements?.last?.string, "20")
        XCTAssertEqual(try c.call("CONFIG", "GET", "databases").elements?.last?.string, "4")
        XCTAssertEqual(try c.call("SELECT", "4"), .error("ERR DB index is out of range"))
        XCTAssertEqual(try c.call("SELECT", "3"), .simple("OK"))
    }

    /// CONFIG REWRITE keeps the file's comments, updates directives in place,
    /// appends changed ones, and a restart from the file gets the same settings.
    func testConfigRewriteRoundTrips() throws {
        let path = "/tmp/swiftlet-rewrite-\(getpid())-\(Int.random(in: 0..<1_000_000)).conf"
        defer { unlink(path) }
        let port = ReferenceRedis.freePort()
        try write(path, "# my settings\nport \(port)\nbind 127.0.0.1\nhz 12\n")
        let first = try ServerProcess([executable, path])
        XCTAssertTrue(first.waitForLog("Ready to accept connections tcp"), first.log)
        let c = try TestConnection(port: port)
        XCTAssertEqual(try c.call("CONFIG", "SET", "hz", "33", "maxmemory", "5mb", "maxmemory-policy", "allkeys-lru",
                                  "save", "900 1"), .simple("OK"))
        XCTAssertEqual(try c.call("CONFIG", "REWRITE"), .simple("OK"))
        let settings = try c.call("CONFIG", "GET", "*")
        first.signal(SIGTERM)
        XCTAssertEqual(first.waitForExit(timeoutMs: 5000), 0)
        let text = readTextFile(path) ?? ""
        XCTAssertTrue(text.hasPrefix("# my settings\nport \(port)\n"), text)
        XCTAssertTrue(text.contains("hz 33\n"), text)
        let second = try ServerProcess([executable, path])
        XCTAssertTrue(second.waitForLog("Ready to accept connections tcp"), second.log)
        defer { second.signal(SIGTERM); _ = second.waitForExit(timeoutMs: 5000) }
        let again = try TestConnection(port: port).call("CONFIG", "GET", "*")
        XCTAssertEqual(again.canonical, settings.canonical)
    }

    func testConfigRewriteWithoutAFileFailsLikeRedis() throws {
        guard let redis = ReferenceRedis.start() else { throw XCTSkip("redis-server not installed") }
        defer { redis.stop() }
        let (process, port) = try startServer()
        defer { process.signal(SIGTERM); _ = process.waitForExit(timeoutMs: 5000) }
        XCTAssertEqual(try TestConnection(port: port).call("CONFIG", "REWRITE"),
                       try TestConnection(port: redis.port).call("CONFIG", "REWRITE"))
    }

    func testConfigFromStandardInput() throws {
        let port = ReferenceRedis.freePort()
        let process = try ServerProcess([executable, "-"], stdin: "port \(port)\nbind 127.0.0.1\nhz 15\n")
        XCTAssertTrue(process.waitForLog("Ready to accept connections tcp"), process.log)
        defer { process.signal(SIGTERM); _ = process.waitForExit(timeoutMs: 5000) }
        let c = try TestConnection(port: port)
        XCTAssertEqual(try c.call("CONFIG", "GET", "hz").elements?.last?.string, "15")
    }

    func write(_ path: String, _ text: String) throws {
        guard let f = fopen(path, "w") else { throw TestConnection.Failure(description: "cannot write \(path)") }
        fputs(text, f)
        fclose(f)
    }

    /// A full disk under the log file (/dev/full: every write fails with
    /// ENOSPC) costs the log lines, nothing else: the server starts, serves,
    /// and shuts down cleanly, as Redis does.
    func testFullDiskUnderTheLogIsNotACrash() throws {
        let port = ReferenceRedis.freePort()
        let process = try ServerProcess([executable, "--port", String(port), "--bind", "127.0.0.1",
                                         "--logfile", "/dev/full", "--loglevel", "debug"])
        var client: TestConnection? = nil
        for _ in 0..<500 where client == nil {
            client = try? TestConnection(port: port)
            if client == nil { usleep(10_000) }
        }
        let c = try XCTUnwrap(client, "the server did not start with its log on a full disk")
        XCTAssertEqual(try c.call("SET", "k", "v"), .simple("OK"))
        // Commands that log warnings.
        XCTAssertEqual(try c.call("CONFIG", "SET", "maxmemory", "1"), .simple("OK"))
        XCTAssertEqual(try c.call("CONFIG", "SET", "maxmemory", "0"), .simple("OK"))
        XCTAssertEqual(try c.call("GET", "k"), .bulk(Array("v".utf8)))
        try c.send(command: ["SHUTDOWN"])
        XCTAssertEqual(process.waitForExit(timeoutMs: 5000), 0)
    }

    /// SIGPIPE never kills the server: clients that vanish while their
    /// replies are being written cost only their own connection.
    func testClientsVanishingDuringLargeWritesDoNotKillTheServer() throws {
        let (process, port) = try startServer()
        let admin = try TestConnection(port: port)
        XCTAssertEqual(try admin.call("SET", "big", String(repeating: "x", count: 4 << 20)), .simple("OK"))
        for _ in 0..<20 {
            let c = try TestConnection(port: port, receiveBuffer: 4096)
            try c.send(Array((0..<8).map { _ in TestConnection.encode([Array("GET".utf8), Array("big".utf8)]) }.joined()))
            usleep(5000)
            c.close()
        }
        XCTAssertEqual(try admin.call("PING"), .simple("PONG"))
        XCTAssertNil(process.exitStatus)
        process.signal(SIGTERM)
        XCTAssertEqual(process.waitForExit(timeoutMs: 5000), 0)
    }
}

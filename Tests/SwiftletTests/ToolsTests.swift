import XCTest
import Foundation
import TestSupport

/// Drives the real Redis command-line tools (redis-cli, redis-benchmark)
/// against Swiftlet. These tools are what operators point at a "Redis"
/// first, and they lean on replies that ordinary client tests never look
/// at: COMMAND DOCS for interactive help, CONFIG GET for the benchmark's
/// preamble, INFO for --stat, SCAN cursors for --scan and --bigkeys.
///
/// Every check is differential: the same tool run, after the same setup,
/// against a real redis-server must print the same thing. Only where the
/// output is inherently server-specific (client ids, memory figures,
/// throughput) is a field masked or a structural property compared instead.
final class ToolsTests: XCTestCase {
    var pair: DifferentialPair!

    override func setUpWithError() throws {
        try requireTool("redis-cli")
        pair = try DifferentialPair.start()
    }

    override func tearDown() {
        pair?.stop()
        pair = nil
    }

    // MARK: helpers

    func cli(_ port: Int, _ arguments: [String], input: [UInt8] = [], timeout: Double = 30) -> Subprocess.Result {
        Subprocess.run(["redis-cli", "-p", String(port)] + arguments, input: input, timeoutSeconds: timeout)
    }

    /// The same redis-cli invocation against both servers.
    func cliBoth(_ arguments: [String], input: [UInt8] = [], timeout: Double = 30) -> (redis: Subprocess.Result, swiftlet: Subprocess.Result) {
        (cli(pair.redis.port, arguments, input: input, timeout: timeout),
         cli(pair.swiftlet.port, arguments, input: input, timeout: timeout))
    }

    /// A user sees stdout, stderr and the exit status: all three must match.
    func assertSameRun(_ runs: (redis: Subprocess.Result, swiftlet: Subprocess.Result), _ what: String,
                       mask: (String) -> String = { $0 }, file: StaticString = #filePath, line: UInt = #line) {
        // Guards the test itself: a flag this redis-cli does not know makes
        // both runs fail identically, which would compare equal and prove nothing.
        XCTAssertFalse(runs.redis.error.contains("Unrecognized option"), "\(what): redis-cli rejected the options", file: file, line: line)
        XCTAssertEqual(mask(runs.swiftlet.output), mask(runs.redis.output), "\(what): stdout differs (swiftlet first)", file: file, line: line)
        XCTAssertEqual(mask(runs.swiftlet.error), mask(runs.redis.error), "\(what): stderr differs (swiftlet first)", file: file, line: line)
        XCTAssertEqual(runs.swiftlet.status, runs.redis.status, "\(what): exit status differs (swiftlet first)", file: file, line: line)
    }

    func flushBoth() throws {
        try pair.setUpBoth([["FLUSHALL"]])
    }

    static func lines(_ text: String) -> [Substring] {
        // isNewline, because Swift treats "\r\n" as a single Character.
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    }

    // MARK: one-shot commands

    /// Replies of every shape redis-cli has a formatter for: status, bulk,
    /// nil, integer, double, error, flat and nested arrays, empty array,
    /// strings that need quoting. Run in order, so they also build state.
    static let oneShotCommands: [[String]] = [
        ["SET", "s", "hello"],
        ["GET", "s"],
        ["GET", "missing"],
        ["APPEND", "s", " world"],
        ["STRLEN", "s"],
        ["INCR", "counter"],
        ["INCRBY", "counter", "10"],
        ["INCRBYFLOAT", "f", "1.5"],
        ["INCR", "s"],
        ["MSET", "a", "ohmytext", "b", "mynewtext"],
        ["MGET", "a", "b", "missing"],
        ["LCS", "a", "b"],
        ["LCS", "a", "b", "IDX"],
        ["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
        ["EXISTS", "a", "b", "missing"],
        ["TYPE", "a"],
        // A fixed far-future timestamp keeps EXPIRETIME independent of the clock.
        ["EXPIREAT", "a", "4102444800"],
        ["EXPIRETIME", "a"],
        ["TTL", "b"],
        ["PERSIST", "a"],
        ["SET", "n", "v", "NX"],
        ["SET", "n", "v", "NX"],
        ["GETRANGE", "s", "0", "4"],
        ["SETRANGE", "s", "6", "there"],
        ["ECHO", "line1\nline2\t\"q\""],
        ["ECHO", "caf\u{e9} \u{1}\u{7f}"],
        ["ECHO", ""],
        ["DEL", "a", "missing"],
        ["KEYS", "coun*"],
        ["KEYS", "nomatch*"],
        ["DBSIZE"],
        ["GETDEL", "n"],
        ["PING"],
        ["FOO", "bar"],
        ["GET"],
        ["CONFIG", "GET", "maxmemory"],
        ["SELECT", "99"],
        ["OBJECT", "ENCODING", "counter"],
    ]

    /// redis-cli picks raw output when stdout is not a tty (as here) and
    /// "human" output with --no-raw; -3 switches it to RESP3 (maps, doubles,
    /// nulls get their own formatting). All four renderings must match.
    func testOneShotCommandsMatchRedisInEveryOutputMode() throws {
        let modes: [[String]] = [[], ["--no-raw"], ["-3"], ["-3", "--no-raw"]]
        for mode in modes {
            try flushBoth()
            for command in ToolsTests.oneShotCommands {
                assertSameRun(cliBoth(mode + command), "redis-cli \((mode + command).joined(separator: " "))")
            }
        }
    }

    /// --json, --quoted-input and -n drive different code paths in
    /// redis-cli (JSON encoder, argument unquoting, an implicit SELECT).
    func testJSONQuotedInputAndDatabaseOptionsMatchRedis() throws {
        try flushBoth()
        let runs: [[String]] = [
            ["--quoted-input", "SET", "\"bin\\x00key\"", "\"v\\r\\n\\xff\""],
            ["--quoted-input", "--no-raw", "GET", "\"bin\\x00key\""],
            ["--quoted-input", "STRLEN", "\"bin\\x00key\""],
            ["--json", "MGET", "bin", "missing"],
            ["--json", "-3", "CONFIG", "GET", "maxmemory"],
            ["--json", "-3", "GET", "missing"],
            ["--json", "LCS", "bin", "bin", "IDX"],
            ["-n", "3", "SET", "in3", "x"],
            ["-n", "3", "DBSIZE"],
            ["DBSIZE"],
            ["-n", "3", "--no-raw", "GET", "in3"],
        ]
        for arguments in runs {
            assertSameRun(cliBoth(arguments), "redis-cli \(arguments.joined(separator: " "))")
        }
    }

    /// HELLO's reply carries the connection id, which differs between any
    /// two servers: mask it, compare everything else (field order, names,
    /// version, proto, mode, role, modules and how redis-cli renders them).
    func testHelloRenderingMatchesRedisExceptClientId() throws {
        func maskId(_ text: String) -> String {
            ToolsTests.lines(text).map { line -> String in
                line.hasPrefix("id ") || line.contains("\"id\" =>") ? line.filter { !$0.isNumber } : String(line)
            }.joined(separator: "\n")
        }
        for arguments in [["-3", "HELLO", "3"], ["-3", "--no-raw", "HELLO", "3"], ["--no-raw", "HELLO", "3"]] {
            let runs = cliBoth(arguments)
            XCTAssertTrue(runs.redis.output.contains("id"), "reference HELLO output has no id field: \(runs.redis.output)")
            assertSameRun(runs, "redis-cli \(arguments.joined(separator: " "))", mask: maskId)
        }
    }

    // MARK: --pipe

    /// Mass insertion: 100,000 SETs as raw RESP on stdin. redis-cli streams
    /// them, appends an ECHO marker and counts replies until the marker comes
    /// back, so a single lost, extra or reordered reply changes the summary.
    func testPipeMassInsertionOf100000Keys() throws {
        try flushBoth()
        var input: [UInt8] = []
        input.reserveCapacity(4_000_000)
        for i in 0..<100_000 {
            input += TestConnection.encode([Array("SET".utf8), Array("key:\(i)".utf8), Array("value:\(i)".utf8)])
        }
        let runs = cliBoth(["--pipe"], input: input, timeout: 60)
        let summary = { (r: Subprocess.Result) in ToolsTests.lines(r.output).last { !$0.isEmpty }.map(String.init) ?? "" }
        XCTAssertTrue(summary(runs.redis).hasPrefix("errors: 0, replies: 100000"), "reference summary: \(runs.redis.output)")
        XCTAssertEqual(summary(runs.swiftlet), summary(runs.redis), "--pipe summary line")
        assertSameRun(runs, "redis-cli --pipe (100000 SETs)")

        let probe = [["DBSIZE"], ["GET", "key:0"], ["GET", "key:99999"], ["STRLEN", "key:54321"]]
        XCTAssertEqual(try DifferentialPair.pipeline(probe, port: pair.swiftlet.port),
                       try DifferentialPair.pipeline(probe, port: pair.redis.port), "keyspace after --pipe")
    }

    /// --pipe prints each error reply and counts it; the summary and the
    /// printed errors must match, including for inline commands mixed in.
    func testPipeReportsErrorsLikeRedis() throws {
        try flushBoth()
        var input: [UInt8] = []
        for i in 0..<50 {
            input += TestConnection.encode([Array("SET".utf8), Array("t\(i)".utf8), Array((i % 5 == 0 ? "text" : "\(i)").utf8)])
            input += TestConnection.encode([Array("INCR".utf8), Array("t\(i)".utf8)])
        }
        input += Array("PING\r\nECHO \"inline\"\r\nNOSUCHCOMMAND x\r\n".utf8)
        assertSameRun(cliBoth(["--pipe"], input: input), "redis-cli --pipe with errors")
    }

    // MARK: --scan and --bigkeys

    /// --scan follows SCAN cursors until 0. Swiftlet's cursors are its own,
    /// so the order may differ; the printed key set may not.
    func testScanPrintsTheSameKeysAsRedis() throws {
        try flushBoth()
        var setup: [[String]] = (0..<3000).map { ["SET", "k:\($0)", "v"] }
        setup += (0..<300).map { ["SET", "user:\($0)", "u"] }
        setup += [["SELECT", "1"]] + (0..<50).map { ["SET", "db1:\($0)", "x"] }
        try pair.setUpBoth(setup)

        let runs: [[String]] = [
            ["--scan"],
            ["--scan", "--pattern", "k:1*"],
            ["--scan", "--pattern", "*9"],
            ["--scan", "--pattern", "user:?"],
            ["--scan", "--pattern", "nomatch*"],
            ["--scan", "--quoted-pattern", "\"k:2*\""],
            ["-n", "1", "--scan"],
        ]
        for arguments in runs {
            let (redis, swiftlet) = cliBoth(arguments)
            let what = "redis-cli \(arguments.joined(separator: " "))"
            XCTAssertFalse(redis.error.contains("Unrecognized option"), "\(what): redis-cli rejected the options")
            let expected = Set(ToolsTests.lines(redis.output).filter { !$0.isEmpty })
            let got = Set(ToolsTests.lines(swiftlet.output).filter { !$0.isEmpty })
            XCTAssertEqual(got.count, expected.count, "\(what): number of distinct keys")
            XCTAssertEqual(got.subtracting(expected).sorted().prefix(10), [], "\(what): keys Redis does not print")
            XCTAssertEqual(expected.subtracting(got).sorted().prefix(10), [], "\(what): keys Swiftlet does not print")
            XCTAssertEqual(swiftlet.error, redis.error, "\(what): stderr")
            XCTAssertEqual(swiftlet.status, redis.status, "\(what): exit status")
        }
    }

    /// --bigkeys uses SCAN, TYPE and STRLEN. Its progress lines depend on
    /// scan order; the summary after "-------- summary -------" does not.
    func testBigkeysSummaryMatchesRedis() throws {
        try flushBoth()
        try pair.setUpBoth((1...40).map { ["SET", "big:\($0)", String(repeating: "x", count: $0 * 7)] })
        let (redis, swiftlet) = cliBoth(["--bigkeys"])
        func summary(_ output: String) -> String {
            guard let r = output.range(of: "-------- summary -------") else { return "<no summary>\n" + output }
            return String(output[r.lowerBound...])
        }
        XCTAssertTrue(redis.output.contains("-------- summary -------"), "reference output: \(redis.output)")
        XCTAssertEqual(summary(swiftlet.output), summary(redis.output), "--bigkeys summary")
        XCTAssertEqual(swiftlet.error, redis.error, "--bigkeys stderr")
        XCTAssertEqual(swiftlet.status, redis.status, "--bigkeys exit status")
    }

    // MARK: --stat

    /// --stat polls INFO and prints one line per interval until interrupted.
    /// Its stdout is block-buffered into a pipe and redis-cli dies on SIGINT
    /// without flushing, so it runs under `stdbuf -oL`.
    func testStatPrintsLiveLines() throws {
        try requireTool("stdbuf")
        try flushBoth()
        try pair.setUpBoth((0..<7).map { ["SET", "stat:\($0)", "v"] })
        func stat(_ port: Int) -> Subprocess.Result {
            Subprocess.run(["stdbuf", "-oL", "redis-cli", "-p", String(port), "--stat", "-i", "0.2"], timeoutSeconds: 1.5)
        }
        let redis = stat(pair.redis.port)
        let swiftlet = stat(pair.swiftlet.port)
        let redisLines = ToolsTests.lines(redis.output).filter { !$0.isEmpty }
        let swiftletLines = ToolsTests.lines(swiftlet.output).filter { !$0.isEmpty }
        XCTAssertGreaterThanOrEqual(redisLines.count, 3, "reference --stat printed: \(redis.output) \(redis.error)")
        XCTAssertEqual(Array(swiftletLines.prefix(2)), Array(redisLines.prefix(2)), "--stat header")

        // Data lines start with the key count; header lines do not.
        func dataLines(_ lines: [Substring]) -> [[Substring]] {
            lines.filter { $0.first?.isNumber == true }.map { $0.split(separator: " ") }
        }
        let expected = dataLines(redisLines)
        let got = dataLines(swiftletLines)
        XCTAssertGreaterThanOrEqual(got.count, 3, "--stat data lines from Swiftlet:\n\(swiftlet.output)\nstderr: \(swiftlet.error)")
        if let reference = expected.first {
            for fields in got {
                // keys, mem, clients, blocked, requests, (+delta), connections
                XCTAssertEqual(fields.count, reference.count, "--stat columns: \(fields) vs \(reference)")
                // keys, connected clients and blocked clients are the same on both
                // servers; memory and request counters are implementation figures.
                for column in [0, 2, 3] where column < fields.count && column < reference.count {
                    XCTAssertEqual(fields[column], reference[column], "--stat column \(column): \(fields) vs \(reference)")
                }
            }
        }
        for text in [swiftlet.output, swiftlet.error] {
            XCTAssertFalse(text.lowercased().contains("error"), "--stat reported an error: \(text)")
        }
        // No exit-status comparison: both runs end by signal, and whether
        // SIGINT or the follow-up SIGKILL lands first is a matter of timing.
        XCTAssertEqual(swiftlet.error, redis.error, "--stat stderr")
    }

    // MARK: redis-benchmark

    /// The test names from redis-benchmark -q's final lines ("SET: 123.4
    /// requests per second, ..."); progress lines are \r-separated.
    static func benchmarkTests(_ output: String) -> [String] {
        ToolsTests.lines(output).compactMap { segment -> String? in
            guard let r = segment.range(of: " requests per second") else { return nil }
            let head = segment[..<r.lowerBound]
            guard let colon = head.range(of: ": ", options: .backwards) else { return nil }
            return head[..<colon.lowerBound].trimmingCharacters(in: .whitespaces)
        }
    }

    /// redis-benchmark opens 50 connections, fetches CONFIG (save,
    /// appendonly) and hammers each test; -P 16 sends 16 requests per
    /// write, so replies must come back in order across read boundaries.
    /// Afterwards the counter it INCRed must hold exactly the request count.
    func testBenchmarkRunsCleanly() throws {
        try requireTool("redis-benchmark")
        try flushBoth()
        let runs: [[String]] = [
            ["-t", "ping,set,get,incr,mset", "-n", "20000", "-q"],
            ["-t", "ping_inline,set,get,incr,mset", "-n", "20000", "-P", "16", "-q"],
            // The default test list (lists, sets, hashes, sorted sets, LRANGE_*).
            ["-n", "2000", "-q"],
            ["-n", "2000", "-P", "16", "-q"],
        ]
        for arguments in runs {
            let what = "redis-benchmark \(arguments.joined(separator: " "))"
            let redis = Subprocess.run(["redis-benchmark", "-p", String(pair.redis.port)] + arguments, timeoutSeconds: 60)
            let swiftlet = Subprocess.run(["redis-benchmark", "-p", String(pair.swiftlet.port)] + arguments, timeoutSeconds: 60)
            XCTAssertEqual(redis.status, 0, "reference \(what) failed: \(redis.error)")
            XCTAssertFalse(swiftlet.timedOut, "\(what) did not finish")
            XCTAssertEqual(swiftlet.status, 0, "\(what) exit status; stderr: \(swiftlet.error)")
            let expectedTests = ToolsTests.benchmarkTests(redis.output)
            XCTAssertFalse(expectedTests.isEmpty, "reference \(what) printed no summaries: \(redis.output)")
            XCTAssertEqual(ToolsTests.benchmarkTests(swiftlet.output), expectedTests, "\(what): one summary line per test")
            for text in [swiftlet.output, swiftlet.error] {
                XCTAssertFalse(text.lowercased().contains("error"), "\(what) reported an error: \(text)")
            }
            // Redis prints nothing on stderr; anything here is a warning the
            // benchmark raised about the server (e.g. its CONFIG GET preamble).
            XCTAssertEqual(swiftlet.error, redis.error, "\(what): stderr")
        }
        // Both first runs INCRed counter:__rand_int__ 20000 times each, the
        // default runs 2000 times; -r is not given, so key names are literal.
        let probe = [["GET", "counter:__rand_int__"], ["GET", "key:__rand_int__"], ["EXISTS", "key:__rand_int__"],
                     ["LLEN", "mylist"], ["LRANGE", "mylist", "0", "2"], ["SCARD", "myset"], ["HLEN", "myhash"],
                     ["ZRANGE", "myzset", "0", "-1", "WITHSCORES"]]
        XCTAssertEqual(try DifferentialPair.pipeline(probe, port: pair.swiftlet.port),
                       try DifferentialPair.pipeline(probe, port: pair.redis.port), "keys written by redis-benchmark")
    }

    // MARK: interactive mode

    /// Without a command, redis-cli enters its REPL even when stdin is a
    /// pipe. On start it sends COMMAND DOCS to build its help and hints,
    /// so a malformed COMMAND DOCS reply breaks the session before the first
    /// line is read.
    func testInteractiveSessionMatchesRedis() throws {
        try flushBoth()
        let runs = cliBoth([], input: Array("SET foo bar\nGET foo\n".utf8))
        assertSameRun(runs, "interactive redis-cli")
        let reference = try commandDocsCalls(pair.redis.port)
        XCTAssertNotNil(reference, "Redis did not count a COMMAND DOCS call")
        XCTAssertEqual(try commandDocsCalls(pair.swiftlet.port), reference,
                       "COMMAND DOCS calls seen by the server during the interactive start")
    }

    /// `HELP <command>` in the REPL renders the server's COMMAND DOCS
    /// (arguments, summary, since, group), so this compares Swiftlet's docs
    /// for string commands through the eyes of redis-cli.
    func testInteractiveHelpUsesServerCommandDocs() throws {
        try flushBoth()
        let session = "HELP GET\nHELP SET\nHELP @string\nGET nothing\nINCR nothing\nSET nothing x\nINCR nothing\n"
        // Summaries are prose: Swiftlet writes its own, so they are masked.
        // Everything redis-cli builds from the grammar (argument names,
        // tokens, optional/multiple markers, since, group) must match Redis.
        let maskSummaries: (String) -> String = { text in
            ToolsTests.lines(text).map { $0.contains("summary:") ? "  summary: <masked>" : String($0) }.joined(separator: "\n")
        }
        let runs = cliBoth([], input: Array(session.utf8))
        assertSameRun(runs, "interactive redis-cli HELP", mask: maskSummaries)
        XCTAssertTrue(runs.swiftlet.output.contains("Returns the string value of a key."),
                      "redis-cli must show the summary Swiftlet's COMMAND DOCS gives")
    }

    /// `calls=` of cmdstat_command|docs, or nil when INFO commandstats has no such line.
    func commandDocsCalls(_ port: Int) throws -> String? {
        let connection = try TestConnection(port: port)
        defer { connection.close() }
        let info = try connection.call("INFO", "commandstats").string ?? ""
        guard let line = ToolsTests.lines(info).first(where: { $0.hasPrefix("cmdstat_command|docs:") }) else { return nil }
        return line.split(separator: ",").first.map(String.init)
    }
}

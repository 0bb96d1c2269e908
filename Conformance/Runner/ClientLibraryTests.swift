import XCTest
import Swiftlet
import Commands
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Real client libraries against Swiftlet, with Redis as the oracle: each
/// program in Conformance/clients runs the same scenario once against a
/// fresh Redis 7.0 and once against a fresh Swiftlet, and the transcripts
/// must match line for line. This is what "client libraries work unchanged"
/// means in practice: their handshakes, pipelining, transactions, pub/sub
/// and cursor handling, not just our own reading of the protocol. (It is how
/// SCAN cursors above 2^63 were found: hiredis code reads them with strtoll.)
///
/// The libraries come from Debian packages that `.ci/run` installs. Without
/// them these tests skip, except under `CI=true`, where they fail instead.
final class ClientLibraryTests: XCTestCase {
    static let clients = ConformanceTests.directory + "/clients"

    func testNodeRedis() throws {
        try requireTools(["node"], files: ["/usr/share/nodejs/redis/package.json"])
        try compareTranscripts(["env", "NODE_PATH=/usr/share/nodejs", "node", Self.clients + "/node-redis.js"])
    }

    func testGoRedis() throws {
        try requireTools(["go"], files: ["/usr/share/gocode/src/gopkg.in/redis.v5/redis.go"])
        let scratch = try temporaryDirectory()
        defer { _ = Subprocess.run(["rm", "-rf", scratch]) }
        let binary = scratch + "/go-redis-client"
        let build = Subprocess.run(["env", "GOPATH=/usr/share/gocode", "GO111MODULE=off", "GOFLAGS=", "GOCACHE=\(scratch)/cache",
                                    "HOME=\(scratch)", "go", "build", "-o", binary, Self.clients + "/go-redis.go"],
                                   timeoutSeconds: 300)
        guard build.status == 0 else { return XCTFail("go build failed:\n\(build.output)\n\(build.error)") }
        try compareTranscripts([binary])
    }

    func testHiredis() throws {
        try requireTools(["gcc"], files: ["/usr/include/hiredis/hiredis.h"])
        let scratch = try temporaryDirectory()
        defer { _ = Subprocess.run(["rm", "-rf", scratch]) }
        let binary = scratch + "/hiredis-client"
        let build = Subprocess.run(["gcc", "-O1", "-Wall", "-o", binary, Self.clients + "/hiredis.c", "-lhiredis"], timeoutSeconds: 120)
        guard build.status == 0 else { return XCTFail("gcc failed:\n\(build.output)\n\(build.error)") }
        try compareTranscripts([binary])
    }

    /// Runs `command` with a port appended against a fresh Redis, then a
    /// fresh Swiftlet, and compares what it prints.
    func compareTranscripts(_ command: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        signal(SIGPIPE, SIG_IGN)
        guard let redis = ReferenceRedis.start() else {
            if getenv("CI") != nil { XCTFail("redis-server is missing under CI", file: file, line: line); return }
            throw XCTSkip("redis-server is not installed: no reference to compare with")
        }
        let expected = Subprocess.run(command + [String(redis.port)], timeoutSeconds: 60)
        redis.stop()
        let swiftlet = SwiftletServer(configuration: Configuration())
        try swiftlet.start(port: 0, bind: ["127.0.0.1"])
        let got = Subprocess.run(command + [String(swiftlet.port)], timeoutSeconds: 60)
        swiftlet.stop()

        guard expected.status == 0, !expected.timedOut else {
            return XCTFail("against Redis: exit \(expected.status)\(expected.timedOut ? " (timed out)" : "")\n\(expected.output)\n\(expected.error)",
                           file: file, line: line)
        }
        XCTAssertFalse(got.timedOut, "against Swiftlet: timed out after:\n\(got.output.suffix(2000))", file: file, line: line)
        XCTAssertEqual(got.status, 0, "against Swiftlet: exit \(got.status)\n\(got.error)", file: file, line: line)
        let want = expected.output.split(separator: "\n", omittingEmptySubsequences: false)
        let have = got.output.split(separator: "\n", omittingEmptySubsequences: false)
        // A scenario that stopped early would compare equal to nothing useful.
        XCTAssertGreaterThan(want.count, 50, "the scenario printed only:\n\(expected.output)", file: file, line: line)
        for (index, (w, h)) in zip(want, have).enumerated() where w != h {
            XCTFail("line \(index + 1): Redis printed \(w.prefix(300)), Swiftlet \(h.prefix(300))", file: file, line: line)
            return
        }
        XCTAssertEqual(want.count, have.count, "Redis printed \(want.count) lines, Swiftlet \(have.count)", file: file, line: line)
    }

    func requireTools(_ tools: [String], files: [String]) throws {
        let missing = tools.filter { ReferenceRedis.findExecutable($0) == nil } + files.filter { access($0, R_OK) != 0 }
        guard !missing.isEmpty else { return }
        if getenv("CI") != nil { throw MissingUnderCI(missing: missing) }
        throw XCTSkip("missing \(missing) (Debian: see Conformance/clients/README.md)")
    }

    /// Under CI a missing library fails the test: `.ci/run` installs them all.
    struct MissingUnderCI: Error { let missing: [String] }

    func temporaryDirectory() throws -> String {
        var template = Array("/tmp/swiftlet-clients-XXXXXX".utf8CString)
        guard let path = mkdtemp(&template) else { throw XCTSkip("mkdtemp failed") }
        return String(cString: path)
    }
}

import XCTest
import TestSupport
import SwiftletTesting
#if canImport(Glibc)
import Glibc
#endif

/// Runs the tests of the packages under `Examples/` (each a separate
/// SwiftPM package that depends on this one), so `swift test` at the root —
/// what CI runs — covers them.
///
/// Each example builds into `<this run's scratch directory>/examples/<name>`
/// (`.build/examples/CacheAside` for a plain `swift test`), so it never
/// competes with another build for a lock. Set `SWIFTLET_SKIP_EXAMPLES=1`
/// to skip it during quick local runs.
final class ExamplesTests: XCTestCase {
    func testCacheAsideExample() throws {
        try runExample("CacheAside")
    }

    /// Examples/InvalidationDemo: the Python API + worker + SQLite scenario
    /// (every path: hit, miss, updates, invalidation by event, stampede,
    /// expiry, L1 kept fresh by tracking) and the redis-py checks, against an
    /// in-process Swiftlet on the real clock (the scenario waits for a TTL).
    func testInvalidationDemo() async throws {
        if let skip = getenv("SWIFTLET_SKIP_EXAMPLES"), String(cString: skip) == "1" {
            throw XCTSkip("SWIFTLET_SKIP_EXAMPLES=1")
        }
        guard ReferenceRedis.findExecutable("python3") != nil else { throw XCTSkip("python3 is not on PATH") }
        let script = packageRoot + "/Examples/InvalidationDemo/ci.sh"
        try await withTestServer(TestServer.Options(clock: .real)) { server in
            let result = Subprocess.run(["env", "REDIS_PORT=\(server.port)", "bash", script], timeoutSeconds: 300)
            if result.status == 77 { throw XCTSkip("no Python 3.10+ for redis-py 8") }
            if result.status != 0 || result.timedOut {
                XCTFail("Examples/InvalidationDemo/ci.sh \(result.timedOut ? "timed out" : "exited with \(result.status)"):\n\(result.output)\n\(result.error)")
            }
        }
    }

    func runExample(_ name: String) throws {
        if let skip = getenv("SWIFTLET_SKIP_EXAMPLES"), String(cString: skip) == "1" {
            throw XCTSkip("SWIFTLET_SKIP_EXAMPLES=1")
        }
        guard ReferenceRedis.findExecutable("swift") != nil else {
            throw XCTSkip("swift is not on PATH")
        }
        let root = packageRoot
        let package = root + "/Examples/" + name
        let scratch = ExamplesTests.scratchDirectory(root: root) + "/examples/" + name
        let command = ["swift", "test", "--package-path", package, "--scratch-path", scratch]
        // SwiftPM reuses its build plan when only a path dependency (this
        // package) changed, so a new or deleted source file here would be
        // missed: drop the plan (compilation stays incremental).
        ExamplesTests.forgetBuildPlan(scratch)
        var result = Subprocess.run(command, timeoutSeconds: 1200)
        if result.status != 0 && !result.timedOut {
            // Rule out any other stale build state: once more from scratch.
            _ = Subprocess.run(["rm", "-rf", scratch])
            result = Subprocess.run(command, timeoutSeconds: 1200)
        }
        if result.status != 0 || result.timedOut {
            let output = (result.output + result.error).split(separator: "\n", omittingEmptySubsequences: false)
            XCTFail("""
                `swift test --package-path Examples/\(name)` \(result.timedOut ? "timed out" : "exited with \(result.status)"):
                \(output.suffix(80).joined(separator: "\n"))
                """)
        }
    }

    /// Removes SwiftPM's cached build plan from a scratch directory
    /// (`debug.yaml`, `<triple>/debug/description.json`), forcing it to plan
    /// again from the current sources; compiled objects are kept.
    static func forgetBuildPlan(_ scratch: String) {
        unlink(scratch + "/debug.yaml")
        guard let directory = opendir(scratch) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if !name.hasPrefix(".") { unlink(scratch + "/" + name + "/debug/description.json") }
        }
    }

    /// The scratch directory of the running build (the test binary lives in
    /// `<scratch>/<triple>/debug/`), or `<root>/.build` if that cannot be told.
    static func scratchDirectory(root: String) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 {
            let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            var parts = path.split(separator: "/", omittingEmptySubsequences: false)
            // <scratch>/<triple>/<configuration>/<bundle>.xctest
            if parts.count > 4, parts[parts.count - 1].hasSuffix(".xctest") {
                parts.removeLast(3)
                let scratch = parts.joined(separator: "/")
                if scratch.hasPrefix(root + "/") { return scratch }
            }
        }
        return root + "/.build"
    }
}

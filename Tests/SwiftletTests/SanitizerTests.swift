import XCTest
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// In CI (or with `SWIFTLET_SANITIZERS=1`), the tests most exposed to
/// threads and to hostile bytes run again under the thread and address
/// sanitizers (`.ci/sanitize`, each in its own build folder). The whole
/// suite is clean under both too; it is left to the script because it
/// takes several times longer.
final class SanitizerTests: XCTestCase {
    func runSanitized(_ kind: String, _ filter: String) throws {
        guard getenv("SWIFTLET_SANITIZED") == nil else { throw XCTSkip("already inside a sanitized run") }
        guard getenv("CI") != nil || getenv("SWIFTLET_SANITIZERS") != nil else {
            throw XCTSkip("set CI or SWIFTLET_SANITIZERS to run the sanitizers")
        }
        setenv("SWIFTLET_SANITIZED", "1", 1)
        defer { unsetenv("SWIFTLET_SANITIZED") }
        let run = Subprocess.run(["bash", packageRoot + "/.ci/sanitize", kind, filter], timeoutSeconds: 1800)
        let failures = run.output.split(separator: "\n").filter { $0.contains("error:") || $0.contains("Sanitizer") }
        XCTAssertEqual(run.status, 0, "\(kind) sanitizer run failed:\n\(failures.prefix(40).joined(separator: "\n"))\n\(run.output.suffix(3000))\n\(run.error.suffix(3000))")
    }

    /// Several loops, shared keys, cross-loop delivery, EXEC across shards.
    func testThreadSanitizerOnTheConcurrentTests() throws {
        try runSanitized("thread", "ConcurrencyTests|PubSubTests|TrackingTests|TransactionTests|LimitsTests|IOBackendTests")
    }

    /// The parser and the dispatcher fed broken, random and extreme input.
    func testAddressSanitizerOnTheBadInputTests() throws {
        try runSanitized("address", "ProtocolTests|BadInputBatteryTests|FuzzRegressionTests|KeyTableTests|IOBackendTests")
    }
}

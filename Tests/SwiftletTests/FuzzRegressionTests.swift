import XCTest
import FuzzHarness
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The fuzz targets' bodies (`FuzzHarness`) run inside `swift test` too:
/// on every input a fuzz run ever crashed on (`Tests/Fuzz/regressions`),
/// on the seed corpus built from the conformance cases, and, when `CI` or
/// `SWIFTLET_FUZZ_SECONDS` is set, as a short real libFuzzer run.
/// A broken invariant traps, which fails the test run.
final class FuzzRegressionTests: XCTestCase {

    static let regressions = packageRoot + "/Tests/Fuzz/regressions"

    /// Inputs saved from earlier crashes, replayed through their target.
    func testSavedCrashInputsNoLongerCrash() throws {
        var replayed = 0
        for (target, body) in [("parser", FuzzHarness.parser), ("commands", FuzzHarness.commands)] as [(String, (UnsafeRawBufferPointer) -> Void)] {
            for name in directoryEntries(Self.regressions + "/" + target) {
                let input = try XCTUnwrap(readBinaryFile(Self.regressions + "/" + target + "/" + name), name)
                input.withUnsafeBytes { body($0) }
                replayed += 1
            }
        }
        // The directories exist (with a .keep file) even when empty, so a
        // wrong path shows up here rather than as silently replaying nothing.
        XCTAssertFalse(directoryEntries(packageRoot + "/Tests/Fuzz").isEmpty)
        print("replayed \(replayed) saved fuzz inputs")
    }

    /// Every request in the conformance corpus, through both targets: the
    /// parser must give the same requests however the bytes are chunked,
    /// and every reply must be exactly one well-formed RESP frame.
    func testSeedCorpusKeepsTheInvariants() throws {
        let out = "/tmp/swiftlet-fuzz-seeds-\(getpid())"
        let made = Subprocess.run(["python3", packageRoot + "/Tests/Fuzz/seeds.py", out])
        guard made.status == 0 else { throw XCTSkip("python3 unavailable: \(made.error)") }
        defer { _ = Subprocess.run(["rm", "-rf", out]) }
        var counts: [String: Int] = [:]
        for (target, body) in [("parser", FuzzHarness.parser), ("commands", FuzzHarness.commands)] as [(String, (UnsafeRawBufferPointer) -> Void)] {
            for name in directoryEntries(out + "/" + target) {
                let input = try XCTUnwrap(readBinaryFile(out + "/" + target + "/" + name))
                input.withUnsafeBytes { body($0) }
                counts[target, default: 0] += 1
            }
        }
        XCTAssertGreaterThan(counts["parser"] ?? 0, 1000)
        XCTAssertGreaterThan(counts["commands"] ?? 0, 1000)
    }

    /// A short libFuzzer run of both targets (`.ci/fuzz`), in CI or when
    /// asked for with `SWIFTLET_FUZZ_SECONDS`. It builds its own copy of
    /// the package with `-sanitize=fuzzer,address` in `.build-fuzz`.
    func testShortFuzzRun() throws {
        guard getenv("SWIFTLET_SANITIZED") == nil else { throw XCTSkip("not inside a sanitized run") }
        let asked = getenv("SWIFTLET_FUZZ_SECONDS").map { String(cString: $0) }
        guard let seconds = asked ?? (getenv("CI") != nil ? "20" : nil) else {
            throw XCTSkip("set CI or SWIFTLET_FUZZ_SECONDS to run the fuzzers")
        }
        let run = Subprocess.run(["bash", packageRoot + "/.ci/fuzz", seconds], timeoutSeconds: 900)
        XCTAssertEqual(run.status, 0, "fuzzing found a failing input:\n\(run.output.suffix(4000))\n\(run.error.suffix(2000))")
    }
}


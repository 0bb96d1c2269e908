import XCTest
import Swiftlet
import Commands
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Replays every case in Conformance/cases against an in-process Swiftlet
/// and compares with the replies recorded from Redis 7.0.15. When
/// `redis-server` is installed, the same cases also run live against it, so
/// a stale recording shows up as a failure too.
final class ConformanceTests: XCTestCase {
    static let directory: String = {
        var path = #filePath
        for _ in 0..<2 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    static func loadFiles() throws -> [CaseFile] {
        let casesDirectory = directory + "/cases"
        guard let dir = opendir(casesDirectory) else { throw XCTSkip("no cases directory at \(casesDirectory)") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            if name.hasSuffix(".case") { names.append(name) }
        }
        return try names.sorted().map { name in
            try CaseFile(name: String(name.dropLast(5)) + ".case", text: readText(casesDirectory + "/" + name))
        }
    }

    /// `file:case  reason` lines: deliberate differences from Redis 7.0.
    static func knownDifferences() -> [String: String] {
        guard let text = try? readText(directory + "/known-differences.txt") else { return [:] }
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            let parts = line.split(separator: " ", maxSplits: 1)
            out[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return out
    }

    func runAll(port: Int, knownDifferences: [String: String], label: String) throws {
        let runner = CaseRunner(port: port, knownDifferences: knownDifferences)
        var passed = 0, failed = 0, skipped = 0
        for file in try ConformanceTests.loadFiles() {
            let outcome = runner.run(file)
            passed += outcome.passed
            skipped += outcome.skipped.count
            failed += outcome.failures.count
            for f in outcome.failures { XCTFail("[\(label)] \(f)") }
        }
        print("Conformance [\(label)]: \(passed) passed, \(failed) failed, \(skipped) skipped as known differences")
    }

    func testSwiftletMatchesRecordedRedisReplies() throws {
        let server = SwiftletServer(configuration: Configuration())
        try server.start(port: 0, bind: ["127.0.0.1"])
        defer { server.stop() }
        try runAll(port: server.port, knownDifferences: ConformanceTests.knownDifferences(), label: "swiftlet")
    }

    func testRecordingsStillMatchLiveRedis() throws {
        guard let redis = ReferenceRedis.start() else {
            throw XCTSkip("redis-server is not installed; the recorded replies were not re-checked live")
        }
        defer { redis.stop() }
        try runAll(port: redis.port, knownDifferences: [:], label: "redis-server \(redis.port)")
    }
}

func readText(_ path: String) throws -> String {
    guard let text = readTextFile(path) else { throw CocoaStyleError("cannot open \(path)") }
    return text
}

struct CocoaStyleError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

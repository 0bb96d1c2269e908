import Foundation
import XCTest
import Lua

/// The main conformance test: every snippet of `corpus/*.lua` runs through
/// lua5.1 and through our interpreter; printed output and the uncaught
/// error message must be identical byte for byte (object addresses aside).
final class CorpusTests: XCTestCase {
    func testCorpusMatchesLua51() throws {
        try XCTSkipUnless(ReferenceHarness.referenceAvailable, "lua5.1 not installed")
        let files = try FileManager.default.contentsOfDirectory(at: ReferenceHarness.corpusDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "lua" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertFalse(files.isEmpty, "corpus is empty")
        var checked = 0
        var failures: [String] = []
        for file in files {
            for (name, source) in try ReferenceHarness.snippets(in: file) {
                let bytes = Array(source.utf8)
                let expected = try ReferenceHarness.runReference(bytes)
                let actual = ReferenceHarness.runOurs(bytes)
                checked += 1
                if expected != actual {
                    failures.append("[\(name)]\n--- lua5.1:\n\(expected)--- ours:\n\(actual)")
                }
            }
        }
        XCTAssertGreaterThan(checked, 50)
        if !failures.isEmpty {
            XCTFail("\(failures.count) of \(checked) snippets differ from lua5.1:\n" + failures.prefix(15).joined(separator: "\n"))
        }
        print("corpus: \(checked) snippets compared with lua5.1, \(failures.count) differ")
    }

    /// The comparison itself must be able to fail: a program printing
    /// something else, or failing differently, is reported as different.
    func testHarnessDetectsDifferences() throws {
        try XCTSkipUnless(ReferenceHarness.referenceAvailable, "lua5.1 not installed")
        let reference = try ReferenceHarness.runReference(Array("print(1)".utf8))
        XCTAssertEqual(reference, "1\n")
        XCTAssertNotEqual(reference, ReferenceHarness.runOurs(Array("print(2)".utf8)))
        let referenceError = try ReferenceHarness.runReference(Array("local x = nil; x()".utf8))
        XCTAssertEqual(referenceError, "<error> lua5.1: stdin:1: attempt to call local 'x' (a nil value)\n")
        XCTAssertNotEqual(referenceError, ReferenceHarness.runOurs(Array("local y = nil; y()".utf8)))
    }
}

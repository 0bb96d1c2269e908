import Foundation
import XCTest

/// Random expressions over numbers, numeric strings, other strings, nil,
/// booleans and tables, combined with every operator and common library
/// calls, each evaluated under pcall by lua5.1 and by us: the printed
/// results (values or error messages) must be identical.
final class RandomDifferentialTests: XCTestCase {
    struct Generator {
        var seed: UInt64
        mutating func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }

        static let atoms = ["0", "1", "-1", "2.5", "3", "7", "-0.5", "1e15", "1e16", "0.1", "2^53", "(1/0)", "(0/0)", "-0",
                            "'10'", "'0x10'", "'abc'", "''", "' 5 '", "'1e2'", "'-3'", "'7.25'", "nil", "true", "false",
                            "{}", "{1,2,3}", "100", "255", "1e300", "123456789012", "0.5"]
        static let binary = ["+", "-", "*", "/", "%", "^", "..", "==", "~=", "<", "<=", ">", ">=", "and", "or"]
        static let calls = ["math.floor(%@)", "math.max(%@, %@)", "tostring(%@)", "tonumber(%@)", "string.rep(%@, 2)",
                            "string.sub(%@, %@, %@)", "string.format('%%g', %@)", "string.format('%%5.1f', %@)",
                            "string.format('%%d', %@)", "#tostring(%@)", "string.len(%@)", "string.upper(%@)",
                            "select('#', %@, %@)", "type(%@)", "math.fmod(%@, %@)", "math.abs(%@)", "(%@)",
                            "string.format('%%s|%%q', %@, %@)", "string.byte(%@, %@)", "math.min(%@, %@)",
                            "tostring(%@):len()", "string.find(%@, %@, 1, true)", "#%@", "- %@", "not %@"]

        mutating func expression(_ depth: Int) -> String {
            if depth <= 0 || next(10) < 3 { return pick(Generator.atoms) }
            switch next(3) {
            case 0:
                return "(\(expression(depth - 1)) \(pick(Generator.binary)) \(expression(depth - 1)))"
            default:
                var template = pick(Generator.calls)
                while let range = template.range(of: "%@") {
                    template.replaceSubrange(range, with: expression(depth - 1))
                }
                return template.replacingOccurrences(of: "%%", with: "%")
            }
        }
    }

    func testRandomExpressionsMatchLua51() throws {
        try XCTSkipUnless(ReferenceHarness.referenceAvailable, "lua5.1 not installed")
        var generator = Generator(seed: 20240601)
        var mismatches: [String] = []
        for _ in 0..<6 {
            var lines: [String] = []
            for _ in 0..<300 {
                lines.append("print(pcall(function() return \(generator.expression(3)) end))")
            }
            let program = lines.joined(separator: "\n") + "\n"
            let expected = try ReferenceHarness.runReference(Array(program.utf8)).split(separator: "\n", omittingEmptySubsequences: false)
            let actual = ReferenceHarness.runOurs(Array(program.utf8)).split(separator: "\n", omittingEmptySubsequences: false)
            // Every line printed: the program ran to the end in lua5.1.
            XCTAssertEqual(expected.count, lines.count + 1, "generated program did not run: \(expected.last ?? "")")
            XCTAssertEqual(expected.count, actual.count)
            for i in 0..<min(expected.count, actual.count) where expected[i] != actual[i] {
                mismatches.append("\(i < lines.count ? lines[i] : "?")\n  lua5.1: \(expected[i])\n  ours:   \(actual[i])")
            }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) random expressions differ:\n" + mismatches.prefix(20).joined(separator: "\n"))
    }
}

import XCTest
import Commands
#if canImport(Glibc)
import Glibc
#endif

/// INFO's `%.2f` figures (ratios, percentages, human-readable sizes) are
/// formatted without printf on the common path; C's printf is the reference.
final class NumberFormatTests: XCTestCase {
    func printf2(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 400)
        let n = withVaList([value]) { vsnprintf(&buffer, 400, "%.2f", $0) }
        return String(decoding: buffer[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func testFixed2MatchesPrintfIncludingTiesAndExtremes() {
        var values: [Double] = [0, -0.0, 1, 0.005, 0.015, 0.125, 0.375, 1.005, 2.675, 1.115, 99.995, 999.995,
                                1e11, 1e12, 1e13, 123456789.125, 1.7976931348623157e308, 5e-324,
                                .infinity, -.infinity, .nan, -1.5, -0.001, -2.675]
        values += (0..<4000).map { Double($0) / 8 }                 // exact binary ties
        values += (0..<4000).map { Double($0) / 1000 + 0.005 }      // decimal near-ties
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20000 {
            let magnitude = Double.random(in: -3...14, using: &rng)
            values.append(Double.random(in: 0..<1, using: &rng) * pow(10, magnitude))
        }
        for _ in 0..<2000 { values.append(Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))) }
        var mismatches: [String] = []
        for v in values where String(format2: v) != printf2(v) {
            mismatches.append("\(v): \(String(format2: v)) vs printf \(printf2(v))")
        }
        XCTAssertEqual(mismatches.prefix(10), [], "\(mismatches.count) mismatches")
    }
}

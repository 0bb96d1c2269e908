import XCTest
import SwiftletTesting
#if canImport(Glibc)
import Glibc
#endif

/// The cost of a fixture, reported rather than asserted (timings depend on
/// the machine and on what else runs). The release-build figure comes from
/// `Benchmarks/fixture-startstop`.
final class StartStopCostTests: XCTestCase {
    func testReportStartStopCost() async throws {
        func microseconds() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            return Double(ts.tv_sec) * 1e6 + Double(ts.tv_nsec) / 1e3
        }
        // The first server in a process also calibrates the cycle counter
        // (once per process); it is reported separately.
        var t0 = microseconds()
        let first = try await TestServer.start()
        await first.stop()
        let firstCost = microseconds() - t0
        var samples: [Double] = []
        for _ in 0..<100 {
            t0 = microseconds()
            let server = try await TestServer.start()
            await server.stop()
            samples.append(microseconds() - t0)
        }
        samples.sort()
        let mean = samples.reduce(0, +) / Double(samples.count)
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        func us(_ v: Double) -> String { "\(Int(v.rounded())) us" }
        print("fixture start+stop (debug build, 100 cycles): mean \(us(mean)), p50 \(us(percentile(0.5))), "
              + "p90 \(us(percentile(0.9))), p99 \(us(percentile(0.99))), max \(us(samples.last ?? 0)); "
              + "first in process \(us(firstCost))")
    }
}

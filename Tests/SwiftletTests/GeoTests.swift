import XCTest
import Swiftlet
import Commands
import TestSupport

/// GEO beyond Conformance/cases/geo.case: random points (near the limits
/// too), options, units and members replayed on Redis and Swiftlet, every
/// reply compared: positions, distances and geohashes must be Redis's to
/// the last digit.
final class GeoTests: XCTestCase {
    func testRandomGeoCommandsMatchRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var g = SplitMix(seed: 0x6E0_6E0)
        func pick<T>(_ options: [T]) -> T { options[Int(g.next() % UInt64(options.count))] }
        func uniform(_ limit: Double) -> Double { (Double(g.next() % 2_000_001) / 1_000_000 - 1) * limit }
        func coordinate(_ limit: Double) -> String {
            switch g.next() % 20 {
            case 0: return pick([String(limit), String(-limit), "0", "-0", "1e-9"])
            case 1: return String(uniform(limit * 1.02))  // sometimes out of range
            default: return String(uniform(limit))
            }
        }
        func member() -> String { "m\(g.next() % 40)" }
        var commands: [[String]] = []
        for _ in 0..<2000 {
            switch g.next() % 10 {
            case 0, 1, 2, 3:
                var c = ["GEOADD", "g"]
                if g.next() % 4 == 0 { c.append(pick(["NX", "XX", "CH"])) }
                for _ in 0..<Int(1 + g.next() % 3) { c += [coordinate(180), coordinate(85.05112878), member()] }
                commands.append(c)
            case 4, 5: commands.append(["GEOPOS", "g", member(), member(), member()])
            case 6, 7: commands.append(["GEODIST", "g", member(), member()] + (g.next() % 3 == 0 ? [] : [pick(["m", "km", "ft", "mi"])]))
            case 8: commands.append(["GEOHASH", "g", member(), member()])
            default: commands.append(["ZADD", "g", pick(["0", "-1", "1e15", "9007199254740993", "1e20", "\(g.next() % (1 << 52))"]), member()])
            }
        }
        commands.append(["ZCARD", "g"])
        let count = try pair.replayOnBoth(commands)
        XCTAssertGreaterThan(count, 30, "the index ended small: the run proved little")
    }
}

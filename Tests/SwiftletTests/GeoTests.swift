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

    /// GEOSEARCH, GEOSEARCHSTORE and the GEORADIUS family over clusters of
    /// points (near the poles and the antimeridian too, some on the same
    /// spot so that sorting meets ties), with radii from a metre to the
    /// whole earth: unsorted replies list points in the order Redis scans
    /// its covering cells, sorted ones break ties as its sorts do, and
    /// stored destinations are read back.
    func testRandomSearchesMatchRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var g = SplitMix(seed: 0x5EA_2C4)
        func pick<T>(_ options: [T]) -> T { options[Int(g.next() % UInt64(options.count))] }
        func uniform(_ limit: Double) -> Double { (Double(g.next() % 2_000_001) / 1_000_000 - 1) * limit }
        let centres: [(Double, Double)] = [(13.36, 38.11), (179.9, 10), (-179.95, -20), (0, 84.9), (0, -84.9), (100, 70), (0, 0)]
        func point() -> (String, String) {
            let (x, y) = pick(centres)
            if g.next() % 20 == 0 { return (String(x), String(y)) }  // the same spot: a tie
            let spread = pick([0.001, 0.1, 1, 10, 60])
            return (String(min(180, max(-180, x + uniform(spread)))), String(min(85.05, max(-85.05, y + uniform(spread)))))
        }
        var commands: [[String]] = []
        for key in ["g", "h"] {
            for _ in 0..<(key == "g" ? 200 : 2) {
                var c = ["GEOADD", key]
                for _ in 0..<5 { let (x, y) = point(); c += [x, y, "m\(g.next() % 1000)"] }
                commands.append(c)
            }
        }
        func distance() -> String { String(pow(10, Double(g.next() % 72) / 10)) }
        func unit() -> String { pick(["m", "km", "ft", "mi", "KM"]) }
        func options(store: Bool) -> [String] {
            var o: [String] = []
            for _ in 0..<Int(g.next() % 4) {
                switch g.next() % 8 {
                case 0: if !store { o.append(pick(["WITHDIST", "WITHHASH", "WITHCOORD"])) }
                case 1: o += ["COUNT", String(1 + g.next() % 30)]
                case 2: if o.contains("COUNT") { o.append("ANY") }
                case 3: o.append(pick(["ASC", "DESC"]))
                default: break
                }
            }
            return o
        }
        for _ in 0..<1500 {
            let key = pick(["g", "g", "h", "missing"])
            let (x, y) = point()
            let member = "m\(g.next() % 1000)"
            let shape = g.next() % 2 == 0 ? ["BYRADIUS", distance(), unit()] : ["BYBOX", distance(), distance(), unit()]
            let from = g.next() % 2 == 0 ? ["FROMMEMBER", member] : ["FROMLONLAT", x, y]
            switch g.next() % 6 {
            case 0: commands.append(["GEORADIUS", key, x, y, distance(), unit()] + options(store: false))
            case 1: commands.append(["GEORADIUSBYMEMBER_RO", key, member, distance(), unit()] + options(store: false))
            case 2:
                commands.append(["GEORADIUS", key, x, y, distance(), unit()] + options(store: true) + [pick(["STORE", "STOREDIST"]), "dst"])
                commands.append(["ZRANGE", "dst", "0", "-1", "WITHSCORES"])
            case 3:
                commands.append(["GEOSEARCHSTORE", "dst", key] + from + shape + options(store: true) + (g.next() % 2 == 0 ? ["STOREDIST"] : []))
                commands.append(["ZRANGE", "dst", "0", "-1", "WITHSCORES"])
            default: commands.append(["GEOSEARCH", key] + shape + from + options(store: false))
            }
        }
        commands.append(["ZCARD", "g"])
        let count = try pair.replayOnBoth(commands)
        XCTAssertGreaterThan(count, 500, "the index ended small: the run proved little")
    }
}

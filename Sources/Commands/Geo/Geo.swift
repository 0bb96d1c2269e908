import RESP
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// The GEO commands that read and write points: `GEOADD`, `GEOPOS`,
/// `GEODIST`, `GEOHASH`. A geospatial index is a sorted set whose scores
/// are Redis's 52-bit geohashes (`Storage/Geohash.swift`), so ZRANGE and
/// friends work on it, and it can be moved between Swiftlet and Redis.
/// The search commands are in `GeoSearch.swift`.
enum GeoCommands {
    static func readOnlySpec(_ name: String, arity: Int, summary: String, complexity: String,
                             arguments: [ArgumentSpec], handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: [.readonly], acl: ["@read", "@geo", "@slow"], keys: (1, 1, 1),
                    group: "geo", since: "3.2.0", summary: summary, complexity: complexity,
                    arguments: [ArgumentSpec("key", .key, keySpecIndex: 0)] + arguments, handler: handler)
    }

    /// `GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]`
    ///
    /// ZADD of each point's geohash, with ZADD's replies and events. A
    /// coordinate outside longitude ±180 and latitude ±85.05112878 is
    /// refused, naming the pair, before anything is written.
    static let geoadd = CommandSpec(
        "geoadd", arity: -5, flags: [.write, .denyoom], acl: ["@write", "@geo", "@slow"], keys: (1, 1, 1),
        group: "geo", since: "3.2.0", summary: "Adds points to a geospatial index (a sorted set), creating it if needed.",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        arguments: [
            ArgumentSpec("key", .key, keySpecIndex: 0),
            ArgumentSpec("condition", .oneof, optional: true, since: "6.2.0", children: [
                ArgumentSpec("nx", .pureToken, token: "NX"), ArgumentSpec("xx", .pureToken, token: "XX")]),
            ArgumentSpec("change", .pureToken, token: "CH", optional: true, since: "6.2.0"),
            ArgumentSpec("longitude_latitude_member", .block, multiple: true, children: [
                ArgumentSpec("longitude", .double), ArgumentSpec("latitude", .double), ArgumentSpec("member", .string)]),
        ], handler: geoaddRun)

    static func geoaddRun(_ c: Client, _ args: Arguments) {
        var first = 2, nx = false, xx = false
        while first < args.count {
            if args[first].equalsIgnoringCase("nx") { nx = true }
            else if args[first].equalsIgnoringCase("xx") { xx = true }
            else if !args[first].equalsIgnoringCase("ch") { break }
            first += 1
        }
        if (args.count - first) % 3 != 0 || (nx && xx) { c.fail(Errors.syntax); return }
        // Redis's rewrite: ZADD key [options] score member ...
        var zadd: [[UInt8]] = [Array("zadd".utf8)]
        for i in 1..<first { zadd.append(Array(args[i])) }
        var i = first
        while i < args.count {
            guard let longitude = DoubleFormat.parseDouble(args[i]), let latitude = DoubleFormat.parseDouble(args[i + 1]) else {
                c.fail(Errors.notFloat); return
            }
            guard Geohash.isValid(longitude: longitude, latitude: latitude) else {
                c.fail(invalidPair(longitude, latitude))
                return
            }
            zadd.append(Array(String(Geohash.encode(longitude: longitude, latitude: latitude)).utf8))
            zadd.append(Array(args[i + 2]))
            i += 3
        }
        var owned = OwnedArguments(zadd)
        owned.withArguments { SortedSetAddCommand.zadd.invoke(c, $0) }
    }

    /// The refusal of a point outside GEOADD's range, naming it as Redis does.
    static func invalidPair(_ longitude: Double, _ latitude: Double) -> String {
        "ERR invalid longitude,latitude pair \(printf("%f", longitude)),\(printf("%f", latitude))"
    }

    static let unsupportedUnit = "ERR unsupported unit provided. please use M, KM, FT, MI"

    /// C's printf of one double (`%f` in the refused-pair message, `%.4f`
    /// for a distance beyond Int64).
    static func printf(_ format: String, _ value: Double) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 400) { buffer in
            _ = withVaList([value]) { vsnprintf(buffer.baseAddress!, 400, format, $0) }
            return String(cString: buffer.baseAddress!)
        }
    }

    /// The score of `member` in the sorted set at `key`, for each member;
    /// nil (after a WRONGTYPE reply) when the key holds another type.
    static func scores(_ c: Client, _ key: UnsafeRawBufferPointer, _ members: [UnsafeRawBufferPointer]) -> [Double?]? {
        var result: [Double?]? = nil
        let ok = c.readValue(key, as: SortedSetView.self) { z in
            result = members.map { z?.score(of: $0) }
        }
        return ok ? result : nil
    }

    /// Replies with an array holding `body`'s reply for each member
    /// argument's score (nil: not in the index; WRONGTYPE for another type).
    static func eachMember(_ c: Client, _ args: Arguments, _ body: (Double?) -> Void) {
        guard let found = scores(c, args[1], (2..<args.count).map { args[$0] }) else { return }
        c.reply.array(found.count)
        for score in found { body(score) }
    }

    /// `GEOPOS key [member ...]`: each member's longitude and latitude (the
    /// centre of its cell), or a null array.
    static let geopos = readOnlySpec(
        "geopos", arity: -2, summary: "Returns the longitude and latitude of members of a geospatial index.",
        complexity: "O(N) where N is the number of members requested.",
        arguments: [ArgumentSpec("member", .string, multiple: true)]) { c, args in
            eachMember(c, args) { score in
                guard let score else { c.reply.nullArray(); return }
                let point = Geohash.decode(Geohash.bits(ofScore: score))
                c.reply.array(2)
                human(c, point.longitude)
                human(c, point.latitude)
            }
        }

    /// Redis's `addReplyHumanLongDouble`: `%.17Lf` without trailing zeros,
    /// a bulk string in RESP2 and a double in RESP3.
    static func human(_ c: Client, _ value: Double) {
        DoubleFormat.withHumanText(DoubleFormat.LongDouble(value)) { c.reply.doubleText($0) }
    }

    /// `GEODIST key member1 member2 [M | KM | FT | MI]`: the distance, with
    /// four decimals, or nil when either member is missing.
    static let geodist = readOnlySpec(
        "geodist", arity: -4, summary: "Returns the distance between two members of a geospatial index.",
        complexity: "O(log(N))",
        arguments: [ArgumentSpec("member1", .string), ArgumentSpec("member2", .string),
                    ArgumentSpec("unit", .oneof, optional: true, children: [
                        ArgumentSpec("m", .pureToken, token: "M"), ArgumentSpec("km", .pureToken, token: "KM"),
                        ArgumentSpec("ft", .pureToken, token: "FT"), ArgumentSpec("mi", .pureToken, token: "MI")])]) { c, args in
            var meters = 1.0
            if args.count == 5 {
                guard let unit = unit(args[4]) else { c.fail(unsupportedUnit); return }
                meters = unit
            } else if args.count > 5 {
                c.fail(Errors.syntax); return
            }
            guard let found = scores(c, args[1], [args[2], args[3]]) else { return }
            guard let a = found[0], let b = found[1] else { c.reply.null(); return }
            let d = Geohash.distance(Geohash.decode(Geohash.bits(ofScore: a)), Geohash.decode(Geohash.bits(ofScore: b))) / meters
            c.reply.bulk(fourDecimals(d))
        }

    static func unit(_ bytes: UnsafeRawBufferPointer) -> Double? {
        if bytes.equalsIgnoringCase("m") { return 1 }
        if bytes.equalsIgnoringCase("km") { return 1000 }
        if bytes.equalsIgnoringCase("ft") { return 0.3048 }
        if bytes.equalsIgnoringCase("mi") { return 1609.34 }
        return nil
    }

    /// Redis's `fixedpoint_d2string` with four digits: the value times
    /// 10^4 rounded to the nearest integer (ties to even), then split.
    static func fourDecimals(_ value: Double) -> [UInt8] {
        if value == 0 { return Array("0.0000".utf8) }
        let scaled = (value * 10000).rounded(.toNearestOrEven)
        guard scaled.magnitude < 0x1p63 else { return Array(printf("%.4f", value).utf8) }  // not a distance on Earth
        let n = Int64(scaled)
        let digits = String(n.magnitude)
        let padded = digits.count < 5 ? String(repeating: "0", count: 5 - digits.count) + digits : digits
        return Array(((n < 0 ? "-" : "") + padded.dropLast(4) + "." + padded.suffix(4)).utf8)
    }

    /// `GEOHASH key [member ...]`: each member's standard 11-character
    /// geohash, or nil.
    static let geohash = readOnlySpec(
        "geohash", arity: -2, summary: "Returns members of a geospatial index as standard geohash strings.",
        complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
        arguments: [ArgumentSpec("member", .string, multiple: true)]) { c, args in
            eachMember(c, args) { score in
                if let score { c.reply.bulk(Geohash.standardText(Geohash.bits(ofScore: score))) } else { c.reply.null() }
            }
        }
}

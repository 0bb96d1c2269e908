import RESP
import Storage

/// The GEO commands that search an area:
///
///     GEOSEARCH key FROMMEMBER member | FROMLONLAT longitude latitude
///         BYRADIUS radius M|KM|FT|MI | BYBOX width height M|KM|FT|MI
///         [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
///     GEOSEARCHSTORE destination source <the same from and by> [ASC | DESC] [COUNT count [ANY]] [STOREDIST]
///     GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH]
///         [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]
///     GEORADIUSBYMEMBER key member radius M|KM|FT|MI <GEORADIUS's options>
///     GEORADIUS_RO, GEORADIUSBYMEMBER_RO: without STORE and STOREDIST
///
/// One parser and one search for all six, as Redis's `georadiusGeneric`:
/// options are checked in the order given, and errors come in Redis's
/// order. Points come out in the order the covering cells are scanned
/// (`Storage/GeoSearchArea.swift`) unless sorted; sorting all of them is a
/// stable merge sort (glibc's qsort), sorting for COUNT is Redis's partial
/// quicksort, so ties come out as in Redis either way.
enum GeoSearchCommand {
    struct Variant: OptionSet {
        let rawValue: Int
        /// GEORADIUS: the centre is given as coordinates.
        static let aroundCoordinates = Variant(rawValue: 1)
        /// GEORADIUSBYMEMBER: the centre is a member's position.
        static let aroundMember = Variant(rawValue: 2)
        /// The `_RO` variants: no STORE or STOREDIST.
        static let noStore = Variant(rawValue: 4)
        /// GEOSEARCH and GEOSEARCHSTORE: FROM… and BY… options.
        static let search = Variant(rawValue: 8)
        /// GEOSEARCHSTORE: the destination is the first key; STOREDIST is a flag.
        static let searchStore = Variant(rawValue: 16)
    }

    // MARK: Command specs

    static let units = ArgumentSpec("unit", .oneof, children: [
        ArgumentSpec("m", .pureToken, token: "M"), ArgumentSpec("km", .pureToken, token: "KM"),
        ArgumentSpec("ft", .pureToken, token: "FT"), ArgumentSpec("mi", .pureToken, token: "MI")])
    static let replyOptions = [
        ArgumentSpec("withcoord", .pureToken, token: "WITHCOORD", optional: true),
        ArgumentSpec("withdist", .pureToken, token: "WITHDIST", optional: true),
        ArgumentSpec("withhash", .pureToken, token: "WITHHASH", optional: true)]
    static func countOption(anySince: String?) -> ArgumentSpec {
        ArgumentSpec("count", .block, optional: true, children: [
            ArgumentSpec("count", .integer, token: "COUNT"),
            ArgumentSpec("any", .pureToken, token: "ANY", optional: true, since: anySince)])
    }
    static let order = ArgumentSpec("order", .oneof, optional: true, children: [
        ArgumentSpec("asc", .pureToken, token: "ASC"), ArgumentSpec("desc", .pureToken, token: "DESC")])
    static let from = ArgumentSpec("from", .oneof, children: [
        ArgumentSpec("member", .string, token: "FROMMEMBER"),
        ArgumentSpec("longitude_latitude", .block, token: "FROMLONLAT", children: [
            ArgumentSpec("longitude", .double), ArgumentSpec("latitude", .double)])])
    static let by = ArgumentSpec("by", .oneof, children: [
        ArgumentSpec("circle", .block, children: [ArgumentSpec("radius", .double, token: "BYRADIUS"), units]),
        ArgumentSpec("box", .block, children: [ArgumentSpec("width", .double, token: "BYBOX"), ArgumentSpec("height", .double), units])])

    static let radiusComplexity = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index."
    static let searchComplexity = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape"

    static func radiusSpec(_ name: String, variant: Variant, summary: String) -> CommandSpec {
        let readOnly = variant.contains(.noStore)
        let centre = variant.contains(.aroundMember) ? [ArgumentSpec("member", .string)]
            : [ArgumentSpec("longitude", .double), ArgumentSpec("latitude", .double)]
        var arguments = [ArgumentSpec("key", .key, keySpecIndex: 0)] + centre + [ArgumentSpec("radius", .double), units]
            + replyOptions + [countOption(anySince: variant.contains(.aroundMember) ? nil : "6.2.0"), order]
        if !readOnly {
            arguments += [ArgumentSpec("key", .key, token: "STORE", optional: true, keySpecIndex: 1),
                          ArgumentSpec("key", .key, token: "STOREDIST", optional: true, keySpecIndex: 2)]
        }
        return CommandSpec(name, arity: variant.contains(.aroundMember) ? -5 : -6,
                           flags: readOnly ? [.readonly] : [.write, .denyoom],
                           acl: [readOnly ? "@read" : "@write", "@geo", "@slow"], keys: (1, 1, 1),
                           group: "geo", since: readOnly ? "3.2.10" : "3.2.0", summary: summary, complexity: radiusComplexity,
                           arguments: arguments, handler: { c, args in run(c, args, variant) })
    }

    static let georadius = radiusSpec(
        "georadius", variant: [.aroundCoordinates],
        summary: "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.")
    static let georadiusReadOnly = radiusSpec(
        "georadius_ro", variant: [.aroundCoordinates, .noStore],
        summary: "Returns members from a geospatial index that are within a distance from a coordinate.")
    static let georadiusByMember = radiusSpec(
        "georadiusbymember", variant: [.aroundMember],
        summary: "Queries a geospatial index for members within a distance from a member, optionally stores the result.")
    static let georadiusByMemberReadOnly = radiusSpec(
        "georadiusbymember_ro", variant: [.aroundMember, .noStore],
        summary: "Returns members from a geospatial index that are within a distance from a member.")

    static let geosearch = CommandSpec(
        "geosearch", arity: -7, flags: [.readonly], acl: ["@read", "@geo", "@slow"], keys: (1, 1, 1),
        group: "geo", since: "6.2.0", summary: "Queries a geospatial index for members inside an area of a box or a circle.",
        complexity: searchComplexity,
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), from, by, order, countOption(anySince: nil)] + replyOptions,
        handler: { c, args in run(c, args, [.search]) })

    static let geosearchstore = CommandSpec(
        "geosearchstore", arity: -8, flags: [.write, .denyoom], acl: ["@write", "@geo", "@slow"], keys: (1, 2, 1),
        group: "geo", since: "6.2.0",
        summary: "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.",
        complexity: searchComplexity,
        arguments: [ArgumentSpec("destination", .key, keySpecIndex: 0), ArgumentSpec("source", .key, keySpecIndex: 1),
                    from, by, order, countOption(anySince: nil),
                    ArgumentSpec("storedist", .pureToken, token: "STOREDIST", optional: true)],
        handler: { c, args in run(c, args, [.search, .searchStore]) })

    // MARK: Parsing

    enum Order { case none, ascending, descending }

    /// A parsed request. `area` is nil only when the source key is missing
    /// (or not yet looked up) and the centre is a member.
    struct Query {
        var area: GeoSearchArea?
        var withDistance = false, withHash = false, withCoordinates = false
        var order = Order.none
        var any = false
        var count = 0
        var store: Int? = nil
        var storeDistance = false
    }

    /// Reads the arguments in Redis's order. `source` is the sorted set the
    /// centre member is looked up in; with `lookUpMembers` false the member
    /// is not looked up (the key is missing, or not yet locked). With
    /// `quiet`, nothing is replied: a first pass only finds the STORE key.
    static func parse(_ c: Client, _ args: Arguments, _ variant: Variant, source: SortedSetView?,
                      lookUpMembers: Bool, quiet: Bool) -> Query? {
        func fail(_ message: String) -> Query? {
            if !quiet { c.fail(message) }
            return nil
        }
        func position(of member: UnsafeRawBufferPointer) -> (Double, Double)? {
            guard let score = source?.score(of: member) else { return nil }
            return Geohash.decode(Geohash.bits(ofScore: score))
        }
        var q = Query()
        var centre = (longitude: 0.0, latitude: 0.0)
        var shape: GeoSearchArea.Shape? = nil
        var unitInMeters = 1.0
        var first: Int
        if variant.contains(.aroundCoordinates) {
            first = 6
            guard let point = coordinates(c, args[2], args[3], quiet: quiet) else { return nil }
            centre = point
            guard let (radius, unit) = distance(c, args[4], args[5], quiet: quiet) else { return nil }
            (shape, unitInMeters) = (.radius(radius), unit)
        } else if variant.contains(.aroundMember) {
            first = 5
            if lookUpMembers {
                guard let point = position(of: args[2]) else { return fail("ERR could not decode requested zset member") }
                centre = point
                guard let (radius, unit) = distance(c, args[3], args[4], quiet: quiet) else { return nil }
                (shape, unitInMeters) = (.radius(radius), unit)
            }
        } else {
            first = 2
            if variant.contains(.searchStore) { first = 3; q.store = 1 }
        }
        var fromMember = false, fromCoordinates = false, byRadius = false, byBox = false
        let search = variant.contains(.search), storable = !variant.contains(.noStore) && !search
        var i = first
        while i < args.count {
            let word = args[i], remaining = args.count - i - 1
            if word.equalsIgnoringCase("withdist") { q.withDistance = true }
            else if word.equalsIgnoringCase("withhash") { q.withHash = true }
            else if word.equalsIgnoringCase("withcoord") { q.withCoordinates = true }
            else if word.equalsIgnoringCase("any") { q.any = true }
            else if word.equalsIgnoringCase("asc") { q.order = .ascending }
            else if word.equalsIgnoringCase("desc") { q.order = .descending }
            else if word.equalsIgnoringCase("count") && remaining >= 1 {
                guard let count = Decimal.parse(args[i + 1]) else { return fail(Errors.notInteger) }
                if count <= 0 { return fail("ERR COUNT must be > 0") }
                q.count = Int(count)
                i += 1
            } else if storable && (word.equalsIgnoringCase("store") || word.equalsIgnoringCase("storedist")) && remaining >= 1 {
                q.store = i + 1
                q.storeDistance = word.equalsIgnoringCase("storedist")
                i += 1
            } else if variant.contains(.searchStore) && word.equalsIgnoringCase("storedist") {
                q.storeDistance = true
            } else if search && !fromCoordinates && word.equalsIgnoringCase("frommember") && remaining >= 1 {
                if lookUpMembers {
                    guard let point = position(of: args[i + 1]) else { return fail("ERR could not decode requested zset member") }
                    centre = point
                }
                fromMember = true
                i += 1
            } else if search && !fromMember && word.equalsIgnoringCase("fromlonlat") && remaining >= 2 {
                guard let point = coordinates(c, args[i + 1], args[i + 2], quiet: quiet) else { return nil }
                centre = point
                fromCoordinates = true
                i += 2
            } else if search && !byBox && word.equalsIgnoringCase("byradius") && remaining >= 2 {
                guard let (radius, unit) = distance(c, args[i + 1], args[i + 2], quiet: quiet) else { return nil }
                (shape, unitInMeters) = (.radius(radius), unit)
                byRadius = true
                i += 2
            } else if search && !byRadius && word.equalsIgnoringCase("bybox") && remaining >= 3 {
                guard let width = number(c, args[i + 1], "ERR need numeric width", quiet: quiet),
                      let height = number(c, args[i + 2], "ERR need numeric height", quiet: quiet) else { return nil }
                if height < 0 || width < 0 { return fail("ERR height or width cannot be negative") }
                guard let unit = unit(c, args[i + 3], quiet: quiet) else { return nil }
                (shape, unitInMeters) = (.box(width: width, height: height), unit)
                byBox = true
                i += 3
            } else {
                return fail(Errors.syntax)
            }
            i += 1
        }
        if q.store != nil && (q.withDistance || q.withHash || q.withCoordinates) {
            let what = variant.contains(.searchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS"
            return fail("ERR \(what) is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
        }
        let name = String(decoding: args[0], as: UTF8.self)
        if search && !(fromMember || fromCoordinates) {
            return fail("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for \(name)")
        }
        if search && !(byRadius || byBox) {
            return fail("ERR exactly one of BYRADIUS and BYBOX can be specified for \(name)")
        }
        if q.any && q.count == 0 { return fail("ERR the ANY argument requires COUNT argument") }
        if let shape, lookUpMembers || !(variant.contains(.aroundMember) || fromMember) {
            q.area = GeoSearchArea(longitude: centre.longitude, latitude: centre.latitude, shape: shape, unitInMeters: unitInMeters)
        }
        return q
    }

    /// A longitude and a latitude, in GEOADD's range.
    static func coordinates(_ c: Client, _ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer,
                            quiet: Bool) -> (longitude: Double, latitude: Double)? {
        guard let longitude = number(c, x, Errors.notFloat, quiet: quiet),
              let latitude = number(c, y, Errors.notFloat, quiet: quiet) else { return nil }
        guard Geohash.isValid(longitude: longitude, latitude: latitude) else {
            if !quiet { c.fail(GeoCommands.invalidPair(longitude, latitude)) }
            return nil
        }
        return (longitude, latitude)
    }

    /// A radius and its unit (meters per unit).
    static func distance(_ c: Client, _ radius: UnsafeRawBufferPointer, _ unitName: UnsafeRawBufferPointer,
                         quiet: Bool) -> (Double, Double)? {
        guard let value = number(c, radius, "ERR need numeric radius", quiet: quiet) else { return nil }
        if value < 0 {
            if !quiet { c.fail("ERR radius cannot be negative") }
            return nil
        }
        guard let unit = unit(c, unitName, quiet: quiet) else { return nil }
        return (value, unit)
    }

    static func number(_ c: Client, _ bytes: UnsafeRawBufferPointer, _ error: String, quiet: Bool) -> Double? {
        guard let value = DoubleFormat.parseDouble(bytes) else {
            if !quiet { c.fail(error) }
            return nil
        }
        return value
    }

    static func unit(_ c: Client, _ bytes: UnsafeRawBufferPointer, quiet: Bool) -> Double? {
        guard let unit = GeoCommands.unit(bytes) else {
            if !quiet { c.fail(GeoCommands.unsupportedUnit) }
            return nil
        }
        return unit
    }

    // MARK: Running

    static func run(_ c: Client, _ args: Arguments, _ variant: Variant) {
        let sourceAt = variant.contains(.searchStore) ? 2 : 1
        // Whether there is a destination to lock with the source: a first,
        // silent pass over the options (it stops where the real one would
        // fail, and then nothing is stored anyway).
        let destination = parse(c, args, variant, source: nil, lookUpMembers: false, quiet: true)?.store
        guard let destination else {
            c.readValue(args[sourceAt], as: SortedSetView.self) { z in
                guard let q = parse(c, args, variant, source: z, lookUpMembers: z != nil, quiet: false) else { return }
                guard let z, let area = q.area else { c.reply.array(0); return }
                reply(c, q, search(z, area, q))
            }
            return
        }
        c.withKeys([args[sourceAt], args[destination]]) { keys in
            let source = keys.key(0, read: true)
            var z: SortedSetView? = nil
            if let slot = source.slot {
                guard source.table.pointee.entry(at: slot).type == .zset else { c.fail(Errors.wrongType); return }
                z = SortedSetView(table: source.table, slot: slot)
            }
            guard let q = parse(c, args, variant, source: z, lookUpMembers: z != nil, quiet: false) else { return }
            var points = Points()
            if let z, let area = q.area { points = search(z, area, q) }
            var selected: [([UInt8], Double)] = []
            selected.reserveCapacity(points.count)
            // A member found twice (in a neighbour cell equal to the centre
            // one, with a radius of thousands of kilometres) is stored once;
            // Redis stops on an assertion there.
            var seen = Set<[UInt8]>()
            for p in points.list {
                let member = Array(points.member(p))
                if seen.insert(member).inserted {
                    selected.append((member, q.storeDistance ? p.distance / points.unitInMeters : p.score))
                }
            }
            var k = keys.key(1, touch: false)
            SortedSetRangeCommand.storeRange(c, &k, selected, event: variant.contains(.search) ? "geosearchstore" : "georadiusstore")
        }
    }

    /// The points found, members in one buffer, in reply order (the first
    /// `count` of them when a count applies).
    struct Points {
        struct Point {
            var longitude: Double, latitude: Double, distance: Double, score: Double
            var memberStart: Int, memberCount: Int
        }
        var list: [Point] = []
        var members: [UInt8] = []
        var unitInMeters = 1.0
        var count: Int { list.count }
        func member(_ p: Point) -> ArraySlice<UInt8> { members[p.memberStart..<(p.memberStart + p.memberCount)] }
    }

    /// Scans the covering cells' score ranges, keeps the points inside the
    /// shape, then sorts and cuts as Redis does.
    static func search(_ z: SortedSetView, _ area: GeoSearchArea, _ q: Query) -> Points {
        var found = Points()
        found.unitInMeters = area.unitInMeters
        let limit = q.any ? q.count : 0
        for range in area.scoreRanges() {
            if limit > 0 && found.list.count >= limit { break }
            guard let start = z.position(notBefore: { ScoreKey.score($0) < range.min }) else { continue }
            z.scan(from: start, reverse: false) { element in
                let score = ScoreKey.score(element)
                if score >= range.max { return false }
                let point = Geohash.decode(Geohash.bits(ofScore: score))
                if let distance = area.distanceIfInside(longitude: point.longitude, latitude: point.latitude) {
                    let member = ScoreKey.member(element)
                    found.list.append(Points.Point(longitude: point.longitude, latitude: point.latitude, distance: distance,
                                                   score: score, memberStart: found.members.count, memberCount: member.count))
                    found.members.append(contentsOf: member)
                }
                return !(limit > 0 && found.list.count >= limit)
            }
        }
        var order = q.order
        // COUNT without an order means the nearest ones (not with ANY).
        if q.count != 0 && order == .none && !q.any { order = .ascending }
        let returned = q.count == 0 ? found.list.count : min(q.count, found.list.count)
        if order != .none && !found.list.isEmpty {
            let descending = order == .descending
            let compare: (Points.Point, Points.Point) -> Int = { a, b in
                let ascending = a.distance > b.distance ? 1 : (a.distance == b.distance ? 0 : -1)
                return descending ? -ascending : ascending
            }
            if returned == found.list.count {
                ReferenceSorts.mergeSort(&found.list, compare)
            } else {
                ReferenceSorts.partialQuickSort(&found.list, through: returned - 1, compare)
            }
        }
        found.list.removeLast(found.list.count - returned)
        return found
    }

    static func reply(_ c: Client, _ q: Query, _ points: Points) {
        let options = (q.withDistance ? 1 : 0) + (q.withHash ? 1 : 0) + (q.withCoordinates ? 1 : 0)
        c.reply.array(points.count)
        for p in points.list {
            if options > 0 { c.reply.array(options + 1) }
            points.member(p).withUnsafeBytes { c.reply.bulk($0) }
            if q.withDistance { c.reply.bulk(GeoCommands.fourDecimals(p.distance / points.unitInMeters)) }
            if q.withHash { c.reply.integer(Int(p.score)) }
            if q.withCoordinates {
                c.reply.array(2)
                GeoCommands.human(c, p.longitude)
                GeoCommands.human(c, p.latitude)
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The area a GEOSEARCH (or GEORADIUS) looks in, and the sorted-set score
/// ranges that cover it. Redis scans up to nine geohash cells, the one
/// around the centre and its eight neighbours, at a precision chosen from
/// the shape's size; points come out in the order those cells are scanned,
/// so an unsorted reply depends on every step here being Redis's.
public struct GeoSearchArea {
    public enum Shape {
        /// A circle of this radius, in the caller's unit.
        case radius(Double)
        /// An axis-aligned box, in the caller's unit.
        case box(width: Double, height: Double)
    }

    public var longitude: Double
    public var latitude: Double
    public var shape: Shape
    /// Meters per unit of the shape's dimensions.
    public var unitInMeters: Double

    public init(longitude: Double, latitude: Double, shape: Shape, unitInMeters: Double) {
        self.longitude = longitude
        self.latitude = latitude
        self.shape = shape
        self.unitInMeters = unitInMeters
    }

    /// Half the Web Mercator world's width in meters: the largest area a
    /// one-step cell covers.
    static let mercatorMax = 20037726.37

    /// The distance in meters from the centre to a point of the shape, or
    /// nil when the point lies outside it. The box test compares the
    /// latitude distance, then the longitude distance along the point's own
    /// parallel, as Redis does.
    public func distanceIfInside(longitude x: Double, latitude y: Double) -> Double? {
        let centre = (longitude: longitude, latitude: latitude)
        switch shape {
        case .radius(let radius):
            let d = Geohash.distance(centre, (x, y))
            return d > radius * unitInMeters ? nil : d
        case .box(let width, let height):
            let degreesToRadians = Double.pi / 180.0
            let latitudeDistance = Geohash.earthRadiusMeters * abs(latitude * degreesToRadians - y * degreesToRadians)
            if latitudeDistance > height * unitInMeters / 2 { return nil }
            if Geohash.distance((x, y), (longitude, y)) > width * unitInMeters / 2 { return nil }
            return Geohash.distance(centre, (x, y))
        }
    }

    /// The score ranges `[min, max)` to scan, in Redis's order: the centre
    /// cell, then north, south, east, west, north-east, north-west,
    /// south-east, south-west. Cells that cannot reach the shape are left
    /// out, and so is a cell equal to the one scanned just before it (only
    /// once a neighbour has been scanned: a neighbour equal to the centre
    /// cell is scanned again, and its points reported twice, as in Redis).
    public func scoreRanges() -> [(min: Double, max: Double)] {
        let (minLongitude, minLatitude, maxLongitude, maxLatitude) = boundingBox()
        var step = estimatedStep()
        var centre = Geohash.encode(longitude: longitude, latitude: latitude, step: step)
        var neighbours = Self.neighbours(of: centre, step: step)
        // The estimate can leave part of the shape outside all nine cells
        // when the centre is near its cell's edge: one step coarser then.
        let north = Geohash.bounds(of: neighbours[0], step: step), south = Geohash.bounds(of: neighbours[1], step: step)
        let east = Geohash.bounds(of: neighbours[2], step: step), west = Geohash.bounds(of: neighbours[3], step: step)
        if step > 1 && (north.latitude.max < maxLatitude || south.latitude.min > minLatitude
                        || east.longitude.max < maxLongitude || west.longitude.min > minLongitude) {
            step -= 1
            centre = Geohash.encode(longitude: longitude, latitude: latitude, step: step)
            neighbours = Self.neighbours(of: centre, step: step)
        }
        // Which neighbours to drop (north, south, east, west, NE, NW, SE, SW).
        var dropped = [Bool](repeating: false, count: 8)
        if step >= 2 {
            let area = Geohash.bounds(of: centre, step: step)
            if area.latitude.min < minLatitude { for i in [1, 7, 6] { dropped[i] = true } }
            if area.latitude.max > maxLatitude { for i in [0, 4, 5] { dropped[i] = true } }
            if area.longitude.min < minLongitude { for i in [3, 7, 5] { dropped[i] = true } }
            if area.longitude.max > maxLongitude { for i in [2, 6, 4] { dropped[i] = true } }
        }
        var ranges: [(min: Double, max: Double)] = []
        let shift = UInt64(52 - 2 * step)
        var previous: UInt64? = nil
        for (i, cell) in ([centre] + neighbours).enumerated() {
            if i > 0 && dropped[i - 1] { continue }
            if let previous, previous == cell { continue }
            ranges.append((Double(cell << shift), Double((cell + 1) << shift)))
            if i > 0 { previous = cell }
        }
        return ranges
    }

    /// The precision of the cells to scan: about as coarse as the shape's
    /// radius (half its diagonal for a box) allows, coarser near the poles.
    func estimatedStep() -> Int {
        var meters: Double
        switch shape {
        case .radius(let radius): meters = radius
        case .box(let width, let height): meters = ((width / 2) * (width / 2) + (height / 2) * (height / 2)).squareRoot()
        }
        meters *= unitInMeters
        if meters == 0 { return Geohash.steps }
        var step = 1
        while meters < Self.mercatorMax {
            meters *= 2
            step += 1
        }
        step -= 2
        if latitude > 66 || latitude < -66 {
            step -= 1
            if latitude > 80 || latitude < -80 { step -= 1 }
        }
        return min(max(step, 1), Geohash.steps)
    }

    /// The shape's bounding box in degrees. A box's sides bend with the
    /// parallels, so its widest edge is the one nearer the equator.
    func boundingBox() -> (minLongitude: Double, minLatitude: Double, maxLongitude: Double, maxLatitude: Double) {
        let degreesToRadians = Double.pi / 180.0
        let (halfHeight, halfWidth): (Double, Double)
        switch shape {
        case .radius(let radius): (halfHeight, halfWidth) = (unitInMeters * radius, unitInMeters * radius)
        case .box(let width, let height): (halfHeight, halfWidth) = (unitInMeters * (height / 2), unitInMeters * (width / 2))
        }
        let latitudeDelta = (halfHeight / Geohash.earthRadiusMeters) / degreesToRadians
        let longitudeDeltaTop = (halfWidth / Geohash.earthRadiusMeters / cos((latitude + latitudeDelta) * degreesToRadians)) / degreesToRadians
        let longitudeDeltaBottom = (halfWidth / Geohash.earthRadiusMeters / cos((latitude - latitudeDelta) * degreesToRadians)) / degreesToRadians
        let longitudeDelta = latitude < 0 ? longitudeDeltaBottom : longitudeDeltaTop
        return (longitude - longitudeDelta, latitude - latitudeDelta, longitude + longitudeDelta, latitude + latitudeDelta)
    }

    /// The eight neighbours of a cell, in the order north, south, east,
    /// west, north-east, north-west, south-east, south-west. Moving wraps
    /// around within the step's bits.
    static func neighbours(of cell: UInt64, step: Int) -> [UInt64] {
        func moved(_ dx: Int, _ dy: Int) -> UInt64 {
            var bits = cell
            if dx != 0 { bits = move(bits, step: step, by: dx, axis: 0xAAAA_AAAA_AAAA_AAAA) }
            if dy != 0 { bits = move(bits, step: step, by: dy, axis: 0x5555_5555_5555_5555) }
            return bits
        }
        return [moved(0, 1), moved(0, -1), moved(1, 0), moved(-1, 0), moved(1, 1), moved(-1, 1), moved(1, -1), moved(-1, -1)]
    }

    /// Adds or subtracts one on the interleaved bits of one coordinate
    /// (`axis` selects them: odd bits are longitude, even bits latitude),
    /// carrying through the other coordinate's bits by filling them first.
    static func move(_ bits: UInt64, step: Int, by d: Int, axis: UInt64) -> UInt64 {
        var mine = bits & axis
        let other = bits & ~axis
        let filler = ~axis >> UInt64(64 - step * 2)
        if d > 0 {
            mine = mine &+ (filler &+ 1)
        } else {
            mine |= filler
            mine = mine &- (filler &+ 1)
        }
        mine &= axis >> UInt64(64 - step * 2)
        return mine | other
    }
}

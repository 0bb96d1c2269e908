#if canImport(Glibc)
import Glibc
#endif

/// Redis's geohash, as the GEO commands store it: a point is a sorted-set
/// member whose score is a 52-bit geohash (26 bits of longitude interleaved
/// with 26 of latitude, latitude limited to Web Mercator's ±85.05112878°).
/// Reading a position back gives the centre of its cell, so the values
/// clients see depend on these exact steps.
public enum Geohash {
    public static let longitudeRange = (-180.0, 180.0)
    public static let latitudeRange = (-85.05112878, 85.05112878)
    public static let steps = 26
    /// The earth's quadratic mean radius (WGS-84) Redis uses for distances.
    static let earthRadiusMeters = 6372797.560856

    /// Whether Redis accepts the point (GEOADD's range check).
    public static func isValid(longitude: Double, latitude: Double) -> Bool {
        longitude >= longitudeRange.0 && longitude <= longitudeRange.1
            && latitude >= latitudeRange.0 && latitude <= latitudeRange.1
    }

    /// The cell of a point within the given ranges, `step` bits of each
    /// coordinate (26 steps: a stored point's 52-bit score).
    public static func encode(longitude: Double, latitude: Double, step: Int = steps,
                              longitudeRange: (Double, Double) = longitudeRange,
                              latitudeRange: (Double, Double) = latitudeRange) -> UInt64 {
        var latitudeOffset = (latitude - latitudeRange.0) / (latitudeRange.1 - latitudeRange.0)
        var longitudeOffset = (longitude - longitudeRange.0) / (longitudeRange.1 - longitudeRange.0)
        latitudeOffset *= Double(UInt64(1) << UInt64(step))
        longitudeOffset *= Double(UInt64(1) << UInt64(step))
        // C converts the offsets to uint32 by truncation.
        return interleave(UInt32(truncatingIfNeeded: UInt64(latitudeOffset)), UInt32(truncatingIfNeeded: UInt64(longitudeOffset)))
    }

    /// The hash bits a member's score stands for. Any score can be there
    /// (ZADD works on the same key): out of range, C's conversion gives what
    /// x86 does, here without trapping.
    public static func bits(ofScore score: Double) -> UInt64 {
        // GCC's double-to-uint64 on x86-64: cvttsd2si below 2^63, else of
        // (score - 2^63) with the top bit flipped; cvttsd2si answers
        // 0x8000000000000000 for anything outside Int64.
        let indefinite: UInt64 = 0x8000_0000_0000_0000
        if score >= 0x1p63 {
            let rest = score - 0x1p63
            return (rest < 0x1p63 ? UInt64(rest) : indefinite) ^ indefinite
        }
        return score > -0x1p63 ? UInt64(bitPattern: Int64(score)) : indefinite
    }

    /// The centre of a stored cell, clamped to the valid ranges.
    public static func decode(_ bits: UInt64) -> (longitude: Double, latitude: Double) {
        let area = bounds(of: bits, step: steps)
        return (min(max((area.longitude.min + area.longitude.max) / 2, longitudeRange.0), longitudeRange.1),
                min(max((area.latitude.min + area.latitude.max) / 2, latitudeRange.0), latitudeRange.1))
    }

    /// The edges of a cell of `step` bits per coordinate.
    static func bounds(of bits: UInt64, step: Int) -> (longitude: (min: Double, max: Double), latitude: (min: Double, max: Double)) {
        let (latitudeCell, longitudeCell) = deinterleave(bits)
        let scale = Double(UInt64(1) << UInt64(step))
        func edges(_ cell: UInt32, _ range: (Double, Double)) -> (min: Double, max: Double) {
            let width = range.1 - range.0
            return (range.0 + (Double(cell) * 1.0 / scale) * width, range.0 + ((Double(cell) + 1) * 1.0 / scale) * width)
        }
        return (edges(longitudeCell, longitudeRange), edges(latitudeCell, latitudeRange))
    }

    /// Great-circle distance in meters (haversine), as Redis computes it.
    public static func distance(_ a: (longitude: Double, latitude: Double), _ b: (longitude: Double, latitude: Double)) -> Double {
        let degreesToRadians = Double.pi / 180.0
        let lon1 = a.longitude * degreesToRadians, lon2 = b.longitude * degreesToRadians
        let v = sin((lon2 - lon1) / 2)
        if v == 0 { return earthRadiusMeters * abs(b.latitude * degreesToRadians - a.latitude * degreesToRadians) }
        let lat1 = a.latitude * degreesToRadians, lat2 = b.latitude * degreesToRadians
        let u = sin((lat2 - lat1) / 2)
        let h = u * u + cos(lat1) * cos(lat2) * v * v
        return 2.0 * earthRadiusMeters * asin(h.squareRoot())
    }

    /// The standard 11-character geohash of a stored cell (re-encoded over
    /// ±90° latitude; the 11th character is always '0', as Redis writes it).
    public static func standardText(_ bits: UInt64) -> [UInt8] {
        let point = decode(bits)
        let standard = encode(longitude: point.longitude, latitude: point.latitude,
                              longitudeRange: (-180, 180), latitudeRange: (-90, 90))
        let alphabet = Array("0123456789bcdefghjkmnpqrstuvwxyz".utf8)
        var text: [UInt8] = []
        for i in 0..<10 {
            let shift = UInt64(52 - (i + 1) * 5)
            text.append(alphabet[Int((standard >> shift) & 0x1F)])
        }
        text.append(alphabet[0])
        return text
    }

    /// Bits of `x` (latitude) in even positions, `y` (longitude) in odd ones.
    static func interleave(_ x: UInt32, _ y: UInt32) -> UInt64 {
        func spread(_ v: UInt32) -> UInt64 {
            var v = UInt64(v)
            v = (v | (v << 16)) & 0x0000FFFF0000FFFF
            v = (v | (v << 8)) & 0x00FF00FF00FF00FF
            v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0F
            v = (v | (v << 2)) & 0x3333333333333333
            v = (v | (v << 1)) & 0x5555555555555555
            return v
        }
        return spread(x) | (spread(y) << 1)
    }

    static func deinterleave(_ bits: UInt64) -> (x: UInt32, y: UInt32) {
        func gather(_ v: UInt64) -> UInt32 {
            var v = v & 0x5555555555555555
            v = (v | (v >> 1)) & 0x3333333333333333
            v = (v | (v >> 2)) & 0x0F0F0F0F0F0F0F0F
            v = (v | (v >> 4)) & 0x00FF00FF00FF00FF
            v = (v | (v >> 8)) & 0x0000FFFF0000FFFF
            v = (v | (v >> 16)) & 0x00000000FFFFFFFF
            return UInt32(v)
        }
        return (gather(bits), gather(bits >> 1))
    }
}

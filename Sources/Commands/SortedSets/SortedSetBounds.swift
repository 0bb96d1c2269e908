import RESP
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// A score bound of ZRANGEBYSCORE and friends: `1.5`, `(1.5` (exclusive),
/// `-inf`, `+inf`. Parsed with strtod as Redis's `zslParseRange` does (so
/// leading blanks and an empty string, 0, pass).
struct ScoreBound {
    let value: Double
    let exclusive: Bool
    /// The bound's order key (`ScoreKey.encode(value)`).
    let key: UInt64

    init?(_ bytes: UnsafeRawBufferPointer) {
        let exclusive = bytes.first == 0x28
        guard let v = DoubleFormat.parseAllOfStrtod(exclusive ? UnsafeRawBufferPointer(rebasing: bytes.dropFirst()) : bytes) else { return nil }
        value = v
        key = ScoreKey.encode(v)
        self.exclusive = exclusive
    }

    /// Whether a sorted-set element lies inside this bound taken as a
    /// minimum (`asMin`) or a maximum. Order keys sort as their scores do,
    /// so the element's key is compared with the bound's, no score decoded.
    @inline(__always) func admits(element: UnsafeRawBufferPointer, asMin: Bool) -> Bool {
        let k = ScoreKey.key(element)
        if k == key { return !exclusive }
        return (k > key) == asMin
    }

    static let error = "ERR min or max is not a float"
}

/// A lex bound of ZRANGEBYLEX and friends: `-`, `+`, `[member`, `(member`.
enum LexBound {
    case minusInfinity, plusInfinity
    case member([UInt8], exclusive: Bool)

    init?(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { return nil }
        switch first {
        case 0x2B where bytes.count == 1: self = .plusInfinity
        case 0x2D where bytes.count == 1: self = .minusInfinity
        case 0x28: self = .member(Array(bytes.dropFirst()), exclusive: true)
        case 0x5B: self = .member(Array(bytes.dropFirst()), exclusive: false)
        default: return nil
        }
    }

    /// Whether `member` lies inside this bound taken as a minimum (`asMin`) or a maximum.
    func admits(_ member: UnsafeRawBufferPointer, asMin: Bool) -> Bool {
        switch self {
        case .minusInfinity: return asMin
        case .plusInfinity: return !asMin
        case .member(let m, let exclusive):
            let order = m.withUnsafeBytes { ScoreKey.compare(member, $0) }
            let c = asMin ? order : -order
            return exclusive ? c > 0 : c >= 0
        }
    }

    /// Rank of the first member inside this bound taken as a minimum.
    func firstRank(in z: SortedSetView) -> Int {
        switch self {
        case .minusInfinity: return 0
        case .plusInfinity: return z.count
        case .member(let m, let exclusive): return m.withUnsafeBytes { z.rank(ofMember: $0, exclusive: exclusive) }
        }
    }

    /// Rank just past the last member inside this bound taken as a maximum.
    func endRank(in z: SortedSetView) -> Int {
        switch self {
        case .minusInfinity: return 0
        case .plusInfinity: return z.count
        case .member(let m, let exclusive): return m.withUnsafeBytes { z.rank(ofMember: $0, exclusive: !exclusive) }
        }
    }

    static let error = "ERR min or max not valid string range item"
}

extension SortedSetView {
    /// The ranks `[first, end)` of the members scored within `min`…`max`.
    func ranks(_ min: ScoreBound, _ max: ScoreBound) -> Range<Int> {
        let first = rank(ofScore: min.value, exclusive: min.exclusive)
        let end = rank(ofScore: max.value, exclusive: !max.exclusive)
        return first..<Swift.max(first, end)
    }

    /// The ranks `[first, end)` of the members within `min`…`max` in byte order.
    func ranks(_ min: LexBound, _ max: LexBound) -> Range<Int> {
        let first = min.firstRank(in: self)
        let end = max.endRank(in: self)
        return first..<Swift.max(first, end)
    }
}

extension Client {
    /// One member and (`withScores`) its score, as Redis's range replies
    /// write them: flat in RESP2, a [member, score] pair in RESP3 (`nested`).
    func replyMember(_ member: UnsafeRawBufferPointer, _ score: Double, withScores: Bool, nested: Bool) {
        if withScores && nested { reply.array(2) }
        reply.bulk(member)
        if withScores { reply.double(score) }
    }
}

import RESP
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`
///
/// A packed sorted set is returned whole (cursor 0), its scores written as
/// Redis stores them in a listpack (integers plainly, else %.17g); a big
/// one is walked over its member index in hash order, its scores written
/// as Redis prints a long double (%.17Lg).
enum SortedSetScanCommand {
    static let spec = ContainerScan.command("zscan", group: "sortedset", summary: "Iterates over members and scores of a sorted set.", run)

    static func run(_ c: Client, _ args: Arguments) {
        guard let options = ContainerScan.parse(c, args, from: 2) else { return }
        c.readValue(args[1], as: SortedSetView.self) { z in
            var found = PackedStrings()
            guard let z = z else { ContainerScan.reply(c, next: 0, found); return }
            let packed = z.isPacked
            let next = z.scan(cursor: options.cursor, count: options.count) { member, score in
                guard options.matches(member) else { return }
                found.append(member)
                found.append(packed ? listpackScore(score) : longDoubleScore(score))
            }
            ContainerScan.reply(c, next: next, found)
        }
    }

    /// Redis's `d2string`: integers without a fraction, -0, inf, else %.17g.
    static func listpackScore(_ v: Double) -> String {
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        if v == 0 { return v.sign == .minus ? "-0" : "0" }
        if v == v.rounded(), abs(v) < 9.007199254740992e15 { return String(Int(v)) }
        return DoubleFormat.printf17g(v)
    }

    /// `%.17Lg` of the score as a long double.
    static func longDoubleScore(_ v: Double) -> String {
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        var buffer = [CChar](repeating: 0, count: 64)
        #if arch(x86_64) || arch(i386)
        let n = withVaList([Float80(v)]) { vsnprintf(&buffer, 64, "%.17Lg", $0) }
        #else
        let n = withVaList([v]) { vsnprintf(&buffer, 64, "%.17g", $0) }
        #endif
        return String(decoding: buffer[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

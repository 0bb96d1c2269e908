/// Redis's glob-style matching (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET):
/// `*` any run, `?` one byte, `[abc]` `[^abc]` `[a-z]` sets (reversed
/// ranges swapped, `\x` escapes inside), `\x` escapes outside sets. Byte-wise.
public enum Glob {
    public static func match(_ pattern: UnsafeRawBufferPointer, _ string: UnsafeRawBufferPointer, caseInsensitive: Bool = false) -> Bool {
        var skipLonger = false
        return matchImpl(pattern, 0, string, 0, caseInsensitive, &skipLonger, nesting: 0)
    }

    public static func match(_ pattern: String, _ string: String, caseInsensitive: Bool = false) -> Bool {
        var p = pattern, s = string
        return p.withUTF8 { pp in s.withUTF8 { ss in match(UnsafeRawBufferPointer(pp), UnsafeRawBufferPointer(ss), caseInsensitive: caseInsensitive) } }
    }

    @inline(__always) static func fold(_ c: UInt8, _ nocase: Bool) -> UInt8 {
        nocase && c >= 0x41 && c <= 0x5A ? c | 0x20 : c
    }

    /// `skipLonger` is set when a `*` failed to match the rest of the string at
    /// every position: trying longer strings for an outer `*` cannot succeed,
    /// so the caller stops (this keeps patterns like `a*a*a*a*b` linear-ish).
    static func matchImpl(_ p: UnsafeRawBufferPointer, _ pi0: Int, _ s: UnsafeRawBufferPointer, _ si0: Int,
                          _ nocase: Bool, _ skipLonger: inout Bool, nesting: Int) -> Bool {
        // Bound recursion like Redis does (it gives up beyond 1000 nested stars).
        if nesting > 1000 { return false }
        var pi = pi0, si = si0
        let pn = p.count, sn = s.count
        while pi < pn && si < sn {
            switch p[pi] {
            case 0x2A: // '*'
                while pi + 1 < pn && p[pi + 1] == 0x2A { pi += 1 }
                if pi + 1 == pn { return true }
                while si < sn {
                    if matchImpl(p, pi + 1, s, si, nocase, &skipLonger, nesting: nesting + 1) { return true }
                    if skipLonger { return false }
                    si += 1
                }
                skipLonger = true
                return false
            case 0x3F: // '?'
                si += 1
            case 0x5B: // '['
                pi += 1
                let negate = pi < pn && p[pi] == 0x5E
                if negate { pi += 1 }
                var matched = false
                while true {
                    if pi >= pn { pi -= 1; break }  // unterminated: the rest is the set
                    if p[pi] == 0x5C && pi + 1 < pn {
                        pi += 1
                        if p[pi] == s[si] { matched = true }
                    } else if p[pi] == 0x5D {
                        break
                    } else if pi + 2 < pn && p[pi + 1] == 0x2D {
                        var start = fold(p[pi], nocase), end = fold(p[pi + 2], nocase)
                        let c = fold(s[si], nocase)
                        if start > end { swap(&start, &end) }
                        pi += 2
                        if c >= start && c <= end { matched = true }
                    } else if fold(p[pi], nocase) == fold(s[si], nocase) {
                        matched = true
                    }
                    pi += 1
                }
                if negate { matched = !matched }
                if !matched { return false }
                si += 1
            case 0x5C: // '\\'
                if pi + 1 < pn { pi += 1 }
                if fold(p[pi], nocase) != fold(s[si], nocase) { return false }
                si += 1
            default:
                if fold(p[pi], nocase) != fold(s[si], nocase) { return false }
                si += 1
            }
            pi += 1
            if si == sn {
                while pi < pn && p[pi] == 0x2A { pi += 1 }
                break
            }
        }
        return pi == pn && si == sn
    }
}

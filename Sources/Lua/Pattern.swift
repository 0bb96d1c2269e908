/// Lua 5.1 pattern matching (the semantics of `lstrlib.c`'s matcher):
/// backtracking over byte strings with character classes, sets, the four
/// quantifiers, anchors, captures (including position captures),
/// back-references, `%b` and `%f`.
///
/// As in Lua 5.1, the pattern ends at its first zero byte. Lua 5.1 recurses
/// without limit and can crash on hostile patterns; here recursion is
/// bounded (`maxRecursion` and the native stack guard) and raises "pattern
/// too complex" instead (the wording Lua 5.2 uses).
struct PatternMatcher {
    static let maxCaptures = 32
    static let maxRecursion = 5000
    static let capturePosition = -2
    static let captureUnfinished = -1

    let subject: [UInt8]
    let pattern: [UInt8]
    /// Where the pattern ends (its length, or its first zero byte).
    let patternEnd: Int
    var level = 0
    var captures: [(start: Int, length: Int)] = Array(repeating: (0, 0), count: maxCaptures)
    var depth = 0
    unowned(unsafe) let state: LuaState
    /// Prefix for errors (`luaL_error` adds the caller's position).
    let errorPrefix: String

    init(subject: [UInt8], pattern: [UInt8], state: LuaState, errorPrefix: String) {
        self.subject = subject
        self.pattern = pattern
        self.patternEnd = pattern.firstIndex(of: 0) ?? pattern.count
        self.state = state
        self.errorPrefix = errorPrefix
    }

    func error(_ message: String) -> LuaError {
        LuaError(message: errorPrefix.isEmpty ? message : "\(errorPrefix) \(message)")
    }

    @inline(__always) func patternByte(_ i: Int) -> UInt8 { i < patternEnd ? pattern[i] : 0 }
    /// The subject byte at `i`, or 0 past the end (the C terminator).
    @inline(__always) func subjectByte(_ i: Int) -> UInt8 { i < subject.count ? subject[i] : 0 }

    // MARK: Character classes (C locale)

    static func isAlpha(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    static func isLower(_ c: UInt8) -> Bool { c >= 97 && c <= 122 }
    static func isUpper(_ c: UInt8) -> Bool { c >= 65 && c <= 90 }
    static func isSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }
    static func isControl(_ c: UInt8) -> Bool { c < 32 || c == 127 }
    static func isPunct(_ c: UInt8) -> Bool { c > 32 && c < 127 && !isAlpha(c) && !isDigit(c) }
    static func isAlnum(_ c: UInt8) -> Bool { isAlpha(c) || isDigit(c) }
    static func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) }

    static func matchClass(_ c: UInt8, _ cl: UInt8) -> Bool {
        let result: Bool
        switch cl | 0x20 {
        case 97: result = isAlpha(c)  // a
        case 99: result = isControl(c)  // c
        case 100: result = isDigit(c)  // d
        case 108: result = isLower(c)  // l
        case 112: result = isPunct(c)  // p
        case 115: result = isSpace(c)  // s
        case 117: result = isUpper(c)  // u
        case 119: result = isAlnum(c)  // w
        case 120: result = isHex(c)  // x
        case 122: result = c == 0  // z
        default: return cl == c
        }
        if !isAlpha(cl) { return cl == c }
        return isUpper(cl) ? !result : result
    }

    /// Index just past the single-character class starting at `p`.
    func classEnd(_ p: Int) throws -> Int {
        var p = p
        let c = patternByte(p)
        p += 1
        if c == 37 {  // '%'
            if p >= patternEnd { throw error("malformed pattern (ends with '%')") }
            return p + 1
        }
        if c == 91 {  // '['
            if patternByte(p) == 94 { p += 1 }
            repeat {
                if p >= patternEnd { throw error("malformed pattern (missing ']')") }
                let d = pattern[p]
                p += 1
                if d == 37 && p < patternEnd { p += 1 }
            } while patternByte(p) != 93
            return p + 1
        }
        return p
    }

    /// `[set]` test; `p` at '[', `end` at the closing ']'.
    func matchBracketClass(_ c: UInt8, _ p: Int, _ end: Int) -> Bool {
        var p = p
        var positive = true
        if patternByte(p + 1) == 94 {
            positive = false
            p += 1
        }
        p += 1
        while p < end {
            let d = pattern[p]
            if d == 37 {
                p += 1
                if PatternMatcher.matchClass(c, patternByte(p)) { return positive }
            } else if patternByte(p + 1) == 45 && p + 2 < end {
                if d <= c && c <= pattern[p + 2] { return positive }
                p += 2
            } else if d == c {
                return positive
            }
            p += 1
        }
        return !positive
    }

    func singleMatch(_ c: UInt8, _ p: Int, _ ep: Int) -> Bool {
        switch pattern[p] {
        case 46: return true  // '.'
        case 37: return PatternMatcher.matchClass(c, patternByte(p + 1))
        case 91: return matchBracketClass(c, p, ep - 1)
        default: return pattern[p] == c
        }
    }

    // MARK: Matching

    /// Matches the pattern from `p` against the subject from `s`; returns
    /// where the match ends, or nil.
    mutating func match(_ s: Int, _ p: Int) throws -> Int? {
        depth += 1
        defer { depth -= 1 }
        if depth > PatternMatcher.maxRecursion || state.nativeStackAddress() < state.nativeStackLimit {
            throw error("pattern too complex")
        }
        var s = s
        var p = p
        while true {
            if p >= patternEnd { return s }
            switch pattern[p] {
            case 40:  // '('
                if patternByte(p + 1) == 41 {
                    return try startCapture(s, p + 2, PatternMatcher.capturePosition)
                }
                return try startCapture(s, p + 1, PatternMatcher.captureUnfinished)
            case 41:  // ')'
                return try endCapture(s, p + 1)
            case 37 where patternByte(p + 1) == 98:  // %b
                guard let end = try matchBalance(s, p + 2) else { return nil }
                s = end
                p += 4
                continue
            case 37 where patternByte(p + 1) == 102:  // %f
                p += 2
                if patternByte(p) != 91 { throw error("missing '[' after '%f' in pattern") }
                let ep = try classEnd(p)
                let previous: UInt8 = s == 0 ? 0 : subject[s - 1]
                if matchBracketClass(previous, p, ep - 1) || !matchBracketClass(subjectByte(s), p, ep - 1) { return nil }
                p = ep
                continue
            case 37 where PatternMatcher.isDigit(patternByte(p + 1)):  // back-reference
                guard let end = try matchCapture(s, patternByte(p + 1)) else { return nil }
                s = end
                p += 2
                continue
            case 36 where p + 1 == patternEnd:  // '$' at the end
                return s == subject.count ? s : nil
            default:
                break
            }
            let ep = try classEnd(p)
            let matched = s < subject.count && singleMatch(subject[s], p, ep)
            switch patternByte(ep) {
            case 63:  // '?'
                if matched, let result = try match(s + 1, ep + 1) { return result }
                p = ep + 1
                continue
            case 42:  // '*'
                return try maxExpand(s, p, ep)
            case 43:  // '+'
                return matched ? try maxExpand(s + 1, p, ep) : nil
            case 45:  // '-'
                return try minExpand(s, p, ep)
            default:
                if !matched { return nil }
                s += 1
                p = ep
            }
        }
    }

    private mutating func maxExpand(_ s: Int, _ p: Int, _ ep: Int) throws -> Int? {
        var i = 0
        while s + i < subject.count && singleMatch(subject[s + i], p, ep) { i += 1 }
        while i >= 0 {
            if let result = try match(s + i, ep + 1) { return result }
            i -= 1
        }
        return nil
    }

    private mutating func minExpand(_ s: Int, _ p: Int, _ ep: Int) throws -> Int? {
        var s = s
        while true {
            if let result = try match(s, ep + 1) { return result }
            if s < subject.count && singleMatch(subject[s], p, ep) {
                s += 1
            } else {
                return nil
            }
        }
    }

    private mutating func startCapture(_ s: Int, _ p: Int, _ what: Int) throws -> Int? {
        if level >= PatternMatcher.maxCaptures { throw error("too many captures") }
        captures[level] = (s, what)
        level += 1
        let result = try match(s, p)
        if result == nil { level -= 1 }
        return result
    }

    private mutating func endCapture(_ s: Int, _ p: Int) throws -> Int? {
        var l = level - 1
        while l >= 0 {
            if captures[l].length == PatternMatcher.captureUnfinished { break }
            l -= 1
        }
        if l < 0 { throw error("invalid pattern capture") }
        captures[l].length = s - captures[l].start
        let result = try match(s, p)
        if result == nil { captures[l].length = PatternMatcher.captureUnfinished }
        return result
    }

    private func matchBalance(_ s: Int, _ p: Int) throws -> Int? {
        if p >= patternEnd || p + 1 >= patternEnd { throw error("unbalanced pattern") }
        if s >= subject.count || subject[s] != pattern[p] { return nil }
        let open = pattern[p], close = pattern[p + 1]
        var count = 1
        var i = s + 1
        while i < subject.count {
            let c = subject[i]
            if c == close {
                count -= 1
                if count == 0 { return i + 1 }
            } else if c == open {
                count += 1
            }
            i += 1
        }
        return nil
    }

    private func matchCapture(_ s: Int, _ digit: UInt8) throws -> Int? {
        let l = Int(digit) - 49
        if l < 0 || l >= level || captures[l].length == PatternMatcher.captureUnfinished {
            throw error("invalid capture index")
        }
        let length = captures[l].length
        if length < 0 { return nil }
        if subject.count - s >= length {
            let start = captures[l].start
            var i = 0
            while i < length {
                if subject[start + i] != subject[s + i] { return nil }
                i += 1
            }
            return s + length
        }
        return nil
    }

    // MARK: Captures

    /// Capture `i` of a match spanning [s, e) (the whole match when the
    /// pattern has no captures and i == 0).
    func capture(_ i: Int, _ s: Int, _ e: Int) throws -> LuaValue {
        if i >= level {
            if i == 0 { return .string(LuaString(subject[s..<e])) }
            throw error("invalid capture index")
        }
        let (start, length) = captures[i]
        if length == PatternMatcher.captureUnfinished { throw error("unfinished capture") }
        if length == PatternMatcher.capturePosition { return .number(Double(start + 1)) }
        return .string(LuaString(subject[start..<(start + length)]))
    }

    /// All captures (or the whole match), pushed on the Lua stack.
    func pushCaptures(_ s: Int?, _ e: Int) throws -> Int {
        let count = (level == 0 && s != nil) ? 1 : level
        for i in 0..<count { try state.push(capture(i, s ?? 0, e)) }
        return count
    }
}

/// Splits config lines into words and quotes words back, the way Redis's
/// config reader does (its `sdssplitargs`/`sdscatrepr` pair), so quoting
/// that works in a redis.conf works identically here.
///
/// Works on bytes: quoting can produce any byte (`"\xff"`), and the rules
/// are defined on C characters, not Unicode.
enum ConfigArgumentSplitter {
    /// Splits one line into arguments, or returns nil for "Unbalanced quotes".
    ///
    /// - Words are separated by white space; an unquoted word ends at a space,
    ///   tab, CR or LF (a vertical tab or form feed stays part of the word).
    /// - `"..."` understands \n \r \t \b \a, `\xHH` (two hex digits), and
    ///   `\<any>` for that character.
    /// - `'...'` is literal except for `\'`.
    /// - A closing quote must be followed by white space or the end of the
    ///   line; quotes may start mid-word (`abc"def"` is `abcdef`).
    static func split(_ fullLine: [UInt8]) -> [[UInt8]]? {
        // A C string ends at the first NUL byte.
        let line = fullLine.firstIndex(of: 0).map { Array(fullLine[..<$0]) } ?? fullLine
        var words: [[UInt8]] = []
        var p = 0
        let n = line.count
        func at(_ i: Int) -> UInt8 { i < n ? line[i] : 0 }  // C string view: 0 past the end
        while true {
            while p < n && ConfigNumbers.isCSpace(line[p]) { p += 1 }
            if p >= n { return words }
            var word: [UInt8] = []
            var inDouble = false, inSingle = false, done = false
            while !done {
                let c = at(p)
                if inDouble {
                    if c == UInt8(ascii: "\\") && at(p + 1) == UInt8(ascii: "x"),
                       let high = hexValue(at(p + 2)), let low = hexValue(at(p + 3)) {
                        word.append(high << 4 | low)
                        p += 3
                    } else if c == UInt8(ascii: "\\") && at(p + 1) != 0 {
                        p += 1
                        switch at(p) {
                        case UInt8(ascii: "n"): word.append(0x0A)
                        case UInt8(ascii: "r"): word.append(0x0D)
                        case UInt8(ascii: "t"): word.append(0x09)
                        case UInt8(ascii: "b"): word.append(0x08)
                        case UInt8(ascii: "a"): word.append(0x07)
                        default: word.append(at(p))
                        }
                    } else if c == UInt8(ascii: "\"") {
                        if at(p + 1) != 0 && !ConfigNumbers.isCSpace(at(p + 1)) { return nil }
                        done = true
                    } else if c == 0 {
                        return nil
                    } else {
                        word.append(c)
                    }
                } else if inSingle {
                    if c == UInt8(ascii: "\\") && at(p + 1) == UInt8(ascii: "'") {
                        p += 1
                        word.append(UInt8(ascii: "'"))
                    } else if c == UInt8(ascii: "'") {
                        if at(p + 1) != 0 && !ConfigNumbers.isCSpace(at(p + 1)) { return nil }
                        done = true
                    } else if c == 0 {
                        return nil
                    } else {
                        word.append(c)
                    }
                } else {
                    switch c {
                    case 0x20, 0x0A, 0x0D, 0x09, 0:
                        done = true
                    case UInt8(ascii: "\""):
                        inDouble = true
                    case UInt8(ascii: "'"):
                        inSingle = true
                    default:
                        word.append(c)
                    }
                }
                if p < n { p += 1 }
            }
            words.append(word)
        }
    }

    /// Splits and decodes to strings (bytes that are not UTF-8 become U+FFFD).
    static func splitStrings(_ line: String) -> [String]? {
        split(Array(line.utf8))?.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Quotes a command-line argument so `split` gives it back unchanged:
    /// wrapped in double quotes, with \\ \" \n \r \t \a \b escaped and any
    /// other non-printable byte written as \xHH. redis-server quotes option
    /// values this way, and the result is what its error messages show.
    static func quote(_ text: String) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        let hex = Array("0123456789abcdef".utf8)
        for c in text.utf8 {
            switch c {
            case UInt8(ascii: "\\"), UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), c]
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x07: out += Array("\\a".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x20...0x7E: out.append(c)
            default: out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(c >> 4)], hex[Int(c & 0xF)]]
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    /// Strips the characters Redis trims from config lines: space, tab, CR, LF.
    static func trim(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        func isTrimmed(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }
        var slice = line
        while let first = slice.first, isTrimmed(first) { slice = slice.dropFirst() }
        while let last = slice.last, isTrimmed(last) { slice = slice.dropLast() }
        return slice
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

import RESP

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
        RequestParser.splitArguments(fullLine)
    }

    static func splitStrings(_ line: String) -> [String]? {
        split(Array(line.utf8))?.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Quotes a command-line argument so `split` gives it back unchanged:
    /// wrapped in double quotes, with \\ \" \n \r \t \a \b escaped and any
    /// other non-printable byte written as \xHH. redis-server quotes option
    /// values this way, and the result is what its error messages show.
    static func quote(_ text: String) -> String {
        var out: [UInt8] = []
        Repr.append(text.utf8, to: &out)
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
}

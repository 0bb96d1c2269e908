/// Lua 5.1 tokens.
enum TokenKind: Equatable {
    case name, string, number, eof
    case kwAnd, kwBreak, kwDo, kwElse, kwElseif, kwEnd, kwFalse, kwFor, kwFunction, kwIf, kwIn
    case kwLocal, kwNil, kwNot, kwOr, kwRepeat, kwReturn, kwThen, kwTrue, kwUntil, kwWhile
    case concat, dots, eq, ge, le, ne
    /// Any single-character token: `+ - * / % ^ # < > = ( ) { } [ ] ; : , .`
    case char(UInt8)

    /// The spelling Lua's `luaX_token2str` gives (used in "'x' expected").
    var display: String {
        switch self {
        case .name: return "<name>"
        case .string: return "<string>"
        case .number: return "<number>"
        case .eof: return "<eof>"
        case .concat: return ".."
        case .dots: return "..."
        case .eq: return "=="
        case .ge: return ">="
        case .le: return "<="
        case .ne: return "~="
        case .char(let c):
            if c < 32 || c == 127 { return "char(\(c))" }
            return String(UnicodeScalar(c))
        default:
            for (word, kind) in Lexer.keywords where kind == self { return word }
            return "?"
        }
    }
}

struct Token {
    var kind: TokenKind = .eof
    /// For strings the contents, for names the identifier.
    var bytes: [UInt8] = []
    var number: Double = 0
    /// The raw text of a name/string/number token as Lua's error messages
    /// quote it (strings with their delimiters).
    var raw: [UInt8] = []
}

/// A syntax or lexical error, already formatted as Lua formats it
/// (`chunk:line: message near 'token'`).
public struct LuaSyntaxError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Splits Lua 5.1 source into tokens, following `llex.c`'s rules: line
/// counting for \n, \r and their pairs, long brackets with levels, all
/// string escapes, numerals read greedily then validated by `strtod`.
struct Lexer {
    static let keywords: [(String, TokenKind)] = [
        ("and", .kwAnd), ("break", .kwBreak), ("do", .kwDo), ("else", .kwElse), ("elseif", .kwElseif),
        ("end", .kwEnd), ("false", .kwFalse), ("for", .kwFor), ("function", .kwFunction), ("if", .kwIf),
        ("in", .kwIn), ("local", .kwLocal), ("nil", .kwNil), ("not", .kwNot), ("or", .kwOr),
        ("repeat", .kwRepeat), ("return", .kwReturn), ("then", .kwThen), ("true", .kwTrue),
        ("until", .kwUntil), ("while", .kwWhile),
    ]
    private static let keywordTable: [[UInt8]: TokenKind] = {
        var table: [[UInt8]: TokenKind] = [:]
        for (word, kind) in keywords { table[Array(word.utf8)] = kind }
        return table
    }()

    let source: [UInt8]
    let chunkName: String
    var position = 0
    var line = 1
    /// The line of the last token consumed (for "ambiguous syntax").
    var lastLine = 1
    var current = Token()
    var lookahead: Token? = nil
    /// Text of the token being scanned (for error messages).
    private var buffer: [UInt8] = []

    init(source: [UInt8], chunkName: String) {
        self.source = source
        self.chunkName = chunkName
        // A first line starting with '#' (a Unix script line) is skipped,
        // as luaL_loadfile does; for strings Lua does not, so neither do we.
    }

    @inline(__always) private var currentChar: Int {
        position < source.count ? Int(source[position]) : -1
    }

    @inline(__always) private func peek(_ offset: Int) -> Int {
        position + offset < source.count ? Int(source[position + offset]) : -1
    }

    private func isNewline(_ c: Int) -> Bool { c == 10 || c == 13 }

    func error(_ message: String, near token: TokenKind?) -> LuaSyntaxError {
        var text = "\(chunkName):\(line): \(message)"
        if let token {
            text += " near '\(nearText(token))'"
        }
        return LuaSyntaxError(message: text)
    }

    private func nearText(_ token: TokenKind) -> String {
        switch token {
        // Lua formats the token with %s, so the text ends at a zero byte.
        case .name, .string, .number: return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        default: return token.display
        }
    }

    /// The error for the current token (parser errors).
    func syntaxError(_ message: String) -> LuaSyntaxError {
        error(message, near: current.kind)
    }

    mutating func next() throws {
        lastLine = line
        if let ahead = lookahead {
            current = ahead
            lookahead = nil
            buffer = ahead.raw
        } else {
            current = try scan()
        }
    }

    mutating func peekToken() throws -> TokenKind {
        if lookahead == nil {
            let saved = buffer
            lookahead = try scan()
            buffer = saved
        }
        return lookahead!.kind
    }

    private mutating func skipNewline() {
        let old = currentChar
        position += 1
        let c = currentChar
        if isNewline(c) && c != old { position += 1 }
        line += 1
    }

    private mutating func scan() throws -> Token {
        buffer.removeAll(keepingCapacity: true)
        while true {
            let c = currentChar
            switch c {
            case -1:
                return Token(kind: .eof)
            case 10, 13:
                skipNewline()
            case 45:  // '-'
                if peek(1) != 45 { position += 1; return Token(kind: .char(45)) }
                position += 2
                if currentChar == 91 {  // '['
                    let level = skipSeparator()
                    buffer.removeAll(keepingCapacity: true)
                    if level >= 0 {
                        _ = try readLongString(level: level, isComment: true)
                        buffer.removeAll(keepingCapacity: true)
                        continue
                    }
                }
                while currentChar != -1 && !isNewline(currentChar) { position += 1 }
            case 91:  // '['
                let level = skipSeparator()
                if level >= 0 {
                    let contents = try readLongString(level: level, isComment: false)
                    return Token(kind: .string, bytes: contents, raw: buffer)
                } else if level == -1 {
                    return Token(kind: .char(91))
                } else {
                    throw error("invalid long string delimiter", near: .string)
                }
            case 61:  // '='
                position += 1
                if currentChar == 61 { position += 1; return Token(kind: .eq) }
                return Token(kind: .char(61))
            case 60:
                position += 1
                if currentChar == 61 { position += 1; return Token(kind: .le) }
                return Token(kind: .char(60))
            case 62:
                position += 1
                if currentChar == 61 { position += 1; return Token(kind: .ge) }
                return Token(kind: .char(62))
            case 126:  // '~'
                position += 1
                if currentChar == 61 { position += 1; return Token(kind: .ne) }
                return Token(kind: .char(126))
            case 34, 39:
                return try readString(delimiter: c)
            case 46:  // '.'
                if peek(1) == 46 {
                    if peek(2) == 46 { position += 3; return Token(kind: .dots) }
                    position += 2
                    return Token(kind: .concat)
                }
                if peek(1) >= 48 && peek(1) <= 57 { return try readNumeral() }
                position += 1
                return Token(kind: .char(46))
            default:
                if c == 32 || c == 9 || c == 11 || c == 12 {
                    position += 1
                } else if c >= 48 && c <= 57 {
                    return try readNumeral()
                } else if isAlpha(c) {
                    let start = position
                    while isAlnum(currentChar) { position += 1 }
                    let word = Array(source[start..<position])
                    buffer = word
                    if let keyword = Lexer.keywordTable[word] { return Token(kind: keyword) }
                    return Token(kind: .name, bytes: word, raw: word)
                } else {
                    position += 1
                    return Token(kind: .char(UInt8(c)))
                }
            }
        }
    }

    private func isAlpha(_ c: Int) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95
    }

    private func isAlnum(_ c: Int) -> Bool {
        isAlpha(c) || (c >= 48 && c <= 57)
    }

    /// At '[' or ']': consumes it and any '='s; returns the level when the
    /// same bracket follows, else -(level) - 1 (so -1 means a plain bracket).
    private mutating func skipSeparator() -> Int {
        let bracket = currentChar
        buffer.append(UInt8(bracket))
        position += 1
        var count = 0
        while currentChar == 61 {
            buffer.append(61)
            position += 1
            count += 1
        }
        return currentChar == bracket ? count : -count - 1
    }

    /// Reads a long bracket body after its opening `[=*`; the text between
    /// the brackets (newlines normalised to \n, a first newline dropped) is
    /// what the token's raw buffer holds minus the delimiters.
    private mutating func readLongString(level: Int, isComment: Bool) throws -> [UInt8] {
        buffer.append(UInt8(currentChar))  // second '['
        position += 1
        if isNewline(currentChar) {
            skipNewline()
        }
        while true {
            let c = currentChar
            switch c {
            case -1:
                throw error(isComment ? "unfinished long comment" : "unfinished long string", near: .eof)
            case 91:  // '[': Lua 5.1 rejects a nested [[ inside level-0 brackets
                if skipSeparator() == level {
                    buffer.append(91)
                    position += 1
                    if level == 0 {
                        throw error("nesting of [[...]] is deprecated", near: .char(91))
                    }
                }
            case 93:  // ']'
                if skipSeparator() == level {
                    buffer.append(93)
                    position += 1
                    let delimiter = 2 + level
                    if isComment || buffer.count < 2 * delimiter { return [] }
                    return Array(buffer[delimiter..<(buffer.count - delimiter)])
                }
            case 10, 13:
                buffer.append(10)
                skipNewline()
            default:
                buffer.append(UInt8(c))
                position += 1
            }
        }
    }

    private mutating func readString(delimiter: Int) throws -> Token {
        buffer.append(UInt8(delimiter))
        position += 1
        var contents: [UInt8] = []
        while currentChar != delimiter {
            let c = currentChar
            switch c {
            case -1:
                throw error("unfinished string", near: .eof)
            case 10, 13:
                throw error("unfinished string", near: .string)
            case 92:  // '\'
                position += 1
                let e = currentChar
                var value: Int
                switch e {
                case 97: value = 7
                case 98: value = 8
                case 102: value = 12
                case 110: value = 10
                case 114: value = 13
                case 116: value = 9
                case 118: value = 11
                case 10, 13:
                    buffer.append(10)
                    contents.append(10)
                    skipNewline()
                    continue
                case -1:
                    continue  // reported as unfinished string
                default:
                    if e >= 48 && e <= 57 {
                        value = 0
                        var digits = 0
                        while digits < 3 && currentChar >= 48 && currentChar <= 57 {
                            value = value * 10 + (currentChar - 48)
                            position += 1
                            digits += 1
                        }
                        if value > 255 {
                            throw error("escape sequence too large", near: .string)
                        }
                        buffer.append(UInt8(value))
                        contents.append(UInt8(value))
                        continue
                    }
                    value = e
                }
                buffer.append(UInt8(value))
                contents.append(UInt8(value))
                position += 1
            default:
                buffer.append(UInt8(c))
                contents.append(UInt8(c))
                position += 1
            }
        }
        buffer.append(UInt8(delimiter))
        position += 1
        return Token(kind: .string, bytes: contents, raw: buffer)
    }

    private mutating func readNumeral() throws -> Token {
        let start = position
        while (currentChar >= 48 && currentChar <= 57) || currentChar == 46 { position += 1 }
        if currentChar == 69 || currentChar == 101 {  // E e
            position += 1
            if currentChar == 43 || currentChar == 45 { position += 1 }
        }
        while isAlnum(currentChar) { position += 1 }
        let text = Array(source[start..<position])
        buffer = text
        guard let value = LuaNumberParser.parse(text) else {
            throw error("malformed number", near: .number)
        }
        return Token(kind: .number, number: value, raw: text)
    }
}

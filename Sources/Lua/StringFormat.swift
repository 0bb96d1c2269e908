/// `string.format`: Lua 5.1's format scanner (flags `-+ #0`, at most two
/// width and two precision digits) with each item rendered by C's
/// `vsnprintf`, so numbers print exactly as in the reference.
extension LuaState {
    static func format(_ args: LuaArguments) throws -> Int {
        let state = args.state
        let formatString = try args.checkString(1).bytes
        var output: [UInt8] = []
        var argument = 1
        var i = 0
        let n = formatString.count
        while i < n {
            let c = formatString[i]
            if c != 37 {
                output.append(c)
                i += 1
                continue
            }
            i += 1
            if i < n && formatString[i] == 37 {
                output.append(37)
                i += 1
                continue
            }
            argument += 1
            if argument > args.count { throw args.argumentError(argument, "no value") }
            // Scan flags, width, precision.
            let specStart = i
            let flags: Set<UInt8> = Set("-+ #0".utf8)
            func byte(_ k: Int) -> UInt8 { k < n ? formatString[k] : 0 }
            while i < n && flags.contains(formatString[i]) { i += 1 }
            if i - specStart >= 6 { throw args.error("invalid format (repeated flags)") }
            if PatternMatcher.isDigit(byte(i)) { i += 1 }
            if PatternMatcher.isDigit(byte(i)) { i += 1 }
            var hasPrecision = false
            if byte(i) == 46 {
                hasPrecision = true
                i += 1
                if PatternMatcher.isDigit(byte(i)) { i += 1 }
                if PatternMatcher.isDigit(byte(i)) { i += 1 }
            }
            if PatternMatcher.isDigit(byte(i)) { throw args.error("invalid format (width or precision too long)") }
            let conversion = byte(i)
            i += 1
            let spec = "%" + String(decoding: formatString[specStart..<min(i - 1, n)], as: UTF8.self)
            switch conversion {
            case 99:  // c
                let d = try args.checkNumber(argument)
                let item = CFormat.format(spec + "c", Int32(truncatingIfNeeded: LuaArguments.truncate(d)))
                output.append(contentsOf: item.prefix { $0 != 0 })
            case 100, 105:  // d i
                let d = try args.checkNumber(argument)
                let item = CFormat.formatLarge(spec + "l" + String(UnicodeScalar(conversion)), [Int64(LuaArguments.truncate(d))], capacity: 512)
                output.append(contentsOf: item)
            case 111, 117, 120, 88:  // o u x X
                let d = try args.checkNumber(argument)
                let item = CFormat.formatLarge(spec + "l" + String(UnicodeScalar(conversion)), [LuaState.unsignedConversion(d)], capacity: 512)
                output.append(contentsOf: item)
            case 101, 69, 102, 103, 71:  // e E f g G
                let d = try args.checkNumber(argument)
                let item = CFormat.formatLarge(spec + String(UnicodeScalar(conversion)), [d], capacity: 1024)
                output.append(contentsOf: item)
            case 113:  // q
                let s = try args.checkString(argument)
                output.append(34)
                for b in s.bytes {
                    switch b {
                    case 34, 92, 10:
                        output.append(92)
                        output.append(b)
                    case 13: output.append(contentsOf: [92, 114])
                    case 0: output.append(contentsOf: [92, 48, 48, 48])
                    default: output.append(b)
                    }
                }
                output.append(34)
            case 115:  // s
                let s = try args.checkString(argument)
                if !hasPrecision && s.count >= 100 {
                    output.append(contentsOf: s.bytes)
                } else {
                    let text = Array(s.bytes.prefix { $0 != 0 })
                    var z = text
                    z.append(0)
                    let item = z.withUnsafeBufferPointer { buffer in
                        CFormat.formatLarge(spec + "s", [buffer.baseAddress!], capacity: 512)
                    }
                    output.append(contentsOf: item)
                }
            default:
                let shown = conversion == 0 ? "" : String(decoding: [conversion], as: UTF8.self)
                throw args.error("invalid option '%\(shown)' to 'format'")
            }
            if output.count > state.maxStringLength { throw LuaError(message: "not enough memory") }
        }
        return try args.return(.string(LuaString(output)))
    }

    /// C's `(unsigned long)double` as GCC compiles it on x86-64.
    static func unsignedConversion(_ d: Double) -> UInt64 {
        if d.isNaN { return 1 << 63 }
        if d >= 9223372036854775808.0 {
            let reduced = d - 9223372036854775808.0
            let signed = reduced < 9223372036854775808.0 ? Int64(reduced) : Int64.min
            return UInt64(bitPattern: signed) ^ (1 << 63)
        }
        if d < -9223372036854775808.0 { return 1 << 63 }
        return UInt64(bitPattern: Int64(d))
    }
}

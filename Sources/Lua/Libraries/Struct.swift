/// The `struct` library Redis loads: Roberto Ierusalimschy's struct 0.2
/// (with Redis's bounds checks in `unpack`).
///
/// Functions: `struct.pack(fmt, v1, v2, ...)`, `struct.unpack(fmt, s [, i])`
/// (the values, then the position after them), `struct.size(fmt)`.
///
/// Format options: `>` big endian, `<` little endian, `![n]` maximum
/// alignment n (default 8), ` ` ignored, `x` one zero byte, `b`/`B` signed/
/// unsigned char, `h`/`H` short (2), `l`/`L` long (8), `T` size_t (8),
/// `i[n]`/`I[n]` integer of n bytes (default 4, at most 32), `f` float,
/// `d` double, `s` zero-terminated string, `c[n]` n bytes (default 1;
/// `c0`: the whole string when packing, the length given by the previous
/// value when unpacking). The native layout is x86-64's: little endian
/// by default, no alignment until `!`.
///
/// Surprises kept from the C code: integers are converted with C's casts
/// (negative numbers through `long`, others through `unsigned long`, so
/// out-of-range values wrap or saturate as x86-64 does); integers wider than
/// 8 bytes carry only 64 bits; `pack`'s "string too short" names the
/// argument after the string; `size` ignores unknown letters; `unpack`
/// with a negative offset wraps as a C `size_t`.
extension LuaState {
    public func openStruct() {
        let lib = LuaTable()
        globals.rawSetString(LuaString("struct"), .table(lib))
        register(lib, "pack") { args in try LuaStruct.pack(args) }
        register(lib, "unpack") { args in try LuaStruct.unpack(args) }
        register(lib, "size") { args in try LuaStruct.size(args) }
    }
}

enum LuaStruct {
    static let maxIntegerSize = 32
    static let maxAlign = 8

    /// Parsing state: the format (up to its first zero byte, as C reads
    /// it), the read position, and the header (endianness, alignment).
    struct Format {
        let bytes: [UInt8]
        var index = 0
        var littleEndian = true
        var align = 1

        init(_ s: LuaString) {
            if let zero = s.bytes.firstIndex(of: 0) { bytes = Array(s.bytes[..<zero]) } else { bytes = s.bytes }
        }

        var atEnd: Bool { index >= bytes.count }

        mutating func next() -> UInt8 {
            let c = bytes[index]
            index += 1
            return c
        }

        @inline(__always) func isDigit() -> Bool { index < bytes.count && bytes[index] >= 48 && bytes[index] <= 57 }

        /// `getnum`: digits after an option, or `fallback`.
        mutating func number(_ args: LuaArguments, _ fallback: Int) throws -> Int {
            if !isDigit() { return fallback }
            var a = 0
            repeat {
                let d = Int(bytes[index]) - 48
                if a > Int(Int32.max) / 10 || a * 10 > Int(Int32.max) - d {
                    throw args.error("integral size overflow")
                }
                a = a * 10 + d
                index += 1
            } while isDigit()
            return a
        }

        /// `optsize`: the size of option `opt` (0 for options with none).
        mutating func size(of opt: UInt8, _ args: LuaArguments) throws -> Int {
            switch opt {
            case UInt8(ascii: "B"), UInt8(ascii: "b"): return 1
            case UInt8(ascii: "H"), UInt8(ascii: "h"): return 2
            case UInt8(ascii: "L"), UInt8(ascii: "l"), UInt8(ascii: "T"): return 8
            case UInt8(ascii: "f"): return 4
            case UInt8(ascii: "d"): return 8
            case UInt8(ascii: "x"): return 1
            case UInt8(ascii: "c"): return try number(args, 1)
            case UInt8(ascii: "i"), UInt8(ascii: "I"):
                let n = try number(args, 4)
                if n > LuaStruct.maxIntegerSize {
                    throw args.error("integral size \(n) is larger than limit of \(LuaStruct.maxIntegerSize)")
                }
                return n
            default: return 0
            }
        }

        /// `gettoalign`, in C's unsigned arithmetic.
        func padding(at position: UInt, _ opt: UInt8, _ size: Int) -> UInt {
            if size == 0 || opt == UInt8(ascii: "c") { return 0 }
            var s = UInt(size)
            if s > UInt(align) { s = UInt(align) }
            return (s &- (position & (s &- 1))) & (s &- 1)
        }

        /// `controloptions`: endianness, alignment, spaces; anything else
        /// is an invalid option.
        mutating func control(_ opt: UInt8, _ args: LuaArguments) throws {
            switch opt {
            case UInt8(ascii: " "): return
            case UInt8(ascii: ">"): littleEndian = false
            case UInt8(ascii: "<"): littleEndian = true
            case UInt8(ascii: "!"):
                let a = try number(args, LuaStruct.maxAlign)
                if !(a > 0 && a & (a - 1) == 0) { throw args.error("alignment \(a) is not a power of 2") }
                align = a
            default:
                // The option is one raw byte (maybe not UTF-8): build the
                // message with a zero byte in its place, then put it there.
                let error = args.argumentError(1, "invalid format option '\u{0}'")
                guard case .string(let text) = error.value else { throw error }
                var bytes = text.bytes
                if let marker = bytes.lastIndex(of: 0) { bytes[marker] = opt }
                throw LuaError(.string(LuaString(bytes)))
            }
        }
    }

    static func isInteger(_ opt: UInt8) -> Bool {
        switch opt {
        case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "h"), UInt8(ascii: "H"), UInt8(ascii: "l"),
             UInt8(ascii: "L"), UInt8(ascii: "T"), UInt8(ascii: "i"), UInt8(ascii: "I"):
            return true
        default: return false
        }
    }

    /// C's `(unsigned long)(long)n` for negative n and `(unsigned long)n`
    /// otherwise, as GCC compiles them for x86-64 (out of range gives the
    /// "integer indefinite" 2^63, or 0 past 2^64 on the unsigned path).
    static func cIntegerBits(_ n: Double) -> UInt64 {
        if n < 0 {
            if n >= -9223372036854775808.0 { return UInt64(bitPattern: Int64(n)) }
            return 1 << 63
        }
        if n < 9223372036854775808.0 { return UInt64(Int64(n)) }  // NaN fails the comparison below too
        if n.isNaN { return 1 << 63 }
        let reduced = n - 9223372036854775808.0
        let low: UInt64 = reduced < 9223372036854775808.0 ? UInt64(Int64(reduced)) : 1 << 63
        return low ^ (1 << 63)
    }

    static func pack(_ args: LuaArguments) throws -> Int {
        var format = Format(try args.checkString(1))
        var out: [UInt8] = []
        var arg = 2
        var total: UInt = 0
        while !format.atEnd {
            let opt = format.next()
            var size = try format.size(of: opt, args)
            let pad = format.padding(at: total, opt, size)
            total &+= pad
            for _ in 0..<pad { out.append(0) }
            switch opt {
            case _ where isInteger(opt):
                let n = try packNumber(args, arg)
                arg += 1
                var value = cIntegerBits(n)
                let start = out.count
                out.append(contentsOf: repeatElement(0, count: size))
                for i in 0..<size {
                    out[format.littleEndian ? start + i : start + size - 1 - i] = UInt8(truncatingIfNeeded: value)
                    value = i < 8 ? value >> 8 : 0
                }
            case UInt8(ascii: "x"):
                out.append(0)
            case UInt8(ascii: "f"):
                let bits = Float(try packNumber(args, arg)).bitPattern
                arg += 1
                appendBytes(&out, UInt64(bits), 4, format.littleEndian)
            case UInt8(ascii: "d"):
                let bits = try packNumber(args, arg).bitPattern
                arg += 1
                appendBytes(&out, bits, 8, format.littleEndian)
            case UInt8(ascii: "c"), UInt8(ascii: "s"):
                let s = try packString(args, arg)
                arg += 1
                if size == 0 { size = s.count }
                // struct 0.2 checks after moving to the next argument, so
                // the message names the argument after the string.
                if s.count < size { throw args.argumentError(arg, "string too short") }
                out.append(contentsOf: s.bytes[0..<size])
                if opt == UInt8(ascii: "s") {
                    out.append(0)
                    size += 1
                }
            default:
                try format.control(opt, args)
            }
            total &+= UInt(size)
        }
        return try args.return(.string(LuaString(out)))
    }

    /// `pack` pushes a nil after its arguments before reading them, so the
    /// first missing value is reported as "got nil" (later ones as "no value").
    static func packNumber(_ args: LuaArguments, _ n: Int) throws -> Double {
        if n == args.count + 1 { throw args.argumentError(n, "number expected, got nil") }
        return try args.checkNumber(n)
    }

    static func packString(_ args: LuaArguments, _ n: Int) throws -> LuaString {
        if n == args.count + 1 { throw args.argumentError(n, "string expected, got nil") }
        return try args.checkString(n)
    }

    static func appendBytes(_ out: inout [UInt8], _ bits: UInt64, _ size: Int, _ littleEndian: Bool) {
        for i in 0..<size {
            let shift = littleEndian ? i * 8 : (size - 1 - i) * 8
            out.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
    }

    static func readBits(_ data: [UInt8], _ position: Int, _ size: Int, _ littleEndian: Bool) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<size {
            let byte = data[littleEndian ? position + size - 1 - i : position + i]
            value = value << 8 | UInt64(byte)
        }
        return value
    }

    static func unpack(_ args: LuaArguments) throws -> Int {
        var format = Format(try args.checkString(1))
        let data = try args.checkString(2).bytes
        let length = UInt(data.count)
        var position = UInt(bitPattern: try args.optionalInteger(3, default: 1))
        if position == 0 { throw args.argumentError(3, "offset must be 1 or greater") }
        position -= 1
        var results = 0
        let state = args.state
        while !format.atEnd {
            let opt = format.next()
            var size = UInt(try format.size(of: opt, args))
            position &+= format.padding(at: position, opt, Int(size))
            if !(size <= length && position <= length - size) {
                throw args.argumentError(2, "data string too short")
            }
            // luaL_checkstack(L, 2): a C function may hold 8000 slots.
            if max(args.count, 1) + results + 2 > 8000 { throw args.error("stack overflow (too many results)") }
            let p = Int(position)
            switch opt {
            case _ where isInteger(opt):
                let n = Int(size)
                let raw = readBits(data, p, n, format.littleEndian)
                if opt >= UInt8(ascii: "a") {  // lower case: signed
                    let mask = UInt64.max << UInt64((n * 8 - 1) & 63)
                    try state.push(.number(Double(Int64(bitPattern: raw & mask != 0 ? raw | mask : raw))))
                } else {
                    try state.push(.number(Double(raw)))
                }
                results += 1
            case UInt8(ascii: "x"):
                break
            case UInt8(ascii: "f"):
                try state.push(.number(Double(Float(bitPattern: UInt32(readBits(data, p, 4, format.littleEndian))))))
                results += 1
            case UInt8(ascii: "d"):
                try state.push(.number(Double(bitPattern: readBits(data, p, 8, format.littleEndian))))
                results += 1
            case UInt8(ascii: "c"):
                if size == 0 {
                    let previous = results > 0 ? state.stack[state.top - 1].coercedNumber : nil
                    guard let count = previous else { throw args.error("format 'c0' needs a previous size") }
                    size = UInt(truncatingIfNeeded: cIntegerBits(count))
                    state.top -= 1
                    results -= 1
                    if !(size <= length && position <= length - size) {
                        throw args.argumentError(2, "data string too short")
                    }
                }
                try state.push(.string(LuaString(data[p..<(p + Int(size))])))
                results += 1
            case UInt8(ascii: "s"):
                guard let zero = data[p...].firstIndex(of: 0) else { throw args.error("unfinished string in data") }
                size = UInt(zero - p + 1)
                try state.push(.string(LuaString(data[p..<zero])))
                results += 1
            default:
                try format.control(opt, args)
            }
            position &+= size
        }
        try state.push(.number(Double(Int(bitPattern: position &+ 1))))
        return results + 1
    }

    static func size(_ args: LuaArguments) throws -> Int {
        var format = Format(try args.checkString(1))
        var position: UInt = 0
        while !format.atEnd {
            let opt = format.next()
            let size = try format.size(of: opt, args)
            position &+= format.padding(at: position, opt, size)
            if opt == UInt8(ascii: "s") {
                throw args.argumentError(1, "option 's' has no fixed size")
            } else if opt == UInt8(ascii: "c") && size == 0 {
                throw args.argumentError(1, "option 'c0' has no fixed size")
            }
            let isAlphanumeric = (opt >= 48 && opt <= 57) || (opt | 0x20 >= 97 && opt | 0x20 <= 122)
            if !isAlphanumeric { try format.control(opt, args) }
            position &+= UInt(size)
        }
        return try args.return(.number(Double(Int(bitPattern: position))))
    }
}

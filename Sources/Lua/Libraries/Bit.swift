/// The `bit` library Redis loads: LuaBitOp 1.0.2 by Mike Pall.
///
/// Functions: `bit.tobit(x)`, `bit.tohex(x [,n])`, `bit.bnot(x)`,
/// `bit.band(x1 [,x2...])`, `bit.bor(x1 [,x2...])`, `bit.bxor(x1 [,x2...])`,
/// `bit.lshift(x, n)`, `bit.rshift(x, n)`, `bit.arshift(x, n)`,
/// `bit.rol(x, n)`, `bit.ror(x, n)`, `bit.bswap(x)`.
///
/// Every operand is normalised to 32 bits the way LuaBitOp does it on a
/// double-number Lua: it adds 2^52+2^51 to the number and keeps the low 32
/// bits of the sum's IEEE representation. That rounds fractions half to even
/// (`tobit(2.5)` is 2, `tobit(1.5)` is 2) and wraps modulo 2^32; for
/// magnitudes beyond 2^51 it yields whatever low mantissa bits the rounded
/// sum has, and NaN and infinities give 0. Results are signed 32-bit numbers.
///
/// Arguments go through `lua_tonumber`, so numeric strings are accepted; a
/// value that is not a number and does not convert raises
/// `bad argument #n to 'band' (number expected, got string)`.
///
/// `tohex(x, n)`: n digits (default 8, at most 8), upper case when n is
/// negative. n = -2^31 is treated as -(2^31-1), the fix for CVE-2024-31449
/// that the Redis we copy carries (unpatched LuaBitOp negates it and
/// overflows).
extension LuaState {
    public func openBit() {
        let bit = LuaTable()
        globals.rawSetString(LuaString("bit"), .table(bit))

        register(bit, "tobit") { args in try args.return(LuaBit.result(try LuaBit.argument(args, 1))) }
        register(bit, "bnot") { args in try args.return(LuaBit.result(~(try LuaBit.argument(args, 1)))) }
        func fold(_ name: String, _ op: @escaping (UInt32, UInt32) -> UInt32) {
            register(bit, name) { args in
                var b = try LuaBit.argument(args, 1)
                // LuaBitOp folds from the last argument down to the second,
                // so the first bad argument reported is the last one.
                var i = args.count
                while i > 1 {
                    b = op(b, try LuaBit.argument(args, i))
                    i -= 1
                }
                return try args.return(LuaBit.result(b))
            }
        }
        fold("band", &)
        fold("bor", |)
        fold("bxor", ^)
        func shift(_ name: String, _ op: @escaping (UInt32, UInt32) -> UInt32) {
            register(bit, name) { args in
                let b = try LuaBit.argument(args, 1)
                let n = try LuaBit.argument(args, 2) & 31
                return try args.return(LuaBit.result(op(b, n)))
            }
        }
        shift("lshift") { b, n in b << n }
        shift("rshift") { b, n in b >> n }
        shift("arshift") { b, n in UInt32(bitPattern: Int32(bitPattern: b) >> Int32(n)) }
        shift("rol") { b, n in (b << n) | (b >> (32 - n)) }  // Swift: shifting by 32 gives 0, as x86 rotate semantics need here
        shift("ror") { b, n in (b << (32 - n)) | (b >> n) }
        register(bit, "bswap") { args in try args.return(LuaBit.result(try LuaBit.argument(args, 1).byteSwapped)) }
        register(bit, "tohex") { args in
            var b = try LuaBit.argument(args, 1)
            var n: Int32 = args.count < 2 ? 8 : Int32(bitPattern: try LuaBit.argument(args, 2))
            var digits = LuaBit.lowerDigits
            if n == Int32.min { n = Int32.min + 1 }
            if n < 0 { n = -n; digits = LuaBit.upperDigits }
            if n > 8 { n = 8 }
            var buffer: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
            let count = Int(n)
            let text = withUnsafeMutableBytes(of: &buffer) { raw -> [UInt8] in
                var i = count - 1
                while i >= 0 {
                    raw[i] = digits[Int(b & 15)]
                    b >>= 4
                    i -= 1
                }
                return Array(raw.prefix(count))
            }
            return try args.return(.string(LuaString(text)))
        }
    }
}

enum LuaBit {
    static let lowerDigits: [UInt8] = Array("0123456789abcdef".utf8)
    static let upperDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// LuaBitOp's `barg`: `lua_tonumber` of the argument, plus 2^52+2^51,
    /// low 32 bits of the double. A zero result from a non-number is the
    /// type error (Lua 5.1 builds of LuaBitOp check only then).
    @inline(__always) static func argument(_ args: LuaArguments, _ n: Int) throws -> UInt32 {
        let number = args.value(n).coercedNumber
        let sum = (number ?? 0) + 6755399441055744.0
        let b = UInt32(truncatingIfNeeded: sum.bitPattern)
        if b == 0 && number == nil { throw args.typeError(n, expected: "number") }
        return b
    }

    @inline(__always) static func result(_ b: UInt32) -> LuaValue {
        .number(Double(Int32(bitPattern: b)))
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Lua 5.1's math library (C libm underneath, so results match) and the
/// one os function scripts need (`os.clock`).
extension LuaState {
    func openMathLibrary() {
        let math = LuaTable()
        globals.rawSetString(LuaString("math"), .table(math))
        func unary(_ name: String, _ f: @escaping (Double) -> Double) {
            register(math, name) { args in try args.return(.number(f(try args.checkNumber(1)))) }
        }
        unary("abs") { Glibc.fabs($0) }
        unary("acos") { Glibc.acos($0) }
        unary("asin") { Glibc.asin($0) }
        unary("atan") { Glibc.atan($0) }
        unary("ceil") { Glibc.ceil($0) }
        unary("cos") { Glibc.cos($0) }
        unary("cosh") { Glibc.cosh($0) }
        unary("deg") { $0 / (Double.pi / 180.0) }
        unary("exp") { Glibc.exp($0) }
        unary("floor") { Glibc.floor($0) }
        unary("log") { Glibc.log($0) }
        unary("log10") { Glibc.log10($0) }
        unary("rad") { $0 * (Double.pi / 180.0) }
        unary("sin") { Glibc.sin($0) }
        unary("sinh") { Glibc.sinh($0) }
        unary("sqrt") { Glibc.sqrt($0) }
        unary("tan") { Glibc.tan($0) }
        unary("tanh") { Glibc.tanh($0) }
        // For the two-argument functions, lua5.1 (built by GCC) checks the
        // second argument first: C evaluates those call arguments right to
        // left. Doing the same gives the same "bad argument #n".
        register(math, "atan2") { args in
            let y = try args.checkNumber(2)
            return try args.return(.number(Glibc.atan2(try args.checkNumber(1), y)))
        }
        let fmod = register(math, "fmod") { args in
            let y = try args.checkNumber(2)
            return try args.return(.number(Glibc.fmod(try args.checkNumber(1), y)))
        }
        math.rawSetString(LuaString("mod"), .function(fmod))
        register(math, "pow") { args in
            let y = try args.checkNumber(2)
            return try args.return(.number(Glibc.pow(try args.checkNumber(1), y)))
        }
        register(math, "ldexp") { args in
            let e = try args.checkInt32(2)
            return try args.return(.number(Glibc.ldexp(try args.checkNumber(1), Int32(e))))
        }
        register(math, "frexp") { args in
            var exponent: Int32 = 0
            let mantissa = Glibc.frexp(try args.checkNumber(1), &exponent)
            try args.state.push(.number(mantissa))
            try args.state.push(.number(Double(exponent)))
            return 2
        }
        register(math, "modf") { args in
            var integral = 0.0
            let fraction = Glibc.modf(try args.checkNumber(1), &integral)
            try args.state.push(.number(integral))
            try args.state.push(.number(fraction))
            return 2
        }
        register(math, "max") { args in
            var best = try args.checkNumber(1)
            if args.count >= 2 {
                for i in 2...args.count {
                    let d = try args.checkNumber(i)
                    if d > best { best = d }
                }
            }
            return try args.return(.number(best))
        }
        register(math, "min") { args in
            var best = try args.checkNumber(1)
            if args.count >= 2 {
                for i in 2...args.count {
                    let d = try args.checkNumber(i)
                    if d < best { best = d }
                }
            }
            return try args.return(.number(best))
        }
        register(math, "random") { args in
            let r = args.state.random()
            switch args.count {
            case 0:
                return try args.return(.number(r))
            case 1:
                let upper = try args.checkInt32(1)
                if !(1 <= upper) { throw args.argumentError(1, "interval is empty") }
                return try args.return(.number(Glibc.floor(r * Double(upper)) + 1))
            case 2:
                let lower = try args.checkInt32(1)
                let upper = try args.checkInt32(2)
                if !(lower <= upper) { throw args.argumentError(2, "interval is empty") }
                return try args.return(.number(Glibc.floor(r * Double(upper - lower + 1)) + Double(lower)))
            default:
                throw args.error("wrong number of arguments")
            }
        }
        register(math, "randomseed") { args in
            args.state.randomSeed(try args.checkInt32(1))
            return 0
        }
        math.rawSetString(LuaString("pi"), .number(Double.pi))
        math.rawSetString(LuaString("huge"), .number(Double.infinity))
    }

    func openOSLibrary() {
        let os = LuaTable()
        globals.rawSetString(LuaString("os"), .table(os))
        register(os, "clock") { args in
            try args.return(.number(Double(Glibc.clock()) / Double(CLOCKS_PER_SEC)))
        }
    }
}

/// The `cmsgpack` library Redis loads: lua-cmsgpack 0.4.0 (Salvatore
/// Sanfilippo) as patched in Redis 7.0.
///
/// Fields: `cmsgpack.pack(v1, v2, ...)` (one MessagePack object per
/// argument, concatenated), `cmsgpack.unpack(s)` (every object in `s`, as
/// multiple values), `cmsgpack.unpack_one(s [, offset])` and
/// `cmsgpack.unpack_limit(s, limit [, offset])` (the next offset, -1 at the
/// end, then the values), `_NAME`, `_VERSION`, `_COPYRIGHT`, `_DESCRIPTION`.
///
/// Encoding rules (from the C code, checked against Redis):
/// - a number that is an exact int64 is written as the smallest integer
///   form (fixint, uint8..64 for non-negative, int8..64 for negative);
///   any other number is a float32 when converting to float and back gives
///   the same double (so `1.5`, `2^63` and infinities are float32), else a
///   float64 (`0.1`, NaN);
/// - strings are fixstr/str8/str16/str32 (never bin);
/// - a table is an array when its keys are exactly the integers 1..n (keys
///   must be C ints), otherwise a map in `next` order; an empty table is an
///   empty array;
/// - a table nested 16 levels deep is written as nil, which is also how a
///   table containing itself comes out (16 levels, then nil);
/// - nil, functions and userdata (`cjson.null` too) are nil.
/// Decoding accepts nil, booleans, every integer and float form, str8/16/32
/// and fixstr, arrays and maps; other type bytes (bin, ext, 0xc1) are "Bad
/// data format in input.". uint64 values above 2^63-1 wrap to negative as
/// in Redis (Lua integers are signed there).
extension LuaState {
    public func openMessagePack() {
        let lib = LuaTable()
        register(lib, "pack") { args in try MessagePack.pack(args) }
        register(lib, "unpack") { args in try MessagePack.unpack(args, limit: 0, offset: 0, argumentSlots: args.count) }
        register(lib, "unpack_one") { args in
            let offset = try args.optionalInteger(2, default: 0)
            return try MessagePack.unpack(args, limit: 1, offset: offset, argumentSlots: 1)
        }
        register(lib, "unpack_limit") { args in
            let limit = try args.checkInteger(2)
            let offset = try args.optionalInteger(3, default: 0)
            return try MessagePack.unpack(args, limit: limit, offset: offset, argumentSlots: 1)
        }
        lib.rawSetString(LuaString("_NAME"), .string(LuaString("cmsgpack")))
        lib.rawSetString(LuaString("_VERSION"), .string(LuaString("lua-cmsgpack 0.4.0")))
        lib.rawSetString(LuaString("_COPYRIGHT"), .string(LuaString("Copyright (C) 2012, Salvatore Sanfilippo")))
        lib.rawSetString(LuaString("_DESCRIPTION"), .string(LuaString("MessagePack C implementation for Lua")))
        globals.rawSetString(LuaString("cmsgpack"), .table(lib))
    }
}

enum MessagePack {
    static let maxNesting = 16
    /// Lua's LUAI_MAXCSTACK (slots a C function may use).
    static let maxCStack = 8000

    // MARK: - Packing

    static func pack(_ args: LuaArguments) throws -> Int {
        if args.count == 0 { throw args.argumentError(0, "MessagePack pack needs input.") }
        if args.count * 2 > maxCStack { throw args.argumentError(0, "Too many arguments for MessagePack pack.") }
        var out: [UInt8] = []
        for i in 1...args.count {
            encode(args.value(i), &out, level: 0)
        }
        return try args.return(.string(LuaString(out)))
    }

    static func encode(_ value: LuaValue, _ out: inout [UInt8], level: Int) {
        switch value {
        case .string(let s): encodeString(s.bytes, &out)
        case .boolean(let b): out.append(b ? 0xc3 : 0xc2)
        case .number(let n): encodeNumber(n, &out)
        case .table(let t) where level != maxNesting: encodeTable(t, &out, level: level)
        default: out.append(0xc0)
        }
    }

    static func appendBigEndian(_ value: UInt64, _ count: Int, _ out: inout [UInt8]) {
        var shift = (count - 1) * 8
        while shift >= 0 {
            out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            shift -= 8
        }
    }

    static func encodeString(_ bytes: [UInt8], _ out: inout [UInt8]) {
        let n = bytes.count
        if n < 32 {
            out.append(0xa0 | UInt8(n))
        } else if n <= 0xff {
            out.append(0xd9); out.append(UInt8(n))
        } else if n <= 0xffff {
            out.append(0xda); appendBigEndian(UInt64(n), 2, &out)
        } else {
            out.append(0xdb); appendBigEndian(UInt64(n), 4, &out)
        }
        out.append(contentsOf: bytes)
    }

    static func encodeNumber(_ n: Double, _ out: inout [UInt8]) {
        // IS_INT64_EQUIVALENT: (int64_t)n == n, with x86's conversion
        // (out of range gives INT64_MIN, which only equals -2^63 itself).
        if n >= -9223372036854775808.0 && n < 9223372036854775808.0 && n.rounded(.towardZero) == n {
            encodeInteger(Int64(n), &out)
            return
        }
        let f = Float(n)
        if Double(f) == n {
            out.append(0xca); appendBigEndian(UInt64(f.bitPattern), 4, &out)
        } else {
            out.append(0xcb); appendBigEndian(n.bitPattern, 8, &out)
        }
    }

    static func encodeInteger(_ n: Int64, _ out: inout [UInt8]) {
        let bits = UInt64(bitPattern: n)
        if n >= 0 {
            if n <= 127 { out.append(UInt8(n)) }
            else if n <= 0xff { out.append(0xcc); out.append(UInt8(n)) }
            else if n <= 0xffff { out.append(0xcd); appendBigEndian(bits, 2, &out) }
            else if n <= 0xffff_ffff { out.append(0xce); appendBigEndian(bits, 4, &out) }
            else { out.append(0xcf); appendBigEndian(bits, 8, &out) }
        } else {
            if n >= -32 { out.append(UInt8(truncatingIfNeeded: n)) }
            else if n >= -128 { out.append(0xd0); appendBigEndian(bits, 1, &out) }
            else if n >= -32768 { out.append(0xd1); appendBigEndian(bits, 2, &out) }
            else if n >= -2147483648 { out.append(0xd2); appendBigEndian(bits, 4, &out) }
            else { out.append(0xd3); appendBigEndian(bits, 8, &out) }
        }
    }

    /// `table_is_an_array`: every key a positive number equal to its C
    /// int conversion, and the largest equal to the count.
    static func isArray(_ table: LuaTable) -> (Bool, Int) {
        var count = 0
        var largest = 0
        var array = true
        table.forEachRawEntry { key, _ in
            guard case .number(let n) = key, n > 0, n < 2147483648.0, n.rounded(.towardZero) == n else {
                array = false
                return false
            }
            largest = max(largest, Int(n))
            count += 1
            return true
        }
        return (array && largest == count, count)
    }

    static func encodeTable(_ table: LuaTable, _ out: inout [UInt8], level: Int) {
        let (array, count) = isArray(table)
        if array {
            // lua_objlen: with keys exactly 1..count the border is count.
            encodeHeader(UInt64(count), fix: 0x90, 0xdc, 0xdd, &out)
            var i = 1
            while i <= count {
                encode(table.get(number: Double(i)), &out, level: level + 1)
                i += 1
            }
        } else {
            var entries = 0
            table.forEachRawEntry { _, _ in entries += 1; return true }
            encodeHeader(UInt64(entries), fix: 0x80, 0xde, 0xdf, &out)
            var index = 0
            while let (key, value) = table.rawEntry(from: &index) {
                encode(key, &out, level: level + 1)
                encode(value, &out, level: level + 1)
            }
        }
    }

    static func encodeHeader(_ n: UInt64, fix: UInt8, _ sixteen: UInt8, _ thirtyTwo: UInt8, _ out: inout [UInt8]) {
        if n <= 15 { out.append(fix | UInt8(n)) }
        else if n <= 65535 { out.append(sixteen); appendBigEndian(n, 2, &out) }
        else { out.append(thirtyTwo); appendBigEndian(n, 4, &out) }
    }

    // MARK: - Unpacking

    enum Failure: Error { case missingBytes, badFormat }

    struct Decoder {
        let data: [UInt8]
        var position: Int
        let args: LuaArguments
        /// Slots the C code would hold on the Lua stack (for its
        /// `luaL_checkstack` calls).
        var slots: Int

        var left: Int { data.count - position }

        @inline(__always) func need(_ n: Int) throws {
            if left < n { throw Failure.missingBytes }
        }

        func readBig(_ at: Int, _ count: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<count { v = v << 8 | UInt64(data[at + i]) }
            return v
        }

        func stackOverflow(_ what: String) -> LuaError {
            args.error("stack overflow (\(what))")
        }

        /// A big-endian length of `width` bytes after the type byte; moves
        /// past both.
        mutating func prefixedLength(_ width: Int) throws -> Int {
            try need(1 + width)
            let length = Int(readBig(position + 1, width))
            position += 1 + width
            return length
        }

        mutating func string(_ headerLength: Int, _ length: Int) throws -> LuaValue {
            try need(headerLength + length)
            let start = position + headerLength
            position = start + length
            return .string(LuaString(data[start..<(start + length)]))
        }

        mutating func value() throws -> LuaValue {
            try need(1)
            if slots + 1 > MessagePack.maxCStack || args.state.nativeStackAddress() < args.state.nativeStackLimit {
                throw stackOverflow("too many return values at once; use unpack_one or unpack_limit instead.")
            }
            let type = data[position]
            switch type {
            case 0xcc:
                try need(2); position += 2
                return .number(Double(data[position - 1]))
            case 0xd0:
                try need(2); position += 2
                return .number(Double(Int8(bitPattern: data[position - 1])))
            case 0xcd:
                try need(3); position += 3
                return .number(Double(readBig(position - 2, 2)))
            case 0xd1:
                try need(3); position += 3
                return .number(Double(Int16(truncatingIfNeeded: readBig(position - 2, 2))))
            case 0xce:
                try need(5); position += 5
                return .number(Double(readBig(position - 4, 4)))
            case 0xd2:
                try need(5); position += 5
                return .number(Double(Int32(truncatingIfNeeded: readBig(position - 4, 4))))
            case 0xcf, 0xd3:
                // Both become a signed 64-bit Lua integer in Redis.
                try need(9); position += 9
                return .number(Double(Int64(bitPattern: readBig(position - 8, 8))))
            case 0xc0:
                position += 1
                return .nil
            case 0xc3:
                position += 1
                return .boolean(true)
            case 0xc2:
                position += 1
                return .boolean(false)
            case 0xca:
                try need(5); position += 5
                return .number(Double(Float(bitPattern: UInt32(readBig(position - 4, 4)))))
            case 0xcb:
                try need(9); position += 9
                return .number(Double(bitPattern: readBig(position - 8, 8)))
            case 0xd9:
                try need(2)
                return try string(2, Int(data[position + 1]))
            case 0xda:
                try need(3)
                return try string(3, Int(readBig(position + 1, 2)))
            case 0xdb: return try string(0, try prefixedLength(4))
            case 0xdc: return try array(try prefixedLength(2))
            case 0xdd: return try array(try prefixedLength(4))
            case 0xde: return try map(try prefixedLength(2))
            case 0xdf: return try map(try prefixedLength(4))
            default:
                if type & 0x80 == 0 {
                    position += 1
                    return .number(Double(type))
                } else if type & 0xe0 == 0xe0 {
                    position += 1
                    return .number(Double(Int8(bitPattern: type)))
                } else if type & 0xe0 == 0xa0 {
                    return try string(1, Int(type & 0x1f))
                } else if type & 0xf0 == 0x90 {
                    position += 1
                    return try array(Int(type & 0xf))
                } else if type & 0xf0 == 0x80 {
                    position += 1
                    return try map(Int(type & 0xf))
                }
                throw Failure.badFormat
            }
        }

        mutating func array(_ length: Int) throws -> LuaValue {
            let table = LuaTable()
            slots += 1
            if slots + 1 > MessagePack.maxCStack { throw stackOverflow("in function mp_decode_to_lua_array") }
            slots += 1  // the index being set
            var i = 1
            while i <= length {
                let element = try value()
                try set(table, .number(Double(i)), element)
                i += 1
            }
            slots -= 2
            return .table(table)
        }

        mutating func map(_ length: Int) throws -> LuaValue {
            let table = LuaTable()
            slots += 1
            var remaining = length
            while remaining > 0 {
                let key = try value()
                slots += 1
                let element = try value()
                slots -= 1
                try set(table, key, element)
                remaining -= 1
            }
            slots -= 1
            return .table(table)
        }

        /// `lua_settable` on a fresh table: nil and NaN keys are errors
        /// raised from C (so without a position), nil values still create
        /// a dead key as in Lua.
        func set(_ table: LuaTable, _ key: LuaValue, _ value: LuaValue) throws {
            do {
                try table.rawSet(key, value)
            } catch let error as LuaTable.WriteError {
                throw LuaError(message: error.message)
            }
        }
    }

    /// `mp_unpack_full`: limit 0 with offset 0 means "everything, no
    /// offset in the results" (also for `unpack_limit(s, 0)`).
    /// `argumentSlots`: the values on the C function's stack before decoding
    /// (`unpack` keeps all its arguments, the others pop all but the string).
    static func unpack(_ args: LuaArguments, limit: Int, offset: Int, argumentSlots: Int) throws -> Int {
        let s = try args.checkString(1)
        let length = s.count
        let decodeAll = limit == 0 && offset == 0
        if offset < 0 || limit < 0 {
            // Redis prints the input length where the limit is announced.
            throw args.error("Invalid request to unpack with offset of \(Int32(truncatingIfNeeded: offset)) and limit of \(Int32(truncatingIfNeeded: length)).")
        } else if offset > length {
            throw args.error("Start offset \(Int32(truncatingIfNeeded: offset)) greater than input length \(Int32(truncatingIfNeeded: length)).")
        }
        let effectiveLimit = decodeAll ? Int(Int32.max) : limit
        let state = args.state
        // The C function's stack: the string (extra arguments of unpack_one
        // and unpack_limit are popped first), then the values.
        var decoder = Decoder(data: s.bytes, position: offset, args: args, slots: argumentSlots)
        let base = state.top
        var count = 0
        while decoder.left > 0 && count < effectiveLimit {
            do {
                let v = try decoder.value()
                try state.push(v)
                decoder.slots += 1
            } catch Failure.missingBytes {
                throw args.error("Missing bytes in input.")
            } catch Failure.badFormat {
                throw args.error("Bad data format in input.")
            }
            count += 1
        }
        if decodeAll { return count }
        if decoder.slots + 1 > maxCStack { throw decoder.stackOverflow("in function mp_unpack_full") }
        // The next offset goes before the values.
        try state.push(.nil)
        var i = state.top - 1
        while i > base {
            state.stack[i] = state.stack[i - 1]
            i -= 1
        }
        state.stack[base] = .number(decoder.left == 0 ? -1 : Double(decoder.position))
        return count + 1
    }
}

/// SHA-1 (FIPS 180-4), which names scripts in Redis: EVALSHA, SCRIPT LOAD
/// and `redis.sha1hex` use the 40 lower-case hex digits of a body's hash.
/// Not for security; only for identity, as in Redis.
enum SHA1 {
    static func hex(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let digest = hash(bytes)
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(40)
        for word in digest {
            for shift in stride(from: 28, through: 0, by: -4) { out.append(digits[Int((word >> UInt32(shift)) & 0xF)]) }
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { hex($0) } }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt32] {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        // The message, a 1 bit, zeros, and the bit length (big-endian), in 64-byte blocks.
        var tail = Array(bytes.suffix(bytes.count % 64))
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        let bitLength = UInt64(bytes.count) &* 8
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8((bitLength >> UInt64(shift)) & 0xFF)) }
        var w = [UInt32](repeating: 0, count: 80)
        func block(_ p: UnsafeRawBufferPointer, _ offset: Int) {
            for i in 0..<16 {
                let b = offset + 4 * i
                w[i] = UInt32(p[b]) << 24 | UInt32(p[b + 1]) << 16 | UInt32(p[b + 2]) << 8 | UInt32(p[b + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = x << 1 | x >> 31
            }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32)
                switch i {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (f, k) = (b ^ c ^ d, 0xCA62_C1D6)
                }
                let t = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, t)
            }
            h[0] = h[0] &+ a; h[1] = h[1] &+ b; h[2] = h[2] &+ c; h[3] = h[3] &+ d; h[4] = h[4] &+ e
        }
        let whole = bytes.count - bytes.count % 64
        var offset = 0
        while offset < whole { block(bytes, offset); offset += 64 }
        tail.withUnsafeBytes { t in
            var o = 0
            while o < t.count { block(t, o); o += 64 }
        }
        return h
    }
}

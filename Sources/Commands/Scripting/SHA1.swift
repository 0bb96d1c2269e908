/// SHA-1 (FIPS 180-4), which names scripts in Redis: EVALSHA, SCRIPT LOAD
/// and `redis.sha1hex` use the 40 lower-case hex digits of a body's hash.
/// Not for security; only for identity, as in Redis.
///
/// Every EVAL hashes its body (as Redis does), so this runs per request:
/// the state is five words in a struct and the message schedule a
/// 16-word ring on the stack, with no arrays and no captured locals
/// (a first version with both spent 12% of an EVAL's CPU here).
enum SHA1 {
    /// The 40 lower-case hex digits of the hash of `bytes`.
    static func hex(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let state = hash(bytes)
        return [UInt8](unsafeUninitializedCapacity: 40) { out, count in
            let base = out.baseAddress!
            writeHex(state.a, base); writeHex(state.b, base + 8); writeHex(state.c, base + 16)
            writeHex(state.d, base + 24); writeHex(state.e, base + 32)
            count = 40
        }
    }

    @inline(__always)
    static func writeHex(_ word: UInt32, _ out: UnsafeMutablePointer<UInt8>) {
        for j in 0..<8 {
            let nibble = UInt8((word >> UInt32(28 - 4 * j)) & 0xF)
            out[j] = nibble < 10 ? 48 + nibble : 87 + nibble
        }
    }

    static func hex(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { hex($0) } }

    struct State {
        var a: UInt32 = 0x6745_2301, b: UInt32 = 0xEFCD_AB89, c: UInt32 = 0x98BA_DCFE, d: UInt32 = 0x1032_5476
        var e: UInt32 = 0xC3D2_E1F0

        /// Folds in the 64-byte block at `p`; `w` is 16 words of scratch.
        @inline(__always)
        mutating func compress(_ p: UnsafeRawPointer, _ w: UnsafeMutablePointer<UInt32>) {
            for i in 0..<16 { w[i] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            var (a, b, c, d, e) = (self.a, self.b, self.c, self.d, self.e)
            for i in 0..<80 {
                let word: UInt32
                if i < 16 {
                    word = w[i]
                } else {
                    let x = w[(i - 3) & 15] ^ w[(i - 8) & 15] ^ w[(i - 14) & 15] ^ w[i & 15]
                    word = x << 1 | x >> 31
                    w[i & 15] = word
                }
                let f: UInt32, k: UInt32
                if i < 20 { f = (b & c) | (~b & d); k = 0x5A82_7999 }
                else if i < 40 { f = b ^ c ^ d; k = 0x6ED9_EBA1 }
                else if i < 60 { f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC }
                else { f = b ^ c ^ d; k = 0xCA62_C1D6 }
                let t = (a << 5 | a >> 27) &+ f &+ e &+ k &+ word
                e = d; d = c; c = b << 30 | b >> 2; b = a; a = t
            }
            self.a &+= a; self.b &+= b; self.c &+= c; self.d &+= d; self.e &+= e
        }
    }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> State {
        var state = State()
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { schedule in
            let w = schedule.baseAddress!
            let whole = bytes.count - bytes.count % 64
            var offset = 0
            while offset < whole { state.compress(bytes.baseAddress! + offset, w); offset += 64 }
            // The rest, a 1 bit, zeros and the bit length (big-endian): one
            // or two more blocks.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { tail in
                let t = tail.baseAddress!
                t.initialize(repeating: 0, count: 128)
                let rest = bytes.count - whole
                if rest > 0 { UnsafeMutableRawPointer(t).copyMemory(from: bytes.baseAddress! + whole, byteCount: rest) }
                t[rest] = 0x80
                let blocks = rest < 56 ? 1 : 2
                let bitLength = UInt64(bytes.count) &* 8
                UnsafeMutableRawPointer(t).storeBytes(of: bitLength.bigEndian, toByteOffset: blocks * 64 - 8, as: UInt64.self)
                for k in 0..<blocks { state.compress(UnsafeRawPointer(t) + 64 * k, w) }
            }
        }
        return state
    }
}

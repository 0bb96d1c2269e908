/// A fast 64-bit hash for keys (after wyhash's final mix). Seeded per process
/// so that clients cannot craft keys that collide on purpose.
///
/// Bit use across the keyspace: the low bits choose the shard, the top bits
/// choose the home slot inside the shard's table (so slot order follows hash
/// order, which SCAN relies on), and the top 21 bits are also kept in the slot
/// as a tag.
public enum KeyHash {
    @usableFromInline static let secret0: UInt64 = 0xa076_1d64_78bd_642f
    @usableFromInline static let secret1: UInt64 = 0xe703_7ed1_a0b4_28db
    @usableFromInline static let secret2: UInt64 = 0x8ebc_6af0_9c88_c6e3

    @inlinable @inline(__always)
    static func mum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }

    @inlinable @inline(__always)
    static func read64(_ p: UnsafeRawPointer, _ o: Int) -> UInt64 {
        p.loadUnaligned(fromByteOffset: o, as: UInt64.self)
    }

    @inlinable @inline(__always)
    static func read32(_ p: UnsafeRawPointer, _ o: Int) -> UInt64 {
        UInt64(p.loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }

    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let n = bytes.count
        var seed = seed ^ mum(seed ^ secret0, secret1)
        var a: UInt64 = 0, b: UInt64 = 0
        guard let p = bytes.baseAddress else { return mum(secret1, mum(secret1, seed)) }
        if n <= 16 {
            if n >= 4 {
                let quarter = (n >> 3) << 2
                a = (read32(p, 0) << 32) | read32(p, quarter)
                b = (read32(p, n - 4) << 32) | read32(p, n - 4 - quarter)
            } else if n > 0 {
                a = (UInt64(bytes[0]) << 16) | (UInt64(bytes[n >> 1]) << 8) | UInt64(bytes[n - 1])
            }
        } else {
            var i = n
            var o = 0
            if i > 48 {
                var s1 = seed, s2 = seed
                repeat {
                    seed = mum(read64(p, o) ^ secret1, read64(p, o + 8) ^ seed)
                    s1 = mum(read64(p, o + 16) ^ secret2, read64(p, o + 24) ^ s1)
                    s2 = mum(read64(p, o + 32) ^ secret0, read64(p, o + 40) ^ s2)
                    o += 48; i -= 48
                } while i > 48
                seed ^= s1 ^ s2
            }
            while i > 16 {
                seed = mum(read64(p, o) ^ secret1, read64(p, o + 8) ^ seed)
                i -= 16; o += 16
            }
            a = read64(p, n - 16)
            b = read64(p, n - 8)
        }
        a ^= secret1
        b ^= seed
        let r = a.multipliedFullWidth(by: b)
        return mum(r.low ^ secret0 ^ UInt64(n), r.high ^ secret1)
    }
}

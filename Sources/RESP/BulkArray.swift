/// An array of bulk strings (`*N` then `$len` + bytes for each part) encoded
/// into one exactly sized byte array: the push frames of PUBLISH and of
/// tracking invalidations, built once and copied to every receiver.
public enum BulkArray {
    public static func encode(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer,
                              _ c: UnsafeRawBufferPointer) -> [UInt8] {
        let size = headerSize(3) + bulkSize(a) + bulkSize(b) + bulkSize(c)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var p = UnsafeMutableRawPointer(buffer.baseAddress!)
            p = header(0x2A, 3, at: p)
            p = bulk(a, at: p); p = bulk(b, at: p); p = bulk(c, at: p)
            initialized = size
        }
    }

    public static func encode(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer,
                              _ c: UnsafeRawBufferPointer, _ d: UnsafeRawBufferPointer) -> [UInt8] {
        let size = headerSize(4) + bulkSize(a) + bulkSize(b) + bulkSize(c) + bulkSize(d)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var p = UnsafeMutableRawPointer(buffer.baseAddress!)
            p = header(0x2A, 4, at: p)
            p = bulk(a, at: p); p = bulk(b, at: p); p = bulk(c, at: p); p = bulk(d, at: p)
            initialized = size
        }
    }

    public static func encode(_ parts: [[UInt8]]) -> [UInt8] {
        let size = parts.reduce(headerSize(parts.count)) { sum, part in sum + headerSize(part.count) + part.count + 2 }
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var p = UnsafeMutableRawPointer(buffer.baseAddress!)
            p = header(0x2A, parts.count, at: p)
            for part in parts { p = part.withUnsafeBytes { bulk($0, at: p) } }
            initialized = size
        }
    }

    @inline(__always) static func headerSize(_ n: Int) -> Int {
        var digits = 1, v = n
        while v >= 10 { digits += 1; v /= 10 }
        return digits + 3
    }

    @inline(__always) static func bulkSize(_ part: UnsafeRawBufferPointer) -> Int { headerSize(part.count) + part.count + 2 }

    @inline(__always) static func header(_ marker: UInt8, _ n: Int, at p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        p.storeBytes(of: marker, as: UInt8.self)
        let digits = Decimal.write(n, to: p + 1)
        (p + 1 + digits).storeBytes(of: 0x0A0D as UInt16, as: UInt16.self)
        return p + 3 + digits
    }

    @inline(__always) static func bulk(_ part: UnsafeRawBufferPointer, at p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        var q = header(0x24, part.count, at: p)
        if let base = part.baseAddress, part.count > 0 { q.copyMemory(from: base, byteCount: part.count) }
        q += part.count
        q.storeBytes(of: 0x0A0D as UInt16, as: UInt16.self)
        return q + 2
    }
}

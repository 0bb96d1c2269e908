/// The CRC-64 Redis puts at the end of DUMP payloads and RDB files
/// (Jones polynomial 0xad93d23594c935a9, reflected, initial value 0, no
/// final xor), a byte at a time through a 256-entry table.
public enum CRC64 {
    static let table: [UInt64] = (0..<256).map { byte -> UInt64 in
        // The reflected polynomial.
        let polynomial: UInt64 = 0x95AC_9329_AC4B_C9B5
        var crc = UInt64(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
        return crc
    }

    public static func checksum(_ bytes: UnsafeRawBufferPointer, startingWith crc: UInt64 = 0) -> UInt64 {
        var crc = crc
        table.withUnsafeBufferPointer { t in
            for b in bytes { crc = t[Int((crc ^ UInt64(b)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc
    }
}

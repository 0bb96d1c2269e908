/// Redis's `sdscatrepr`: how redis-server shows bytes to people (MONITOR
/// lines, config error messages).
enum Repr {
    /// Appends `bytes` wrapped in double quotes, with `\\`, `\"`, `\n`,
    /// `\r`, `\t`, `\a`, `\b` escaped and any other byte outside printable
    /// ASCII written as `\xhh`.
    static func append<Bytes: Sequence>(_ bytes: Bytes, to out: inout [UInt8]) where Bytes.Element == UInt8 {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for c in bytes {
            switch c {
            case UInt8(ascii: "\\"), UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), c]
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x07: out += Array("\\a".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x20...0x7E: out.append(c)
            default: out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(c >> 4)], hex[Int(c & 0xF)]]
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

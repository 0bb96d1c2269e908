/// LZF, the compression Redis applies to strings longer than 20 bytes in
/// DUMP payloads and RDB files. Compression follows liblzf's steps with
/// Redis's settings (a 2^16-slot hash of the next three bytes, the "very
/// fast" re-hashing after a match), so that payloads come out as Redis
/// writes them; decompression accepts any valid LZF stream.
///
/// Format: `000LLLLL` + L+1 literal bytes; `LLLooooo oooooooo` a copy of
/// L+2 bytes from offset o+1 back; `111ooooo LLLLLLLL oooooooo` a copy of
/// L+9 bytes.
public enum LZF {
    static let hashLog = 16
    static let maxLiteral = 1 << 5
    static let maxOffset = 1 << 13
    static let maxReference = (1 << 8) + (1 << 3)

    /// The compressed form of `input` if it fits in `outputLimit` bytes,
    /// else nil (Redis then stores the string as it is).
    public static func compress(_ input: UnsafeRawBufferPointer, outputLimit: Int) -> [UInt8]? {
        let n = input.count
        if n == 0 || outputLimit == 0 { return nil }
        var out = [UInt8](repeating: 0, count: outputLimit)
        // Each slot holds the last position whose next three bytes hashed
        // there. Positions start at 1 so 0 means empty; liblzf leaves the
        // table uninitialised and its range checks reject stale entries.
        var table = [Int32](repeating: 0, count: 1 << hashLog)
        func index(_ h: UInt32) -> Int { Int(((h >> UInt32(24 - hashLog)) &- h &* 5) & UInt32((1 << hashLog) - 1)) }
        let length: Int? = out.withUnsafeMutableBufferPointer { o -> Int? in
            table.withUnsafeMutableBufferPointer { htab -> Int? in
                let b = input.bindMemory(to: UInt8.self)
                var ip = 0, op = 0
                let outEnd = outputLimit
                var lit = 0
                op += 1  // start a literal run
                var hval = (UInt32(b[0]) << 8) | UInt32(b[1])
                while ip < n - 2 {
                    hval = (hval << 8) | UInt32(b[ip + 2])
                    let slot = index(hval)
                    let ref = Int(htab[slot]) - 1  // -1: empty
                    htab[slot] = Int32(ip + 1)
                    let off = ip - ref - 1
                    if ref > 0 && off < maxOffset && b[ref + 2] == b[ip + 2] && b[ref] == b[ip] && b[ref + 1] == b[ip + 1] {
                        var len = 2
                        let maxlen = min(n - ip - len, maxReference)
                        if op + 3 + 1 >= outEnd && op - (lit == 0 ? 1 : 0) + 3 + 1 >= outEnd { return nil }
                        o[op - lit - 1] = UInt8(truncatingIfNeeded: lit - 1)  // stop the run
                        if lit == 0 { op -= 1 }  // undo an empty run
                        // liblzf first compares up to 16 bytes without the
                        // limit (so a match can end past it, which changes
                        // the output near the end of the input), then bytewise.
                        var mismatched = false
                        if maxlen > 16 {
                            for _ in 0..<16 {
                                len += 1
                                if b[ref + len] != b[ip + len] { mismatched = true; break }
                            }
                        }
                        if !mismatched { repeat { len += 1 } while len < maxlen && b[ref + len] == b[ip + len] }
                        len -= 2  // octets - 1
                        ip += 1
                        if len < 7 {
                            o[op] = UInt8(truncatingIfNeeded: (off >> 8) + (len << 5)); op += 1
                        } else {
                            o[op] = UInt8(truncatingIfNeeded: (off >> 8) + (7 << 5)); op += 1
                            o[op] = UInt8(truncatingIfNeeded: len - 7); op += 1
                        }
                        o[op] = UInt8(truncatingIfNeeded: off); op += 1
                        lit = 0; op += 1  // start a run
                        ip += len + 1
                        if ip >= n - 2 { break }
                        // "Very fast": hash only the last two positions of the match.
                        ip -= 2
                        hval = (UInt32(b[ip]) << 8) | UInt32(b[ip + 1])
                        hval = (hval << 8) | UInt32(b[ip + 2])
                        htab[index(hval)] = Int32(ip + 1)
                        ip += 1
                        hval = (hval << 8) | UInt32(b[ip + 2])
                        htab[index(hval)] = Int32(ip + 1)
                        ip += 1
                    } else {
                        if op >= outEnd { return nil }
                        lit += 1; o[op] = b[ip]; op += 1; ip += 1
                        if lit == maxLiteral {
                            o[op - lit - 1] = UInt8(lit - 1)
                            lit = 0; op += 1
                        }
                    }
                }
                if op + 3 > outEnd { return nil }
                while ip < n {
                    lit += 1; o[op] = b[ip]; op += 1; ip += 1
                    if lit == maxLiteral {
                        o[op - lit - 1] = UInt8(lit - 1)
                        lit = 0; op += 1
                    }
                }
                o[op - lit - 1] = UInt8(truncatingIfNeeded: lit - 1)
                if lit == 0 { op -= 1 }
                return op
            }
        }
        guard let length else { return nil }
        out.removeLast(outputLimit - length)
        return out
    }

    /// The `originalLength` bytes `input` decompresses to, or nil when the
    /// stream is malformed or does not produce exactly that many.
    public static func decompress(_ input: UnsafeRawBufferPointer, originalLength: Int) -> [UInt8]? {
        // Three bytes of back-reference yield at most 264: a payload that
        // claims more than 88 times its size is not LZF. The output is not
        // zeroed first either: a 30-byte payload claiming 4 GiB made the
        // server write 4 GiB of zeros before finding out (Redis only
        // allocates, and the pages it never touches cost nothing).
        guard originalLength <= input.count * 88 else { return nil }
        var produced: Int? = nil
        let out = [UInt8](unsafeUninitializedCapacity: originalLength) { o, initialized in
            produced = expand(input, into: o, originalLength: originalLength)
            // Only a complete stream counts as initialized; anything else is discarded.
            initialized = produced == originalLength ? originalLength : 0
        }
        return produced == originalLength ? out : nil
    }

    /// Decodes `input` into `o`; the number of bytes produced, or nil
    /// when the stream is malformed. Reads only bytes it has written.
    static func expand(_ input: UnsafeRawBufferPointer, into o: UnsafeMutableBufferPointer<UInt8>, originalLength: Int) -> Int? {
        var ip = 0, op = 0
        let n = input.count
        while ip < n {
            var ctrl = Int(input[ip]); ip += 1
            if ctrl < (1 << 5) {
                ctrl += 1
                if op + ctrl > originalLength || ip + ctrl > n { return nil }
                for k in 0..<ctrl { o[op + k] = input[ip + k] }
                op += ctrl; ip += ctrl
            } else {
                var len = ctrl >> 5
                var ref = op - ((ctrl & 0x1f) << 8) - 1
                if ip >= n { return nil }
                if len == 7 {
                    len += Int(input[ip]); ip += 1
                    if ip >= n { return nil }
                }
                ref -= Int(input[ip]); ip += 1
                if op + len + 2 > originalLength || ref < 0 { return nil }
                // Byte by byte: a copy may overlap what it writes.
                for _ in 0..<(len + 2) { o[op] = o[ref]; op += 1; ref += 1 }
            }
        }
        return op
    }
}

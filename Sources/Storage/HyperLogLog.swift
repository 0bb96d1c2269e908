#if canImport(Glibc)
import Glibc
#endif

/// Redis's HyperLogLog, kept byte for byte: a HyperLogLog is an ordinary
/// string value, so clients can GET it, copy it with SET, and give it to
/// another server, and PFCOUNT must give Redis's answer for the same
/// elements. The format:
///
/// - a 16-byte header: `HYLL`, the encoding (0 dense, 1 sparse), three
///   zero bytes, and the cached cardinality as 8 little-endian bytes whose
///   top bit set means "stale";
/// - 16384 registers, each the longest run of zero bits (plus one) seen
///   among the hashes (MurmurHash64A, seed 0xadc83b19) of the elements
///   whose low 14 hash bits pick that register;
/// - dense: the registers as 6-bit fields, least significant bits first,
///   12288 bytes;
/// - sparse: run-length opcodes, ZERO `00xxxxxx` (1-64 zero registers),
///   XZERO `01xxxxxx yyyyyyyy` (1-16384 zero registers) and VAL `1vvvvvxx`
///   (1-4 registers of value 1-32). A new HyperLogLog is sparse; it turns
///   dense when a register needs more than 32 or the string would pass
///   `hll-sparse-max-bytes`.
///
/// The sparse editing below follows Redis's own steps (split the opcode
/// that covers the register, then merge equal neighbours within a window
/// of five opcodes), because the bytes it leaves are visible to clients.
public enum HyperLogLog {
    public static let registerCount = 1 << indexBits
    static let indexBits = 14
    static let registerBits = 6
    static let registerMax: UInt8 = 63
    public static let headerSize = 16
    public static let denseSize = headerSize + registerCount * registerBits / 8
    static let encodingOffset = 4
    static let cacheOffset = 8
    static let dense: UInt8 = 0
    static let sparse: UInt8 = 1
    static let sparseValueMax = 32
    static let sparseValueMaxRun = 4
    static let sparseZeroMaxRun = 64
    static let sparseXZeroMaxRun = 16384

    // MARK: Values

    /// Redis's `isHLLObjectOrReply`: the magic, a known encoding, and the
    /// exact size for a dense one. (A sparse one is checked as it is read.)
    public static func isValid(_ value: UnsafeRawBufferPointer) -> Bool {
        guard value.count >= headerSize,
              value[0] == UInt8(ascii: "H"), value[1] == UInt8(ascii: "Y"),
              value[2] == UInt8(ascii: "L"), value[3] == UInt8(ascii: "L"),
              value[encodingOffset] <= sparse else { return false }
        return value[encodingOffset] == sparse || value.count == denseSize
    }

    public static func isDense(_ value: UnsafeRawBufferPointer) -> Bool { value[encodingOffset] == dense }

    /// A new, empty HyperLogLog: sparse, every register zero, cache valid at 0.
    public static func empty() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: headerSize)
        bytes.replaceSubrange(0..<4, with: "HYLL".utf8)
        bytes[encodingOffset] = sparse
        var remaining = registerCount
        while remaining > 0 {
            let run = min(remaining, sparseXZeroMaxRun)
            bytes.append(contentsOf: xzero(run))
            remaining -= run
        }
        return bytes
    }

    /// The cached cardinality, if it is not stale.
    public static func cachedCount(_ value: UnsafeRawBufferPointer) -> UInt64? {
        let cache = value.loadUnaligned(fromByteOffset: cacheOffset, as: UInt64.self).littleEndian
        return cache >> 63 == 0 ? cache : nil
    }

    public static func storeCachedCount(_ count: UInt64, in value: UnsafeMutableRawPointer) {
        value.storeBytes(of: count.littleEndian, toByteOffset: cacheOffset, as: UInt64.self)
    }

    public static func invalidateCache(_ value: UnsafeMutableRawPointer) {
        let top = value.load(fromByteOffset: cacheOffset + 7, as: UInt8.self)
        value.storeBytes(of: top | 0x80, toByteOffset: cacheOffset + 7, as: UInt8.self)
    }

    // MARK: Hashing

    /// MurmurHash64A, as Redis computes it (little-endian words).
    static func murmur64A(_ data: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let m: UInt64 = 0xc6a4a7935bd1e995
        var h = seed ^ (UInt64(data.count) &* m)
        let whole = data.count & ~7
        var i = 0
        while i < whole {
            var k = data.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian
            k &*= m
            k ^= k >> 47
            k &*= m
            h ^= k
            h &*= m
            i += 8
        }
        let tail = data.count & 7
        if tail > 0 {
            for j in stride(from: tail - 1, through: 0, by: -1) { h ^= UInt64(data[whole + j]) << UInt64(8 * j) }
            h &*= m
        }
        h ^= h >> 47
        h &*= m
        h ^= h >> 47
        return h
    }

    /// The register an element updates, and the value it offers: the number
    /// of hash bits above the index up to and including the first one.
    static func observe(_ element: UnsafeRawBufferPointer) -> (register: Int, value: UInt8) {
        let hash = murmur64A(element, seed: 0xadc83b19)
        let rest = (hash >> UInt64(indexBits)) | (1 << UInt64(64 - indexBits))
        return (Int(hash & UInt64(registerCount - 1)), UInt8(rest.trailingZeroBitCount + 1))
    }

    // MARK: Dense registers

    /// Register `i` of dense registers at `p`. A register may straddle two
    /// bytes; the last one never reaches past the array.
    static func register(_ p: UnsafeRawPointer, _ i: Int) -> UInt8 {
        let bit = i * registerBits, byte = bit >> 3, shift = UInt8(bit & 7)
        var v = p.load(fromByteOffset: byte, as: UInt8.self) >> shift
        if shift > 2 { v |= p.load(fromByteOffset: byte + 1, as: UInt8.self) << (8 - shift) }
        return v & registerMax
    }

    static func setRegister(_ p: UnsafeMutableRawPointer, _ i: Int, _ value: UInt8) {
        let bit = i * registerBits, byte = bit >> 3, shift = UInt8(bit & 7)
        var low = p.load(fromByteOffset: byte, as: UInt8.self)
        low = low & ~(registerMax << shift) | value << shift
        p.storeBytes(of: low, toByteOffset: byte, as: UInt8.self)
        if shift > 2 {
            var high = p.load(fromByteOffset: byte + 1, as: UInt8.self)
            high = high & ~(registerMax >> (8 - shift)) | value >> (8 - shift)
            p.storeBytes(of: high, toByteOffset: byte + 1, as: UInt8.self)
        }
    }

    /// Raises register `i` to `value` if it is lower; whether it changed.
    static func raiseDense(_ registers: UnsafeMutableRawPointer, _ i: Int, _ value: UInt8) -> Bool {
        guard value > register(registers, i) else { return false }
        setRegister(registers, i, value)
        return true
    }

    /// Adds an element to a dense HyperLogLog in place (`value` is the
    /// whole string); whether a register changed.
    public static func addDense(_ value: UnsafeMutableRawPointer, _ element: UnsafeRawBufferPointer) -> Bool {
        let (i, count) = observe(element)
        return raiseDense(value + headerSize, i, count)
    }

    // MARK: Sparse opcodes

    static func isZero(_ op: UInt8) -> Bool { op & 0xc0 == 0 }
    static func isXZero(_ op: UInt8) -> Bool { op & 0xc0 == 0x40 }
    static func isValue(_ op: UInt8) -> Bool { op & 0x80 != 0 }
    static func zeroRun(_ op: UInt8) -> Int { Int(op & 0x3f) + 1 }
    static func xzeroRun(_ op: UInt8, _ next: UInt8) -> Int { (Int(op & 0x3f) << 8 | Int(next)) + 1 }
    static func valueOf(_ op: UInt8) -> UInt8 { (op >> 2) & 0x1f + 1 }
    static func valueRun(_ op: UInt8) -> Int { Int(op & 0x3) + 1 }
    static func value(_ v: Int, run: Int) -> UInt8 { UInt8((v - 1) << 2 | (run - 1)) | 0x80 }
    static func zero(_ run: Int) -> UInt8 { UInt8(run - 1) }
    static func xzero(_ run: Int) -> [UInt8] { [UInt8((run - 1) >> 8) | 0x40, UInt8((run - 1) & 0xff)] }
    /// A run of zero registers in the shortest opcode that holds it.
    static func zeros(_ run: Int) -> [UInt8] { run > sparseZeroMaxRun ? xzero(run) : [zero(run)] }

    /// Calls `body(firstRegister, run, value)` for each opcode of a sparse
    /// value; the registers it covered in all, or -1 when a VAL run would
    /// pass the last register (`body` is not called for it). Redis 7.0.15
    /// as Debian ships it, with the fix for CVE-2025-32023, refuses such a
    /// value where the original 7.0.15 stopped reading at it.
    @discardableResult
    static func walkSparse(_ value: UnsafeRawBufferPointer, _ body: (Int, Int, UInt8) -> Void) -> Int {
        var p = headerSize, index = 0
        while p < value.count {
            let op = value[p]
            if isZero(op) {
                let run = zeroRun(op)
                body(index, run, 0)
                index += run
                p += 1
            } else if isXZero(op) {
                let run = xzeroRun(op, p + 1 < value.count ? value[p + 1] : 0)
                body(index, run, 0)
                index += run
                p += 2
            } else {
                let run = valueRun(op)
                if index + run > registerCount { return -1 }
                body(index, run, valueOf(op))
                index += run
                p += 1
            }
        }
        return index
    }

    /// The dense form of a sparse HyperLogLog (the header, cache included,
    /// carried over); nil when the sparse opcodes do not cover exactly all
    /// registers.
    public static func densified(_ value: UnsafeRawBufferPointer) -> [UInt8]? {
        var result = [UInt8](repeating: 0, count: denseSize)
        let covered = result.withUnsafeMutableBytes { out -> Int in
            out.baseAddress!.copyMemory(from: value.baseAddress!, byteCount: headerSize)
            out[encodingOffset] = dense
            let registers = out.baseAddress! + headerSize
            return walkSparse(value) { first, run, v in
                guard v > 0 else { return }
                for i in first..<first + run { setRegister(registers, i, v) }
            }
        }
        return covered == registerCount ? result : nil
    }

    /// Raises register `index` of a sparse HyperLogLog held in `hll` to
    /// `count`, turning it dense when the sparse form cannot hold the value
    /// or would grow past `maxBytes`. 1 when a register changed, 0 when
    /// not, -1 when the value is corrupt.
    public static func raiseSparse(_ hll: inout [UInt8], _ index: Int, _ count: UInt8, maxBytes: Int) -> Int {
        if Int(count) > sparseValueMax { return promote(&hll, index, count) }
        // Find the opcode that covers the register.
        var p = headerSize, first = 0, span = 0
        var previous: Int? = nil
        while p < hll.count {
            var length = 1
            if isZero(hll[p]) { span = zeroRun(hll[p]) }
            else if isValue(hll[p]) { span = valueRun(hll[p]) }
            else { span = xzeroRun(hll[p], p + 1 < hll.count ? hll[p + 1] : 0); length = 2 }
            if index <= first + span - 1 { break }
            previous = p
            p += length
            first += span
        }
        if span == 0 || p >= hll.count { return -1 }
        let op = hll[p]
        // An XZERO cut short by the end of the value: corrupt (Redis reads
        // its string terminator there and writes past the value's end).
        if isXZero(op) && p + 1 >= hll.count { return -1 }
        let last = first + span - 1
        // The trivial cases: a VAL already high enough, or one register on its own.
        if isValue(op) {
            if valueOf(op) >= count { return 0 }
            if span == 1 { hll[p] = value(Int(count), run: 1); return merged(&hll, from: previous) }
        }
        if isZero(op) && span == 1 { hll[p] = value(Int(count), run: 1); return merged(&hll, from: previous) }
        // Split the opcode around the register.
        var sequence: [UInt8] = []
        if isValue(op) {
            let current = Int(valueOf(op))
            if index != first { sequence.append(value(current, run: index - first)) }
            sequence.append(value(Int(count), run: 1))
            if index != last { sequence.append(value(current, run: last - index)) }
        } else {
            if index != first { sequence += zeros(index - first) }
            sequence.append(value(Int(count), run: 1))
            if index != last { sequence += zeros(last - index) }
        }
        let oldLength = isXZero(op) ? 2 : 1
        if sequence.count > oldLength && hll.count + sequence.count - oldLength > maxBytes {
            return promote(&hll, index, count)
        }
        hll.replaceSubrange(p..<p + oldLength, with: sequence)
        return merged(&hll, from: previous)
    }

    /// After a sparse update: joins neighbouring VAL opcodes of equal value
    /// (up to a run of 4), looking at five opcodes from the one before the
    /// change, and marks the cache stale. Returns 1 (a register changed).
    static func merged(_ hll: inout [UInt8], from previous: Int?) -> Int {
        var p = previous ?? headerSize
        var budget = 5
        while p < hll.count && budget > 0 {
            budget -= 1
            if isXZero(hll[p]) { p += 2; continue }
            if isZero(hll[p]) { p += 1; continue }
            if p + 1 < hll.count && isValue(hll[p + 1]) && valueOf(hll[p]) == valueOf(hll[p + 1]) {
                let run = valueRun(hll[p]) + valueRun(hll[p + 1])
                if run <= sparseValueMaxRun {
                    hll[p + 1] = value(Int(valueOf(hll[p])), run: run)
                    hll.remove(at: p)
                    continue  // the joined opcode may join its right neighbour too
                }
            }
            p += 1
        }
        hll.withUnsafeMutableBytes { invalidateCache($0.baseAddress!) }
        return 1
    }

    static func promote(_ hll: inout [UInt8], _ index: Int, _ count: UInt8) -> Int {
        guard let denseForm = hll.withUnsafeBytes({ densified($0) }) else { return -1 }
        hll = denseForm
        // Only a register that must rise makes a sparse value turn dense.
        _ = hll.withUnsafeMutableBytes { raiseDense($0.baseAddress! + headerSize, index, count) }
        return 1
    }

    /// Adds an element to a HyperLogLog held in `hll` (either encoding):
    /// 1 when a register rose, 0 when not, -1 when the value is corrupt.
    public static func add(_ hll: inout [UInt8], _ element: UnsafeRawBufferPointer, maxBytes: Int) -> Int {
        let (i, count) = observe(element)
        return raise(&hll, i, count, maxBytes: maxBytes)
    }

    /// Raises register `index` of a HyperLogLog held in `hll` (either
    /// encoding) to `count` if it is lower; as `add`.
    public static func raise(_ hll: inout [UInt8], _ index: Int, _ count: UInt8, maxBytes: Int) -> Int {
        if hll[encodingOffset] == dense {
            return hll.withUnsafeMutableBytes { raiseDense($0.baseAddress! + headerSize, index, count) } ? 1 : 0
        }
        return raiseSparse(&hll, index, count, maxBytes: maxBytes)
    }

    // MARK: Counting and merging

    /// Raises each of the 16384 `registers` (one byte each) to the
    /// HyperLogLog's; false when a sparse value is corrupt.
    public static func merge(_ value: UnsafeRawBufferPointer, into registers: inout [UInt8]) -> Bool {
        registers.withUnsafeMutableBufferPointer { out in
            if isDense(value) {
                forEachDenseRegister(value.baseAddress! + headerSize) { i, v in out[i] = max(out[i], v) }
                return true
            }
            let covered = walkSparse(value) { first, run, v in
                guard v > 0 else { return }
                for i in first..<first + run { out[i] = max(out[i], v) }
            }
            return covered == registerCount
        }
    }

    /// Calls `body(i, register i)` for every register of dense registers at
    /// `p`, four registers (three bytes) at a time.
    @inline(__always)
    static func forEachDenseRegister(_ p: UnsafeRawPointer, _ body: (Int, UInt8) -> Void) {
        var byte = 0, i = 0
        while i < registerCount {
            let word = UInt32(p.load(fromByteOffset: byte, as: UInt8.self))
                | UInt32(p.load(fromByteOffset: byte + 1, as: UInt8.self)) << 8
                | UInt32(p.load(fromByteOffset: byte + 2, as: UInt8.self)) << 16
            body(i, UInt8(word & 63))
            body(i + 1, UInt8(word >> 6 & 63))
            body(i + 2, UInt8(word >> 12 & 63))
            body(i + 3, UInt8(word >> 18 & 63))
            byte += 3
            i += 4
        }
    }

    /// The estimated cardinality of a valid HyperLogLog; nil when a sparse
    /// value is corrupt.
    public static func count(_ value: UnsafeRawBufferPointer) -> UInt64? {
        var histogram = [Int](repeating: 0, count: 64)
        let valid = histogram.withUnsafeMutableBufferPointer { h -> Bool in
            if isDense(value) {
                forEachDenseRegister(value.baseAddress! + headerSize) { _, v in h[Int(v)] += 1 }
                return true
            }
            // A run past the last register (-1) or too few (Redis: any
            // total but 16384) leaves the value corrupt.
            return walkSparse(value) { _, run, v in h[Int(v)] += run } == registerCount
        }
        return valid ? estimate(histogram) : nil
    }

    /// The estimated cardinality of 16384 one-byte registers (PFCOUNT of
    /// several keys), read eight at a time: most words of a union of small
    /// HyperLogLogs are all zero.
    public static func count(registers: [UInt8]) -> UInt64 {
        var histogram = [Int](repeating: 0, count: 64)
        histogram.withUnsafeMutableBufferPointer { h in
            registers.withUnsafeBytes { r in
                for offset in stride(from: 0, to: registerCount, by: 8) {
                    if r.loadUnaligned(fromByteOffset: offset, as: UInt64.self) == 0 { h[0] += 8; continue }
                    for j in offset..<offset + 8 { h[Int(r[j])] += 1 }
                }
            }
        }
        return estimate(histogram)
    }

    /// Ertl's estimator ("New cardinality estimation algorithms for
    /// HyperLogLog sketches", 2017) over the histogram of register values,
    /// with Redis's order of floating-point operations, so that the rounded
    /// result is Redis's.
    static func estimate(_ histogram: [Int]) -> UInt64 {
        let m = Double(registerCount)
        let q = 64 - indexBits
        var z = m * tau((m - Double(histogram[q + 1])) / m)
        for j in stride(from: q, through: 1, by: -1) {
            z += Double(histogram[j])
            z *= 0.5
        }
        z += m * sigma(Double(histogram[0]) / m)
        let alphaInfinity = 0.721347520444481703680  // 0.5 / ln 2
        let estimate = (alphaInfinity * m * m / z).rounded(.toNearestOrAwayFromZero)
        // Only crafted registers (all near 63) leave this range. There C's
        // llroundl gives LLONG_MIN, which Redis then shows as a count of
        // -9223372036854775808: do the same rather than trap.
        guard estimate >= -0x1p63 && estimate < 0x1p63 else { return UInt64(bitPattern: Int64.min) }
        return UInt64(bitPattern: Int64(estimate))
    }

    static func sigma(_ x: Double) -> Double {
        if x == 1 { return .infinity }
        var x = x, y = 1.0, z = x, previous: Double
        repeat {
            x *= x
            previous = z
            z += x * y
            y += y
        } while previous != z
        return z
    }

    static func tau(_ x: Double) -> Double {
        if x == 0 || x == 1 { return 0 }
        var x = x, y = 1.0, z = 1 - x, previous: Double
        repeat {
            x = x.squareRoot()
            previous = z
            y *= 0.5
            z -= pow(1 - x, 2) * y
        } while previous != z
        return z / 3
    }
}

// MARK: - Debugging (PFDEBUG, PFSELFTEST)

extension HyperLogLog {
    /// Register `i` of a dense HyperLogLog value (header included).
    public static func register(_ value: UnsafeRawBufferPointer, _ i: Int) -> UInt8 {
        register(value.baseAddress! + headerSize, i)
    }

    /// PFDEBUG DECODE's text: each sparse opcode as `z:<run>` (ZERO),
    /// `Z:<run>` (XZERO) or `v:<value>,<run>` (VAL), space separated.
    public static func sparseOpcodesText(_ value: UnsafeRawBufferPointer) -> [UInt8] {
        var parts: [String] = []
        var p = headerSize
        while p < value.count {
            let op = value[p]
            if isZero(op) {
                parts.append("z:\(zeroRun(op))"); p += 1
            } else if isXZero(op) {
                parts.append("Z:\(xzeroRun(op, p + 1 < value.count ? value[p + 1] : 0))"); p += 2
            } else {
                parts.append("v:\(valueOf(op)),\(valueRun(op))"); p += 1
            }
        }
        return Array(parts.joined(separator: " ").utf8)
    }

    /// PFSELFTEST's checks, the failure's text or nil: every dense register
    /// reads back what was written (registers straddle bytes); a sparse
    /// and a dense HyperLogLog fed the same elements agree, the sparse one
    /// staying sparse while small; and estimates stay within the error
    /// HyperLogLog promises (5 standard errors, 1.04 / sqrt(16384)).
    public static func selfTest(seed: UInt64) -> String? {
        var state = seed | 1
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        var registers = [UInt8](repeating: 0, count: denseSize - headerSize)
        var expected = [UInt8](repeating: 0, count: registerCount)
        for pass in 0..<2 {
            for i in 0..<registerCount {
                let v = UInt8(next() % UInt64(registerMax + 1))
                expected[i] = pass == 0 ? v : registerMax - v
                registers.withUnsafeMutableBytes { setRegister($0.baseAddress!, i, expected[i]) }
            }
            for i in 0..<registerCount {
                let got = registers.withUnsafeBytes { register($0.baseAddress!, i) }
                if got != expected[i] { return "Register \(i) should be \(expected[i]) but is \(got)" }
            }
        }
        var sparseForm = empty()
        var denseForm = empty().withUnsafeBytes { densified($0)! }
        let relativeError = 1.04 / Double(registerCount).squareRoot()
        var added = 0
        for checkpoint in [10, 100, 1_000, 10_000, 100_000] {
            while added < checkpoint {
                var element = next()
                withUnsafeBytes(of: &element) { bytes in
                    _ = add(&sparseForm, bytes, maxBytes: 3000)
                    _ = denseForm.withUnsafeMutableBytes { addDense($0.baseAddress!, bytes) }
                }
                added += 1
            }
            if checkpoint <= 100 && sparseForm.withUnsafeBytes({ isDense($0) }) { return "sparse encoding not used" }
            let sparseCount = sparseForm.withUnsafeBytes { count($0) }
            let denseCount = denseForm.withUnsafeBytes { count($0) }
            if sparseCount != denseCount { return "dense/sparse disagree" }
            guard let card = denseCount else { return "dense/sparse disagree" }
            let absoluteError = card > UInt64(checkpoint) ? card - UInt64(checkpoint) : UInt64(checkpoint) - card
            if Double(absoluteError) > Double(checkpoint) * relativeError * 5 + 1 {
                return "Too big error. card:\(card) abserr:\(absoluteError)"
            }
        }
        return nil
    }
}

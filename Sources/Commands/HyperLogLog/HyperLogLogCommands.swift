import RESP
import Storage

/// HyperLogLog commands over Redis's string format (`Storage/HyperLogLog`):
/// `PFADD key [element ...]`, `PFCOUNT key [key ...]` and
/// `PFMERGE destkey sourcekey [sourcekey ...]`.
///
/// A HyperLogLog is a string: any string that is not one is refused with
/// Redis's WRONGTYPE variant, and a sparse one whose opcodes do not cover
/// the registers exactly with INVALIDOBJ. Like Redis, the commands leave
/// the value raw-encoded, and PFCOUNT of one key stores the count it
/// computes in the value's header (a write as far as WATCH is concerned).
enum HyperLogLogCommands {
    static let pfadd = CommandSpec(
        "pfadd", arity: -2, flags: [.write, .denyoom, .fast], acl: ["@write", "@hyperloglog", "@fast"], keys: (1, 1, 1),
        group: "hyperloglog", since: "2.8.9", summary: "Adds the specified elements to the specified HyperLogLog.",
        complexity: "O(1) to add every element.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("element", .string, optional: true, multiple: true)],
        handler: pfaddRun)

    static let pfcount = CommandSpec(
        "pfcount", arity: -2, flags: [.readonly], acl: ["@read", "@hyperloglog", "@slow"], keys: (1, -1, 1),
        group: "hyperloglog", since: "2.8.9",
        summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
        arguments: [ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0)],
        handler: pfcountRun)

    static let pfmerge = CommandSpec(
        "pfmerge", arity: -2, flags: [.write, .denyoom], acl: ["@write", "@hyperloglog", "@slow"], keys: (1, -1, 1),
        group: "hyperloglog", since: "2.8.9", summary: "Merge N different HyperLogLogs into a single one.",
        complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
        arguments: [ArgumentSpec("destkey", .key, keySpecIndex: 0), ArgumentSpec("sourcekey", .key, multiple: true, keySpecIndex: 1)],
        handler: pfmergeRun)

    static let notAHyperLogLog = "WRONGTYPE Key is not a valid HyperLogLog string value."
    static let corrupt = "INVALIDOBJ Corrupted HLL object detected"

    /// The key's value if it is a HyperLogLog, else nil after replying the
    /// error Redis gives (a missing key is not an error: `.some(nil)`).
    static func hyperLogLog(_ c: Client, _ entry: Entry?) -> Entry?? {
        guard let e = entry else { return .some(nil) }
        if e.type != .string { c.fail(Errors.wrongType); return nil }
        guard HyperLogLog.isValid(e.value) else { c.fail(notAHyperLogLog); return nil }
        return .some(e)
    }

    /// `PFADD key [element ...]`: 1 when the key was created or a register
    /// rose, else 0.
    static func pfaddRun(_ c: Client, _ args: Arguments) {
        let maxBytes = c.server.config.hllSparseMaxBytes
        c.withKey(args[1]) { k in
            guard let found = hyperLogLog(c, k.entry) else { return }
            var updated = 0, corrupted = false
            if let e = found, HyperLogLog.isDense(e.value) {
                // Dense values never change size: update them in place.
                e.stringEncoding = .raw
                for i in 2..<args.count where HyperLogLog.addDense(e.valueStart, args[i]) { updated += 1 }
                if updated > 0 { HyperLogLog.invalidateCache(e.valueStart) }
            } else {
                found?.stringEncoding = .raw
                var hll = found.map { Array($0.value) } ?? HyperLogLog.empty()
                if found == nil { updated = 1 }
                for i in 2..<args.count {
                    let result = HyperLogLog.add(&hll, args[i], maxBytes: maxBytes)
                    if result < 0 { corrupted = true; break }
                    updated += result
                }
                if updated > 0 {
                    hll.withUnsafeMutableBytes { HyperLogLog.invalidateCache($0.baseAddress!) }
                    hll.withUnsafeBytes { k.storeString($0, encoding: .raw, expiry: .keep, lru: c.lruClock) }
                }
            }
            // Redis keeps what was added before a corrupt value was noticed.
            if corrupted { c.fail(corrupt); return }
            if updated > 0 {
                c.keyModified(k)
                c.keyspaceEvent(.string, "pfadd", args[1])
                c.dirty(updated)
            }
            c.reply.integer(updated > 0 ? 1 : 0)
        }
    }

    /// `PFCOUNT key [key ...]`: one key's count (cached in the value), or
    /// the count of the union of several.
    static func pfcountRun(_ c: Client, _ args: Arguments) {
        if args.count > 2 {
            c.withKeys(args, from: 1) { keys in
                var registers = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
                for i in 0..<keys.count {
                    guard let found = hyperLogLog(c, keys.key(i, read: true).entry) else { return }
                    guard let e = found else { continue }
                    guard HyperLogLog.merge(e.value, into: &registers) else { c.fail(corrupt); return }
                }
                c.reply.integer(Int(truncatingIfNeeded: HyperLogLog.count(registers: registers)))
            }
            return
        }
        c.withKey(args[1], read: true) { k in
            guard let found = hyperLogLog(c, k.entry) else { return }
            guard let e = found else { c.reply.integer(0); return }
            e.stringEncoding = .raw
            if let cached = HyperLogLog.cachedCount(e.value) { c.reply.integer(Int(truncatingIfNeeded: cached)); return }
            guard let count = HyperLogLog.count(e.value) else { c.fail(corrupt); return }
            HyperLogLog.storeCachedCount(count, in: e.valueStart)
            c.keyModified(k)
            c.dirty()
            c.reply.integer(Int(truncatingIfNeeded: count))
        }
    }

    /// `PFMERGE destkey sourcekey [sourcekey ...]`: the destination (itself
    /// one of the inputs) becomes the union; dense when any input was.
    static func pfmergeRun(_ c: Client, _ args: Arguments) {
        let maxBytes = c.server.config.hllSparseMaxBytes
        c.withKeys(args, from: 1) { keys in
            var registers = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
            var anyDense = false
            for i in 0..<keys.count {
                guard let found = hyperLogLog(c, keys.key(i, read: true).entry) else { return }
                guard let e = found else { continue }
                if HyperLogLog.isDense(e.value) { anyDense = true }
                guard HyperLogLog.merge(e.value, into: &registers) else { c.fail(corrupt); return }
            }
            var destination = keys.key(0)
            destination.entry?.stringEncoding = .raw
            var hll = destination.entry.map { Array($0.value) } ?? HyperLogLog.empty()
            if anyDense && !hll.withUnsafeBytes({ HyperLogLog.isDense($0) }) {
                guard let denseForm = hll.withUnsafeBytes({ HyperLogLog.densified($0) }) else { c.fail(corrupt); return }
                hll = denseForm
            }
            for i in 0..<HyperLogLog.registerCount where registers[i] != 0 {
                _ = HyperLogLog.raise(&hll, i, registers[i], maxBytes: maxBytes)
            }
            hll.withUnsafeMutableBytes { HyperLogLog.invalidateCache($0.baseAddress!) }
            hll.withUnsafeBytes { destination.storeString($0, encoding: .raw, expiry: .keep, lru: c.lruClock) }
            c.keyModified(destination)
            c.keyspaceEvent(.string, "pfadd", args[1])
            c.dirty()
            c.reply.ok()
        }
    }
}

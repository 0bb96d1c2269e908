import RESP
import Storage

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]`
///
/// Longest common subsequence by the classic dynamic-programming table, then
/// a walk back from the end that yields the string and the matched ranges
/// (last range first, as Redis reports them).
enum LCSCommand {
    static let spec = CommandSpec(
        "lcs", arity: -3, flags: [.readonly], acl: ["@read", "@string", "@slow"], keys: (1, 2, 1),
        group: "string", since: "7.0.0", summary: "Finds the longest common substring.",
        complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
        arguments: [
            ArgumentSpec("key1", .key, keySpecIndex: 0), ArgumentSpec("key2", .key, keySpecIndex: 0),
            ArgumentSpec("len", .pureToken, token: "LEN", optional: true),
            ArgumentSpec("idx", .pureToken, token: "IDX", optional: true),
            ArgumentSpec("len", .integer, token: "MINMATCHLEN", optional: true),
            ArgumentSpec("withmatchlen", .pureToken, token: "WITHMATCHLEN", optional: true),
        ], handler: run)

    static func run(_ c: Client, _ args: Arguments) {
        var a: [UInt8] = [], b: [UInt8] = []
        let typesOK: Bool = c.withKeys([args[1], args[2]]) { keys in
            let ea = keys.key(0, read: true).entry, eb = keys.key(1, read: true).entry
            if (ea != nil && ea!.type != .string) || (eb != nil && eb!.type != .string) { return false }
            if let e = ea { a = Array(e.value) }
            if let e = eb { b = Array(e.value) }
            return true
        }
        if !typesOK { c.fail("ERR The specified keys must contain string values"); return }
        var getLen = false, getIdx = false, withMatchLen = false
        var minMatchLen = 0
        var j = 3
        while j < args.count {
            let opt = args[j]
            if opt.equalsIgnoringCase("idx") { getIdx = true }
            else if opt.equalsIgnoringCase("len") { getLen = true }
            else if opt.equalsIgnoringCase("withmatchlen") { withMatchLen = true }
            else if opt.equalsIgnoringCase("minmatchlen") && j + 1 < args.count {
                guard let v = c.integerArgument(args[j + 1]) else { return }
                minMatchLen = max(v, 0)
                j += 1
            } else { c.fail(Errors.syntax); return }
            j += 1
        }
        if getIdx && getLen { c.fail("ERR If you want both the length and indexes, please just use IDX."); return }
        if a.count >= Int(UInt32.max) - 1 || b.count >= Int(UInt32.max) - 1 { c.fail("ERR String too long for LCS"); return }
        let width = b.count + 1
        let cells = (a.count + 1) * width
        if cells * 4 > c.server.config.protoMaxBulkLen {
            c.fail("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"); return
        }
        var table = [UInt32](repeating: 0, count: cells)
        if a.count > 0 && b.count > 0 {
            for i in 1...a.count {
                for jj in 1...b.count {
                    if a[i - 1] == b[jj - 1] {
                        table[i * width + jj] = table[(i - 1) * width + jj - 1] + 1
                    } else {
                        table[i * width + jj] = max(table[(i - 1) * width + jj], table[i * width + jj - 1])
                    }
                }
            }
        }
        let total = Int(table[a.count * width + b.count])
        if getLen { c.reply.integer(total); return }

        // Walk back from the bottom-right corner.
        var result = [UInt8](repeating: 0, count: total)
        var ranges: [(aStart: Int, aEnd: Int, bStart: Int, bEnd: Int)] = []
        var i = a.count, jj = b.count, index = total
        var open: (aStart: Int, aEnd: Int, bStart: Int, bEnd: Int)? = nil
        while i > 0 && jj > 0 {
            var emit = false
            if a[i - 1] == b[jj - 1] {
                result[index - 1] = a[i - 1]
                if var r = open {
                    if r.aStart == i && r.bStart == jj { r.aStart -= 1; r.bStart -= 1; open = r } else { emit = true }
                } else {
                    open = (i - 1, i - 1, jj - 1, jj - 1)
                }
                if let r = open, r.aStart == 0 || r.bStart == 0 { emit = true }
                index -= 1; i -= 1; jj -= 1
            } else {
                if table[(i - 1) * width + jj] > table[i * width + jj - 1] { i -= 1 } else { jj -= 1 }
                if open != nil { emit = true }
            }
            if emit, let r = open {
                if minMatchLen == 0 || r.aEnd - r.aStart + 1 >= minMatchLen { ranges.append(r) }
                open = nil
            }
        }
        if !getIdx { c.reply.bulk(result); return }
        c.reply.map(2)
        c.reply.bulk("matches")
        c.reply.array(ranges.count)
        for r in ranges {
            c.reply.array(withMatchLen ? 3 : 2)
            c.reply.array(2); c.reply.integer(r.aStart); c.reply.integer(r.aEnd)
            c.reply.array(2); c.reply.integer(r.bStart); c.reply.integer(r.bEnd)
            if withMatchLen { c.reply.integer(r.aEnd - r.aStart + 1) }
        }
        c.reply.bulk("len")
        c.reply.integer(total)
    }
}

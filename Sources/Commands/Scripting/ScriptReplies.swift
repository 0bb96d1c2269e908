import Lua
import RESP
import CSystem

/// A script's result as a reply, by Redis's rules: strings as bulk
/// strings, numbers truncated to integers, true as 1, false and nil as
/// null (RESP3 booleans after `redis.setresp(3)`), tables by their first
/// fitting field (`err`, `ok`, `double`, `big_number`, `verbatim_string`,
/// `map`, `set`) or else as arrays up to the first nil.
enum ScriptReplies {
    /// `failed` is told of each error written (at any depth), with whether
    /// INFO errorstats should count it: not when it is a command's error the
    /// script passes on, which was counted when the command failed.
    static func write(_ value: LuaValue, to reply: ReplyBuffer, scriptResp: Int, depth: Int = 0,
                      failed: (_ line: [UInt8], _ counted: Bool) -> Void) {
        switch value {
        case .string(let s): s.bytes.withUnsafeBytes { reply.bulk($0) }
        case .number(let n): reply.integer(truncated(n))
        case .boolean(let b):
            if scriptResp == 3 { reply.boolean(b) } else if b { reply.integer(1) } else { reply.null() }
        case .table(let t):
            if depth > 7900 {
                let line = Array("ERR reached lua stack limit".utf8)
                reply.error(line)
                failed(line, true)
                return
            }
            if case .string(let e) = t.get(string: LuaString("err")) {
                let line = sanitized(e.bytes)
                reply.error(line)
                failed(line, !ScriptCalls.wasCounted(value))
                return
            }
            if case .string(let s) = t.get(string: LuaString("ok")) { reply.status(sanitized(s.bytes)); return }
            if case .number(let d) = t.get(string: LuaString("double")) { reply.double(d); return }
            if case .string(let b) = t.get(string: LuaString("big_number")) { reply.bigNumber(sanitized(b.bytes)); return }
            if case .table(let v) = t.get(string: LuaString("verbatim_string")),
               case .string(let format) = v.get(string: LuaString("format")), case .string(let text) = v.get(string: LuaString("string")) {
                reply.verbatim(format: format.bytes, text.bytes)
                return
            }
            if case .table(let m) = t.get(string: LuaString("map")) {
                let entries = m.entries
                reply.map(entries.count)
                for (k, v) in entries {
                    write(k, to: reply, scriptResp: scriptResp, depth: depth + 1, failed: failed)
                    write(v, to: reply, scriptResp: scriptResp, depth: depth + 1, failed: failed)
                }
                return
            }
            if case .table(let s) = t.get(string: LuaString("set")) {
                let entries = s.entries
                reply.set(entries.count)
                for (k, _) in entries { write(k, to: reply, scriptResp: scriptResp, depth: depth + 1, failed: failed) }
                return
            }
            var n = 0
            while !t.get(number: Double(n + 1)).isNil { n += 1 }
            reply.array(n)
            for i in 1...max(n, 1) where n > 0 { write(t.get(number: Double(i)), to: reply, scriptResp: scriptResp, depth: depth + 1, failed: failed) }
        default: reply.null()
        }
    }

    /// C's `(long long)` of a double on x86-64: truncation, and
    /// -9223372036854775808 for NaN and anything out of range.
    static func truncated(_ n: Double) -> Int {
        if n.isNaN || n >= 0x1p63 || n < -0x1p63 { return Int.min }
        return Int(n)
    }

    static func sanitized(_ bytes: [UInt8]) -> [UInt8] { bytes.map { $0 == 13 || $0 == 10 ? 32 : $0 } }
}

extension ReplyBuffer {
    /// A line reply (`-` error or `+` status) of raw bytes.
    func line(_ marker: UInt8, _ text: [UInt8]) {
        if muted { return }
        append(marker)
        text.withUnsafeBytes { append($0) }
        append(13); append(10)
    }

    func error(_ text: [UInt8]) { line(UInt8(ascii: "-"), text) }
    func status(_ text: [UInt8]) { line(UInt8(ascii: "+"), text) }

    /// `(digits` in RESP3, a bulk string in RESP2.
    func bigNumber(_ digits: [UInt8]) {
        if protocolVersion == 3 { line(UInt8(ascii: "("), digits) } else { bulk(digits) }
    }

    /// `=len\r\nfmt:text` in RESP3 (the format cut or padded to 3 bytes), a bulk string in RESP2.
    func verbatim(format: [UInt8], _ text: [UInt8]) {
        if muted { return }
        guard protocolVersion == 3 else { bulk(text); return }
        var body = Array((format + [32, 32, 32]).prefix(3))
        body.append(UInt8(ascii: ":"))
        body += text
        append(UInt8(ascii: "="))
        appendDecimal(body.count)
        append(13); append(10)
        body.withUnsafeBytes { append($0) }
        append(13); append(10)
    }
}

import RESP

/// Redis's shared error replies, verbatim (REDIS-NOTES §1e).
public enum Errors {
    public static let syntax = "ERR syntax error"
    public static let wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"
    public static let notInteger = "ERR value is not an integer or out of range"
    public static let notFloat = "ERR value is not a valid float"
    public static let overflow = "ERR increment or decrement would overflow"
    public static let dbIndex = "ERR DB index is out of range"
    public static let noAuth = "NOAUTH Authentication required."
    public static let oom = "OOM command not allowed when used memory > 'maxmemory'."
    public static let noSuchKey = "ERR no such key"
    public static let tooBig = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    public static let wrongPass = "WRONGPASS invalid username-password pair or user is disabled."
    public static let outOfRangeOffset = "ERR offset is out of range"

    public static func arity(_ fullName: String) -> String {
        "ERR wrong number of arguments for '\(fullName)' command"
    }

    public static func invalidExpire(_ fullName: String) -> String {
        "ERR invalid expire time in '\(fullName)' command"
    }

    /// `ERR unknown subcommand 'x'. Try CONFIG HELP.`, the name as typed, uppercased.
    /// Bytes, not a String: Redis echoes arguments byte for byte, invalid UTF-8 included.
    public static func unknownSubcommand(_ sub: UnsafeRawBufferPointer, _ command: UnsafeRawBufferPointer) -> [UInt8] {
        Array("ERR unknown subcommand '".utf8) + cBytes(sub, limit: 128) + Array("'. Try ".utf8)
            + command.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 } + Array(" HELP.".utf8)
    }

    /// Redis prints arguments with `%s`, so a NUL byte ends them.
    static func cBytes(_ bytes: UnsafeRawBufferPointer, limit: Int) -> [UInt8] {
        var out = [UInt8]()
        for b in bytes { if b == 0 || out.count >= limit { break }; out.append(b) }
        return out
    }

    static func cString(_ bytes: UnsafeRawBufferPointer, limit: Int) -> String {
        String(decoding: cBytes(bytes, limit: limit), as: UTF8.self)
    }

    /// Redis's "unknown command" text, with up to 128 bytes of arguments.
    public static func unknownCommand(_ arguments: Arguments) -> [UInt8] {
        var args: [UInt8] = []
        var i = 1
        while i < arguments.count && args.count < 128 {
            args += [0x27] + cBytes(arguments[i], limit: 128 - args.count) + [0x27, 0x20]
            i += 1
        }
        return Array("ERR unknown command '".utf8) + cBytes(arguments[0], limit: 128)
            + Array("', with args beginning with: ".utf8) + args
    }

    /// Error replies are one line: Redis maps CR and LF to spaces.
    public static func sanitize(_ message: String) -> String {
        if !message.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) { return message }
        return String(decoding: message.utf8.map { $0 == 0x0D || $0 == 0x0A ? 0x20 : $0 }, as: UTF8.self)
    }
}

extension Client {
    /// Replies with an error and counts it (INFO errorstats, commandstats failed_calls).
    public func fail(_ message: String) { fail(bytes: Array(message.utf8)) }

    /// The same for a message that may not be valid UTF-8 (echoed arguments).
    /// CR and LF become spaces: an error reply is one line.
    public func fail(bytes message: [UInt8]) {
        let line = message.map { $0 == 0x0D || $0 == 0x0A ? 0x20 : $0 }
        reply.append(0x2D)
        line.withUnsafeBytes { reply.append($0) }
        reply.append("\r\n")
        countFailure(line)
    }
}

extension Client {
    /// Counts an error line already written into this client's reply (a
    /// script's error nested in its result): INFO errorstats, and the
    /// command as failed.
    func countFailure(_ line: [UInt8]) {
        loop.countError(Errors.statsCode(line))
        commandFailed = true
    }
}

extension Errors {
    /// The name INFO errorstats counts an error line under, by Redis's
    /// rule: its first word when a space comes within the first 31 bytes,
    /// else ERR (a script's `{err='oops'}` counts as ERR).
    public static func statsCode(_ line: [UInt8]) -> String {
        guard let space = line.prefix(31).firstIndex(of: 0x20) else { return "ERR" }
        return String(decoding: line[..<space], as: UTF8.self)
    }
}

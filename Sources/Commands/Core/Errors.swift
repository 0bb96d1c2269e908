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
    public static func unknownSubcommand(_ sub: UnsafeRawBufferPointer, _ command: UnsafeRawBufferPointer) -> String {
        "ERR unknown subcommand '\(cString(sub, limit: 128))'. Try \(command.string.uppercased()) HELP."
    }

    /// Redis prints arguments with `%s`, so a NUL byte ends them.
    static func cString(_ bytes: UnsafeRawBufferPointer, limit: Int) -> String {
        var out = [UInt8]()
        for b in bytes { if b == 0 || out.count >= limit { break }; out.append(b) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Redis's "unknown command" text, with up to 128 characters of arguments.
    public static func unknownCommand(_ arguments: Arguments) -> String {
        var args = ""
        var i = 1
        while i < arguments.count && args.utf8.count < 128 {
            args += "'" + cString(arguments[i], limit: 128 - args.utf8.count) + "' "
            i += 1
        }
        return "ERR unknown command '\(cString(arguments[0], limit: 128))', with args beginning with: \(args)"
    }

    /// Error replies are one line: Redis maps CR and LF to spaces.
    public static func sanitize(_ message: String) -> String {
        if !message.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) { return message }
        return String(decoding: message.utf8.map { $0 == 0x0D || $0 == 0x0A ? 0x20 : $0 }, as: UTF8.self)
    }
}

extension Client {
    /// Replies with an error and counts it (INFO errorstats, commandstats failed_calls).
    public func fail(_ message: String) {
        let text = Errors.sanitize(message)
        reply.error(text)
        let code = text.prefix(while: { $0 != " " })
        loop.countError(String(code))
        commandFailed = true
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the configuration could not be loaded. The server prints `message`
/// and exits with status 1, as redis-server does.
///
/// Two shapes, matching where redis-server reports each problem:
///
/// - `isLogMessage == false` (almost everything): `message` is the complete
///   report redis-server writes to **stderr**, byte for byte, including the
///   leading blank line and the final newline:
///
///       \n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n
///       Reading the configuration file, at line 2\n
///       >>> 'foo bar'\n
///       Bad directive or wrong number of arguments\n
///
///   (the two "line" lines are absent for problems found after the last
///   line, such as an unwritable log file). Write it unchanged.
///
/// - `isLogMessage == true` (a config file that cannot be opened, modules):
///   redis-server reports these through its logger, as one warning line on
///   stdout ("<pid>:C <date> # Fatal error, can't open config file ..."). In
///   that case `message` is the text after "# ", to be passed to the logger.
///
/// The banner deliberately keeps "(Redis 7.0.15)" rather than naming
/// Swiftlet: scripts and supervisors that recognise redis-server's failure
/// output keep working, and Swiftlet reports the Redis version it emulates
/// everywhere else (INFO, HELLO) too.
public struct ConfigFileError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let isLogMessage: Bool

    public init(message: String, isLogMessage: Bool = false) {
        self.message = message
        self.isLogMessage = isLogMessage
    }

    public var description: String { message }

    /// The stderr report for a bad line (`lineNumber` is 1-based, `line` is
    /// the line with surrounding white space trimmed) or, with no line, for a
    /// problem found after reading everything.
    static func fatal(_ reason: String, lineNumber: Int? = nil, line: String = "") -> ConfigFileError {
        var text = "\n*** FATAL CONFIG FILE ERROR (Redis \(Configuration.redisVersion)) ***\n"
        if let lineNumber {
            text += "Reading the configuration file, at line \(lineNumber)\n"
            text += ">>> '\(line)'\n"
        }
        text += reason + "\n"
        return ConfigFileError(message: text)
    }

    static func log(_ message: String) -> ConfigFileError {
        ConfigFileError(message: message, isLogMessage: true)
    }
}

/// A config file (or include) that could not be read. `readFile` closures
/// given to `Configuration.load` should throw this so the report names the
/// system error like Redis does ("No such file or directory"); any other
/// error is shown with its description.
public struct ConfigFileReadError: Error, CustomStringConvertible {
    public let code: Int32
    public init(code: Int32) { self.code = code }
    public var description: String { String(cString: strerror(code)) }
}

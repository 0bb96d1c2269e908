import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A reply from a Redis-compatible server (RESP2).
public indirect enum RESPValue: Sendable, Equatable {
    case simple(String)
    case error(String)
    case integer(Int)
    case bulk([UInt8]?)
    case array([RESPValue]?)

    /// The text of a simple or bulk string; nil for a null bulk or other types.
    public var string: String? {
        switch self {
        case .simple(let s): return s
        case .bulk(let b?): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }
}

/// Why a command did not get an answer.
public struct RESPClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case connectFailed, connectionLost, timedOut, protocolError, serverError }
    public let kind: Kind
    public let description: String
}

/// A deliberately small, blocking Redis client: one TCP connection, one
/// command at a time, RESP2. Enough for the cache below; real apps would use
/// a full client library.
///
/// The connection is opened on first use and re-opened after it breaks. A
/// command that fails because a *reused* connection turned out to be dead
/// (the server restarted or dropped it) is retried once on a fresh one:
/// safe here because every command the cache sends is idempotent.
public final class RESPClient: Sendable {
    public let host: String
    public let port: Int
    public let password: String?
    /// How long to wait for a reply before giving up on the connection.
    public let timeout: Duration

    private struct Connection {
        var fd: Int32 = -1
        var buffer: [UInt8] = []
    }
    private let connection = Mutex(Connection())

    public init(host: String = "127.0.0.1", port: Int = 6379, password: String? = nil, timeout: Duration = .seconds(2)) {
        self.host = host
        self.port = port
        self.password = password
        self.timeout = timeout
    }

    /// `redis://[[user]:password@]host[:port]`.
    public convenience init(url: String, timeout: Duration = .seconds(2)) throws {
        guard url.hasPrefix("redis://") else {
            throw RESPClientError(kind: .connectFailed, description: "not a redis:// URL: \(url)")
        }
        var rest = Substring(url.dropFirst("redis://".count))
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var password: String? = nil
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            password = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).last.map(String.init)
            rest = rest[rest.index(after: at)...]
        }
        var host = String(rest)
        var port = 6379
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            host = String(rest[..<colon])
            guard let p = Int(rest[rest.index(after: colon)...]) else {
                throw RESPClientError(kind: .connectFailed, description: "bad port in \(url)")
            }
            port = p
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(host: host, port: port, password: password, timeout: timeout)
    }

    deinit { connection.withLock { if $0.fd >= 0 { Glibc.close($0.fd) } } }

    /// Sends one command and returns its reply. An error reply is returned
    /// as `.error`, not thrown; I/O problems throw `RESPClientError`.
    public func send(_ arguments: [String]) throws -> RESPValue {
        try connection.withLock { c in
            let reused = c.fd >= 0
            do {
                return try exchange(arguments, &c)
            } catch let error as RESPClientError where reused && error.kind == .connectionLost {
                return try exchange(arguments, &c)
            }
        }
    }

    /// Closes the connection (the next command opens a new one).
    public func close() {
        connection.withLock { disconnect(&$0) }
    }

    // MARK: Internals

    private func exchange(_ arguments: [String], _ c: inout Connection) throws -> RESPValue {
        if c.fd < 0 {
            try connect(&c)
            if let password {
                let reply = try roundTrip(["AUTH", password], &c)
                if case .error(let message) = reply {
                    disconnect(&c)
                    throw RESPClientError(kind: .serverError, description: "AUTH failed: \(message)")
                }
            }
        }
        return try roundTrip(arguments, &c)
    }

    private func roundTrip(_ arguments: [String], _ c: inout Connection) throws -> RESPValue {
        var request = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            request += Array("$\(argument.utf8.count)\r\n".utf8) + Array(argument.utf8) + [13, 10]
        }
        var offset = 0
        while offset < request.count {
            // MSG_NOSIGNAL: a dead peer is an error here, not a SIGPIPE.
            let n = request[offset...].withUnsafeBytes { Glibc.send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { disconnect(&c); throw RESPClientError(kind: .connectionLost, description: "write failed") }
            offset += n
        }
        while true {
            var parser = ReplyParser(bytes: c.buffer)
            if let reply = try parser.parse() {
                c.buffer.removeFirst(parser.position)
                return reply
            }
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            let n = read(c.fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                // The reply may still arrive later; this connection cannot be reused.
                disconnect(&c)
                throw RESPClientError(kind: .timedOut, description: "no reply within \(timeout)")
            }
            if n <= 0 {
                disconnect(&c)
                throw RESPClientError(kind: .connectionLost, description: "connection closed by the server")
            }
            c.buffer += chunk[0..<n]
        }
    }

    private func connect(_ c: inout Connection) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw RESPClientError(kind: .connectFailed, description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RESPClientError(kind: .connectFailed, description: "socket() failed") }
        if Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw RESPClientError(kind: .connectFailed, description: "connect to \(host):\(port) failed: \(reason)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let (seconds, attoseconds) = timeout.components
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        c.fd = fd
        c.buffer = []
    }

    private func disconnect(_ c: inout Connection) {
        if c.fd >= 0 { Glibc.close(c.fd) }
        c.fd = -1
        c.buffer = []
    }
}

/// Parses one RESP2 reply from the front of `bytes`; nil when incomplete.
struct ReplyParser {
    let bytes: [UInt8]
    var position = 0

    mutating func parse() throws -> RESPValue? {
        guard position < bytes.count else { return nil }
        let marker = bytes[position]
        guard let lineEnd = findCRLF(from: position + 1) else { return nil }
        let line = String(decoding: bytes[(position + 1)..<lineEnd], as: UTF8.self)
        position = lineEnd + 2
        switch marker {
        case UInt8(ascii: "+"): return .simple(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"): return .integer(try number(line))
        case UInt8(ascii: "$"):
            let n = try number(line)
            if n < 0 { return .bulk(nil) }
            guard bytes.count >= position + n + 2 else { return nil }
            defer { position += n + 2 }
            return .bulk(Array(bytes[position..<(position + n)]))
        case UInt8(ascii: "*"):
            let n = try number(line)
            if n < 0 { return .array(nil) }
            var items: [RESPValue] = []
            for _ in 0..<n {
                guard let item = try parse() else { return nil }
                items.append(item)
            }
            return .array(items)
        default:
            throw RESPClientError(kind: .protocolError, description: "unexpected reply byte \(marker)")
        }
    }

    private func number(_ line: String) throws -> Int {
        guard let n = Int(line) else { throw RESPClientError(kind: .protocolError, description: "bad number '\(line)'") }
        return n
    }

    private func findCRLF(from start: Int) -> Int? {
        var i = start
        while i + 1 < bytes.count {
            if bytes[i] == 13 && bytes[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }
}

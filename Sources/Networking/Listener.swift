import CSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Socket address formatting, as Redis prints addresses (`ip:port`, IPv6 without brackets).
public enum SocketAddress {
    /// The local end of a connected socket (`getsockname`), or "" on failure.
    public static func local(of fd: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return rc == 0 ? describe(&storage) : ""
    }

    public static func describe(_ storage: inout sockaddr_storage) -> String {
        var host = [CChar](repeating: 0, count: 64)
        var port: UInt16 = 0
        if storage.ss_family == sa_family_t(AF_INET) {
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                    var a = p.pointee.sin_addr
                    inet_ntop(AF_INET, &a, &host, 64)
                    port = UInt16(bigEndian: p.pointee.sin_port)
                }
            }
        } else if storage.ss_family == sa_family_t(AF_INET6) {
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    var a = p.pointee.sin6_addr
                    inet_ntop(AF_INET6, &a, &host, 64)
                    port = UInt16(bigEndian: p.pointee.sin6_port)
                }
            }
        }
        let text = host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // Redis's formatAddr: IPv6 hosts in brackets, "[::1]:6379".
        return storage.ss_family == sa_family_t(AF_INET6) ? "[\(text)]:\(port)" : "\(text):\(port)"
    }

    /// Redis's notion of a local peer (protected mode, `enable-*-command
    /// local`): only 127.0.0.1 and ::1 (127.0.0.2 is not).
    public static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.0.0.1:") || address.hasPrefix("[::1]:")
    }
}

/// Why the server could not listen.
public struct ListenError: Error, CustomStringConvertible {
    public let description: String
}

/// Opens a listening TCP socket. `host` is an IPv4 or IPv6 literal or `*`/`::*`.
func openListener(host: String, port: Int, backlog: Int, reusePort: Bool) throws -> (fd: Int32, port: Int) {
    var literal = host
    if literal == "*" { literal = "0.0.0.0" }
    if literal == "::*" { literal = "::" }
    let v6 = literal.contains(":")
    let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    if fd < 0 { throw ListenError(description: "Could not create server TCP listening socket \(host):\(port): \(String(cString: strerror(cs_errno())))") }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
    if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, 4) }
    var result: Int32
    if v6 {
        setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, 4)
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = UInt16(port).bigEndian
        if inet_pton(AF_INET6, literal, &address.sin6_addr) != 1 {
            close(fd)
            throw ListenError(description: "Invalid bind address '\(host)'")
        }
        result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
    } else {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        if inet_pton(AF_INET, literal, &address.sin_addr) != 1 {
            close(fd)
            throw ListenError(description: "Invalid bind address '\(host)'")
        }
        result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
    if result != 0 || listen(fd, Int32(backlog)) != 0 {
        let reason = String(cString: strerror(cs_errno()))
        close(fd)
        throw ListenError(description: "Could not create server TCP listening socket \(host):\(port): bind: \(reason)")
    }
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    withUnsafeMutablePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
    }
    let bound = SocketAddress.describe(&storage)
    let boundPort = Int(bound.split(separator: ":").last.map(String.init) ?? "") ?? port
    return (fd, boundPort)
}

/// A set of event loops serving the same listening addresses.
public final class NetworkServer<Handler: ConnectionHandler>: @unchecked Sendable {
    public private(set) var loops: [EventLoop<Handler>] = []
    public private(set) var port: Int = 0
    private var listenerFds: [Int32] = []
    private let connectionIds = IdGenerator()

    public init() {}

    /// Binds every address (a leading `-` marks one that may fail), then
    /// starts `loopCount` loops. With several loops each gets its own
    /// SO_REUSEPORT socket, so the kernel spreads connections over them.
    /// `beforeStart` runs once the loops exist and before any of them runs:
    /// what the handler needs from them must be in place before the first
    /// connection is accepted (a loop thread reads it without a lock).
    public func start(handler: Handler, loopCount: Int, addresses: [String], port requested: Int,
                      backlog: Int, hz: Int, tcpKeepAlive: Int, backend: IOBackend = .fromEnvironment,
                      beforeStart: ([EventLoop<Handler>]) -> Void = { _ in }) throws {
        loops = (0..<loopCount).map {
            EventLoop<Handler>(index: $0, handler: handler, hz: hz, connectionIds: connectionIds, backend: backend)
        }
        var port = requested
        var boundAny = false
        for loop in loops { loop.tcpKeepAlive = tcpKeepAlive }
        for address in addresses {
            let optional = address.hasPrefix("-")
            let host = optional ? String(address.dropFirst()) : address
            do {
                for loop in loops {
                    let (fd, actual) = try openListener(host: host, port: port, backlog: backlog, reusePort: loopCount > 1)
                    port = actual
                    listenerFds.append(fd)
                    loop.addListener(fd)
                }
                boundAny = true
            } catch {
                if !optional { closeListeners(); throw error }
            }
        }
        if !boundAny { throw ListenError(description: "Failed listening on port \(requested) (tcp), aborting.") }
        self.port = port
        beforeStart(loops)
        for loop in loops { loop.start() }
    }

    private func closeListeners() {
        for fd in listenerFds { close(fd) }
        listenerFds = []
    }

    /// Stops accepting, writes queued replies, closes every connection, joins the threads.
    public func stop() {
        closeListeners()
        for loop in loops { loop.requestStop() }
        for loop in loops { loop.join() }
        loops = []
    }
}

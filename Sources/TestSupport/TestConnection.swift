#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP connection for tests: send bytes or commands, read RESP
/// frames with a timeout. Used by the integration and conformance tests to
/// talk to a real server over a real socket.
public final class TestConnection {
    public let fd: Int32
    var buffer: [UInt8] = []
    public private(set) var closedByPeer = false

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// `receiveBuffer` shrinks the socket's receive buffer (SO_RCVBUF, set
    /// before connecting) so that replies the test leaves unread pile up
    /// in the server instead of in the kernel.
    public init(host: String = "127.0.0.1", port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, 4) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw Failure(description: "connect to \(host):\(port) failed: \(reason)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
    }

    deinit { Glibc.close(fd) }

    public func close() { shutdown(fd, Int32(SHUT_RDWR)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { throw Failure(description: "write failed: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Encodes arguments as a RESP array of bulk strings.
    public static func encode(_ args: [[UInt8]]) -> [UInt8] {
        var out = Array("*\(args.count)\r\n".utf8)
        for a in args { out += Array("$\(a.count)\r\n".utf8); out += a; out += [13, 10] }
        return out
    }

    public func send(command args: [String]) throws { try send(TestConnection.encode(args.map { Array($0.utf8) })) }

    /// Reads more bytes, waiting at most `timeoutMs`. Returns false on timeout.
    @discardableResult
    func fill(timeoutMs: Int) throws -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&p, 1, Int32(timeoutMs))
        if ready <= 0 { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = read(fd, &chunk, chunk.count)
        if n <= 0 { closedByPeer = true; return false }
        buffer += chunk[0..<n]
        return true
    }

    /// The raw bytes of the next complete frame.
    public func readFrameBytes(timeoutMs: Int = 5000) throws -> [UInt8] {
        while true {
            if let (_, end) = try RESPValue.parse(buffer) {
                let frame = Array(buffer[0..<end])
                buffer.removeFirst(end)
                return frame
            }
            if closedByPeer { throw Failure(description: "connection closed while waiting for a reply") }
            if try !fill(timeoutMs: timeoutMs) && !closedByPeer {
                throw Failure(description: "timed out waiting for a reply (have \(RESPValue.escape(buffer)))")
            }
        }
    }

    public func readFrame(timeoutMs: Int = 5000) throws -> RESPValue {
        let bytes = try readFrameBytes(timeoutMs: timeoutMs)
        return try RESPValue.parse(bytes)!.0
    }

    /// Sends a command and reads its reply.
    @discardableResult
    public func call(_ args: String...) throws -> RESPValue {
        try send(command: args)
        return try readFrame()
    }

    public func call(_ args: [String]) throws -> RESPValue {
        try send(command: args)
        return try readFrame()
    }

    /// Waits until the peer closes (true) or `timeoutMs` passes with no data (false).
    public func waitForClose(timeoutMs: Int) throws -> Bool {
        if closedByPeer { return true }
        while try fill(timeoutMs: timeoutMs) {}
        return closedByPeer
    }

    /// Bytes received but not yet consumed as frames.
    public var unread: [UInt8] { buffer }

    /// Reads whatever arrives within `timeoutMs` of silence.
    public func drain(timeoutMs: Int) throws -> [UInt8] {
        while try fill(timeoutMs: timeoutMs) {}
        let out = buffer
        buffer = []
        return out
    }

    /// Every complete frame that arrives within `timeoutMs` of silence.
    public func drainFrames(timeoutMs: Int = 100) throws -> [RESPValue] {
        var bytes = try drain(timeoutMs: timeoutMs)[...]
        var frames: [RESPValue] = []
        while !bytes.isEmpty, let (frame, used) = try RESPValue.parse(Array(bytes)) {
            frames.append(frame)
            bytes = bytes.dropFirst(used)
        }
        return frames
    }
}

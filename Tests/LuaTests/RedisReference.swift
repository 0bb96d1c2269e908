import Foundation
import Lua
#if canImport(Glibc)
import Glibc
#endif

/// A private redis-server for the library tests: started in a temporary
/// directory on a free port, spoken to over RESP, killed at the end.
final class RedisReference {
    let process: Process
    let directory: URL
    let port: UInt16
    private var socketFD: Int32 = -1
    private var buffer: [UInt8] = []

    /// `redis-server` from PATH, or nil.
    static var serverPath: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = String(directory) + "/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    init(serverPath: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lua-redis-ref-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = RedisReference.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: serverPath)
        process.arguments = ["--port", String(port), "--save", "", "--appendonly", "no", "--dir", directory.path,
                             "--bind", "127.0.0.1", "--logfile", ""]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !connect() {
            if Date() > deadline || !process.isRunning {
                stop()
                throw NSError(domain: "RedisReference", code: 1, userInfo: [NSLocalizedDescriptionKey: "redis-server did not start"])
            }
            usleep(20_000)
        }
    }

    func stop() {
        if socketFD >= 0 { close(socketFD); socketFD = -1 }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A port the kernel just handed out (bound to 0, then released).
    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    private func connect() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 { close(fd); return false }
        socketFD = fd
        return true
    }

    /// A reply, reduced to what the tests need.
    enum Reply: Equatable {
        case bulk([UInt8]), null, status([UInt8]), error([UInt8]), integer(Int64), array([Reply])
    }

    func command(_ arguments: [[UInt8]]) throws -> Reply {
        var out = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            out += Array("$\(argument.count)\r\n".utf8) + argument + [13, 10]
        }
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { send(socketFD, $0.baseAddress, $0.count, 0) }
            if n <= 0 { throw NSError(domain: "RedisReference", code: 2, userInfo: [NSLocalizedDescriptionKey: "send failed"]) }
            sent += n
        }
        return try readReply()
    }

    func command(_ arguments: String...) throws -> Reply { try command(arguments.map { Array($0.utf8) }) }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(socketFD, $0.baseAddress, $0.count, 0) }
        if n <= 0 { throw NSError(domain: "RedisReference", code: 3, userInfo: [NSLocalizedDescriptionKey: "connection closed"]) }
        buffer += chunk[0..<n]
    }

    private func readLine() throws -> [UInt8] {
        while true {
            if let end = buffer.indices.dropLast().first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 }) {
                let line = Array(buffer[0..<end])
                buffer.removeFirst(end + 2)
                return line
            }
            try fill()
        }
    }

    private func readReply() throws -> Reply {
        let line = try readLine()
        let rest = Array(line.dropFirst())
        let number = Int(String(decoding: rest, as: UTF8.self)) ?? 0
        switch line.first {
        case UInt8(ascii: "$"):
            if number < 0 { return .null }
            while buffer.count < number + 2 { try fill() }
            let data = Array(buffer[0..<number])
            buffer.removeFirst(number + 2)
            return .bulk(data)
        case UInt8(ascii: "+"): return .status(rest)
        case UInt8(ascii: "-"): return .error(rest)
        case UInt8(ascii: ":"): return .integer(Int64(number))
        case UInt8(ascii: "*"):
            if number < 0 { return .null }
            return .array(try (0..<number).map { _ in try readReply() })
        default: return .error(Array("unparsed reply".utf8))
        }
    }
}

/// Runs scripts the same way through Redis (EVAL) and through a `LuaState`
/// with the Redis libraries, each wrapped so that it returns a string:
/// `OK:` and the `tostring` of its result, or `ERR:` and the error message.
/// Redis keeps library settings (cjson's) between EVALs until SCRIPT FLUSH;
/// one `LuaState` per session keeps them the same way.
final class RedisLibrarySession {
    let redis: RedisReference
    let state: LuaState

    init(redis: RedisReference) throws {
        self.redis = redis
        _ = try redis.command("SCRIPT", "FLUSH")
        state = LuaState()
        state.openRedisLibraries()
    }

    /// One line, so that positions (`user_script:1:`) are the same inside.
    static func wrap(_ body: [UInt8]) -> [UInt8] {
        Array("local ok, r = pcall(function() ".utf8) + body
            + Array(" end) if ok then return 'OK:'..tostring(r) else return 'ERR:'..tostring(r) end".utf8)
    }

    func reference(_ body: [UInt8]) throws -> [UInt8] {
        switch try redis.command([Array("EVAL".utf8), RedisLibrarySession.wrap(body), Array("0".utf8)]) {
        case .bulk(let bytes): return bytes
        case .error(let bytes): return Array("REDIS ERROR ".utf8) + bytes
        case let other: return Array("UNEXPECTED \(other)".utf8)
        }
    }

    func ours(_ body: [UInt8]) -> [UInt8] {
        let state = self.state
        let source = RedisLibrarySession.wrap(body)
        // Debug builds need far more native stack per nesting level than
        // release builds; the deep cases run as deep as in Redis this way.
        return ReferenceHarness.onLargeStack { () -> [UInt8] in
            do {
                let function = try state.load(source, chunkName: Array("@user_script".utf8))
                let results = try state.call(.function(function))
                guard let first = results.first else { return Array("NO RESULT".utf8) }
                return try state.toString(first).bytes
            } catch let error as LuaSyntaxError {
                return Array("SYNTAX ERROR \(error.message)".utf8)
            } catch {
                return Array("HOST ERROR \(error)".utf8)
            }
        }
    }

    /// Both results, for a script body.
    func compare(_ body: [UInt8]) throws -> (reference: [UInt8], ours: [UInt8]) {
        (try reference(body), ours(body))
    }
}

extension Array where Element == UInt8 {
    /// Printable form for failure messages (bytes outside ASCII escaped).
    var shown: String {
        var text = ""
        for b in self {
            if b >= 32 && b < 127 { text.append(Character(Unicode.Scalar(b))) } else { text += String(format: "\\x%02x", b) }
        }
        return text
    }
}

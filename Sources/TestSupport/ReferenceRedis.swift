#if canImport(Glibc)
import Glibc
#endif

/// A real `redis-server` started for a test (reference only: Swiftlet
/// never links or embeds Redis). Absent when Redis is not installed.
public final class ReferenceRedis {
    public let port: Int
    let pid: pid_t
    let directory: String

    /// Finds `redis-server` on PATH and starts it on a free port.
    public static func start(extraArguments: [String] = []) -> ReferenceRedis? {
        guard let binary = findExecutable("redis-server") else { return nil }
        let port = freePort()
        var template = Array("/tmp/swiftlet-redis-XXXXXX".utf8CString)
        guard let dirPointer = mkdtemp(&template) else { return nil }
        let directory = String(cString: dirPointer)
        let args = [binary, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--daemonize", "no", "--dir", directory, "--logfile", directory + "/redis.log"] + extraArguments
        var pid: pid_t = 0
        var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        // Standard streams go to /dev/null (the log has its own file): if
        // the test process dies without stopping this server, an inherited
        // stdout would keep the test runner's output pipe open, and whoever
        // reads it (CI) would wait for the orphan forever.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        guard posix_spawn(&pid, binary, &actions, nil, &cArgs, environ) == 0 else { return nil }
        let server = ReferenceRedis(port: port, pid: pid, directory: directory)
        for _ in 0..<200 {
            // Any reply will do (with requirepass, PING answers -NOAUTH).
            if let c = try? TestConnection(port: port), (try? c.call("PING")) != nil { return server }
            // Bound to IPv6 only, 127.0.0.1 never answers: the log says when it is up.
            if readTextFile(directory + "/redis.log")?.contains("Ready to accept connections") == true { return server }
            usleep(10_000)
        }
        server.stop()
        return nil
    }

    init(port: Int, pid: pid_t, directory: String) {
        self.port = port; self.pid = pid; self.directory = directory
    }

    public func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        unlink(directory + "/redis.log")
        rmdir(directory)
    }

    public static func findExecutable(_ name: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// A port nothing listens on right now (bind to 0, read it back, close).
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

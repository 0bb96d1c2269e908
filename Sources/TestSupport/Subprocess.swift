#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion for a test (redis-cli, redis-benchmark),
/// feeding `input` on stdin and capturing stdout and stderr.
public enum Subprocess {
    public struct Result {
        public let status: Int32
        public let output: String
        public let error: String
        public let timedOut: Bool
    }

    /// Runs `arguments[0]` (looked up on PATH) with the rest as arguments.
    /// After `timeoutSeconds` the process gets SIGINT (then SIGKILL), which is
    /// how tests stop tools that run forever (`redis-cli --stat`).
    public static func run(_ arguments: [String], input: [UInt8] = [], timeoutSeconds: Double = 60) -> Result {
        guard let path = arguments.first.flatMap({ $0.contains("/") ? $0 : ReferenceRedis.findExecutable($0) }) else {
            return Result(status: 127, output: "", error: "\(arguments.first ?? "") not found", timedOut: false)
        }
        var stdinPipe: [Int32] = [0, 0], stdoutPipe: [Int32] = [0, 0], stderrPipe: [Int32] = [0, 0]
        pipe(&stdinPipe); pipe(&stdoutPipe); pipe(&stderrPipe)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        for fd in stdinPipe + stdoutPipe + stderrPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        var cArgs: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, &cArgs, environ)
        posix_spawn_file_actions_destroy(&actions)
        close(stdinPipe[0]); close(stdoutPipe[1]); close(stderrPipe[1])
        if rc != 0 {
            close(stdinPipe[1]); close(stdoutPipe[0]); close(stderrPipe[0])
            return Result(status: 127, output: "", error: "spawn failed", timedOut: false)
        }
        // Feed stdin from a thread so a large input cannot deadlock against full output pipes.
        let writerFd = stdinPipe[1]
        let data = input
        var writer = pthread_t()
        final class Box { let fd: Int32; let data: [UInt8]; init(_ f: Int32, _ d: [UInt8]) { fd = f; data = d } }
        let box = Unmanaged.passRetained(Box(writerFd, data)).toOpaque()
        pthread_create(&writer, nil, { arg in
            let b = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            var offset = 0
            while offset < b.data.count {
                let n = b.data[offset...].withUnsafeBytes { write(b.fd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                offset += n
            }
            close(b.fd)
            return nil
        }, box)
        var out: [UInt8] = [], err: [UInt8] = []
        var open = [stdoutPipe[0], stderrPipe[0]]
        let deadline = Double(monotonicMs()) + timeoutSeconds * 1000
        var timedOut = false
        var signalled = 0
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let remaining = deadline - Double(monotonicMs())
            if remaining <= 0 {
                timedOut = true
                kill(pid, signalled == 0 ? SIGINT : SIGKILL)
                signalled += 1
                if signalled > 20 { break }
            }
            _ = poll(&fds, nfds_t(fds.count), Int32(max(10, min(remaining, 100))))
            for p in fds where p.revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 65536)
                let n = read(p.fd, &chunk, chunk.count)
                if n <= 0 { close(p.fd); open.removeAll { $0 == p.fd } } else if p.fd == stdoutPipe[0] { out += chunk[0..<n] } else { err += chunk[0..<n] }
            }
        }
        for fd in open { close(fd) }
        pthread_join(writer, nil)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: exitCode, output: String(decoding: out, as: UTF8.self), error: String(decoding: err, as: UTF8.self), timedOut: timedOut)
    }

    static func monotonicMs() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A server executable running in the background for a test, its output
/// going to a temporary log file.
public final class ServerProcess {
    public let pid: pid_t
    public let logPath: String
    public private(set) var exitStatus: Int32? = nil

    /// The `swiftlet-server` built next to the running test bundle.
    public static var swiftletExecutable: String {
        var path = CommandLine.arguments[0]
        if let slash = path.lastIndex(of: "/") { path = String(path[..<slash]) }
        // The bundle may be a directory (`*.xctest/…`); walk up to the build folder.
        while path.contains(".xctest"), let slash = path.lastIndex(of: "/") { path = String(path[..<slash]) }
        return path + "/swiftlet-server"
    }

    public init(_ arguments: [String], stdin: String? = nil) throws {
        var template = Array("/tmp/swiftlet-proc-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        logPath = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fd, 1)
        posix_spawn_file_actions_adddup2(&actions, fd, 2)
        var inputPipe: [Int32] = [0, 0]
        if stdin != nil {
            pipe(&inputPipe)
            posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
            posix_spawn_file_actions_addclose(&actions, inputPipe[1])
        }
        var cArgs: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, arguments[0], &actions, nil, &cArgs, environ)
        posix_spawn_file_actions_destroy(&actions)
        close(fd)
        if let text = stdin {
            close(inputPipe[0])
            _ = Array(text.utf8).withUnsafeBytes { write(inputPipe[1], $0.baseAddress, $0.count) }
            close(inputPipe[1])
        }
        if rc != 0 { throw TestConnection.Failure(description: "cannot start \(arguments[0]): \(rc)") }
        pid = child
    }

    deinit {
        if exitStatus == nil { kill(pid, SIGKILL); _ = waitForExit(timeoutMs: 2000) }
        unlink(logPath)
    }

    public var log: String { readTextFile(logPath) ?? "" }

    /// Waits until the log contains `text` (true) or the time runs out or the process exits (false).
    public func waitForLog(_ text: String, timeoutMs: Int = 10_000) -> Bool {
        for _ in 0..<(timeoutMs / 10) {
            if log.contains(text) { return true }
            if exitStatus != nil || pollExit() { return log.contains(text) }
            usleep(10_000)
        }
        return false
    }

    func pollExit() -> Bool {
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            return true
        }
        return false
    }

    /// The exit status, or nil if still running after `timeoutMs`.
    public func waitForExit(timeoutMs: Int) -> Int32? {
        if let s = exitStatus { return s }
        for _ in 0..<max(1, timeoutMs / 10) {
            if pollExit() { return exitStatus }
            usleep(10_000)
        }
        return nil
    }

    public func signal(_ s: Int32) { kill(pid, s) }
}

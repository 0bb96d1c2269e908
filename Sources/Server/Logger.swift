import Sync
import Commands
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes log lines in Redis's format: `pid:role dd Mon yyyy hh:mm:ss.mmm <marker> message`
/// to standard output or to `logfile`. A log file that cannot be opened is
/// reported once on stderr and logging falls back to standard output.
public final class Logger: @unchecked Sendable {
    private let lock = Locked<Void>(())
    private let file: UnsafeMutablePointer<FILE>?
    public let minimumLevel: LogLevel

    public init(path: String, level: LogLevel) {
        minimumLevel = level
        if path.isEmpty {
            file = nil
        } else if let f = fopen(path, "a") {
            file = f
        } else {
            let reason = String(cString: strerror(errno))
            fputs("Can't open the log file: \(reason)\n", stderr)
            file = nil
        }
    }

    deinit { if let f = file { fclose(f) } }

    public func log(_ level: LogLevel, _ message: String) {
        guard level >= minimumLevel else { return }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var seconds = ts.tv_sec
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        _ = strftime(&buffer, 64, "%d %b %Y %H:%M:%S", &parts)
        let stamp = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let ms = Int(ts.tv_nsec / 1_000_000)
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        let line = "\(getpid()):M \(stamp).\(msText) \(level.marker) \(message)\n"
        lock.withLock { _ in
            let target = file ?? stdout
            if fputs(line, target) < 0 {
                // A full disk must not take the server down: drop the line.
            }
            fflush(target)
        }
    }
}

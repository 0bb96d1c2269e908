#if canImport(Glibc)
import Glibc
#endif

/// Facts about this process read from /proc, and the small-file reader
/// that /proc and /sys attributes share.
enum ProcessStats {
    /// Resident set size in bytes: the second field of /proc/self/statm, in
    /// pages. Read with open/read into the stack (INFO asks on every call;
    /// fopen, a line buffer and String splitting cost more than the rest of
    /// the memory section).
    static func residentBytes() -> Int {
        withSmallFile("/proc/self/statm", capacity: 128) { bytes -> Int in
            var field = 0, value = 0
            for byte in bytes {
                if byte == UInt8(ascii: " ") {
                    if field == 1 { break }
                    field += 1; value = 0
                } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    value = value &* 10 &+ Int(byte &- UInt8(ascii: "0"))
                }
            }
            return field == 1 ? value * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
        } ?? 0
    }

    /// Calls `body` with the first `capacity` bytes of a small file (a /proc
    /// or /sys attribute), read into the stack; nil when the file cannot be
    /// opened or is empty.
    static func withSmallFile<R>(_ path: String, capacity: Int, _ body: (UnsafeMutableBufferPointer<UInt8>.SubSequence) -> R?) -> R? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            let n = read(fd, buffer.baseAddress!, capacity)
            return n > 0 ? body(buffer[0..<n]) : nil
        }
    }

    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, 4095)
        if n <= 0 { return "" }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Facts about this process read from /proc.
enum ProcessStats {
    /// Resident set size in bytes: the second field of /proc/self/statm, in
    /// pages. Read with open/read into the stack (INFO asks on every call;
    /// fopen, a line buffer and String splitting cost more than the rest of
    /// the memory section).
    static func residentBytes() -> Int {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        if fd < 0 { return 0 }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer in
            let n = read(fd, buffer.baseAddress!, 128)
            guard n > 0 else { return 0 }
            var field = 0, value = 0
            for byte in buffer[0..<n] {
                if byte == UInt8(ascii: " ") {
                    if field == 1 { break }
                    field += 1; value = 0
                } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    value = value &* 10 &+ Int(byte &- UInt8(ascii: "0"))
                }
            }
            return field == 1 ? value * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
        }
    }

    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, 4095)
        if n <= 0 { return "" }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

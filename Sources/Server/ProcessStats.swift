#if canImport(Glibc)
import Glibc
#endif

/// Facts about this process read from /proc.
enum ProcessStats {
    /// Resident set size in bytes.
    static func residentBytes() -> Int {
        guard let f = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(f) }
        var size = 0, resident = 0
        var buffer = [CChar](repeating: 0, count: 128)
        guard fgets(&buffer, 128, f) != nil else { return 0 }
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let fields = text.split(separator: " ")
        if fields.count >= 2 { size = Int(fields[0]) ?? 0; resident = Int(fields[1]) ?? 0 }
        _ = size
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, 4095)
        if n <= 0 { return "" }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

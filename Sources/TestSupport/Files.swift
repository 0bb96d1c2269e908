#if canImport(Glibc)
import Glibc
#endif

/// Reads a whole file as UTF-8 text (nil when it cannot be opened).
public func readTextFile(_ path: String) -> String? {
    readBinaryFile(path).map { String(decoding: $0, as: UTF8.self) }
}

/// The root of the Swiftlet package: this file is
/// `<root>/Sources/TestSupport/Files.swift`.
public let packageRoot: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// The names in a directory, sorted, without `.` entries (empty if it
/// cannot be read).
public func directoryEntries(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        // d_name is NUL-terminated inside a record that may be shorter than
        // the declared 256 bytes: read it as a C string, never as a tuple.
        let field = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        let name = String(cString: field.assumingMemoryBound(to: CChar.self))
        if !name.hasPrefix(".") { names.append(name) }
    }
    return names.sorted()
}

/// A whole file's bytes (nil when it cannot be opened).
public func readBinaryFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return bytes
}

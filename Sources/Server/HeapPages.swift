#if canImport(Glibc)
import Glibc
#endif

/// Whether the server backs its malloc heap with transparent huge pages
/// (`swiftlet-server` decides before anything else runs; see main.swift):
/// yes, unless `hostReclaimsFreeMemory()`.
///
/// Huge pages save a TLB miss on most random lookups in a large keyspace, but
/// each one is zeroed whole when first touched. On a virtual machine whose
/// free memory goes back to its host (a virtio balloon with free page
/// reporting, as Firecracker and cloud VMs use), free 2 MiB blocks are exactly
/// what the guest reports, so nearly every new huge page is memory the host
/// must fault in again, 4 KiB at a time. Measured on such a guest (2 cores,
/// Linux 6.18): touching fresh memory cost 4.5 ms per 2 MiB in huge pages
/// against 0.8 ms in 4 KiB pages (0.18 ms for huge pages the host still
/// backed), and filling 1M keys with 1 KiB values at pipeline 16 ran at
/// 403-704k SET/s with p99 5.4-6.8 ms, against 717-797k SET/s with p99
/// 1.3-1.7 ms in 4 KiB pages (Redis: 310-417k, p99 3.3-4.9 ms). There the
/// heap keeps 4 KiB pages.
public enum HeapPages {
    /// VIRTIO_BALLOON_F_REPORTING: the guest tells the host which free pages
    /// it may take back.
    static let balloonReportingBit = 5
    /// The virtio device id of a memory balloon.
    static let balloonDeviceId = "0x0005"

    /// True when a virtio balloon under `devices` (sysfs) negotiated free
    /// page reporting. Each device directory holds `device` (its id, as
    /// "0x0005") and `features` (one '0' or '1' per feature bit, bit 0 first).
    public static func hostReclaimsFreeMemory(devices: String = "/sys/bus/virtio/devices") -> Bool {
        guard let directory = opendir(devices) else { return false }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            // d_name is NUL-terminated inside a record that may be shorter
            // than its declared 256 bytes: read it as a C string.
            let field = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!
            let name = String(cString: field.assumingMemoryBound(to: CChar.self))
            if name.hasPrefix(".") { continue }
            let path = devices + "/" + name
            guard firstLine(of: path + "/device") == balloonDeviceId,
                  let features = firstLine(of: path + "/features") else { continue }
            let bits = Array(features.utf8)
            if bits.count > balloonReportingBit && bits[balloonReportingBit] == UInt8(ascii: "1") { return true }
        }
        return false
    }

    /// The first line of a small file (sysfs attributes are one line).
    static func firstLine(of path: String) -> String? {
        ProcessStats.withSmallFile(path, capacity: 512) { bytes in
            String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        }
    }
}

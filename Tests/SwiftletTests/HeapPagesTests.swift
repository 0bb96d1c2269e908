import XCTest
import Glibc
@testable import Swiftlet

/// `HeapPages` reads the virtio devices' sysfs attributes; these tests give
/// it directories laid out as sysfs lays them out.
final class HeapPagesTests: XCTestCase {
    private var root = ""

    override func setUp() {
        root = "/tmp/swiftlet-heap-pages-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(root, 0o755)
    }

    override func tearDown() {
        for device in ["virtio0", "virtio1", "virtio2"] {
            unlink("\(root)/\(device)/device")
            unlink("\(root)/\(device)/features")
            rmdir("\(root)/\(device)")
        }
        rmdir(root)
    }

    private func device(_ name: String, id: String, features: String) {
        mkdir("\(root)/\(name)", 0o755)
        for (file, text) in [("device", id + "\n"), ("features", features + "\n")] {
            let f = fopen("\(root)/\(name)/\(file)", "w")!
            fputs(text, f)
            fclose(f)
        }
    }

    // Feature strings as this project's 2-core Firecracker guest shows them.
    private let reporting = "0110010100000000000000000000000010000000"
    private let noReporting = "0110000100000000000000000000000010000000"

    func testABalloonWithFreePageReportingMeansTheHostTakesFreeMemoryBack() {
        device("virtio0", id: "0x0002", features: "0010001001100100")
        device("virtio1", id: "0x0005", features: reporting)
        XCTAssertTrue(HeapPages.hostReclaimsFreeMemory(devices: root))
    }

    func testABalloonWithoutReportingDoesNot() {
        device("virtio0", id: "0x0005", features: noReporting)
        XCTAssertFalse(HeapPages.hostReclaimsFreeMemory(devices: root))
    }

    func testOnlyABalloonsFeatureBitCounts() {
        // Bit 5 of a network device is something else entirely.
        device("virtio0", id: "0x0001", features: reporting)
        device("virtio2", id: "0x0005", features: "011")
        XCTAssertFalse(HeapPages.hostReclaimsFreeMemory(devices: root))
    }

    func testNoVirtioDevicesMeansABareMachine() {
        XCTAssertFalse(HeapPages.hostReclaimsFreeMemory(devices: root + "/absent"))
        XCTAssertFalse(HeapPages.hostReclaimsFreeMemory(devices: root))
    }
}

import XCTest
@testable import Commands

/// Command lookup (`CommandTable.lookup`) against a plain scan that
/// compares names byte by byte, ignoring ASCII case only.
final class CommandTableTests: XCTestCase {
    let specs = CommandCatalog.all()
    lazy var table = CommandTable(specs)

    /// The reference: the first command whose name equals `name` with only
    /// 'A'...'Z' folded to lower case.
    func scan(_ name: [UInt8]) -> String? {
        let folded = name.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        return specs.first { Array($0.name.utf8) == folded }?.name
    }

    func lookUp(_ name: [UInt8]) -> String? {
        name.withUnsafeBytes { table.lookup($0)?.name }
    }

    func testEveryNameInEveryCase() {
        var rng = SystemRandomNumberGenerator()
        for spec in specs {
            let lower = Array(spec.name.utf8)
            let upper = lower.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
            let mixed = lower.map { $0 >= 0x61 && $0 <= 0x7A && Bool.random(using: &rng) ? $0 - 0x20 : $0 }
            for variant in [lower, upper, mixed] {
                XCTAssertEqual(lookUp(variant), spec.name, String(decoding: variant, as: UTF8.self))
            }
        }
    }

    /// Bytes that fold to, or sit next to, letters and the punctuation in
    /// command names: a lookup must not take any of them for another byte.
    func testNearMissesAreNotFound() {
        let tricky: [UInt8] = [0x00, 0x1F, 0x2D, 0x3F, 0x40, 0x5B, 0x5F, 0x60, 0x7B, 0x7F, 0x80, 0xC1, 0xE1, 0xFF]
        for spec in specs {
            let name = Array(spec.name.utf8)
            for i in name.indices {
                var candidates = tricky + [name[i] ^ 0x20, name[i] &+ 1, name[i] &- 1, name[i] | 0x80]
                if name[i] >= 0x61 && name[i] <= 0x7A { candidates.append(name[i] - 0x20) }
                for b in candidates {
                    var changed = name
                    changed[i] = b
                    XCTAssertEqual(lookUp(changed), scan(changed), "\(spec.name) with byte \(i) = \(b)")
                }
            }
            // One byte longer or shorter, around the 8- and 16-byte word edges too.
            XCTAssertEqual(lookUp(name + [0x61]), scan(name + [0x61]))
            XCTAssertEqual(lookUp(name + [0x00]), scan(name + [0x00]))
            XCTAssertEqual(lookUp(Array(name.dropLast())), scan(Array(name.dropLast())))
        }
    }

    func testEmptyAndLongNames() {
        XCTAssertNil(lookUp([]))
        XCTAssertNil(lookUp(Array(repeating: 0x61, count: 17)))
        XCTAssertNil(lookUp(Array(repeating: 0x41, count: 65)))
    }
}

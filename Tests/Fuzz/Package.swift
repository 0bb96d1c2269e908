// swift-tools-version:6.0
import PackageDescription

// The libFuzzer binary for Swiftlet's fuzz targets (FUZZ_TARGET=parser|commands). Built only by `.ci/fuzz`, with
// `-sanitize=fuzzer,address`; the bodies live in the root package's
// FuzzHarness module so the regression tests can replay saved inputs.
let package = Package(
    name: "SwiftletFuzz",
    dependencies: [.package(name: "Swiftlet", path: "../..")],
    targets: [
        .executableTarget(name: "Fuzz", dependencies: [.product(name: "SwiftletFuzzHarness", package: "Swiftlet")],
                          path: "Sources/Fuzz", swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ],
    swiftLanguageModes: [.v5]
)

// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for Swiftlet. Built only by `.ci/fuzz`, with
// `-sanitize=fuzzer,address`; the bodies live in the root package's
// FuzzHarness module so the regression tests can replay saved inputs.
let package = Package(
    name: "SwiftletFuzz",
    dependencies: [.package(name: "Swiftlet", path: "../..")],
    targets: [
        .executableTarget(name: "FuzzParser", dependencies: [.product(name: "SwiftletFuzzHarness", package: "Swiftlet")],
                          path: "Sources/FuzzParser", swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "FuzzCommands", dependencies: [.product(name: "SwiftletFuzzHarness", package: "Swiftlet")],
                          path: "Sources/FuzzCommands", swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ],
    swiftLanguageModes: [.v5]
)

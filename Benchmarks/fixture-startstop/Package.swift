// swift-tools-version:6.0
import PackageDescription

// Measures what a SwiftletTesting fixture costs: start + stop cycles of a
// TestServer in a release build, printed as mean and percentiles.
//   swift run -c release --package-path Benchmarks/fixture-startstop
let package = Package(
    name: "fixture-startstop",
    dependencies: [.package(name: "Swiftlet", path: "../..")],
    targets: [
        .executableTarget(name: "fixture-startstop",
                          dependencies: [.product(name: "SwiftletTesting", package: "Swiftlet")]),
    ],
    swiftLanguageModes: [.v5]
)

// swift-tools-version:6.0
import PackageDescription

// An example app component (a cache-aside helper with its own tiny RESP
// client) and its tests, written against SwiftletTesting. The root package's
// `swift test` runs these tests too (Tests/SwiftletTestingTests/ExamplesTests.swift).
//
// In your own project the dependency would be
//   .package(url: "https://github.com/<owner>/swiftlet.git", from: "0.1.0")
// and SwiftletTesting would be a dependency of the test target only.
let package = Package(
    name: "CacheAside",
    products: [.library(name: "CacheAside", targets: ["CacheAside"])],
    dependencies: [.package(name: "Swiftlet", path: "../..")],
    targets: [
        // The app code: no dependency at all.
        .target(name: "CacheAside"),
        .testTarget(name: "CacheAsideTests", dependencies: [
            "CacheAside",
            .product(name: "SwiftletTesting", package: "Swiftlet"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)

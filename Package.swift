// swift-tools-version:6.0
import PackageDescription

// Swiftlet: a Redis 7.0-compatible cache server. No package dependencies: the
// toolchain is all there is. Modules follow the layers in docs/DESIGN.md:
//   swiftlet-server -> Swiftlet (Sources/Server) -> Commands -> Storage
//                                               \-> Networking -> RESP

let package = Package(
    name: "Swiftlet",
    products: [
        .library(name: "Swiftlet", targets: ["Swiftlet"]),
        .library(name: "SwiftletTesting", targets: ["SwiftletTesting"]),
        // Fuzz target bodies, for Tests/Fuzz (libFuzzer) and the regression tests.
        .library(name: "SwiftletFuzzHarness", targets: ["FuzzHarness"]),
        .executable(name: "swiftlet-server", targets: ["swiftlet-server"]),
    ],
    targets: [
        .target(name: "CSystem", path: "Sources/CSystem"),
        .target(name: "Sync", dependencies: ["CSystem"], path: "Sources/Sync"),
        .target(name: "RESP", dependencies: ["CSystem"], path: "Sources/RESP"),
        .target(name: "Storage", dependencies: ["CSystem", "Sync"], path: "Sources/Storage"),
        .target(name: "Networking", dependencies: ["CSystem", "RESP", "Sync"], path: "Sources/Networking"),
        .target(name: "PubSub", dependencies: ["Storage", "Sync"], path: "Sources/PubSub"),
        .target(name: "Commands", dependencies: ["CSystem", "RESP", "Storage", "PubSub", "Sync", "Lua"], path: "Sources/Commands"),
        .target(name: "Swiftlet", dependencies: ["CSystem", "RESP", "Storage", "Commands", "Networking", "Sync"], path: "Sources/Server"),
        .target(name: "SwiftletTesting", dependencies: ["Swiftlet", "Commands", "RESP", "Storage", "Sync", "Networking"], path: "Sources/Testing"),
        .target(name: "TestSupport", path: "Sources/TestSupport"),
        // Lua 5.1 interpreter for scripting (EVAL): standalone, toolchain only.
        .target(name: "Lua", path: "Sources/Lua", exclude: ["README.md"]),
        .target(name: "FuzzHarness", dependencies: ["RESP", "Commands", "Swiftlet"], path: "Sources/FuzzHarness"),
        .executableTarget(name: "swiftlet-server", dependencies: ["Swiftlet", "CSystem"], path: "Sources/swiftlet-server"),
        .testTarget(name: "SwiftletTests", dependencies: ["Swiftlet", "RESP", "Storage", "Commands", "Sync", "TestSupport", "FuzzHarness"], path: "Tests/SwiftletTests"),
        .testTarget(name: "LuaTests", dependencies: ["Lua"], path: "Tests/LuaTests", exclude: ["corpus"]),
        .testTarget(name: "SwiftletTestingTests", dependencies: ["SwiftletTesting", "TestSupport"], path: "Tests/SwiftletTestingTests"),
        .testTarget(
            name: "ConformanceTests", dependencies: ["Swiftlet", "Commands", "TestSupport", "RESP"], path: "Conformance",
            exclude: ["cases", "clients", "record.py", "README.md", "known-differences.txt"], sources: ["Runner"]),
    ],
    swiftLanguageModes: [.v5]
)

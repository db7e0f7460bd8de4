// swift-tools-version: 6.0
// Redstart: a Redis-compatible in-memory data server. The targets follow the
// layers of ARCHITECTURE.md; dependencies point down only.
import PackageDescription

let package = Package(
    name: "redstart",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "redstart-server", targets: ["redstart-server"]),
        .library(name: "RedstartServer", targets: ["RedstartServer"]),
        .library(name: "RedstartClient", targets: ["RedstartClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        .target(
            name: "RedstartRESP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(
            name: "RedstartEngine",
            dependencies: [
                "RedstartRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .target(name: "CRedstartShims"),
        .target(
            name: "RedstartServer",
            dependencies: [
                "CRedstartShims",
                "RedstartEngine",
                "RedstartRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "RedstartClient",
            dependencies: [
                "RedstartRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "redstart-server",
            dependencies: ["RedstartServer"]
        ),
        .target(
            name: "RedstartTestSupport",
            dependencies: ["RedstartClient", "RedstartRESP"],
            path: "Tests/RedstartTestSupport"
        ),
        .testTarget(
            name: "RedstartRESPTests",
            dependencies: ["RedstartRESP"]
        ),
        .testTarget(
            name: "RedstartEngineTests",
            dependencies: ["RedstartEngine", "RedstartRESP", "RedstartTestSupport"]
        ),
        .testTarget(
            name: "RedstartServerTests",
            dependencies: ["RedstartServer", "RedstartClient", "RedstartTestSupport"]
        ),
    ]
)

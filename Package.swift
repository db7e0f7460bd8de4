// swift-tools-version: 6.1
// Redstart: a Redis-compatible in-memory data server. The targets follow the
// layers of ARCHITECTURE.md; dependencies point down only.
import PackageDescription

/// The server's own modules (engine, scripting, server) are built in release without
/// Swift's dynamic exclusivity checks: their state is confined to the event loop and
/// never accessed re-entrantly, and the checks (most of them NIO ByteBuffer accesses
/// inlined into these modules) cost 13–15% of the CPU of a script's commands
/// (ARCHITECTURE.md, "Decisions"). Debug builds, which the tests use, keep the checks.
/// Unsafe flags make a target unusable from a versioned dependency, so these modules are
/// in no library product; the client, the job queue and RESP have no such flags.
let serverSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "redstart",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "redstart-server", targets: ["redstart-server"]),
        .executable(name: "redstart-check-rdb", targets: ["redstart-check-rdb"]),
        .executable(name: "redstart-check-aof", targets: ["redstart-check-aof"]),
        .executable(name: "redstart-cli", targets: ["redstart-cli"]),
        .executable(name: "redstart-jobs", targets: ["redstart-jobs"]),
        .library(name: "RedstartClient", targets: ["RedstartClient"]),
        .library(name: "RedstartJobs", targets: ["RedstartJobs"]),
        .library(name: "RedstartJobsDashboard", targets: ["RedstartJobsDashboard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        // TLS (tls-port, tls-*): swift-nio-ssl over its bundled BoringSSL; no crypto of our own.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // The client library's logging and metrics hooks.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The jobs dashboard's web server. Without its default traits: no swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .target(
            name: "RedstartRESP",
            dependencies: ["CRedstartShims", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(
            name: "RedstartEngine",
            dependencies: [
                "CRedstartShims",
                "RedstartRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: serverSettings
        ),
        .target(name: "CRedstartShims"),
        // Lua 5.1 as Redis embeds it: the system's liblua5.1 (Debian's liblua5.1-0-dev),
        // with Debian's lua-cjson and lua-bitop linked in statically.
        .systemLibrary(name: "CLua", pkgConfig: "lua5.1", providers: [.apt(["liblua5.1-0-dev"])]),
        .target(
            name: "CRedstartLua",
            dependencies: ["CLua"],
            linkerSettings: [
                .linkedLibrary(":liblua5.1-cjson.a"), .linkedLibrary(":liblua5.1-bitop.a"), .linkedLibrary("m"),
            ]
        ),
        .target(
            name: "RedstartScripting",
            dependencies: [
                "CLua",
                "CRedstartLua",
                "CRedstartShims",
                "RedstartEngine",
                "RedstartRESP",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: serverSettings
        ),
        .target(
            name: "RedstartServer",
            dependencies: [
                "CRedstartShims",
                "RedstartEngine",
                "RedstartScripting",
                "RedstartRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: serverSettings
        ),
        .target(
            name: "RedstartClient",
            dependencies: [
                "RedstartRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "RedstartJobs",
            dependencies: [
                "RedstartClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(
            name: "RedstartJobsDashboard",
            dependencies: [
                "RedstartJobs",
                "RedstartClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "redstart-jobs",
            dependencies: [
                "RedstartJobs",
                "RedstartJobsDashboard",
                "RedstartClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The Swift runtime linked in statically: retain/release and the exclusivity checks'
        // thread-local lookups are direct calls instead of going through the shared library's
        // PLT and TLS descriptors (measured ~10% less user CPU at pipeline depth 16).
        .executableTarget(
            name: "redstart-server",
            dependencies: ["RedstartServer", "CRedstartAllocator"],
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))]
        ),
        // malloc and its kin served by jemalloc and counted (used_memory, maxmemory); linked
        // by the server only.
        .target(name: "CRedstartAllocator", linkerSettings: [.linkedLibrary("jemalloc")]),
        .executableTarget(
            name: "redstart-check-rdb",
            dependencies: ["RedstartServer", "RedstartEngine"]
        ),
        .executableTarget(
            name: "redstart-check-aof",
            dependencies: ["RedstartServer", "RedstartEngine"]
        ),
        // redis-cli's one-shot modes (commands, --eval, --scan, --pipe). It reads replies with
        // its own parser, not RedstartClient's: output must keep the server's bytes (double
        // text, non-UTF-8 status and error lines) to match redis-cli byte for byte.
        .executableTarget(
            name: "redstart-cli",
            dependencies: [
                "RedstartRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))]
        ),
        // Fuzz targets (parser, commands, RESTORE, RDB, AOF): a libFuzzer binary when Fuzz/run.sh
        // builds them with -sanitize=fuzzer, an input replayer otherwise (the tests re-run
        // the corpora with it).
        .target(
            name: "RedstartFuzzing",
            dependencies: ["RedstartEngine", "RedstartRESP", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(name: "redstart-fuzz", dependencies: ["RedstartFuzzing"]),
        .executableTarget(
            name: "redstart-client-stress",
            dependencies: ["RedstartClient", "RedstartRESP"],
            path: "Tests/ClientStress"
        ),
        .executableTarget(
            name: "redstart-client-bench",
            dependencies: ["RedstartClient"],
            path: "Benchmarks/ClientBench"
        ),
        // Runnable examples of RedstartClient, shown in its DocC articles
        // (Sources/RedstartClient/RedstartClient.docc); Tests/Python/test_client_examples.py runs them.
        .executableTarget(name: "example-quickstart", dependencies: ["RedstartClient"], path: "Examples/Quickstart"),
        .executableTarget(name: "example-pipelines", dependencies: ["RedstartClient"], path: "Examples/Pipelines"),
        .executableTarget(name: "example-reliable-queue", dependencies: ["RedstartClient"], path: "Examples/ReliableQueue"),
        .executableTarget(name: "example-pubsub-chat", dependencies: ["RedstartClient"], path: "Examples/PubSubChat"),
        .executableTarget(
            name: "example-optimistic-locking", dependencies: ["RedstartClient"], path: "Examples/OptimisticLocking"),
        .executableTarget(name: "example-scripting", dependencies: ["RedstartClient"], path: "Examples/Scripting"),
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
            name: "RedstartScriptingTests",
            dependencies: [
                "RedstartScripting", "RedstartEngine", "RedstartRESP", .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "RedstartJobsTests",
            dependencies: [
                "RedstartJobs", "RedstartJobsDashboard", "RedstartClient", "RedstartTestSupport",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "redstart-jobs-test-worker",
            dependencies: ["RedstartJobs", "RedstartClient"],
            path: "Tests/JobsTestWorker"
        ),
        .testTarget(
            name: "RedstartClientTests",
            dependencies: [
                "RedstartClient", "RedstartRESP", "RedstartTestSupport", .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "RedstartServerTests",
            dependencies: ["RedstartServer", "RedstartClient", "RedstartTestSupport"]
        ),
    ]
)

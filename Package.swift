// swift-tools-version: 6.1
import PackageDescription

/// One settings list for every target: Swift 6 mode plus the upcoming features the project
/// relies on for explicit imports and existential spelling.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The release `herald` binary starts in a fraction of the time: `herald leader` runs in scripts and
/// health checks, in loops, and most of a one-shot run was the dynamic loader's work on the binary
/// (Benchmarks/results/leader-oneshot.md). Built with `--static-swift-stdlib` (README), it stays a
/// position-independent executable (its code placed at random, as every Debian daemon's), but is
/// linked by lld with packed relative relocations (DT_RELR, glibc 2.36): the loader applies its
/// 104,000 relocations from a table a few kilobytes long. Its symbols are not exported (the Swift
/// runtime's `dladdr` at start-up searched all 22,000 of them); nothing looks them up.
let heraldReleaseLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
        .when(configuration: .release))
]

let package = Package(
    name: "Herald",
    products: [
        .executable(name: "herald", targets: ["herald"]),
        .library(name: "ZooKeeper", targets: ["ZooKeeper"]),
        .library(name: "MesosLayout", targets: ["MesosLayout"]),
        .library(name: "MesosZooKeeper", targets: ["MesosZooKeeper"]),
        .library(name: "DNS", targets: ["DNS"]),
        .library(name: "HeraldConfig", targets: ["HeraldConfig"]),
        .library(name: "ElectionModel", targets: ["ElectionModel"]),
        .library(name: "Election", targets: ["Election"]),
        .library(name: "Discovery", targets: ["Discovery"]),
        .library(name: "HeraldService", targets: ["HeraldService"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(name: "CSpawn", path: "Sources/CSpawn"),
        .target(name: "CDatagram", path: "Sources/CDatagram"),
        .target(
            name: "HeraldSupport",
            dependencies: [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CZooKeeper",
            providers: [.apt(["libzookeeper-mt-dev"])]
        ),
        .target(
            name: "ZooKeeper",
            dependencies: [
                "CZooKeeper",
                "HeraldSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MesosLayout",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MesosZooKeeper",
            dependencies: ["MesosLayout", "ZooKeeper"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DNS",
            dependencies: [
                "CDatagram",
                "HeraldSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HeraldConfig",
            dependencies: [
                "DNS",
                "HeraldSupport",
                "MesosLayout",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ElectionModel",
            dependencies: ["MesosLayout"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Election",
            dependencies: [
                "ElectionModel",
                "HeraldSupport",
                "MesosLayout",
                "ZooKeeper",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Discovery",
            dependencies: [
                "ElectionModel",
                "HeraldSupport",
                "MesosLayout",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HeraldService",
            dependencies: [
                "CSpawn",
                "DNS",
                "Election",
                "Discovery",
                "HeraldConfig",
                "HeraldSupport",
                "MesosLayout",
                "MesosZooKeeper",
                "ZooKeeper",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "herald",
            dependencies: [
                "DNS",
                "HeraldSupport",
                "ZooKeeper",
                "MesosLayout",
                "MesosZooKeeper",
                "HeraldConfig",
                "Election",
                "ElectionModel",
                "Discovery",
                "HeraldService",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings,
            linkerSettings: heraldReleaseLinkerSettings
        ),
        .executableTarget(
            name: "discovery-example",
            dependencies: ["Discovery"],
            path: "Tests/discovery-example",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "crash-contender",
            dependencies: [
                "Election",
                "HeraldTestSupport",
                "MesosLayout",
                "ZooKeeper",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Fixtures/crash-contender",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HeraldTestSupport",
            dependencies: [
                "CSpawn",
                "HeraldSupport",
                "Election",
                "ElectionModel",
                "MesosLayout",
                "ZooKeeper",
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/HeraldTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HeraldSupportTests",
            dependencies: ["HeraldSupport", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ZooKeeperTests",
            dependencies: [
                "ZooKeeper",
                "HeraldTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MesosLayoutTests",
            dependencies: ["MesosLayout"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MesosZooKeeperTests",
            dependencies: [
                "MesosZooKeeper", "MesosLayout", "ZooKeeper", "HeraldTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DNSTests",
            dependencies: [
                "DNS", "HeraldTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HeraldConfigTests",
            dependencies: [
                "DNS", "HeraldConfig", "MesosLayout", "ZooKeeper", "HeraldTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ElectionModelTests",
            dependencies: ["ElectionModel", "MesosLayout"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ElectionTests",
            dependencies: [
                "Election", "ElectionModel", "MesosLayout", "ZooKeeper", "HeraldTestSupport", "crash-contender",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HeraldServiceTests",
            dependencies: [
                "DNS", "HeraldService", "HeraldConfig", "Election", "ElectionModel", "Discovery", "MesosLayout",
                "ZooKeeper",
                "HeraldSupport", "HeraldTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DiscoveryTests",
            dependencies: [
                "herald", "Discovery", "ElectionModel", "MesosLayout", "ZooKeeper", "HeraldTestSupport",
                "discovery-example",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HeraldFaultTests",
            dependencies: [
                "herald", "HeraldTestSupport", "Discovery", "MesosLayout", "ZooKeeper",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "InteropTests",
            dependencies: [
                "herald", "HeraldTestSupport", "Discovery", "MesosLayout", "ZooKeeper",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "heraldTests",
            dependencies: [
                "herald", "HeraldTestSupport", "Discovery", "DNS",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// The benchmarks' programs (Benchmarks/Sources) are built only when HERALD_BENCHMARKS is set, as
// the Benchmarks/ scripts do: neither the product build nor the test build compiles them.
if Context.environment["HERALD_BENCHMARKS"] != nil {
    package.targets += [
        .executableTarget(
            name: "zk-roundtrip",
            dependencies: [
                "ZooKeeper",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Sources/zk-roundtrip",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "election-contender",
            dependencies: [
                "Election",
                "ElectionModel",
                "HeraldTestSupport",
                "MesosLayout",
                "ZooKeeper",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Sources/election-contender",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BenchmarkSupport",
            path: "Benchmarks/Sources/BenchmarkSupport",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "election-failover",
            dependencies: [
                "BenchmarkSupport",
                "HeraldTestSupport",
                "Election",
                "ElectionModel",
                "MesosLayout",
                "ZooKeeper",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Sources/election-failover",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "follower-churn",
            dependencies: [
                "BenchmarkSupport",
                "HeraldTestSupport",
                "HeraldService",
                "Election",
                "ElectionModel",
                "MesosLayout",
                "ZooKeeper",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Sources/follower-churn",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "serve-failover",
            dependencies: [
                "BenchmarkSupport",
                "HeraldTestSupport",
                "Discovery",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Benchmarks/Sources/serve-failover",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "discovery-fanout",
            dependencies: [
                "Discovery",
                "ElectionModel",
                "MesosLayout",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Benchmarks/Sources/discovery-fanout",
            swiftSettings: swiftSettings
        ),
    ]
}

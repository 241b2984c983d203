// swift-tools-version:6.1
// The s3sync benchmarks: a package of their own, so `swift build` and `swift test` in the root
// package never build them. Run with `cd Benchmarks && swift package benchmark`.
import PackageDescription

let package = Package(
    name: "s3sync-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "s3sync", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "BenchmarkSupport",
            dependencies: [.product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/BenchmarkSupport",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "S3ClientBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "S3Client", package: "s3sync"),
            ],
            path: "Benchmarks/S3ClientBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "SyncEngineBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "S3Client", package: "s3sync"),
                .product(name: "SyncEngine", package: "s3sync"),
            ],
            path: "Benchmarks/SyncEngineBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)

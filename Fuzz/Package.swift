// swift-tools-version:6.1
// libFuzzer targets for the S3Client code that reads bytes from outside: a package of its own, so
// `swift build` in the root package never builds it, and so the sanitizers instrument only the few
// files under test, not AsyncHTTPClient and NIO. Each target compiles the S3Client sources it needs
// through symlinks into ../Sources (internal API is in reach), a file with the fuzz entry point
// (`LLVMFuzzerTestOneInput`) and a main.swift that runs libFuzzer's driver.
// Build and run with scripts/fuzz.sh.
import PackageDescription

let instrumented: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-sanitize=fuzzer,address"]),
]
let linkedWithLibFuzzer: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]

let package = Package(
    name: "s3sync-fuzz",
    targets: [
        // The declaration of libFuzzer's driver, for Swift.
        .target(name: "LibFuzzerDriver"),
        .executableTarget(
            name: "XMLDocumentParserFuzzer", dependencies: ["LibFuzzerDriver"], swiftSettings: instrumented,
            linkerSettings: linkedWithLibFuzzer),
        .executableTarget(
            name: "ListObjectsPageFuzzer", dependencies: ["LibFuzzerDriver"], swiftSettings: instrumented,
            linkerSettings: linkedWithLibFuzzer),
        .executableTarget(
            name: "SharedConfigParserFuzzer", dependencies: ["LibFuzzerDriver"], swiftSettings: instrumented,
            linkerSettings: linkedWithLibFuzzer),
    ]
)

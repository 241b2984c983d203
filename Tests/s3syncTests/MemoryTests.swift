import Foundation
import S3TestSupport
import Testing

/// Memory does not grow with file size: a 1 GiB file with default settings, measured on the
/// release binary that users run (`scripts/test.sh` builds it).
@Suite struct MemoryTests {
    @Test func peakMemoryForAOneGiBFileStaysBounded() async throws {
        let binary = TestEnvironment.packageRoot + "/.build/release/s3sync"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("\(binary) is missing: scripts/test.sh builds it (scripts/build-release.sh)")
            return
        }
        try await CLIWorld.with { world in
            let path = world.tree.path("disk.img")
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.truncate(atOffset: 1 << 30)
            try handle.close()
            let result = try await Shell.run(
                "/usr/bin/time", ["-f", "peak_rss_kb=%M", binary] + world.pushArguments(),
                environment: world.s3sync.environment)
            #expect(result.status == 0, "\(result.errorOutput)")
            let line = result.errorOutput.split(separator: "\n").first { $0.hasPrefix("peak_rss_kb=") }
            let kilobytes = Int(line?.dropFirst("peak_rss_kb=".count) ?? "") ?? Int.max
            print("MemoryTests: peak RSS \(kilobytes / 1024) MiB pushing a 1 GiB file with default settings")
            #expect(kilobytes < 150 * 1024)
            let objects = try await world.inspector.objects(bucket: world.bucket, prefix: "backup/")
            #expect(objects.map(\.size) == [1 << 30])
        }
    }
}

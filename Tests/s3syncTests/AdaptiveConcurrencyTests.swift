import Foundation
import S3TestSupport
import Testing

/// `--concurrency auto` against rclone serve s3, straight on loopback and 50 ms away behind the
/// delay proxy: far away, more requests in flight pay, and the budget grows further.
@Suite struct AdaptiveConcurrencyTests {
    static let files = 1200

    func writeTree(_ world: CLIWorld, files: Range<Int> = 0..<Self.files) throws {
        for index in files {
            _ = try world.tree.writeRandom("d\(index % 12)/f\(index)", size: 1024, seed: UInt64(index + 1))
        }
    }

    @Test func theBudgetGrowsFurtherWhenTheStoreIsFarAway() async throws {
        try await CLIWorld.with { world in
            try writeTree(world)
            let near = try await world.s3sync.run(world.pushArguments(["--verbose"], prefix: "near"))
            #expect(near.status == 0, "\(near.stderr)")
            // Three times the files far away, so the budget spends most of the run where it
            // settles rather than getting there.
            try writeTree(world, files: Self.files..<(3 * Self.files))
            let far = try await DelayProxy.with(upstream: world.server, roundTrip: .milliseconds(50)) { proxy in
                try await world.s3sync.run(
                    world.pushArguments(["--verbose", "--endpoint-url", proxy.endpointURL], prefix: "far"))
            }
            #expect(far.status == 0, "\(far.stderr)")
            #expect(near.int("uploaded_files") == Self.files)
            #expect(far.int("uploaded_files") == 3 * Self.files)
            let nearMean = try #require(near.double("concurrency_mean"))
            let farMean = try #require(far.double("concurrency_mean"))
            let farPeak = try #require(far.int("concurrency_peak"))
            // It starts at 32 and doubles while throughput rises: 50 ms away, 32 in flight carry
            // 640 requests a second at most, and more carry more.
            #expect(farPeak >= 128, "\(far.stderr)")
            #expect(farMean > nearMean, "near \(nearMean), far \(farMean)")
            #expect(far.stderr.contains("request budget 32 → 64"), "\(far.stderr)")
            let objects = try await world.inspector.objects(bucket: world.bucket, prefix: "far/")
            #expect(objects.count == 3 * Self.files)
        }
    }

    @Test func aFixedConcurrencyStaysWhereItIsPut() async throws {
        try await CLIWorld.with { world in
            try writeTree(world, files: 0..<200)
            let run = try await DelayProxy.with(upstream: world.server, roundTrip: .milliseconds(50)) { proxy in
                try await world.s3sync.run(
                    world.pushArguments(["--verbose", "--concurrency", "8", "--endpoint-url", proxy.endpointURL]))
            }
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.int("concurrency_peak") == 8)
            #expect(run.double("concurrency_mean") == 8)
            #expect(!run.stderr.contains("request budget"), "\(run.stderr)")
        }
    }
}

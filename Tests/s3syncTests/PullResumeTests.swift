import Foundation
import S3TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A pull killed, interrupted or starved of disk: no torn file ever shows at a final name, and
/// `resume` finishes from the ranges already on disk.
@Suite struct PullResumeTests {
    static let partSize = 8 << 20
    static let concurrency = 4

    @Test func aPullKilledMidwayResumesFromItsRecordedRangesAndNeverShowsATornFile() async throws {
        try await CLIWorld.with { world in
            for index in 0..<3 {
                try world.tree.writeRandom(
                    "media/clip\(index).bin", size: (64 << 20) + 1000 * index, seed: UInt64(index + 1))
            }
            let expected = try world.expectedFiles()
            let total = expected.values.reduce(0) { $0 + $1.size }
            let pushed = try await world.pushWithOwnState(["--part-size", "16MiB"])
            #expect(pushed.status == 0, "\(pushed.stderr)")

            let restored = LocalDirectory(try TestEnvironment.makeTemporaryDirectory("restore"))
            defer { TestEnvironment.removeTree(restored.root) }
            let watch = restored.watchFinalNames(expected: expected)
            try await FaultProxy.with(upstream: world.server) { proxy in
                let s3sync = world.through(proxy)
                let options = [
                    "--part-size", "8MiB", "--multipart-threshold", "8MiB", "--concurrency", "\(Self.concurrency)",
                ]
                let process = try s3sync.start(
                    world.pullArguments(restored.root, options + ["--bwlimit", "32MiB"]),
                    logPath: world.home + "/pull.log")
                try await waitUntil("a third of the bytes received", timeout: .seconds(120)) {
                    guard process.isRunning else {
                        throw TestSupportError("the pull ended before it could be killed:\n\(process.log)")
                    }
                    return try await proxy.statistics().operation("GetObject").relayedBodyBytes >= Int64(total / 3)
                }
                process.signal(SIGKILL)
                _ = await process.wait(timeout: .seconds(10))
                let beforeKill = try await proxy.statistics().operation("GetObject").relayedBodyBytes
                #expect(try restored.tornFiles(expected: expected).isEmpty)

                let job = try await world.latestJob()
                #expect(job?["state"] as? String == "interrupted", "\(job ?? [:])")
                #expect(job?["direction"] as? String == "pull", "\(job ?? [:])")

                try await proxy.resetStatistics()
                let resume = try await world.resume(["--bwlimit", "1GiB"], using: s3sync)
                #expect(resume.status == 0, "\(resume.stderr)")
                #expect(resume.string("status") == "completed", "\(resume.stdout)")
                let afterKill = try await proxy.statistics().operation("GetObject").relayedBodyBytes
                let received = Int64(resume.int("received_bytes") ?? -1)
                let resumed = Int64(resume.int("resumed_bytes") ?? -1)
                // At most `concurrency` ranges were in flight when the process died; every
                // range received before them was on disk and recorded, so not fetched again.
                let inFlight = Int64(Self.concurrency * Self.partSize)
                let bound = Int64(total) - beforeKill + inFlight
                print(
                    "PullResumeTests: \(total) B to pull; \(beforeKill) B received before SIGKILL; the resume received \(received) B (proxy: \(afterKill) B), resumed \(resumed) B; bound \(bound) B\n\(resume.stdout)"
                )
                #expect(resumed > 0, "\(resume.stdout)")
                #expect(received >= 0 && received <= bound, "\(resume.stdout)")
                #expect(afterKill <= bound)
                #expect(received + resumed >= Int64(total), "every byte either received or kept")
                #expect(received <= Int64(total) - resumed + inFlight, "\(resume.stdout)")
            }
            watch.cancel()
            let seen = await watch.value
            #expect(seen.isEmpty, "\(seen)")
            #expect(try restored.contents() == expected.mapValues(\.md5))
            #expect(try restored.temporaryFiles().isEmpty)
            #expect(try await world.integrityCheck() == "ok")
        }
    }

    @Test func sigintEndsAPullWith130AndResumeFinishesIt() async throws {
        try await CLIWorld.with { world in
            for index in 0..<2 {
                try world.tree.writeRandom("big/b\(index).bin", size: (24 << 20) + 17 * index, seed: UInt64(index + 1))
            }
            for index in 0..<20 {
                try world.tree.writeRandom("small/s\(index).txt", size: 1000 + 97 * index, seed: UInt64(50 + index))
            }
            let expected = try world.expectedFiles()
            let pushed = try await world.pushWithOwnState()
            #expect(pushed.status == 0, "\(pushed.stderr)")

            let restored = LocalDirectory(try TestEnvironment.makeTemporaryDirectory("restore"))
            defer { TestEnvironment.removeTree(restored.root) }
            try await FaultProxy.with(upstream: world.server) { proxy in
                let s3sync = world.through(proxy)
                let process = try s3sync.start(
                    world.pullArguments(
                        restored.root, ["--bwlimit", "8MiB", "--concurrency", "4", "--part-size", "8MiB"]),
                    logPath: world.home + "/pull.log")
                try await waitUntil("8 MiB received", timeout: .seconds(60)) {
                    guard process.isRunning else {
                        throw TestSupportError("the pull ended before the signal:\n\(process.log)")
                    }
                    return try await proxy.statistics().operation("GetObject").relayedBodyBytes >= 8 << 20
                }
                let sent = ContinuousClock.now
                process.signal(SIGINT)
                let status = await process.wait(timeout: .seconds(15))
                #expect(status == 130, "\(process.log)")
                #expect(ContinuousClock.now - sent < .seconds(5))
                let summary = StatusJSON.summary(process.log)
                #expect(summary["status"] as? String == "interrupted", "\(process.log)")
                #expect(summary["direction"] as? String == "pull", "\(process.log)")
                #expect(try restored.tornFiles(expected: expected).isEmpty)

                let resume = try await world.resume(using: s3sync)
                #expect(resume.status == 0, "\(resume.stderr)")
                #expect(resume.string("status") == "completed", "\(resume.stdout)")
            }
            #expect(try restored.contents() == expected.mapValues(\.md5))
            #expect(try restored.temporaryFiles().isEmpty)
        }
    }

    /// ENOSPC in the middle: the run fails, whatever is at a final name is whole, and the job
    /// finishes once the disk has room.
    @Test func aFullDiskFailsWithoutATornFileAndTheJobResumesOnceThereIsRoom() async throws {
        try await CLIWorld.with { world in
            for index in 0..<4 {
                try world.tree.writeRandom("single/f\(index).bin", size: (6 << 20) + index, seed: UInt64(index + 1))
            }
            try world.tree.writeRandom("ranged/big.bin", size: (14 << 20) + 5, seed: 9)
            let expected = try world.expectedFiles()  // 38 MiB, into 20 MiB
            let pushed = try await world.pushWithOwnState(PullCommandTests.multipart)
            #expect(pushed.status == 0, "\(pushed.stderr)")

            let disk = try await TemporaryMount.tmpfs("size=20m")
            defer { disk.unmount() }
            let restored = LocalDirectory(disk.path)
            let options = ["--part-size", "5MiB", "--multipart-threshold", "8MiB"]
            let full = try await world.pull(restored.root, options, timeout: .seconds(120))
            #expect(full.status == 1 || full.status == 2, "\(full.stderr)")
            #expect(full.string("status") == "failed", "\(full.stdout)")
            // The summary is a pull's, and names the job to resume.
            #expect(full.string("direction") == "pull", "\(full.stdout)")
            #expect(full.summary["downloaded_files"] != nil, "\(full.stdout)")
            #expect(full.int("job") != nil, "\(full.stdout)")
            print("PullResumeTests: a full disk: exit \(full.status)\n\(full.stdout)\n\(full.stderr)")
            let torn = try restored.tornFiles(expected: expected)
            #expect(torn.isEmpty, "\(torn)")
            let present = try restored.files().keys.filter { !LocalDirectory.isTemporary($0) }
            #expect(present.count < expected.count)

            try await disk.remount("size=200m")
            let resume = try await world.resume()
            #expect(resume.status == 0, "\(resume.stderr)")
            #expect(resume.string("status") == "completed", "\(resume.stdout)")
            #expect(try restored.contents() == expected.mapValues(\.md5))
            #expect(try restored.temporaryFiles().isEmpty)
        }
    }
}

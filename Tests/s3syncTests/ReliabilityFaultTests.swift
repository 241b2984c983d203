import Foundation
import S3TestSupport
import Testing

/// Faults between the real binary and a real server: bursts of 500s, stalls past the read
/// timeout, truncated answers, 200 with an `<Error>` body, the server killed and restarted. Each
/// run ends complete and byte-identical, or failed with exit 1 and a job that `resume` finishes
/// once the fault is gone.
@Suite struct ReliabilityFaultTests {
    static let operations = [
        "ListObjectsV2", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "HeadObject", "PutObject",
    ]

    @Test func burstsOf500sAreRiddenOut() async throws {
        try await CLIWorld.with { world in
            let written = try MixedTree.write(world.tree, small: 120, large: 2)
            // The first three requests of every kind fail, then mid-run every request fails for 1.5 s.
            let opening = Self.operations.map { FaultProxy.Rule(.internalError, operation: $0, times: 3) }
            try await FaultProxy.with(upstream: world.server, rules: opening) { proxy in
                let process = try world.through(proxy).start(
                    world.pushArguments(MixedTree.multipartArguments + ["--bwlimit", "8MiB", "--concurrency", "8"]),
                    logPath: world.home + "/push.log")
                try await waitUntil("20 uploads through") {
                    try await proxy.statistics().operation("PutObject").forwarded >= 20 || !process.isRunning
                }
                let openingFaults = try await proxy.statistics().total.faultCount
                try await proxy.setRules([FaultProxy.Rule(.internalError)])
                try await Task.sleep(for: .milliseconds(1500))
                try await proxy.setRules([])
                let status = await process.wait(timeout: .seconds(120))
                let seen = try await proxy.statistics()
                let summary = StatusJSON.summary(process.log)
                print(
                    "ReliabilityFaultTests: 500 bursts: \(openingFaults) at the start, \(seen.total.faultCount - openingFaults) in a 1.5 s outage; \(seen.total.requests) requests, \(StatusJSON.int(summary, "retries") ?? -1) retries; exit \(status.map { "\($0)" } ?? "none")"
                )
                #expect(status == 0, "\(process.log)")
                #expect(summary["status"] as? String == "completed")
                #expect(StatusJSON.int(summary, "uploaded_files") == written.files)
                // Listing and PutObject certainly ran into their three opening faults by now.
                #expect(openingFaults >= 6)
                #expect(seen.total.faultCount > openingFaults, "the outage hit requests")
                #expect((StatusJSON.int(summary, "retries") ?? 0) >= seen.total.faultCount)
            }
            #expect(try await world.remote() == (try world.expected()))
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
        }
    }

    @Test func stallsPastTheReadTimeoutAreRetriedAndAStallThatNeverEndsFailsResumably() async throws {
        try await CLIWorld.with { world in
            let written = try MixedTree.write(world.tree, small: 40, large: 2)
            let stalls = [
                ("ListObjectsV2", 1), ("PutObject", 3), ("CreateMultipartUpload", 1), ("UploadPart", 2),
                ("CompleteMultipartUpload", 1),
            ].map { FaultProxy.Rule(.stall, operation: $0.0, times: $0.1, stallSeconds: 60) }
            try await FaultProxy.with(upstream: world.server, rules: stalls) { proxy in
                // A 1 s read timeout (hidden knob) instead of 60 s; each stall would last 60 s.
                let s3sync = world.through(proxy, ["S3SYNC_READ_TIMEOUT_SECONDS": "1"])
                let started = ContinuousClock.now
                let run = try await s3sync.run(
                    world.pushArguments(MixedTree.multipartArguments), timeout: .seconds(120))
                let elapsed = ContinuousClock.now - started
                let seen = try await proxy.statistics()
                print(
                    "ReliabilityFaultTests: \(seen.total.faults(.stall)) stalls of 60 s, \(seen.total.stallsEndedByClient) cut short by the 1 s read timeout; push took \(elapsed)"
                )
                #expect(run.status == 0, "\(run.stderr)")
                #expect(run.int("uploaded_files") == written.files)
                #expect(seen.total.faults(.stall) == 8)
                #expect(seen.total.stallsEndedByClient == 8)
                #expect(elapsed < .seconds(50))
                #expect(try await world.remote() == (try world.expected()))

                // A server that never answers these uploads: they fail after the attempts allowed,
                // the run exits 1, and resume finishes once the server answers again.
                for index in 0..<4 { try world.tree.write("late/new-\(index).txt", "late file \(index)") }
                try await proxy.setRules([FaultProxy.Rule(.stall, operation: "PutObject", stallSeconds: 60)])
                let failed = try await s3sync.run(
                    world.pushArguments(MixedTree.multipartArguments), timeout: .seconds(120),
                    extraEnvironment: ["AWS_MAX_ATTEMPTS": "2"])
                #expect(failed.status == 1, "\(failed.stderr)")
                #expect(failed.string("status") == "failed")
                #expect(failed.int("failed_files") == 4)
                #expect(failed.failures.count == 4)
                #expect(failed.failures.values.allSatisfy { $0.contains("read timeout") }, "\(failed.failures)")
                #expect(try await world.latestJob()?["state"] as? String == "failed")
                try await proxy.setRules([])
                let resumed = try await s3sync.run(["resume", "--state", world.state, "--json"], timeout: .seconds(60))
                #expect(resumed.status == 0, "\(resumed.stderr)")
                #expect(resumed.int("uploaded_files") == 4)
            }
            #expect(try await world.remote() == (try world.expected()))
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
        }
    }

    @Test func truncatedAnswersAreRetriedAndNothingIsRecordedTwice() async throws {
        try await CLIWorld.with { world in
            try MixedTree.write(world.tree, small: 100, large: 2)
            try await FaultProxy.with(upstream: world.server) { proxy in
                let s3sync = world.through(proxy)
                let first = try await s3sync.run(
                    world.pushArguments(MixedTree.multipartArguments), timeout: .seconds(120))
                #expect(first.status == 0, "\(first.stderr)")

                // Change a third of the files and both large ones, add some, so the listing has
                // content and there is work for every operation.
                for index in stride(from: 0, to: 100, by: 3) {
                    try world.tree.writeRandom(
                        "set\(index % 7)/file-\(index).dat", size: 1000 + index * 37, seed: UInt64(5000 + index))
                }
                for index in 0..<20 { try world.tree.write("added/new-\(index).txt", "new file \(index)") }
                for index in 0..<2 {
                    try world.tree.writeRandom(
                        "large/blob-\(index).bin", size: 3 * MixedTree.partSize + 77 * index, seed: UInt64(900 + index))
                }
                let expected = try world.expected()
                let rules = [
                    FaultProxy.Rule(.dropDuringResponse, operation: "ListObjectsV2", times: 2),
                    FaultProxy.Rule(.dropDuringResponse, operation: "CreateMultipartUpload", times: 1),
                    FaultProxy.Rule(.dropDuringResponse, operation: "UploadPart", times: 2),
                    FaultProxy.Rule(.dropDuringResponse, operation: "CompleteMultipartUpload", times: 1),
                    FaultProxy.Rule(.dropDuringResponse, operation: "HeadObject", times: 1),
                    FaultProxy.Rule(.dropDuringResponse, probability: 0.15, operation: "PutObject"),
                ]
                try await proxy.setRules(rules, seed: 5)
                try await proxy.resetStatistics()
                let second = try await s3sync.run(
                    world.pushArguments(MixedTree.multipartArguments), timeout: .seconds(120))
                let seen = try await proxy.statistics()
                print(
                    "ReliabilityFaultTests: \(seen.total.faults(.dropDuringResponse)) answers cut in half (\(seen.operations.filter { $0.value.faultCount > 0 }.mapValues(\.faultCount))); exit \(second.status)"
                )
                #expect(second.status == 0, "\(second.stderr)")
                #expect(second.int("uploaded_files") == 34 + 20 + 2)
                #expect(seen.total.faults(.dropDuringResponse) >= 10)
                #expect(try await world.remote() == expected)

                try await proxy.setRules([])
                let third = try await s3sync.run(
                    world.pushArguments(MixedTree.multipartArguments), timeout: .seconds(60))
                #expect(third.status == 0)
                #expect(third.int("uploaded_files") == 0, "the index matches the bucket")
            }
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
        }
    }

    @Test func a200WithAnErrorOnCompleteMultipartUploadNeverLeavesATornObject() async throws {
        try await CLIWorld.with { world in
            try MixedTree.write(world.tree, small: 30, large: 2)
            let complete = FaultProxy.Rule(.okWithError, operation: "CompleteMultipartUpload")
            var twice = complete
            twice.times = 2
            try await FaultProxy.with(upstream: world.server, rules: [twice]) { proxy in
                let s3sync = world.through(proxy)
                let first = try await s3sync.run(
                    world.pushArguments(MixedTree.multipartArguments), timeout: .seconds(120))
                #expect(first.status == 0, "\(first.stderr)")
                #expect(try await proxy.statistics().operation("CompleteMultipartUpload").faults(.okWithError) == 2)
                #expect(try await world.remote() == (try world.expected()))
                let before = try await world.remote()

                // Every completion answered with 200 + <Error>: the large files fail, the old
                // objects stay as they were, the parts stay stored for resume.
                var sizes: [String: Int] = [:]
                for index in 0..<2 {
                    sizes["large/blob-\(index).bin"] =
                        try world.tree.writeRandom(
                            "large/blob-\(index).bin", size: 4 * MixedTree.partSize + 99, seed: UInt64(40 + index)
                        ).count
                }
                try await proxy.setRules([complete])
                let failed = try await s3sync.run(
                    world.pushArguments(MixedTree.multipartArguments), timeout: .seconds(120),
                    extraEnvironment: ["AWS_MAX_ATTEMPTS": "3"])
                #expect(failed.status == 1, "\(failed.stderr)")
                #expect(failed.int("failed_files") == 2)
                #expect(Set(failed.failures.keys) == Set(sizes.keys))
                #expect(failed.failures.values.allSatisfy { $0.contains("InternalError") }, "\(failed.failures)")
                #expect(try await world.remote() == before, "no new or torn object")
                let job = try #require(try await world.latestJob())
                #expect(job["state"] as? String == "failed")
                #expect(StatusJSON.partsDone(job) == 10)

                try await proxy.setRules([])
                try await proxy.resetStatistics()
                let resumed = try await s3sync.run(["resume", "--state", world.state, "--json"], timeout: .seconds(60))
                let seen = try await proxy.statistics()
                print(
                    "ReliabilityFaultTests: 200 + <Error> on every completion: 2 files failed, resume sent \(seen.operation("UploadPart").forwardedBodyBytes) part bytes and reused \(resumed.int("resumed_bytes") ?? -1)"
                )
                #expect(resumed.status == 0, "\(resumed.stderr)")
                #expect(resumed.int("uploaded_files") == 2)
                #expect(seen.operation("UploadPart").forwardedBodyBytes == 0, "the stored parts were reused")
                #expect(resumed.int("resumed_bytes") == sizes.values.reduce(0, +))
            }
            #expect(try await world.remote() == (try world.expected()))
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
        }
    }

    @Test func theServerKilledAndRestartedMidRunLosesNothing() async throws {
        try await CLIWorld.with { world in
            let written = try MixedTree.write(world.tree, small: 200, large: 3, largeParts: 4)
            let process = try world.s3sync.start(
                world.pushArguments(MixedTree.multipartArguments + ["--bwlimit", "10MiB", "--concurrency", "4"]),
                logPath: world.home + "/push.log")
            try await world.waitForJob(while: process) { StatusJSON.partsDone($0) >= 2 }
            await world.server.crash()
            try await Task.sleep(for: .seconds(1))
            try await world.server.restart()
            let status = await process.wait(timeout: .seconds(180))
            let summary = StatusJSON.summary(process.log)
            var resumed: S3SyncBinary.Run?
            if status == 1 {
                // Failed files (the server forgot the multipart uploads in progress): resumable.
                #expect(summary["status"] as? String == "failed")
                #expect(try await world.latestJob()?["state"] as? String == "failed")
                resumed = try await world.s3sync.run(
                    ["resume", "--state", world.state, "--json", "--bwlimit", "1GiB"], timeout: .seconds(120))
                #expect(resumed?.status == 0, "\(resumed?.stderr ?? "")")
            }
            print(
                "ReliabilityFaultTests: server killed and restarted mid-push: push exit \(status.map { "\($0)" } ?? "none") (\(StatusJSON.int(summary, "failed_files") ?? -1) failed, \(StatusJSON.int(summary, "retries") ?? -1) retries)\(resumed.map { "; resume exit \($0.status)" } ?? "")"
            )
            #expect(status == 0 || status == 1, "\(process.log)")
            #expect(try await world.remote() == (try world.expected()))
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
            #expect(try await world.integrityCheck() == "ok")
            #expect(written.files == 203)
        }
    }

    @Test func aServerThatDiesMidRunFailsTheRunAndResumeFinishesAfterItIsBack() async throws {
        try await CLIWorld.with { world in
            try MixedTree.write(world.tree, small: 200, large: 2, largeParts: 4)
            let process = try world.s3sync.start(
                world.pushArguments(MixedTree.multipartArguments + ["--bwlimit", "8MiB", "--concurrency", "4"]),
                logPath: world.home + "/push.log")
            try await world.waitForJob(while: process) { StatusJSON.partsDone($0) >= 2 }
            await world.server.crash()
            let status = await process.wait(timeout: .seconds(120))
            let summary = StatusJSON.summary(process.log)
            print(
                "ReliabilityFaultTests: server killed for good mid-push: exit \(status.map { "\($0)" } ?? "none"), \(StatusJSON.int(summary, "uploaded_files") ?? -1) uploaded, \(StatusJSON.int(summary, "failed_files") ?? -1) failed"
            )
            #expect(status == 1, "\(process.log)")
            #expect(summary["status"] as? String == "failed")
            #expect((StatusJSON.int(summary, "failed_files") ?? 0) > 0)
            let job = try #require(try await world.latestJob())
            #expect(job["state"] as? String == "failed")

            try await world.server.restart()
            let resumed = try await world.s3sync.run(
                ["resume", "--state", world.state, "--json"], timeout: .seconds(120))
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(resumed.string("status") == "completed")
            #expect(try await world.remote() == (try world.expected()))
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
        }
    }
}

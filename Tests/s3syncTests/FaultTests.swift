import Foundation
import S3TestSupport
import Testing

/// `s3sync push` through the fault-injecting proxy: the bucket ends byte-identical.
@Suite struct FaultTests {
    func proxied(_ world: CLIWorld, _ proxy: FaultProxy, _ extra: [String: String] = [:]) -> S3SyncBinary {
        var environment = world.s3sync.environment
        environment["AWS_ENDPOINT_URL"] = proxy.endpointURL
        for (key, value) in extra { environment[key] = value }
        return S3SyncBinary(environment: environment, home: world.home)
    }

    func writeMixedTree(_ world: CLIWorld) throws {
        for index in 0..<150 {
            try world.tree.writeRandom(
                "set\(index % 6)/file\(index).dat", size: (index * 7919) % (64 << 10) + 1, seed: UInt64(index + 1))
        }
        try world.tree.writeRandom("large/archive.bin", size: (5 << 20) * 4 + 777, seed: 99)
    }

    @Test func pushSurvivesSlowDownsAndDroppedConnections() async throws {
        try await CLIWorld.with { world in
            try writeMixedTree(world)
            let rules = [
                FaultProxy.Rule(.dropDuringRequestBody, probability: 0.025),
                FaultProxy.Rule(.dropDuringResponse, probability: 0.025 / 0.975),
                FaultProxy.Rule(.slowDown, probability: 0.25 / 0.95),
            ]
            try await FaultProxy.with(upstream: world.server, rules: rules, seed: 11) { proxy in
                // A steady 25 % of SlowDowns whatever the rate is not how stores throttle; the
                // adaptive limiter would (by design) settle at a few requests per second. The
                // standard mode's backoff and quota are what this run exercises.
                let s3sync = proxied(world, proxy, ["AWS_RETRY_MODE": "standard"])
                let run = try await s3sync.run(
                    world.pushArguments(["--part-size", "5MiB", "--multipart-threshold", "5MiB", "--concurrency", "16"])
                )
                let seen = try await proxy.statistics()
                print(
                    "FaultTests: push of 151 files through 25 % SlowDown + 5 % drops: \(run.int("requests") ?? 0) requests, \(run.int("retries") ?? 0) retries, \(run.int("throttles") ?? 0) throttles; proxy saw \(seen.total.requests) requests, faults \(seen.total.faults)"
                )
                #expect(run.status == 0, "\(run.stderr)")
                #expect(run.int("uploaded_files") == 151)
                #expect((run.int("retries") ?? 0) > 20)
            }
            #expect(try await world.remote() == (try world.expected()))
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
        }
    }

    @Test func aSlowDownStormLowersTheRateThenThePushFinishes() async throws {
        try await CLIWorld.with { world in
            try writeMixedTree(world)
            try await FaultProxy.with(upstream: world.server) { proxy in
                // For two seconds after the first upload every upload is throttled; then the store
                // recovers. The adaptive limiter (the default) cuts the rate for all workers and
                // raises it again once the throttling stops.
                try await proxy.setRules([FaultProxy.Rule(.slowDown, method: "PUT")])
                let process = try proxied(world, proxy).start(
                    world.pushArguments(["--part-size", "5MiB", "--multipart-threshold", "5MiB"]),
                    logPath: world.home + "/push.log")
                let deadline = ContinuousClock.now + .seconds(30)
                while try await proxy.statistics().total.faults(.slowDown) == 0 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .seconds(2))
                try await proxy.setRules([])
                let stormEnded = ContinuousClock.now
                let status = await process.wait(timeout: .seconds(120))
                let finished = ContinuousClock.now - stormEnded
                let seen = try await proxy.statistics()
                print(
                    "FaultTests: a 2 s SlowDown storm: \(seen.total.faults(.slowDown)) uploads throttled; the push finished \(finished) after the storm ended"
                )
                #expect(status == 0, "\(process.log)")
                #expect(seen.total.faults(.slowDown) >= 5)
                #expect(finished < .seconds(45))
            }
            #expect(try await world.remote() == (try world.expected()))
        }
    }

    @Test func aLostCreateMultipartUploadAnswerLeavesNoUploadOpen() async throws {
        try await CLIWorld.with { world in
            try world.tree.writeRandom("large/a.bin", size: (5 << 20) * 2 + 1, seed: 5)
            // The server opens the upload but the answer never arrives; the retry opens a second one.
            let rules = [FaultProxy.Rule(.dropDuringResponse, operation: "CreateMultipartUpload", times: 1)]
            try await FaultProxy.with(upstream: world.server, rules: rules) { proxy in
                let run = try await proxied(world, proxy).run(
                    world.pushArguments(["--part-size", "5MiB", "--multipart-threshold", "5MiB"]))
                #expect(run.status == 0, "\(run.stderr)")
                #expect(try await proxy.statistics().operation("CreateMultipartUpload").requests == 2)
            }
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
            #expect(try await world.remote() == (try world.expected()))
        }
    }

    @Test func aServerThatStaysDownFailsTheRunResumably() async throws {
        try await CLIWorld.with { world in
            try writeMixedTree(world)
            try await FaultProxy.with(upstream: world.server, rules: []) { proxy in
                // Let the plan through, then refuse every upload.
                try await proxy.setRules([FaultProxy.Rule(.internalError, method: "PUT")])
                let s3sync = proxied(world, proxy, ["AWS_MAX_ATTEMPTS": "3"])
                let failed = try await s3sync.run(
                    world.pushArguments(["--part-size", "5MiB", "--multipart-threshold", "5MiB"]))
                #expect(failed.status == 1, "\(failed.stderr)")
                #expect(failed.string("status") == "failed")
                #expect((failed.int("failed_files") ?? 0) > 0)
                try await proxy.setRules([])
                let resumed = try await s3sync.run(["resume", "--state", world.state, "--json"])
                #expect(resumed.status == 0, "\(resumed.stderr)")
                #expect(resumed.string("status") == "completed")
            }
            #expect(try await world.remote() == (try world.expected()))
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
        }
    }
}

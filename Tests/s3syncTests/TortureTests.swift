import Foundation
import S3TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `push` and `resume` killed at random (seeded) moments, round after round, on a tree of
/// hundreds of small files and several multipart files; then SIGTERM and SIGINT at random moments.
/// In the end the bucket equals the source byte for byte, no multipart upload is left open, the
/// state database is intact, and the bytes sent again stay within what each kill could have had
/// in flight.
@Suite struct TortureTests {
    static let concurrency = 4
    /// How long the kill rounds go on before the last, unkilled round.
    static let tortureTime: Duration = .seconds(60)
    static let minimumKills = 10

    func sentBytes(_ statistics: FaultProxy.Statistics) -> Int64 {
        statistics.operation("UploadPart").forwardedBodyBytes + statistics.operation("PutObject").forwardedBodyBytes
    }

    @Test func sigkillAtRandomMomentsLosesNothingAndResendsOnlyWhatWasInFlight() async throws {
        try await CLIWorld.with { world in
            let written = try MixedTree.write(world.tree, small: 400, maxSmall: 32 << 10, large: 4, largeParts: 5)
            var payload = Int64(written.bytes)
            // A kill can lose what was in flight (a part or a small file per request slot) and the
            // completions of small files not yet committed (one batch of at most 256 files).
            let batchBytes = Int64(written.smallSizes.prefix(256).reduce(0, +))
            let perKill = Int64(Self.concurrency * MixedTree.partSize) + batchBytes
            var random = SeededRandom(seed: 20_250_601)
            try await FaultProxy.with(upstream: world.server) { proxy in
                let s3sync = world.through(proxy)
                let started = ContinuousClock.now
                var rounds = 0
                var kills = 0
                var generations = 1
                var needsPush = true
                while true {
                    rounds += 1
                    // At least a minute and at least `minimumKills` (a fast build finishes more
                    // rounds before the kill), but never more than three minutes.
                    let elapsed = ContinuousClock.now - started
                    let last =
                        (elapsed >= Self.tortureTime && kills >= Self.minimumKills) || elapsed >= Self.tortureTime * 3
                    let rate = last ? "1GiB" : ["4MiB", "8MiB", "16MiB", "32MiB"][Int(random.next() % 4)]
                    let command = last || needsPush || random.next() % 3 == 0 ? "push" : "resume"
                    let arguments =
                        command == "push"
                        ? world.pushArguments(
                            MixedTree.multipartArguments + ["--concurrency", "\(Self.concurrency)", "--bwlimit", rate])
                        : ["resume", "--state", world.state, "--json", "--bwlimit", rate]
                    needsPush = false
                    let process = try s3sync.start(arguments, logPath: world.home + "/round.log")
                    if !last {
                        let delay = Int(random.next() % 3500) + 100
                        try await Task.sleep(for: .milliseconds(delay))
                        if process.isRunning {
                            process.signal(SIGKILL)
                            kills += 1
                            _ = await process.wait(timeout: .seconds(10))
                            #expect(!process.isRunning)
                            continue
                        }
                    }
                    let status = await process.wait(timeout: .seconds(240))
                    #expect(status == 0, "round \(rounds) (\(command)): \(process.log)")
                    guard status == 0 else { break }
                    let job = try await world.latestJob()
                    if job == nil {
                        // Killed before the first job was recorded: nothing to resume yet.
                        needsPush = true
                        continue
                    }
                    guard job?["state"] as? String == "completed" else { continue }
                    if last { break }
                    // Finished before the time was up: change a quarter of the files and go on.
                    generations += 1
                    for index in stride(from: generations % 4, to: written.smallFiles, by: 4) {
                        let size = Int(random.next() % (32 << 10)) + 1
                        try world.tree.writeRandom(
                            "set\(index % 7)/file-\(index).dat", size: size, seed: random.next())
                        payload += Int64(size)
                    }
                    let large = generations % written.largeFiles
                    let size = 5 * MixedTree.partSize + Int(random.next() % 100_000)
                    try world.tree.writeRandom("large/blob-\(large).bin", size: size, seed: random.next())
                    payload += Int64(size)
                    needsPush = true
                }
                let sent = sentBytes(try await proxy.statistics())
                let resent = sent - payload
                let bound = Int64(kills) * perKill
                print(
                    "TortureTests: \(rounds) rounds, \(kills) SIGKILLs, \(generations) generations of the tree in \(ContinuousClock.now - started); payload \(payload) B, sent \(sent) B, re-sent \(resent) B (bound \(bound) B = \(kills) × \(perKill) B)"
                )
                #expect(kills >= Self.minimumKills)
                #expect(resent >= 0)
                #expect(resent <= bound)
            }
            #expect(try await world.remote() == (try world.expected()))
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
            #expect(try await world.integrityCheck() == "ok")
            #expect(try await world.latestJob()?["state"] as? String == "completed")
        }
    }

    @Test func sigtermAndSigintAtRandomMomentsExitPromptlyAndTheJobResumes() async throws {
        try await CLIWorld.with { world in
            try MixedTree.write(world.tree, small: 300, maxSmall: 24 << 10, large: 2, largeParts: 4)
            var random = SeededRandom(seed: 143_130)
            try await FaultProxy.with(upstream: world.server) { proxy in
                let s3sync = world.through(proxy)
                var interrupted = 0
                var slowest: Duration = .zero
                for round in 0..<8 {
                    let signal = round % 2 == 0 ? SIGTERM : SIGINT
                    let arguments =
                        round == 0
                        ? world.pushArguments(
                            MixedTree.multipartArguments + [
                                "--concurrency", "\(Self.concurrency)", "--bwlimit", "3MiB",
                            ])
                        : ["resume", "--state", world.state, "--json"]
                    let before = try await proxy.statistics().total.requests
                    let process = try s3sync.start(arguments, logPath: world.home + "/round-\(round).log")
                    // The handlers are in place before the first request: wait for it, then pick a moment.
                    try await waitUntil("the first request of round \(round)") {
                        try await proxy.statistics().total.requests > before || !process.isRunning
                    }
                    try await Task.sleep(for: .milliseconds(Int(random.next() % 2000)))
                    guard process.isRunning else {
                        #expect(await process.wait(timeout: .seconds(5)) == 0, "\(process.log)")
                        break
                    }
                    let sent = ContinuousClock.now
                    process.signal(signal)
                    let status = await process.wait(timeout: .seconds(20))
                    let took = ContinuousClock.now - sent
                    slowest = max(slowest, took)
                    if status == 0 { break }  // it finished as the signal arrived
                    #expect(status == 128 + signal, "round \(round): \(process.log)")
                    #expect(took < .seconds(5), "round \(round) took \(took) to stop")
                    #expect(StatusJSON.summary(process.log)["status"] as? String == "interrupted")
                    interrupted += 1
                }
                let resumed = try await s3sync.run(
                    ["resume", "--state", world.state, "--json"], timeout: .seconds(120))
                print(
                    "TortureTests: \(interrupted) runs stopped by SIGTERM/SIGINT at random moments, the slowest exit \(slowest) after its signal; final resume exit \(resumed.status)"
                )
                #expect(resumed.status == 0, "\(resumed.stderr)")
                #expect(interrupted >= 4)
            }
            #expect(try await world.remote() == (try world.expected()))
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
            #expect(try await world.integrityCheck() == "ok")
        }
    }

    @Test func aKillAfterTheServerCompletedAnUploadDoesNotSendItAgain() async throws {
        try await CLIWorld.with { world in
            try await FaultProxy.with(upstream: world.server) { proxy in
                let s3sync = world.through(proxy)
                // The server completes the upload; its answer is held back and s3sync killed
                // meanwhile. The next `resume` (then, for a new version, the next `push`) must
                // find it done, not send it again.
                let push = ["push", world.tree.root, "s3://\(world.bucket)/backup"] + MixedTree.multipartArguments
                for (round, command) in [["resume"], push].enumerated() {
                    let size = try world.tree.writeRandom(
                        "large/video.bin", size: 3 * MixedTree.partSize + 5 + round, seed: UInt64(3 + round)
                    ).count
                    try await proxy.setRules([
                        FaultProxy.Rule(.holdResponse, operation: "CompleteMultipartUpload", stallSeconds: 30)
                    ])
                    try await proxy.resetStatistics()
                    let process = try s3sync.start(
                        world.pushArguments(MixedTree.multipartArguments), logPath: world.home + "/push.log")
                    try await waitUntil("the completion reached the server") {
                        try await proxy.statistics().operation("CompleteMultipartUpload").forwarded >= 1
                    }
                    process.signal(SIGKILL)
                    _ = await process.wait(timeout: .seconds(10))
                    try await proxy.setRules([])
                    try await proxy.resetStatistics()
                    let run = try await s3sync.run(command + ["--state", world.state, "--json"], timeout: .seconds(60))
                    let seen = try await proxy.statistics()
                    print(
                        "TortureTests: killed while the server had completed a \(size) B upload: `\(command[0])` sent \(sentBytes(seen)) B again"
                    )
                    #expect(run.status == 0, "\(run.stderr)")
                    #expect(sentBytes(seen) == 0, "\(command[0]) sent the completed file again")
                    #expect(try await world.remote() == (try world.expected()))
                    #expect(try await world.latestJob()?["state"] as? String == "completed")
                }
            }
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
        }
    }
}

import Foundation
import S3TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `s3sync status --history`: every run of a sync with its outcome, against a real server.
@Suite struct StatusHistoryTests {
    func history(_ world: CLIWorld, _ extra: [String] = []) async throws -> [[String: Any]] {
        let run = try await world.s3sync.run(["status", "--history", "--state", world.state, "--json"] + extra)
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
    }

    /// A nightly push that fails on an unreadable file, then one that completes: both runs are
    /// listed, newest first, with their outcome, what they moved and what failed; a dry run and a
    /// run refused by the lock leave no row; a run working now reads `running`, one killed `killed`,
    /// one stopped by SIGINT `interrupted`.
    @Test func historyListsEachRunWithItsOutcome() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("ok.txt", "fine")
            try world.tree.write("secret.txt", "a secret")
            _ = chmod(world.tree.path("secret.txt"), 0)
            _ = chmod(world.home, 0o777)
            _ = chmod(world.tree.root, 0o755)
            _ = chmod(world.tree.path("ok.txt"), 0o644)
            let push = world.pushArguments()
            let failed = try await world.runUnprivileged(push)
            #expect(failed.status == 1, "\(failed.stderr)")
            _ = chmod(world.tree.path("secret.txt"), 0o644)
            let completed = try await world.runUnprivileged(push)
            #expect(completed.status == 0, "\(completed.stderr)")
            let dryRun = try await world.runUnprivileged(push + ["--dry-run"])
            #expect(dryRun.status == 0, "\(dryRun.stderr)")

            var runs = try await history(world)
            #expect(runs.count == 2, "\(runs)")
            #expect(runs.map { $0["outcome"] as? String } == ["completed", "failed"])
            #expect(runs.map { $0["job"] as? Int } == [2, 1])
            #expect(runs.map { $0["command"] as? String } == ["push", "push"])
            #expect(runs[0]["transferred_files"] as? Int == 1, "the secret, now readable")
            #expect(runs[0]["transferred_bytes"] as? Int == 8)
            #expect(runs[0]["skipped_files"] as? Int == 1)
            #expect(runs[0]["failed_files"] as? Int == 0)
            #expect(runs[1]["transferred_files"] as? Int == 1)
            #expect(runs[1]["failed_files"] as? Int == 1)
            #expect((runs[1]["error"] as? String)?.contains("secret.txt") == true, "\(runs[1])")
            #expect(runs[1]["destination"] as? String == "s3://\(world.bucket)/backup/")
            let started = runs.compactMap { $0["started_at"] as? String }
            #expect(started.count == 2 && started[0] >= started[1])
            #expect(runs.allSatisfy { $0["ended_at"] is String && $0["duration_seconds"] is Double })
            // The runs of job 1's sync include the job that superseded it.
            #expect(try await history(world, ["1"]).map { $0["job"] as? Int } == [2, 1])
            #expect(try await history(world, ["--limit", "1"]).map { $0["job"] as? Int } == [2])

            let text = try await world.s3sync.run(["status", "--history", "--state", world.state])
            #expect(text.status == 0)
            #expect(text.stdout.contains("push \(world.tree.root) → s3://\(world.bucket)/backup/"), "\(text.stdout)")
            #expect(text.stdout.contains("completed"), "\(text.stdout)")
            #expect(text.stdout.contains("1 failed"), "\(text.stdout)")
            #expect(text.stdout.contains("secret.txt"), "\(text.stdout)")

            // A slow push: running while it works (a second run is refused and leaves no row),
            // killed after SIGKILL; then one stopped by SIGINT.
            try world.tree.writeRandom("big.bin", size: 8 << 20, seed: 3)
            let slow = push + ["--bwlimit", "512KiB"]
            let process = try world.s3sync.start(slow, logPath: world.home + "/slow.log")
            try await waitUntil("the run reads running") {
                try await history(world).first?["outcome"] as? String == "running"
            }
            let locked = try await world.s3sync.run(push)
            #expect(locked.status == 3, "\(locked.stderr)")
            runs = try await history(world)
            #expect(runs.count == 3)
            #expect(runs[0]["ended_at"] == nil || runs[0]["ended_at"] is NSNull)
            process.signal(SIGKILL)
            _ = await process.wait(timeout: .seconds(10))
            #expect(try await history(world).first?["outcome"] as? String == "killed")

            let interrupted = try world.s3sync.start(slow, logPath: world.home + "/interrupted.log")
            try await waitUntil("the second slow run reads running") {
                try await history(world).first?["outcome"] as? String == "running"
            }
            interrupted.signal(SIGINT)
            #expect(await interrupted.wait(timeout: .seconds(15)) == 130, "\(interrupted.log)")
            runs = try await history(world)
            #expect(runs.map { $0["outcome"] as? String } == ["interrupted", "killed", "completed", "failed"])
            #expect(runs.map { $0["job"] as? Int } == [4, 3, 2, 1])
        }
    }
}

import Foundation
import S3TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// One job, several hosts, on a shared PostgreSQL queue: real `s3sync` processes (a planner and
/// workers) against rclone and a throwaway PostgreSQL cluster. Every test ends with the bucket
/// equal to the source and no multipart upload left open.
@Suite(.serialized) struct ScaleOutTests {
    static let partSize = 5 << 20

    /// A CLI world with a fresh queue database.
    struct QueueWorld: Sendable {
        let world: CLIWorld
        let postgres: PostgresServer
        let queue: String

        var database: String {
            String(queue.split(separator: "/").last?.split(separator: "?").first ?? "postgres")
        }

        /// - Parameter ownCluster: a PostgreSQL cluster of the test's own (one it may restart),
        ///   rather than a database of the shared one.
        static func with<Result: Sendable>(
            ownCluster: Bool = false, _ body: (QueueWorld) async throws -> Result
        ) async throws -> Result {
            guard ownCluster else {
                let postgres = try await PostgresServer.shared()
                let queue = try await postgres.makeDatabase()
                return try await CLIWorld.with { world in
                    try await body(QueueWorld(world: world, postgres: postgres, queue: queue))
                }
            }
            return try await PostgresServer.with { postgres in
                let queue = try await postgres.makeDatabase()
                return try await CLIWorld.with { world in
                    try await body(QueueWorld(world: world, postgres: postgres, queue: queue))
                }
            }
        }

        func binary(endpoint: String? = nil) -> S3SyncBinary {
            var environment = world.s3sync.environment
            if let endpoint { environment["AWS_ENDPOINT_URL"] = endpoint }
            return S3SyncBinary(environment: environment, home: world.home)
        }

        func pushArguments(_ extra: [String] = []) -> [String] {
            ["push", world.tree.root, "s3://\(world.bucket)/backup", "--queue", queue, "--json"] + extra
        }

        func workerArguments(_ extra: [String] = []) -> [String] {
            ["worker", "--queue", queue, "--json"] + extra
        }

        /// Waits until the queue's newest job reads `state` (and, if given, `predicate` holds).
        func waitForJob(state: String, timeout: Duration = .seconds(60)) async throws {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                // Until the first s3sync has migrated the database, there is no job table.
                let found = (try? postgres.psql("SELECT state FROM job ORDER BY id DESC LIMIT 1", database: database))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                if found == state { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("the job never read \(state)")
        }

        /// Parts recorded for the upload of `key`, and the worker holding its task.
        func progress(of key: String) throws -> (parts: Int, holder: String) {
            let parts = try postgres.psql(
                """
                SELECT count(*) FROM "uploadPart" p JOIN "multipartUpload" m ON m.id = p."uploadRowID"
                WHERE m.key = 'backup/\(key)'
                """, database: database
            ).trimmingCharacters(in: .whitespacesAndNewlines)
            let holder = try postgres.psql(
                "SELECT coalesce(\"claimedBy\", '') FROM task WHERE key = 'backup/\(key)'", database: database
            ).trimmingCharacters(in: .whitespacesAndNewlines)
            return (Int(parts) ?? 0, holder)
        }

        /// The bucket holds exactly the tree, and no upload is open.
        func expectComplete(_ context: @autoclosure () -> String) async throws {
            #expect(try await world.remote() == world.expected(), "\(context())")
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty, "\(context())")
        }
    }

    static func pid(of worker: String) -> Int32? {
        let parts = worker.split(separator: ":")
        return parts.count >= 3 ? Int32(parts[parts.count - 2]) : nil
    }

    @Test func aPushAndTwoWorkersShareOneJob() async throws {
        try await QueueWorld.with { queue in
            for index in 0..<3 {
                _ = try queue.world.tree.writeRandom("large/\(index).bin", size: 3 * Self.partSize, seed: UInt64(index))
            }
            for index in 0..<240 {
                _ = try queue.world.tree.writeRandom(
                    "small/\(index / 40)/\(index).txt", size: 2048 + index, seed: UInt64(100 + index))
            }
            let s3sync = queue.binary()
            let planner = try s3sync.start(
                queue.pushArguments([
                    "--part-size", "5MiB", "--multipart-threshold", "5MiB", "--concurrency", "2", "--bwlimit", "6MiB",
                ]), logPath: queue.world.home + "/push.log")
            defer { planner.signal(SIGKILL) }
            try await queue.waitForJob(state: "running")
            let workers = try (0..<2).map { index in
                try s3sync.start(
                    queue.workerArguments(["--concurrency", "4"]), logPath: queue.world.home + "/worker\(index).log")
            }
            // Whatever happens, no s3sync outlives the test.
            defer { for worker in workers { worker.signal(SIGKILL) } }
            let status = await planner.wait(timeout: .seconds(180))
            #expect(status == 0, "\(planner.log)")
            var shares: [Int] = []
            for worker in workers {
                #expect(await worker.wait(timeout: .seconds(60)) == 0, "\(worker.log)")
                let run = S3SyncBinary.Run(status: 0, stdout: worker.log, stderr: "")
                shares.append(run.int("uploaded_files") ?? 0)
            }
            let summary = S3SyncBinary.Run(status: 0, stdout: planner.log, stderr: "")
            // The planner's summary is the whole job's, and each worker did part of it.
            #expect(summary.int("uploaded_files") == 243, "\(planner.log)")
            #expect(shares.allSatisfy { $0 > 0 }, "\(shares)\n\(workers.map(\.log))")
            let byWorker = try queue.postgres.psql(
                #"SELECT "claimedBy", count(*), sum(attempts) FROM task GROUP BY 1"#, database: queue.database)
            #expect(shares.reduce(0, +) < 243, "\(shares)\n\(byWorker)\n\(workers.map(\.log))")
            let statusRun = try await s3sync.run(["status", "--queue", queue.queue, "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(statusRun.stdout.utf8)) as? [String: Any]
            let listed = object?["workers"] as? [[String: Any]] ?? []
            #expect(listed.count == 3, "\(statusRun.stdout)")
            #expect(listed.allSatisfy { $0["state"] as? String == "stopped" }, "\(statusRun.stdout)")
            try await queue.expectComplete(planner.log)
        }
    }

    @Test func anotherHostFinishesAKilledWorkersUploadFromItsParts() async throws {
        try await QueueWorld.with { queue in
            var payload = 0
            for index in 0..<2 {
                payload += try queue.world.tree.writeRandom("big\(index).bin", size: 8 * Self.partSize, seed: 7).count
            }
            try await FaultProxy.with(upstream: queue.world.server) { proxy in
                let s3sync = queue.binary(endpoint: proxy.endpointURL)
                // The planner holds one file at a time; the worker takes the other.
                let planner = try s3sync.start(
                    queue.pushArguments([
                        "--part-size", "5MiB", "--multipart-threshold", "5MiB", "--concurrency", "1", "--bwlimit",
                        "8MiB",
                    ]), logPath: queue.world.home + "/push.log")
                defer { planner.signal(SIGKILL) }
                try await queue.waitForJob(state: "running")
                let worker = try s3sync.start(
                    queue.workerArguments(["--concurrency", "4", "--lease", "3s"]),
                    logPath: queue.world.home + "/worker.log")
                defer { worker.signal(SIGKILL) }
                let deadline = ContinuousClock.now + .seconds(60)
                var victim = ""
                while ContinuousClock.now < deadline && victim.isEmpty {
                    try await Task.sleep(for: .milliseconds(100))
                    for key in ["big0.bin", "big1.bin"] {
                        let progress = try queue.progress(of: key)
                        if progress.parts >= 2, Self.pid(of: progress.holder) == worker.pid { victim = key }
                    }
                }
                #expect(!victim.isEmpty, "the worker never held a file with stored parts\n\(worker.log)")
                worker.signal(SIGKILL)
                _ = await worker.wait(timeout: .seconds(10))
                let stored = try queue.progress(of: victim).parts

                #expect(await planner.wait(timeout: .seconds(180)) == 0, "\(planner.log)")
                let summary = S3SyncBinary.Run(status: 0, stdout: planner.log, stderr: "")
                #expect((summary.int("resumed_bytes") ?? 0) >= stored * Self.partSize, "\(planner.log)")
                let sent = try await proxy.statistics().operation("UploadPart").forwardedBodyBytes
                // What the server received again is at most the parts in flight on the killed host.
                let bound = Int64(payload + 4 * Self.partSize)
                print("ScaleOutTests: payload \(payload) B, UploadPart bodies \(sent) B, bound \(bound) B")
                #expect(sent <= bound, "\(sent) > \(bound)")
                try await queue.expectComplete(planner.log)
            }
        }
    }

    @Test func oneLargeFileIsSpreadAcrossHostsPartByPart() async throws {
        try await QueueWorld.with { queue in
            let size = 10 * Self.partSize
            _ = try queue.world.tree.writeRandom("huge.bin", size: size, seed: 11)
            // Each host through its own proxy, to count the parts each one sent.
            try await FaultProxy.with(upstream: queue.world.server) { plannerProxy in
                try await FaultProxy.with(upstream: queue.world.server) { workerProxy in
                    let planner = try queue.binary(endpoint: plannerProxy.endpointURL).start(
                        queue.pushArguments([
                            "--part-size", "5MiB", "--multipart-threshold", "5MiB", "--bwlimit", "6MiB",
                        ]), logPath: queue.world.home + "/push.log")
                    defer { planner.signal(SIGKILL) }
                    try await queue.waitForJob(state: "running")
                    let worker = try queue.binary(endpoint: workerProxy.endpointURL).start(
                        queue.workerArguments(), logPath: queue.world.home + "/worker.log")
                    defer { worker.signal(SIGKILL) }
                    #expect(await planner.wait(timeout: .seconds(120)) == 0, "\(planner.log)")
                    #expect(await worker.wait(timeout: .seconds(60)) == 0, "\(worker.log)")
                    let byPlanner = try await plannerProxy.statistics().operation("UploadPart")
                    let byWorker = try await workerProxy.statistics().operation("UploadPart")
                    print(
                        "ScaleOutTests: parts sent by the planner \(byPlanner.requests), by the worker \(byWorker.requests)"
                    )
                    #expect(byWorker.forwarded > 0, "the worker sent no part\n\(worker.log)")
                    #expect(byPlanner.forwarded > 0)
                    #expect(byWorker.forwardedBodyBytes + byPlanner.forwardedBodyBytes == Int64(size))
                    // The file's own host completed it.
                    #expect(try await plannerProxy.statistics().operation("CompleteMultipartUpload").forwarded == 1)
                    try await queue.expectComplete(planner.log)
                }
            }
        }
    }

    @Test func throttlingOfOneHostSlowsTheOthers() async throws {
        try await QueueWorld.with { queue in
            for index in 0..<600 {
                _ = try queue.world.tree.writeRandom("small/\(index / 100)/\(index).bin", size: 8192, seed: 3)
            }
            try await FaultProxy.with(upstream: queue.world.server) { throttled in
                // Only the planner's proxy answers SlowDown, once the worker has started; the worker,
                // slowed by its bandwidth limit, is still at work when it hears of it.
                let planner = try queue.binary(endpoint: throttled.endpointURL).start(
                    queue.pushArguments(["--concurrency", "2", "--verbose"]), logPath: queue.world.home + "/push.log")
                defer { planner.signal(SIGKILL) }
                try await queue.waitForJob(state: "running")
                let worker = try queue.binary().start(
                    queue.workerArguments(["--verbose", "--concurrency", "auto", "--bwlimit", "512KiB"]),
                    logPath: queue.world.home + "/worker.log")
                defer { worker.signal(SIGKILL) }
                try await throttled.setRules([FaultProxy.Rule(.slowDown, probability: 0.5, operation: "PutObject")])
                #expect(await planner.wait(timeout: .seconds(180)) == 0, "\(planner.log)")
                #expect(await worker.wait(timeout: .seconds(60)) == 0, "\(worker.log)")
                let log = worker.log
                let heard = log.split(separator: "\n").filter { $0.contains("another host of the job was throttled") }
                let cuts = log.split(separator: "\n").filter {
                    $0.contains("request budget") && $0.contains("throttles=")
                }
                print("ScaleOutTests: the worker heard of throttling \(heard.count) times; first: \(heard.first ?? "")")
                print("ScaleOutTests: the worker's budget moves:\n\(cuts.joined(separator: "\n"))")
                #expect(!heard.isEmpty, "\(log)")
                let summary = S3SyncBinary.Run(status: 0, stdout: log, stderr: "")
                // The worker itself was never throttled, yet its budget came down.
                #expect(summary.int("throttles") == 0, "\(log)")
                #expect(
                    cuts.contains { !$0.contains("throttles=0") },
                    "\(log.split(separator: "\n").filter { !$0.hasPrefix("uploaded") }.joined(separator: "\n"))")
                try await queue.expectComplete(planner.log)
            }
        }
    }

    @Test func aHostThatCannotSeeAFileLeavesItToAnother() async throws {
        try await QueueWorld.with { queue in
            for index in 0..<20 { _ = try queue.world.tree.write("z-hidden/\(index).txt", "hidden \(index)\n") }
            for index in 0..<200 { _ = try queue.world.tree.write("visible/\(index).txt", "visible \(index)\n") }
            let s3sync = queue.binary()
            let planner = try s3sync.start(
                queue.pushArguments(["--concurrency", "1", "--bwlimit", "2KiB"]),
                logPath: queue.world.home + "/push.log")
            defer { planner.signal(SIGKILL) }
            try await queue.waitForJob(state: "running")
            // A host whose mount lacks z-hidden/: the worker runs in a mount namespace where an
            // empty directory covers it.
            let empty = try TestEnvironment.makeTemporaryDirectory("empty")
            defer { TestEnvironment.removeTree(empty) }
            let script = "mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\""
            let worker = try ChildProcess(
                executable: "/usr/bin/unshare",
                arguments: [
                    "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", empty,
                    queue.world.tree.path("z-hidden"), S3SyncBinary.path,
                ] + queue.workerArguments(["--concurrency", "8"]),
                environment: s3sync.environment, logPath: queue.world.home + "/worker.log")
            defer { worker.signal(SIGKILL) }
            #expect(await worker.wait(timeout: .seconds(120)) == 0, "\(worker.log)")
            #expect(await planner.wait(timeout: .seconds(180)) == 0, "\(planner.log)")
            #expect(worker.log.contains("does not see the file as planned"), "\(worker.log)")
            let summary = S3SyncBinary.Run(status: 0, stdout: worker.log, stderr: "")
            #expect(summary.int("failed_files") == 0, "\(worker.log)")
            #expect((summary.int("uploaded_files") ?? 0) > 0, "\(worker.log)")
            try await queue.expectComplete(planner.log)
        }
    }

    @Test func resumeTakesOverAJobWhosePlannerWasKilled() async throws {
        try await QueueWorld.with { queue in
            for index in 0..<2 {
                _ = try queue.world.tree.writeRandom("big\(index).bin", size: 6 * Self.partSize, seed: UInt64(index))
            }
            for index in 0..<50 { _ = try queue.world.tree.write("small/\(index).txt", "file \(index)\n") }
            let s3sync = queue.binary()
            let planner = try s3sync.start(
                queue.pushArguments([
                    "--part-size", "5MiB", "--multipart-threshold", "5MiB", "--bwlimit", "3MiB", "--lease", "3s",
                ]), logPath: queue.world.home + "/push.log")
            defer { planner.signal(SIGKILL) }
            try await queue.waitForJob(state: "running")
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline, try queue.progress(of: "big0.bin").parts < 2 {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(planner.isRunning, "the planner finished before it could be killed\n\(planner.log)")
            planner.signal(SIGKILL)
            _ = await planner.wait(timeout: .seconds(10))
            // A second planner is locked out only while the first lives.
            let resume = try await s3sync.run(["resume", "--queue", queue.queue, "--json", "--bwlimit", "1GiB"])
            #expect(resume.status == 0, "\(resume.stderr)")
            #expect(resume.string("status") == "completed", "\(resume.stdout)")
            #expect((resume.int("resumed_bytes") ?? 0) >= 2 * Self.partSize, "\(resume.stdout)")
            try await queue.expectComplete(resume.stdout + resume.stderr)
        }
    }

    @Test func aPostgreSQLRestartInTheMiddleDoesNotStopTheJob() async throws {
        try await QueueWorld.with(ownCluster: true) { queue in
            _ = try queue.world.tree.writeRandom("big.bin", size: 4 * Self.partSize, seed: 3)
            for index in 0..<100 { _ = try queue.world.tree.write("small/\(index).txt", "file \(index)\n") }
            let s3sync = queue.binary()
            let planner = try s3sync.start(
                queue.pushArguments(["--part-size", "5MiB", "--multipart-threshold", "5MiB", "--bwlimit", "5MiB"]),
                logPath: queue.world.home + "/push.log")
            defer { planner.signal(SIGKILL) }
            try await queue.waitForJob(state: "running")
            let worker = try s3sync.start(
                queue.workerArguments(["--bwlimit", "5MiB"]), logPath: queue.world.home + "/worker.log")
            defer { worker.signal(SIGKILL) }
            try await Task.sleep(for: .seconds(1))
            try await queue.postgres.restart()
            #expect(await planner.wait(timeout: .seconds(180)) == 0, "\(planner.log)")
            #expect(await worker.wait(timeout: .seconds(60)) == 0, "\(worker.log)")
            let summary = S3SyncBinary.Run(status: 0, stdout: planner.log, stderr: "")
            #expect(summary.string("status") == "completed", "\(planner.log)")
            try await queue.expectComplete(planner.log)
        }
    }

    @Test func aPullAndAWorkerRestoreOneJob() async throws {
        try await QueueWorld.with { queue in
            _ = try queue.world.tree.writeRandom("big.bin", size: 4 * Self.partSize, seed: 21)
            for index in 0..<300 {
                _ = try queue.world.tree.writeRandom("small/\(index / 50)/\(index).txt", size: 700 + index, seed: 9)
            }
            let pushed = try await queue.world.pushWithOwnState([
                "--part-size", "5MiB", "--multipart-threshold", "5MiB",
            ])
            #expect(pushed.status == 0, "\(pushed.stderr)")
            let restore = try TestEnvironment.makeTemporaryDirectory("restore")
            defer { TestEnvironment.removeTree(restore) }
            let s3sync = queue.binary()
            let planner = try s3sync.start(
                [
                    "pull", "s3://\(queue.world.bucket)/backup", restore, "--queue", queue.queue, "--json",
                    "--concurrency", "2", "--bwlimit", "4MiB", "--part-size", "5MiB",
                ], logPath: queue.world.home + "/pull.log")
            defer { planner.signal(SIGKILL) }
            try await queue.waitForJob(state: "running")
            let worker = try s3sync.start(queue.workerArguments(), logPath: queue.world.home + "/worker.log")
            defer { worker.signal(SIGKILL) }
            #expect(await planner.wait(timeout: .seconds(180)) == 0, "\(planner.log)")
            #expect(await worker.wait(timeout: .seconds(60)) == 0, "\(worker.log)")
            let share = S3SyncBinary.Run(status: 0, stdout: worker.log, stderr: "")
            #expect((share.int("downloaded_files") ?? 0) > 0, "\(worker.log)")
            let summary = S3SyncBinary.Run(status: 0, stdout: planner.log, stderr: "")
            #expect(summary.int("downloaded_files") == 301, "\(planner.log)")
            let restored = try LocalDirectory(restore).files().mapValues { ExpectedFile(size: $0.size, md5: $0.md5) }
            #expect(restored == (try queue.world.expectedFiles()))
        }
    }

    @Test func aQueuePasswordNeverShows() async throws {
        let password = "pw-\(UInt32.random(in: 0...UInt32.max))-secret"
        try await PostgresServer.with(password: password) { postgres in
            let queue = try await postgres.makeDatabase()
            #expect(queue.contains(password))
            try await CLIWorld.with { world in
                _ = try world.tree.write("a.txt", "a\n")
                let s3sync = world.s3sync
                let push = try await s3sync.run(
                    ["push", world.tree.root, "s3://\(world.bucket)/backup", "--queue", queue, "--json", "--verbose"])
                #expect(push.status == 0, "\(push.stderr)")
                let status = try await s3sync.run(["status", "--queue", queue])
                #expect(status.status == 0, "\(status.stderr)")
                #expect(status.stdout.contains("workers:"), "\(status.stdout)")
                // The password from the environment instead of the URL; then a wrong one.
                let bare = queue.replacingOccurrences(of: ":\(password)@", with: "@")
                let fromEnvironment = try await s3sync.run(
                    ["status", "--queue", bare, "--json"], extraEnvironment: ["PGPASSWORD": password])
                #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
                let wrong = try await s3sync.run(
                    ["status", "--queue", bare], extraEnvironment: ["PGPASSWORD": password + "-wrong"])
                #expect(wrong.status == 2, "\(wrong.stdout)\n\(wrong.stderr)")
                #expect(wrong.stderr.contains("cannot reach the job queue postgresql://postgres@"), "\(wrong.stderr)")
                for run in [push, status, fromEnvironment, wrong] {
                    #expect(!run.stdout.contains(password) && !run.stderr.contains(password))
                }
            }
        }
    }

    @Test func aSecondPushOfTheSameJobExits3() async throws {
        try await QueueWorld.with { queue in
            _ = try queue.world.tree.writeRandom("big.bin", size: 3 * Self.partSize, seed: 5)
            let s3sync = queue.binary()
            let first = try s3sync.start(
                queue.pushArguments(["--part-size", "5MiB", "--multipart-threshold", "5MiB", "--bwlimit", "5MiB"]),
                logPath: queue.world.home + "/push.log")
            defer { first.signal(SIGKILL) }
            try await queue.waitForJob(state: "running")
            let second = try await s3sync.run(queue.pushArguments())
            #expect(second.status == 3, "\(second.stdout)\n\(second.stderr)")
            #expect(second.stderr.contains("another"), "\(second.stderr)")
            #expect(!second.stderr.contains("password"), "\(second.stderr)")
            #expect(await first.wait(timeout: .seconds(120)) == 0, "\(first.log)")
            try await queue.expectComplete(first.log)
        }
    }
}

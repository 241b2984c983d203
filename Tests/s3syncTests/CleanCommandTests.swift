import Foundation
import S3TestSupport
import Testing

/// `s3sync clean`: incomplete multipart uploads aborted when nothing needs them, against real servers.
@Suite struct CleanCommandTests {
    static let partSize = 5 << 20

    /// The `--json` object of a run of `clean`.
    struct Cleanup {
        let run: S3SyncBinary.Run
        var summary: [String: Any] { run.summary }
        func count(_ key: String) -> Int? { run.int(key) }
        func uploadIDs(_ list: String) -> Set<String> {
            Set((summary[list] as? [[String: Any]] ?? []).compactMap { $0["upload_id"] as? String })
        }
        func entry(_ list: String, _ uploadID: String) -> [String: Any]? {
            (summary[list] as? [[String: Any]])?.first { $0["upload_id"] as? String == uploadID }
        }
    }

    func clean(_ world: CLIWorld, _ extra: [String], location: String? = nil, through s3sync: S3SyncBinary? = nil)
        async throws -> Cleanup
    {
        Cleanup(
            run: try await (s3sync ?? world.s3sync).run(
                ["clean", location ?? "s3://\(world.bucket)/backup", "--state", world.state, "--json"] + extra))
    }

    func openUploadIDs(_ world: CLIWorld) async throws -> Set<String> {
        Set(try await world.inspector.openUploads(bucket: world.bucket).map(\.uploadId))
    }

    /// A push fails halfway through a multipart upload (its job stays resumable), then a later push
    /// supersedes it without the file and cannot abort that upload: only then does `clean` take it,
    /// and never the upload no job recorded, nor one outside the prefix, unless `--all`. (Every
    /// command goes through the proxy: uploads are recorded under the endpoint the push named.)
    @Test func cleanAbortsOnlyUploadsOfFinishedJobsUnlessAll() async throws {
        try await CLIWorld.with(.rclone) { world in
            try world.tree.writeRandom("big.bin", size: Self.partSize + 4096, seed: 7)
            try world.tree.write("small.txt", "small")
            try await FaultProxy.with(upstream: world.server) { proxy in
                let s3sync = world.through(proxy)
                let push = world.pushArguments(
                    MixedTree.multipartArguments + ["--retries", "1", "--concurrency", "1"])
                try await proxy.setRules([.init(.internalError, contains: "partNumber=2", operation: "UploadPart")])
                let failed = try await s3sync.run(push)
                #expect(failed.status == 1, "\(failed.stderr)")
                #expect(failed.int("failed_files") == 1, "\(failed.stdout)")
                let recorded = try #require(try await openUploadIDs(world).first)
                try await proxy.setRules([])
                let stray = try await world.inspector.createUpload(
                    bucket: world.bucket, key: "backup/stray.bin", partBytes: 1000)
                let outside = try await world.inspector.createUpload(
                    bucket: world.bucket, key: "backupx/file", partBytes: 10)
                let elsewhere = try await world.inspector.createUpload(bucket: world.bucket, key: "other/file")
                let all: Set = [recorded, stray, outside, elsewhere]

                // Job 1 failed and can be resumed: its upload stays, and so does the one no job started.
                var cleanup = try await clean(world, ["--older-than", "0s"], through: s3sync)
                #expect(cleanup.run.status == 0, "\(cleanup.run.stderr)")
                #expect(cleanup.count("aborted_uploads") == 0)
                #expect(cleanup.uploadIDs("kept") == [recorded, stray], "\(cleanup.run.stdout)")
                #expect(cleanup.entry("kept", recorded)?["reason"] as? String == "job_unfinished")
                #expect(cleanup.entry("kept", recorded)?["job"] as? Int == 1)
                #expect(cleanup.entry("kept", stray)?["reason"] as? String == "not_recorded")
                #expect(try await openUploadIDs(world) == all)

                // A push without the file supersedes job 1; the store refuses to abort the upload,
                // so its record stays, owned by a finished job.
                try FileManager.default.removeItem(atPath: world.tree.path("big.bin"))
                try await proxy.setRules([.init(.internalError, operation: "AbortMultipartUpload")])
                let completed = try await s3sync.run(push)
                #expect(completed.status == 0, "\(completed.stderr)")
                #expect(completed.string("status") == "completed")
                try await proxy.setRules([])
                #expect(try await openUploadIDs(world) == all)

                cleanup = try await clean(world, ["--older-than", "0s", "--dry-run"], through: s3sync)
                #expect(cleanup.run.status == 0, "\(cleanup.run.stderr)")
                #expect(cleanup.summary["dry_run"] as? Bool == true)
                #expect(cleanup.uploadIDs("aborted") == [recorded], "\(cleanup.run.stdout)")
                #expect(cleanup.count("aborted_bytes") == Self.partSize)
                #expect(cleanup.entry("aborted", recorded)?["key"] as? String == "backup/big.bin")
                #expect(cleanup.entry("aborted", recorded)?["size"] as? Int == Self.partSize)
                #expect(cleanup.entry("aborted", recorded)?["job"] as? Int == 1)
                #expect(cleanup.entry("aborted", recorded)?["initiated"] is String)
                #expect(cleanup.uploadIDs("kept") == [stray])
                #expect(try await openUploadIDs(world) == all, "a dry run aborts nothing")

                cleanup = try await clean(world, [], through: s3sync)
                #expect(cleanup.count("aborted_uploads") == 0, "younger than the default 24h")
                #expect(cleanup.entry("kept", recorded)?["reason"] as? String == "recent")

                cleanup = try await clean(world, ["--older-than", "0s"], through: s3sync)
                #expect(cleanup.run.status == 0, "\(cleanup.run.stderr)")
                #expect(cleanup.uploadIDs("aborted") == [recorded])
                #expect(cleanup.count("aborted_bytes") == Self.partSize)
                #expect(cleanup.summary["exit_code"] as? Int == 0)
                #expect(try await openUploadIDs(world) == [stray, outside, elsewhere])
                let job = try await s3sync.run(["status", "1", "--state", world.state, "--json"])
                #expect((job.summary["open_uploads"] as? [Any])?.isEmpty == true, "record forgotten: \(job.stdout)")

                // --all: every upload under the prefix, not `backupx/`, not `other/`.
                let text = try await s3sync.run(
                    ["clean", "s3://\(world.bucket)/backup", "--state", world.state, "--all", "--older-than", "0s"])
                #expect(text.status == 0, "\(text.stderr)")
                #expect(
                    text.stdout.contains("aborted s3://\(world.bucket)/backup/stray.bin (upload \(stray)"),
                    "\(text.stdout)")
                #expect(text.stdout.contains("aborted 1 incomplete upload (1000 B)"), "\(text.stdout)")
                #expect(try await openUploadIDs(world) == [outside, elsewhere])
            }
        }
    }

    /// Only uploads started at least `--older-than` ago go, by the store's own dates.
    @Test func cleanKeepsUploadsYoungerThanTheAge() async throws {
        try await CLIWorld.with(.rclone) { world in
            let old = try await world.inspector.createUpload(bucket: world.bucket, key: "backup/old", partBytes: 4000)
            try await Task.sleep(for: .seconds(5))
            let young = try await world.inspector.createUpload(bucket: world.bucket, key: "backup/young")
            let cleanup = try await clean(world, ["--all", "--older-than", "3s"])
            #expect(cleanup.run.status == 0, "\(cleanup.run.stderr)")
            #expect(cleanup.uploadIDs("aborted") == [old], "\(cleanup.run.stdout)")
            #expect(cleanup.count("aborted_bytes") == 4000)
            #expect(cleanup.entry("kept", young)?["reason"] as? String == "recent")
            #expect(try await openUploadIDs(world) == [young])
        }
    }

    /// On moto (AWS's error codes): an abort the store refuses exits 1 and names the upload, a
    /// missing bucket exits 2, a bad age is a usage error.
    @Test func cleanReportsAbortsThatFailAndMissingBuckets() async throws {
        try await CLIWorld.with(.moto) { world in
            let first = try await world.inspector.createUpload(bucket: world.bucket, key: "backup/a", partBytes: 4000)
            let second = try await world.inspector.createUpload(bucket: world.bucket, key: "backup/b/c")
            var cleanup = try await clean(world, ["--all", "--older-than", "0s", "--dry-run"])
            #expect(cleanup.run.status == 0, "\(cleanup.run.stderr)")
            #expect(cleanup.uploadIDs("aborted") == [first, second], "\(cleanup.run.stdout)")
            #expect(cleanup.count("aborted_bytes") == 4000)

            try await FaultProxy.with(
                upstream: world.server,
                rules: [.init(.internalError, contains: "b/c?uploadId", operation: "AbortMultipartUpload")]
            ) { proxy in
                cleanup = try await clean(
                    world, ["--all", "--older-than", "0s", "--retries", "1"], through: world.through(proxy))
                #expect(cleanup.run.status == 1, "\(cleanup.run.stderr)")
                #expect(cleanup.uploadIDs("aborted") == [first], "\(cleanup.run.stdout)")
                #expect(cleanup.uploadIDs("failed") == [second])
                #expect(cleanup.count("failed_uploads") == 1)
                #expect(cleanup.summary["exit_code"] as? Int == 1)
                #expect(
                    cleanup.run.stderr.contains("could not abort s3://\(world.bucket)/backup/b/c"),
                    "\(cleanup.run.stderr)")
            }
            #expect(try await openUploadIDs(world) == [second])

            cleanup = try await clean(world, ["--all"], location: "s3://no-such-bucket-here/backup")
            #expect(cleanup.run.status == 2, "\(cleanup.run.stderr)")
            #expect(cleanup.summary["exit_code"] as? Int == 2)
            #expect((cleanup.summary["error"] as? String)?.contains("NoSuchBucket") == true, "\(cleanup.run.stdout)")

            let usage = try await world.s3sync.run(["clean", "s3://\(world.bucket)", "--older-than", "soon"])
            #expect(usage.status == 2)
            #expect(usage.stderr.contains("--older-than"), "\(usage.stderr)")
        }
    }
}

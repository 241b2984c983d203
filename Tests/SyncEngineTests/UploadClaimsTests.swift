import S3Client
import Testing

@testable import SyncEngine

/// What the state database tells `s3sync clean` about the uploads under a prefix.
@Suite struct UploadClaimsTests {
    static let identity = FileIdentity(size: 10, mtimeNanoseconds: 1, ctimeNanoseconds: 1, inode: 1, device: 1)

    func job(_ store: any JobStore, _ state: JobRecord.State, prefix: String = "p/", endpoint: String = "e")
        async throws -> Int64
    {
        try await store.createJob(
            JobRecord(
                source: "/s", endpoint: endpoint, bucket: "b", prefix: prefix, options: "{}", state: state, now: 1)
        ).id!
    }

    func upload(_ store: any JobStore, _ key: String, _ id: String, job: Int64?, endpoint: String = "e") async throws {
        _ = try await store.insertMultipartUpload(
            MultipartUploadRecord(
                jobID: job, endpoint: endpoint, bucket: "b", key: key, uploadID: id, path: key,
                identity: Self.identity, partSize: 8, checksumAlgorithm: "crc32c", createdAt: 5))
    }

    @Test func claimsNameRecordsJobsAndWhatUnfinishedPushesStillUpload() async throws {
        let store = try SQLiteJobStore.inMemory()
        let completed = try await job(store, .completed)
        let failed = try await job(store, .failed)
        let planning = try await job(store, .planning, prefix: "p/sub/")
        let otherEndpoint = try await job(store, .failed, endpoint: "elsewhere")
        try await upload(store, "p/a", "u-a", job: completed)
        try await upload(store, "p/b", "u-b", job: failed)
        try await upload(store, "q/c", "u-c", job: completed)
        try await upload(store, "p/d", "u-d", job: otherEndpoint, endpoint: "elsewhere")
        try await store.insertTasks([
            TaskRecord(jobID: failed, kind: .upload, path: "a", key: "p/a", identity: Self.identity, reason: "new"),
            TaskRecord(
                jobID: failed, kind: .upload, path: "x", key: "p/x", identity: Self.identity, reason: "new",
                state: .done),
            TaskRecord(
                jobID: otherEndpoint, kind: .upload, path: "y", key: "p/y", identity: Self.identity, reason: "new"),
        ])
        let claims = try await store.uploadClaims(endpoint: "e", location: S3Location(bucket: "b", prefix: "p/")) {
            $0.id == failed
        }
        #expect(Set(claims.records.keys) == ["u-a", "u-b"])
        #expect(claims.jobStates[completed] == .completed)
        #expect(claims.jobStates[failed] == .failed)
        #expect(claims.runningJobs == [failed])
        #expect(claims.pendingKeys == ["p/a": failed])
        #expect(claims.planningPrefixes == ["p/sub/": planning])
        #expect(claims.claimant(of: "p/sub/deep/file") == planning)
        #expect(claims.claimant(of: "p/x") == nil)

        let verdicts = UploadCleanupPolicy(minimumAge: 0).decide(
            [
                MultipartUploadSummary(key: "p/a", uploadID: "u-a", initiated: 0),
                MultipartUploadSummary(key: "p/b", uploadID: "u-b", initiated: 0),
            ], claims: claims, now: 100)
        #expect(verdicts.map(\.decision) == [.keep(.jobRunning(job: failed)), .keep(.jobRunning(job: failed))])
    }

    @Test func theReportCountsWhatWasAbortedAndKept() throws {
        var report = CleanupReport(
            location: S3Location(bucket: "b", prefix: "p/"), policy: UploadCleanupPolicy(minimumAge: 86400),
            dryRun: true)
        report.aborted = [
            .init(key: "p/a", uploadId: "u1", initiated: "2026-01-01T00:00:00Z", size: 10 << 20, parts: 2, job: 3),
            .init(key: "p/b", uploadId: "u2", size: 5, parts: 1),
        ]
        report.kept = [
            .init(key: "p/c", uploadId: "u3", reason: "not_recorded", detail: "not started by a job"),
            .init(key: "p/d", uploadId: "u4", reason: "recent", detail: "younger"),
            .init(key: "p/e", uploadId: "u5", reason: "recent", detail: "younger"),
        ]
        let json = report.json
        for fragment in [
            "\"aborted_uploads\":2", "\"aborted_bytes\":10485765", "\"kept_uploads\":3", "\"dry_run\":true",
            "\"exit_code\":0", "\"upload_id\":\"u1\"", "\"older_than_seconds\":86400", "\"failed_uploads\":0",
        ] {
            #expect(json.contains(fragment), "\(fragment) in \(json)")
        }
        #expect(report.uploadLines(verbose: false).first?.hasPrefix("would abort s3://b/p/a") == true)
        #expect(
            report.summary
                == "dry run: would abort 2 incomplete uploads (10.0 MiB) under s3://b/p/; kept 3: 1 not started by a job in the state database, 2 younger than 1d"
        )
    }
}

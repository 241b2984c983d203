import S3Client
import Testing

@testable import SyncEngine

/// Which incomplete multipart uploads `s3sync clean` aborts, decided without a server.
@Suite struct UploadCleanupPolicyTests {
    static let day = 86400.0
    static let now = 1_000_000_000.0

    static func upload(_ key: String, _ id: String, age: Double? = 2 * day) -> MultipartUploadSummary {
        MultipartUploadSummary(key: key, uploadID: id, initiated: age.map { now - $0 })
    }

    static func record(_ key: String, _ id: String, job: Int64?, createdAt: Double = 0) -> MultipartUploadRecord {
        MultipartUploadRecord(
            jobID: job, endpoint: "e", bucket: "b", key: key, uploadID: id, path: key,
            identity: FileIdentity(size: 1, mtimeNanoseconds: 1, ctimeNanoseconds: 1, inode: 1, device: 1),
            partSize: 8, checksumAlgorithm: "crc32c", createdAt: createdAt)
    }

    func decisions(
        _ policy: UploadCleanupPolicy, _ uploads: [MultipartUploadSummary], _ claims: UploadClaims
    ) -> [String: UploadVerdict.Decision] {
        Dictionary(
            uniqueKeysWithValues: policy.decide(uploads, claims: claims, now: Self.now).map {
                ($0.upload.uploadID, $0.decision)
            })
    }

    @Test func byDefaultOnlyOldUploadsOfFinishedOrGoneJobsAreAborted() {
        let claims = UploadClaims(
            records: [
                Self.record("p/completed", "u-completed", job: 1), Self.record("p/superseded", "u-superseded", job: 2),
                Self.record("p/gone", "u-gone", job: nil), Self.record("p/deleted-job", "u-deleted-job", job: 99),
                Self.record("p/failed", "u-failed", job: 3), Self.record("p/interrupted", "u-interrupted", job: 4),
                Self.record("p/young", "u-young", job: 1, createdAt: Self.now - 3600),
            ],
            jobStates: [1: .completed, 2: .superseded, 3: .failed, 4: .interrupted])
        let uploads = [
            Self.upload("p/completed", "u-completed"), Self.upload("p/superseded", "u-superseded"),
            Self.upload("p/gone", "u-gone"), Self.upload("p/deleted-job", "u-deleted-job"),
            Self.upload("p/failed", "u-failed"), Self.upload("p/interrupted", "u-interrupted"),
            Self.upload("p/young", "u-young", age: 3600), Self.upload("p/stranger", "u-stranger"),
        ]
        let decided = decisions(UploadCleanupPolicy(minimumAge: Self.day), uploads, claims)
        #expect(decided["u-completed"] == .abort)
        #expect(decided["u-superseded"] == .abort)
        #expect(decided["u-gone"] == .abort)
        #expect(decided["u-deleted-job"] == .abort)
        #expect(decided["u-failed"] == .keep(.ownerUnfinished(job: 3)))
        #expect(decided["u-interrupted"] == .keep(.ownerUnfinished(job: 4)))
        #expect(decided["u-young"] == .keep(.tooRecent(ageSeconds: 3600)))
        #expect(decided["u-stranger"] == .keep(.notRecorded))
    }

    @Test func anUploadAnUnfinishedPushMayContinueIsKept() {
        // Job 2 superseded job 1 and has the key still to upload: it adopts job 1's upload when it
        // gets there. Job 3 was killed while planning, so any key under its prefix may be next.
        var claims = UploadClaims(
            records: [Self.record("p/a", "u-a", job: 1), Self.record("p/sub/b", "u-b", job: 1)],
            jobStates: [1: .superseded, 2: .interrupted, 3: .planning])
        claims.pendingKeys = ["p/a": 2]
        claims.planningPrefixes = ["p/sub/": 3]
        let uploads = [Self.upload("p/a", "u-a"), Self.upload("p/sub/b", "u-b")]
        let decided = decisions(UploadCleanupPolicy(minimumAge: Self.day), uploads, claims)
        #expect(decided["u-a"] == .keep(.wantedByUnfinishedJob(job: 2)))
        #expect(decided["u-b"] == .keep(.wantedByUnfinishedJob(job: 3)))
        // --all takes them, as long as no run is working on those jobs.
        #expect(
            decisions(UploadCleanupPolicy(minimumAge: Self.day, all: true), uploads, claims).values.allSatisfy {
                $0 == .abort
            })
        claims.runningJobs = [2]
        let running = decisions(UploadCleanupPolicy(minimumAge: 0, all: true), uploads, claims)
        #expect(running["u-a"] == .keep(.jobRunning(job: 2)))
        #expect(running["u-b"] == .abort)
    }

    @Test func allAbortsEveryOldUploadRecordedOrNotButNoneOfARunningJob() {
        let claims = UploadClaims(
            records: [Self.record("p/mine", "u-mine", job: 5), Self.record("p/live", "u-live", job: 6)],
            jobStates: [5: .failed, 6: .running], runningJobs: [6])
        let uploads = [
            Self.upload("p/mine", "u-mine"), Self.upload("p/live", "u-live"), Self.upload("p/other", "u-other"),
            Self.upload("p/fresh", "u-fresh", age: 60),
        ]
        let decided = decisions(UploadCleanupPolicy(minimumAge: 3600, all: true), uploads, claims)
        #expect(decided["u-mine"] == .abort)
        #expect(decided["u-other"] == .abort)
        #expect(decided["u-live"] == .keep(.jobRunning(job: 6)))
        #expect(decided["u-fresh"] == .keep(.tooRecent(ageSeconds: 60)))
    }

    /// A recorded upload is dated by its record, in the clock `now` comes from (moto dates every
    /// upload in 2010); another by the store; an upload neither dates is kept unless any age goes.
    @Test func theAgeComesFromTheRecordElseFromTheStore() {
        let claims = UploadClaims(
            records: [
                Self.record("p/dated", "u-dated", job: 1, createdAt: Self.now - 2 * Self.day),
                Self.record("p/new", "u-new", job: 1, createdAt: Self.now - 10),
            ],
            jobStates: [1: .completed])
        let uploads = [
            Self.upload("p/dated", "u-dated", age: nil), Self.upload("p/new", "u-new", age: 16 * 365 * Self.day),
            Self.upload("p/store-dated", "u-store-dated", age: 2 * Self.day),
            Self.upload("p/undated", "u-undated", age: nil),
        ]
        let decided = decisions(UploadCleanupPolicy(minimumAge: Self.day, all: true), uploads, claims)
        #expect(decided["u-dated"] == .abort)
        #expect(decided["u-new"] == .keep(.tooRecent(ageSeconds: 10)))
        #expect(decided["u-store-dated"] == .abort)
        #expect(decided["u-undated"] == .keep(.ageUnknown))
        // No minimum age: any upload, even one the store dates in the future (a clock ahead).
        let anyAge = decisions(
            UploadCleanupPolicy(minimumAge: 0, all: true),
            uploads + [Self.upload("p/future", "u-future", age: -30)], claims)
        #expect(anyAge.values.allSatisfy { $0 == .abort })
    }

    @Test func aRecordCountsOnlyForTheSameUploadOfTheSameKey() {
        let claims = UploadClaims(records: [Self.record("p/a", "u-1", job: 1)], jobStates: [1: .completed])
        let decided = decisions(
            UploadCleanupPolicy(minimumAge: 0), [Self.upload("p/b", "u-1"), Self.upload("p/a", "u-2")], claims)
        #expect(decided["u-1"] == .keep(.notRecorded))
        #expect(decided["u-2"] == .keep(.notRecorded))
    }

    @Test func recordsOfUploadsTheStoreNoLongerHasAreForgottenOnlyWhenNobodyNeedsThem() {
        var claims = UploadClaims(
            records: [
                Self.record("p/done", "u-done", job: 1), Self.record("p/orphan", "u-orphan", job: nil),
                Self.record("p/resumable", "u-resumable", job: 2), Self.record("p/wanted", "u-wanted", job: 1),
                Self.record("p/listed", "u-listed", job: 1),
            ],
            jobStates: [1: .completed, 2: .failed])
        claims.pendingKeys = ["p/wanted": 2]
        let stale = UploadCleanupPolicy().staleRecords(listed: [Self.upload("p/listed", "u-listed")], claims: claims)
        #expect(Set(stale.map(\.uploadID)) == ["u-done", "u-orphan"])
    }

    @Test func reasonsHaveStableCodesAndSayWhichJob() {
        #expect(UploadVerdict.KeepReason.ownerUnfinished(job: 7).code == "job_unfinished")
        #expect(UploadVerdict.KeepReason.ownerUnfinished(job: 7).job == 7)
        #expect(UploadVerdict.KeepReason.notRecorded.code == "not_recorded")
        #expect(
            UploadVerdict.KeepReason.tooRecent(ageSeconds: 3700).explanation(minimumAge: Self.day)
                == "younger than 1d (started 1h01m ago)")
    }
}

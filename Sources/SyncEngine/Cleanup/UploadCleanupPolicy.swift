import S3Client

/// Which incomplete multipart uploads a cleanup aborts: the pure decision, given the store's
/// listing, what the state database says about them and the time now.
///
/// By default only uploads a job in the state database started and no longer needs: its job has
/// finished (completed or superseded) or is gone, and no unfinished push has the key still to
/// upload. With ``all``, every upload, recorded or not. Either way an upload is kept while a run
/// is working on a job that may use it, and until it is ``minimumAge`` old (see ``started(_:record:)``).
///
/// ```swift
/// let policy = UploadCleanupPolicy(minimumAge: 86400, all: false)
/// let verdicts = policy.decide(listing, claims: claims, now: Date().timeIntervalSince1970)
/// ```
public struct UploadCleanupPolicy: Sendable, Hashable {
    /// Seconds since an upload was started before it may be aborted; 0 for any age.
    public var minimumAge: Double
    /// Whether to abort uploads whatever started them, not only those of finished jobs.
    public var all: Bool

    public init(minimumAge: Double = 86400, all: Bool = false) {
        self.minimumAge = minimumAge
        self.all = all
    }

    /// The verdict on each listed upload, in the listing's order.
    /// - Parameter now: seconds since 1970, in the store's clock as far as it is known.
    public func decide(_ uploads: [MultipartUploadSummary], claims: UploadClaims, now: Double) -> [UploadVerdict] {
        uploads.map { decide($0, claims: claims, now: now) }
    }

    /// The verdict on one upload. The reasons are checked in this order: a run working on a job
    /// that may use it; (by default) no record, an unfinished job that started it, an unfinished
    /// job that may continue it; its age.
    public func decide(_ upload: MultipartUploadSummary, claims: UploadClaims, now: Double) -> UploadVerdict {
        let record = claims.record(of: upload)
        let owner = record?.jobID
        let claimant = claims.claimant(of: upload.key)
        func keep(_ reason: UploadVerdict.KeepReason) -> UploadVerdict {
            UploadVerdict(upload: upload, record: record, decision: .keep(reason))
        }
        // Aborting an upload a run is sending parts to fails that run's file.
        for job in [owner, claimant].compactMap({ $0 }) where claims.runningJobs.contains(job) {
            return keep(.jobRunning(job: job))
        }
        if !all {
            guard record != nil else { return keep(.notRecorded) }
            if let owner, claims.isUnfinished(owner) { return keep(.ownerUnfinished(job: owner)) }
            if let claimant { return keep(.wantedByUnfinishedJob(job: claimant)) }
        }
        if minimumAge > 0 {
            guard let initiated = Self.started(upload, record: record) else { return keep(.ageUnknown) }
            let age = now - initiated
            if age < minimumAge { return keep(.tooRecent(ageSeconds: max(0, age))) }
        }
        return UploadVerdict(upload: upload, record: record, decision: .abort)
    }

    /// When an upload was started: as recorded, when a job recorded it (in this host's clock, the
    /// clock `now` comes from; some stores date every upload alike), else as the store says.
    public static func started(_ upload: MultipartUploadSummary, record: MultipartUploadRecord?) -> Double? {
        record?.createdAt ?? upload.initiated
    }

    /// Records whose upload the store no longer lists (completed, aborted or expired) and that
    /// nobody will consult again: their job is finished or gone and no unfinished push has the
    /// key still to upload. (An unfinished job's record stays: its next run finds out from the
    /// store whether the upload was completed.)
    public func staleRecords(listed uploads: [MultipartUploadSummary], claims: UploadClaims) -> [MultipartUploadRecord]
    {
        let listed = Set(uploads.map(\.uploadID))
        return claims.records.values.filter { record in
            !listed.contains(record.uploadID) && !(record.jobID.map(claims.isUnfinished) ?? false)
                && claims.claimant(of: record.key) == nil
        }
        .sorted { ($0.id ?? 0) < ($1.id ?? 0) }
    }
}

import S3Client

/// What the state database says about who still needs the incomplete multipart uploads under a
/// prefix: the uploads its jobs recorded, whether those jobs are finished, which of them a run is
/// working on now, and which keys unfinished pushes have yet to upload (a push continues an
/// upload recorded for a key it uploads, whichever job recorded it).
public struct UploadClaims: Sendable, Hashable {
    /// Uploads recorded for this endpoint and bucket, by upload id.
    public var records: [String: MultipartUploadRecord]
    /// The state of each job that recorded one of them or may continue one, by id; a job missing
    /// here is gone.
    public var jobStates: [Int64: JobRecord.State]
    /// Jobs a run is working on now (their locks are held).
    public var runningJobs: Set<Int64>
    /// Keys unfinished pushes still have to upload, each with the newest such job.
    public var pendingKeys: [String: Int64]
    /// Prefixes of unfinished pushes killed while planning, whose plan is to be made again: any
    /// key under one may be uploaded, by the job given.
    public var planningPrefixes: [String: Int64]

    public init(
        records: [MultipartUploadRecord] = [], jobStates: [Int64: JobRecord.State] = [:], runningJobs: Set<Int64> = [],
        pendingKeys: [String: Int64] = [:], planningPrefixes: [String: Int64] = [:]
    ) {
        self.records = Dictionary(records.map { ($0.uploadID, $0) }, uniquingKeysWith: { first, _ in first })
        self.jobStates = jobStates
        self.runningJobs = runningJobs
        self.pendingKeys = pendingKeys
        self.planningPrefixes = planningPrefixes
    }

    /// The claims a store's rows make: the uploads recorded under `location`, the jobs that
    /// recorded them or may continue them, and the keys unfinished pushes have yet to upload.
    init(
        records: [MultipartUploadRecord], jobs: [JobRecord], pending: [(key: String, job: Int64)], endpoint: String,
        location: S3Location, isRunning: (JobRecord) -> Bool
    ) {
        self.init(records: records)
        for job in jobs {
            guard let id = job.id else { continue }
            jobStates[id] = job.state
            if !job.state.isFinished && isRunning(job) { runningJobs.insert(id) }
            if job.state == .planning && job.direction == .push && job.endpoint == endpoint
                && job.bucket == location.bucket
            {
                planningPrefixes[job.prefix] = max(id, planningPrefixes[job.prefix] ?? id)
            }
        }
        for (key, job) in pending { pendingKeys[key] = job }
    }

    /// The record of a listed upload: the same upload id, for the same key.
    public func record(of upload: MultipartUploadSummary) -> MultipartUploadRecord? {
        guard let record = records[upload.uploadID], record.key.utf8.elementsEqual(upload.key.utf8) else { return nil }
        return record
    }

    /// The unfinished push that may still upload `key` (and so continue an upload recorded for it).
    public func claimant(of key: String) -> Int64? {
        if let job = pendingKeys[key] { return job }
        return planningPrefixes.filter { key.utf8.starts(with: $0.key.utf8) }.map(\.value).max()
    }

    /// Whether the job exists and has not finished (completed or superseded).
    public func isUnfinished(_ job: Int64) -> Bool {
        guard let state = jobStates[job] else { return false }
        return !state.isFinished
    }
}

import S3Client

/// What a cleanup does with one incomplete multipart upload, and why.
public struct UploadVerdict: Sendable, Hashable {
    public enum Decision: Sendable, Hashable {
        case abort
        case keep(KeepReason)
    }

    /// Why an upload is kept.
    public enum KeepReason: Sendable, Hashable {
        /// Started less than the minimum age ago.
        case tooRecent(ageSeconds: Double)
        /// Neither the store nor the state database says when it was started.
        case ageUnknown
        /// No job in the state database started it (another program's, or lost before it was recorded).
        case notRecorded
        /// The job that started it has not finished: resuming it continues the upload.
        case ownerUnfinished(job: Int64)
        /// An unfinished push has the key still to upload and may continue this upload.
        case wantedByUnfinishedJob(job: Int64)
        /// A run is working on the job that started it, or that may continue it, right now.
        case jobRunning(job: Int64)

        /// A short stable name, for JSON: `recent`, `age_unknown`, `not_recorded`,
        /// `job_unfinished`, `job_may_continue`, `job_running`.
        public var code: String {
            switch self {
            case .tooRecent: return "recent"
            case .ageUnknown: return "age_unknown"
            case .notRecorded: return "not_recorded"
            case .ownerUnfinished: return "job_unfinished"
            case .wantedByUnfinishedJob: return "job_may_continue"
            case .jobRunning: return "job_running"
            }
        }

        /// The job the reason is about, if any.
        public var job: Int64? {
            switch self {
            case .ownerUnfinished(let job), .wantedByUnfinishedJob(let job), .jobRunning(let job): return job
            case .tooRecent, .ageUnknown, .notRecorded: return nil
            }
        }

        /// One line for a person; `minimumAge` is the age an upload needed to be aborted.
        public func explanation(minimumAge: Double) -> String {
            switch self {
            case .tooRecent(let age):
                return "younger than \(TimeSpan.format(minimumAge)) (started \(TimeSpan.format(age)) ago)"
            case .ageUnknown: return "the store does not say when it was started"
            case .notRecorded: return "not started by a job in the state database"
            case .ownerUnfinished(let job):
                return "job \(job) started it and has not finished; resuming it continues the upload"
            case .wantedByUnfinishedJob(let job): return "job \(job) has the key still to upload and may continue it"
            case .jobRunning(let job): return "a run is working on job \(job) now"
            }
        }
    }

    public var upload: MultipartUploadSummary
    /// The upload as the state database recorded it, if a job did.
    public var record: MultipartUploadRecord?
    public var decision: Decision

    public init(upload: MultipartUploadSummary, record: MultipartUploadRecord?, decision: Decision) {
        self.upload = upload
        self.record = record
        self.decision = decision
    }

    public var aborts: Bool { decision == .abort }
}

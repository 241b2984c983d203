import GRDB

/// One run of a push, pull or resume: when it started and ended, how it ended and what it moved.
/// Written when the run starts and completed when it ends; a run killed outright (SIGKILL, power
/// loss) leaves its row without an end. A run belongs to a sync — a direction, a local directory
/// and a bucket prefix — and, once planning has made one, to a job.
public struct RunRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "run"

    /// How a run ended.
    public enum Outcome: String, Codable, Sendable, Hashable, DatabaseValueConvertible {
        case completed
        /// Files failed, or an error stopped the run.
        case failed
        /// Stopped by a signal after checkpointing.
        case interrupted
    }

    public var id: Int64?
    /// The job it ran; `nil` until planning made one (a run that failed before has none).
    public var jobID: Int64?
    /// `push`, `pull` or `resume`.
    public var command: String
    public var direction: JobRecord.Direction
    /// The local directory.
    public var source: String
    public var endpoint: String
    public var bucket: String
    public var prefix: String
    /// The process that ran it, to tell a run working now from one that was killed.
    public var pid: Int64
    public var host: String
    public var startedAt: Double
    public var endedAt: Double?
    public var outcome: Outcome?
    public var plannedFiles = 0
    public var plannedBytes: Int64 = 0
    /// Files (and their bytes) uploaded by a push, downloaded by a pull, in this run.
    public var transferredFiles = 0
    public var transferredBytes: Int64 = 0
    public var skippedFiles = 0
    public var deletedFiles = 0
    public var failedFiles = 0
    /// Files that kept changing while they were uploaded.
    public var changedFiles = 0
    /// What stopped the run, or its first failure.
    public var error: String?

    public init(
        command: String, direction: JobRecord.Direction, source: String, endpoint: String, location: S3Location,
        jobID: Int64? = nil, pid: Int64, host: String, startedAt: Double
    ) {
        self.command = command
        self.direction = direction
        self.source = source
        self.endpoint = endpoint
        self.bucket = location.bucket
        self.prefix = location.prefix
        self.jobID = jobID
        self.pid = pid
        self.host = host
        self.startedAt = startedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    public var destination: S3Location { S3Location(bucket: bucket, prefix: prefix) }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let jobID = Column(CodingKeys.jobID)
        public static let direction = Column(CodingKeys.direction)
        public static let source = Column(CodingKeys.source)
        public static let endpoint = Column(CodingKeys.endpoint)
        public static let bucket = Column(CodingKeys.bucket)
        public static let prefix = Column(CodingKeys.prefix)
    }
}

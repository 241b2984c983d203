import GRDB

/// A job: one push of a local directory to a bucket prefix, or one pull of a prefix into a
/// directory, with its options, state and counters. A job is planned once; `resume` continues it
/// without planning again.
public struct JobRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "job"

    public enum State: String, Codable, Sendable, Hashable, DatabaseValueConvertible {
        /// Listing and walking; the plan is incomplete until this ends (resume plans again).
        case planning
        /// Planned, uploads pending.
        case running
        case completed
        /// Ended with failed files; resumable.
        case failed
        /// Stopped by a signal or a crash after checkpointing; resumable.
        case interrupted
        /// A later push of the same source and destination took over.
        case superseded

        public var isFinished: Bool { self == .completed || self == .superseded }
    }

    /// Which way a job copies.
    public enum Direction: String, Codable, Sendable, Hashable, DatabaseValueConvertible {
        /// Local directory → bucket.
        case push
        /// Bucket → local directory.
        case pull
    }

    public var id: Int64?
    /// The local directory: what a push reads, what a pull writes.
    public var source: String
    public var endpoint: String
    public var bucket: String
    public var prefix: String
    /// The options as JSON.
    public var options: String
    public var state: State
    public var createdAt: Double
    public var updatedAt: Double
    public var finishedAt: Double?
    public var plannedUploads: Int = 0
    public var plannedBytes: Int64 = 0
    public var plannedDeletes: Int = 0
    public var skippedFiles: Int = 0
    public var uploadedFiles: Int = 0
    /// Files (and their bytes) transferred: uploaded by a push, downloaded by a pull.
    public var uploadedBytes: Int64 = 0
    public var deletedFiles: Int = 0
    public var failedFiles: Int = 0
    public var changedFiles: Int = 0
    public var warnings: Int = 0
    public var runs: Int = 0
    public var lastError: String?
    public var direction: Direction = .push

    public init(
        source: String, endpoint: String, bucket: String, prefix: String, options: String, state: State, now: Double,
        direction: Direction = .push
    ) {
        self.direction = direction
        self.source = source
        self.endpoint = endpoint
        self.bucket = bucket
        self.prefix = prefix
        self.options = options
        self.state = state
        self.createdAt = now
        self.updatedAt = now
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    public var destination: S3Location { S3Location(bucket: bucket, prefix: prefix) }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let source = Column(CodingKeys.source)
        public static let endpoint = Column(CodingKeys.endpoint)
        public static let bucket = Column(CodingKeys.bucket)
        public static let prefix = Column(CodingKeys.prefix)
        public static let state = Column(CodingKeys.state)
        public static let direction = Column(CodingKeys.direction)
    }
}

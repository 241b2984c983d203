import GRDB

/// One planned action of a job: upload a file or delete a key (push); download an object, make a
/// directory or remove a local file (pull).
public struct TaskRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "task"

    public enum Kind: String, Codable, Sendable, Hashable, DatabaseValueConvertible {
        case upload, delete
        /// Download an object to its path (pull).
        case download
        /// Make the directory a directory marker (`dir/`) stands for (pull).
        case directory
        /// Remove a local file that has no object (pull with `--delete`).
        case removeLocal = "remove-local"

        /// Whether the task moves a file's content (rather than deleting or making something).
        public var transfers: Bool { self == .upload || self == .download }
        /// Whether the task removes what the other side no longer has.
        public var deletes: Bool { self == .delete || self == .removeLocal }
    }

    public enum State: String, Codable, Sendable, Hashable, DatabaseValueConvertible {
        case pending
        case done
        case failed
        /// The file kept changing while it was uploaded.
        case changed
        /// The file disappeared before it could be uploaded.
        case vanished
    }

    public var id: Int64?
    public var jobID: Int64
    public var kind: Kind
    /// The path relative to the source (uploads).
    public var path: String
    public var key: String
    public var size: Int64
    public var mtimeNanoseconds: Int64
    public var inode: Int64
    /// Why the planner chose it: `new`, `size`, `mtime`, `inode`, `ctime`, `etag`, `content`,
    /// `remote-only`; `local` for a problem found while planning.
    public var reason: String
    public var state: State
    public var attempts: Int
    public var error: String?
    /// For a download: the ETag the plan saw, which every request for it must still match.
    public var eTag: String?
    /// The worker that holds (or last held) the task in a shared store's queue.
    public var claimedBy: String?
    /// Until when its claim holds (the store's clock, seconds since 1970).
    public var leaseUntil: Double?

    public init(
        jobID: Int64, kind: Kind, path: String, key: String, identity: FileIdentity?, reason: String,
        state: State = .pending
    ) {
        self.jobID = jobID
        self.kind = kind
        self.path = path
        self.key = key
        self.size = identity?.size ?? 0
        self.mtimeNanoseconds = identity?.mtimeNanoseconds ?? 0
        self.inode = Int64(bitPattern: identity?.inode ?? 0)
        self.reason = reason
        self.state = state
        self.attempts = 0
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let jobID = Column(CodingKeys.jobID)
        public static let kind = Column(CodingKeys.kind)
        public static let path = Column(CodingKeys.path)
        public static let key = Column(CodingKeys.key)
        public static let size = Column(CodingKeys.size)
        public static let mtimeNanoseconds = Column(CodingKeys.mtimeNanoseconds)
        public static let inode = Column(CodingKeys.inode)
        public static let reason = Column(CodingKeys.reason)
        public static let state = Column(CodingKeys.state)
        public static let attempts = Column(CodingKeys.attempts)
        public static let error = Column(CodingKeys.error)
        public static let eTag = Column(CodingKeys.eTag)
        public static let claimedBy = Column(CodingKeys.claimedBy)
        public static let leaseUntil = Column(CodingKeys.leaseUntil)

        /// The columns a new task is inserted with (all but `id`), in the order of
        /// ``TaskRecord/insertionArguments``.
        static let inserted = [
            jobID, kind, path, key, size, mtimeNanoseconds, inode, reason, state, attempts, error, eTag,
        ]
    }

    /// The values of ``Columns/inserted``.
    var insertionArguments: StatementArguments {
        [jobID, kind, path, key, size, mtimeNanoseconds, inode, reason, state, attempts, error, eTag]
    }
}

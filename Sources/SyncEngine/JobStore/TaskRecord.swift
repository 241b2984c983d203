import GRDB

/// One planned action of a job: upload a file or delete a key.
public struct TaskRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "task"

    public enum Kind: String, Codable, Sendable, Hashable {
        case upload, delete
    }

    public enum State: String, Codable, Sendable, Hashable {
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
    /// Why the planner chose it: `new`, `size`, `mtime`, `etag`, `content`, `remote-only`.
    public var reason: String
    public var state: State
    public var attempts: Int
    public var error: String?

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
}

import GRDB

/// A multipart upload s3sync started, with the identity of the file it was started for, so a later
/// run can continue it only if the file and the part size are the same.
public struct MultipartUploadRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "multipartUpload"

    public var id: Int64?
    public var jobID: Int64?
    public var endpoint: String
    public var bucket: String
    public var key: String
    public var uploadID: String
    public var path: String
    public var size: Int64
    public var mtimeNanoseconds: Int64
    /// The file's status-change time; `nil` in uploads recorded before s3sync kept it.
    public var ctimeNanoseconds: Int64?
    public var inode: Int64
    /// The file's device; `nil` in uploads recorded before s3sync kept it.
    public var device: Int64?
    public var partSize: Int64
    public var checksumAlgorithm: String
    public var createdAt: Double

    public init(
        jobID: Int64?, endpoint: String, bucket: String, key: String, uploadID: String, path: String,
        identity: FileIdentity, partSize: Int64, checksumAlgorithm: String, createdAt: Double
    ) {
        self.jobID = jobID
        self.endpoint = endpoint
        self.bucket = bucket
        self.key = key
        self.uploadID = uploadID
        self.path = path
        self.size = identity.size
        self.mtimeNanoseconds = identity.mtimeNanoseconds
        self.ctimeNanoseconds = identity.ctimeNanoseconds
        self.inode = Int64(bitPattern: identity.inode)
        self.device = Int64(bitPattern: identity.device)
        self.partSize = partSize
        self.checksumAlgorithm = checksumAlgorithm
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// Whether this upload was started for exactly this file content and part size: the same
    /// size, mtime, ctime and inode (the stat ``ChangeDetector/compare(_:with:)`` trusts), part
    /// size and checksum algorithm. An upload recorded before s3sync kept the ctime is matched
    /// without it, as it was when it was started.
    public func matches(_ identity: FileIdentity, partSize: Int64, checksumAlgorithm: String) -> Bool {
        size == identity.size && mtimeNanoseconds == identity.mtimeNanoseconds
            && (ctimeNanoseconds ?? identity.ctimeNanoseconds) == identity.ctimeNanoseconds
            && inode == Int64(bitPattern: identity.inode) && self.partSize == partSize
            && self.checksumAlgorithm == checksumAlgorithm
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let jobID = Column(CodingKeys.jobID)
        public static let endpoint = Column(CodingKeys.endpoint)
        public static let bucket = Column(CodingKeys.bucket)
        public static let key = Column(CodingKeys.key)
    }
}

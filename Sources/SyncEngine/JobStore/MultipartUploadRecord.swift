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
    public var inode: Int64
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
        self.inode = Int64(bitPattern: identity.inode)
        self.partSize = partSize
        self.checksumAlgorithm = checksumAlgorithm
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// Whether this upload was started for exactly this file content and part size.
    public func matches(_ identity: FileIdentity, partSize: Int64, checksumAlgorithm: String) -> Bool {
        size == identity.size && mtimeNanoseconds == identity.mtimeNanoseconds
            && inode == Int64(bitPattern: identity.inode) && self.partSize == partSize
            && self.checksumAlgorithm == checksumAlgorithm
    }
}

import GRDB

/// A download in progress: the object (key and the ETag it had), the temporary file its ranges
/// are written into (path under `root`, inode and device when it was created), and the range size.
/// A later run continues it only if the object and the file are both still these.
public struct PartialDownloadRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "partialDownload"

    public var id: Int64?
    public var jobID: Int64?
    public var endpoint: String
    public var bucket: String
    public var key: String
    public var eTag: String
    public var size: Int64
    public var partSize: Int64
    /// The directory the job pulls into.
    public var root: String
    /// The temporary file, relative to `root`.
    public var temporaryPath: String
    public var inode: Int64
    public var device: Int64
    public var createdAt: Double

    public init(
        jobID: Int64?, endpoint: String, bucket: String, key: String, eTag: String, size: Int64, partSize: Int64,
        root: String, temporaryPath: String, inode: UInt64, device: UInt64, createdAt: Double
    ) {
        self.jobID = jobID
        self.endpoint = endpoint
        self.bucket = bucket
        self.key = key
        self.eTag = eTag
        self.size = size
        self.partSize = partSize
        self.root = root
        self.temporaryPath = temporaryPath
        self.inode = Int64(bitPattern: inode)
        self.device = Int64(bitPattern: device)
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let jobID = Column(CodingKeys.jobID)
        public static let endpoint = Column(CodingKeys.endpoint)
        public static let bucket = Column(CodingKeys.bucket)
        public static let key = Column(CodingKeys.key)
        public static let root = Column(CodingKeys.root)
    }
}

/// A range of a partial download that is in its temporary file, with the MD5 of its bytes.
public struct DownloadedRangeRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "downloadedRange"

    public var downloadRowID: Int64
    /// 1-based, as parts are: the range starts at `(partNumber - 1) × partSize`.
    public var partNumber: Int
    public var length: Int64
    /// Hex MD5 of the range's bytes.
    public var md5: String

    public init(downloadRowID: Int64, partNumber: Int, length: Int64, md5: String) {
        self.downloadRowID = downloadRowID
        self.partNumber = partNumber
        self.length = length
        self.md5 = md5
    }

    public enum Columns {
        public static let downloadRowID = Column(CodingKeys.downloadRowID)
        public static let partNumber = Column(CodingKeys.partNumber)
    }
}

import GRDB

/// What s3sync copied between a key and a file under a local directory (uploaded by a push,
/// downloaded by a pull): the file's stat at that moment and the object's ETag, so a later run
/// decides "unchanged" without reading the file or asking the store.
public struct IndexRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "objectIndex"

    public var endpoint: String
    public var bucket: String
    public var key: String
    /// The local directory the file is under; empty in records from before s3sync kept it, which
    /// stand for any directory.
    public var root: String
    public var size: Int64
    public var mtimeNanoseconds: Int64
    /// The file's status-change time; `nil` in records written before s3sync kept it.
    public var ctimeNanoseconds: Int64?
    public var inode: Int64
    /// The file's device; `nil` in records written before s3sync kept it.
    public var device: Int64?
    public var eTag: String
    /// Hex MD5 of the content, when it was computed (`--checksum`).
    public var md5: String?
    /// The part size of a multipart upload, 0 for a single PUT.
    public var partSize: Int64
    /// Hex MD5 of each part's MD5 concatenated (the multipart ETag without `-N`), when computed.
    public var multipartMD5: String?
    public var uploadedAt: Double
    /// For a multipart upload: the server's clock when it completed it (the `Date` of the
    /// CompleteMultipartUpload answer), which dates the object in the store's own time.
    public var completedAt: Double?

    public init(
        endpoint: String, bucket: String, key: String, root: String = "", identity: FileIdentity, eTag: String,
        md5: String?, partSize: Int64, multipartMD5: String?, uploadedAt: Double, completedAt: Double? = nil
    ) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.key = key
        self.root = root
        self.size = identity.size
        self.mtimeNanoseconds = identity.mtimeNanoseconds
        self.ctimeNanoseconds = identity.ctimeNanoseconds
        self.inode = Int64(bitPattern: identity.inode)
        self.device = Int64(bitPattern: identity.device)
        self.eTag = eTag
        self.md5 = md5
        self.partSize = partSize
        self.multipartMD5 = multipartMD5
        self.uploadedAt = uploadedAt
        self.completedAt = completedAt
    }

    /// This record with the file's stat as it is now and the ETag the listing shows, for a file
    /// found unchanged, so the next run compares the full stat. The planner sets the directory.
    public func refreshed(stat identity: FileIdentity, eTag: String) -> IndexRecord {
        IndexRecord(
            endpoint: endpoint, bucket: bucket, key: key, root: root, identity: identity, eTag: eTag, md5: md5,
            partSize: partSize, multipartMD5: multipartMD5, uploadedAt: uploadedAt, completedAt: completedAt)
    }

    public enum Columns {
        public static let endpoint = Column(CodingKeys.endpoint)
        public static let bucket = Column(CodingKeys.bucket)
        public static let key = Column(CodingKeys.key)
        public static let root = Column(CodingKeys.root)
        public static let size = Column(CodingKeys.size)
        public static let mtimeNanoseconds = Column(CodingKeys.mtimeNanoseconds)
        public static let ctimeNanoseconds = Column(CodingKeys.ctimeNanoseconds)
        public static let inode = Column(CodingKeys.inode)
        public static let device = Column(CodingKeys.device)
        public static let eTag = Column(CodingKeys.eTag)
        public static let md5 = Column(CodingKeys.md5)
        public static let partSize = Column(CodingKeys.partSize)
        public static let multipartMD5 = Column(CodingKeys.multipartMD5)
        public static let uploadedAt = Column(CodingKeys.uploadedAt)
        public static let completedAt = Column(CodingKeys.completedAt)

        /// Every column, in the order ``IndexRecord/init(row:)`` reads them.
        static let all = [
            endpoint, bucket, key, root, size, mtimeNanoseconds, ctimeNanoseconds, inode, device, eTag, md5, partSize,
            multipartMD5, uploadedAt, completedAt,
        ]
    }

    public static var databaseSelection: [any SQLSelectable] { Columns.all }

    /// Reads a row of ``databaseSelection`` by position, which is faster than by name (the
    /// planner reads one row per key).
    public init(row: Row) throws {
        endpoint = row[0]
        bucket = row[1]
        key = row[2]
        root = row[3]
        size = row[4]
        mtimeNanoseconds = row[5]
        ctimeNanoseconds = row[6]
        inode = row[7]
        device = row[8]
        eTag = row[9]
        md5 = row[10]
        partSize = row[11]
        multipartMD5 = row[12]
        uploadedAt = row[13]
        completedAt = row[14]
    }
}

import GRDB

/// What s3sync uploaded to a key: the file's size and mtime at that moment and the ETag the store
/// gave back, so a later run decides "unchanged" without reading the file or asking the store.
public struct IndexRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "objectIndex"

    public var endpoint: String
    public var bucket: String
    public var key: String
    public var size: Int64
    public var mtimeNanoseconds: Int64
    public var inode: Int64
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
        endpoint: String, bucket: String, key: String, identity: FileIdentity, eTag: String, md5: String?,
        partSize: Int64, multipartMD5: String?, uploadedAt: Double, completedAt: Double? = nil
    ) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.key = key
        self.size = identity.size
        self.mtimeNanoseconds = identity.mtimeNanoseconds
        self.inode = Int64(bitPattern: identity.inode)
        self.eTag = eTag
        self.md5 = md5
        self.partSize = partSize
        self.multipartMD5 = multipartMD5
        self.uploadedAt = uploadedAt
        self.completedAt = completedAt
    }

    /// The columns in the order ``init(row:)`` reads them.
    static let columnList =
        "endpoint, bucket, key, size, mtimeNanoseconds, inode, eTag, md5, partSize, multipartMD5, uploadedAt, completedAt"

    /// Reads a row selected with ``columnList`` by position (the planner reads one per key).
    public init(row: Row) throws {
        endpoint = row[0]
        bucket = row[1]
        key = row[2]
        size = row[3]
        mtimeNanoseconds = row[4]
        inode = row[5]
        eTag = row[6]
        md5 = row[7]
        partSize = row[8]
        multipartMD5 = row[9]
        uploadedAt = row[10]
        completedAt = row[11]
    }
}

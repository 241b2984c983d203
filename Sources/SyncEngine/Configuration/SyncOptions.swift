import S3Client

/// How a push decides and uploads: the options a job is planned and resumed with.
public struct SyncOptions: Sendable, Hashable, Codable {
    /// How a file and an object are compared.
    public enum CompareMode: String, Sendable, Hashable, Codable {
        /// Size, then the index's recorded mtime and ETag, else mtime newer than LastModified.
        case sizeAndTime
        /// Size only.
        case sizeOnly
        /// Content: MD5 or the multipart ETag, from the index when the file's stat is unchanged.
        case checksum
    }

    public var compare: CompareMode = .sizeAndTime
    public var delete = false
    public var maxDelete: Int?
    public var dryRun = false
    public var filters: [FilterRule] = []
    public var followSymlinks = true
    /// Requests in flight at once, files and parts together.
    public var concurrency = 32
    public var partSize: Int64 = 8 << 20
    public var multipartThreshold: Int64 = 8 << 20
    /// Bytes per second sent, `nil` for unlimited.
    public var bandwidthLimit: Int64?
    public var checksumAlgorithm: ChecksumAlgorithm = .crc32c
    /// How many times a file that changes while uploading is tried in one run.
    public var changedFileAttempts = 3

    public init() {}
}

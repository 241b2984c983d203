/// What HeadObject tells about an object.
public struct ObjectMetadata: Sendable, Hashable {
    public var size: Int64
    /// The ETag without quotes.
    public var eTag: String
    public var lastModified: Double?
    public var contentType: String?
    /// User metadata (`x-amz-meta-*`), names lowercased without the prefix.
    public var userMetadata: [String: String]
    public var versionID: String?

    public init(
        size: Int64, eTag: String, lastModified: Double?, contentType: String?, userMetadata: [String: String],
        versionID: String?
    ) {
        self.size = size
        self.eTag = eTag
        self.lastModified = lastModified
        self.contentType = contentType
        self.userMetadata = userMetadata
        self.versionID = versionID
    }
}

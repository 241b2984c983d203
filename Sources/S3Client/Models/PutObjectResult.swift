/// What a successful PutObject or CompleteMultipartUpload returns.
public struct PutObjectResult: Sendable, Hashable {
    /// The ETag without quotes.
    public var eTag: String
    public var versionID: String?

    public init(eTag: String, versionID: String?) {
        self.eTag = eTag
        self.versionID = versionID
    }
}

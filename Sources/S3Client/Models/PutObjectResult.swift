/// What a successful PutObject or CompleteMultipartUpload returns.
public struct PutObjectResult: Sendable, Hashable {
    /// The ETag without quotes.
    public var eTag: String
    public var versionID: String?
    /// The server's clock when it answered (its `Date` header), seconds since 1970.
    public var serverDate: Double?

    public init(eTag: String, versionID: String?, serverDate: Double? = nil) {
        self.eTag = eTag
        self.versionID = versionID
        self.serverDate = serverDate
    }
}

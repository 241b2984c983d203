/// A part of a multipart upload: what UploadPart returned, or what ListParts shows.
public struct UploadedPart: Sendable, Hashable, Codable {
    public var partNumber: Int
    /// The ETag without quotes.
    public var eTag: String
    public var size: Int64
    /// The part's flexible checksum, when one was sent (echoed in CompleteMultipartUpload).
    public var checksum: Checksum?

    public init(partNumber: Int, eTag: String, size: Int64, checksum: Checksum? = nil) {
        self.partNumber = partNumber
        self.eTag = eTag
        self.size = size
        self.checksum = checksum
    }
}

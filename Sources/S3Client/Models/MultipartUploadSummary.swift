/// An upload that was started and neither completed nor aborted (ListMultipartUploads).
public struct MultipartUploadSummary: Sendable, Hashable {
    public var key: String
    public var uploadID: String
    /// When it was started, seconds since 1970.
    public var initiated: Double?

    public init(key: String, uploadID: String, initiated: Double?) {
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
    }
}

/// An object as a listing shows it.
public struct ObjectSummary: Sendable, Hashable {
    public var key: String
    public var size: Int64
    /// The ETag without quotes.
    public var eTag: String
    /// `LastModified` in seconds since 1970.
    public var lastModified: Double
    public var storageClass: String?

    public init(key: String, size: Int64, eTag: String, lastModified: Double, storageClass: String? = nil) {
        self.key = key
        self.size = size
        self.eTag = eTag
        self.lastModified = lastModified
        self.storageClass = storageClass
    }
}

extension String {
    /// The ETag without its surrounding quotes.
    var unquotedETag: String {
        var text = Substring(self)
        if text.hasPrefix("\"") { text = text.dropFirst() }
        if text.hasSuffix("\"") { text = text.dropLast() }
        if text.hasPrefix("&quot;") { text = text.dropFirst(6) }
        if text.hasSuffix("&quot;") { text = text.dropLast(6) }
        return String(text)
    }
}

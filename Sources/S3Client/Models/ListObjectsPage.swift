/// One page of a ListObjectsV2 listing, keys decoded.
public struct ListObjectsPage: Sendable {
    public var objects: [ObjectSummary]
    /// With a delimiter: the "directories" of this level, each ending in the delimiter.
    public var commonPrefixes: [String]
    public var isTruncated: Bool
    public var nextContinuationToken: String?

    public init(objects: [ObjectSummary], commonPrefixes: [String], isTruncated: Bool, nextContinuationToken: String?) {
        self.objects = objects
        self.commonPrefixes = commonPrefixes
        self.isTruncated = isTruncated
        self.nextContinuationToken = nextContinuationToken
    }

    /// Parses a `ListBucketResult` document. Keys are URL-decoded when the response says
    /// `EncodingType` is `url`.
    public static func parse(_ root: XMLElement) throws(S3ClientError) -> ListObjectsPage {
        guard root.name == "ListBucketResult" else {
            throw S3ClientError(
                .invalidResponse, "expected ListBucketResult, got <\(root.name)>", operation: "ListObjectsV2")
        }
        let urlEncoded = root.string("EncodingType")?.lowercased() == "url"
        func decode(_ text: String) throws(S3ClientError) -> String {
            guard urlEncoded else { return text }
            guard let decoded = S3PercentEncoding.decode(text, plusAsSpace: true) else {
                throw S3ClientError(.invalidResponse, "cannot URL-decode key '\(text)'", operation: "ListObjectsV2")
            }
            return decoded
        }
        var objects: [ObjectSummary] = []
        var prefixes: [String] = []
        var isTruncated = false
        var token: String?
        objects.reserveCapacity(root.children.count)
        for child in root.children {
            switch child.name {
            case "Contents":
                var key: String?
                var size: Int64 = 0
                var eTag = ""
                var lastModified = 0.0
                var storageClass: String?
                for field in child.children {
                    switch field.name {
                    case "Key": key = try decode(field.text)
                    case "Size": size = Int64(field.text) ?? 0
                    case "ETag": eTag = field.text.unquotedETag
                    case "LastModified": lastModified = Timestamp.parse(field.text) ?? 0
                    case "StorageClass": storageClass = field.text
                    default: break
                    }
                }
                guard let key else {
                    throw S3ClientError(.invalidResponse, "a listed object has no Key", operation: "ListObjectsV2")
                }
                objects.append(
                    ObjectSummary(
                        key: key, size: size, eTag: eTag, lastModified: lastModified, storageClass: storageClass))
            case "CommonPrefixes":
                if let prefix = child.string("Prefix") { prefixes.append(try decode(prefix)) }
            case "IsTruncated":
                isTruncated = child.text == "true"
            case "NextContinuationToken":
                token = child.text
            default:
                break
            }
        }
        return ListObjectsPage(
            objects: objects, commonPrefixes: prefixes, isTruncated: isTruncated, nextContinuationToken: token)
    }
}

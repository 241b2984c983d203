/// What an object is stored with besides its bytes and user metadata: the headers PutObject and
/// CreateMultipartUpload carry.
public struct ObjectAttributes: Sendable, Hashable, Codable {
    public var contentType: String?
    public var cacheControl: String?
    public var contentEncoding: String?
    /// User metadata (`x-amz-meta-NAME`).
    public var metadata: [String: String] = [:]
    /// `STANDARD`, `STANDARD_IA`, `GLACIER_IR`, … (`x-amz-storage-class`).
    public var storageClass: String?
    /// `AES256`, `aws:kms` or `aws:kms:dsse` (`x-amz-server-side-encryption`).
    public var serverSideEncryption: String?
    /// The KMS key for `aws:kms` (`x-amz-server-side-encryption-aws-kms-key-id`).
    public var kmsKeyID: String?
    /// A canned ACL: `private`, `public-read`, `bucket-owner-full-control`, … (`x-amz-acl`).
    public var acl: String?

    public init() {}

    /// The request headers, names lowercase, in a stable order.
    var headers: [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        if let contentType { headers.append(("content-type", contentType)) }
        if let cacheControl { headers.append(("cache-control", cacheControl)) }
        if let contentEncoding { headers.append(("content-encoding", contentEncoding)) }
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
            headers.append(("x-amz-meta-\(name.lowercased())", value))
        }
        if let storageClass { headers.append(("x-amz-storage-class", storageClass)) }
        if let serverSideEncryption { headers.append(("x-amz-server-side-encryption", serverSideEncryption)) }
        if let kmsKeyID { headers.append(("x-amz-server-side-encryption-aws-kms-key-id", kmsKeyID)) }
        if let acl { headers.append(("x-amz-acl", acl)) }
        return headers
    }
}

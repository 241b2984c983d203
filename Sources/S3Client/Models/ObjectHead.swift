import NIOHTTP1

/// What the answer to a GetObject says about the object, before its body.
public struct ObjectHead: Sendable, Hashable {
    /// The whole object's size (from `Content-Range` for a ranged answer).
    public var objectSize: Int64
    /// Where the body starts in the object, and how many bytes it has.
    public var bodyOffset: Int64
    public var bodyLength: Int64
    /// The ETag without quotes.
    public var eTag: String
    public var lastModified: Double?
    /// User metadata (`x-amz-meta-*`), names lowercased without the prefix.
    public var userMetadata: [String: String]
    /// The whole object's checksum (`x-amz-checksum-*`, asked for with `x-amz-checksum-mode`),
    /// when the store sent one that covers the body: a composite checksum of a multipart object
    /// (`…-N`) does not, nor does any checksum of a ranged answer.
    public var checksum: Checksum?

    public init(
        objectSize: Int64, bodyOffset: Int64, bodyLength: Int64, eTag: String, lastModified: Double?,
        userMetadata: [String: String], checksum: Checksum?
    ) {
        self.objectSize = objectSize
        self.bodyOffset = bodyOffset
        self.bodyLength = bodyLength
        self.eTag = eTag
        self.lastModified = lastModified
        self.userMetadata = userMetadata
        self.checksum = checksum
    }

    /// Reads the head of a 200 or 206 answer; `nil` when it does not say what it holds. The
    /// range comes from `Content-Range` whatever the status (rclone answers a ranged GET with 200
    /// and the range).
    init?(status: Int, headers: HTTPHeaders) {
        guard let length = headers.first(name: "content-length").flatMap({ Int64($0) }) else { return nil }
        var offset: Int64 = 0
        var total = length
        if status == 206 || headers.contains(name: "content-range") {
            // Content-Range: bytes FIRST-LAST/TOTAL
            guard let range = headers.first(name: "content-range"), range.hasPrefix("bytes ") else { return nil }
            let parts = range.dropFirst(6).split(separator: "/")
            let bounds = parts.first?.split(separator: "-") ?? []
            guard parts.count == 2, bounds.count == 2, let first = Int64(bounds[0]), let last = Int64(bounds[1]),
                let size = Int64(parts[1]), last - first + 1 == length
            else { return nil }
            offset = first
            total = size
        }
        var metadata: [String: String] = [:]
        var checksum: Checksum?
        for header in headers {
            let name = header.name.lowercased()
            if name.hasPrefix("x-amz-meta-") {
                metadata[String(name.dropFirst("x-amz-meta-".count))] = header.value
            } else if offset == 0, length == total, name.hasPrefix("x-amz-checksum-"), !header.value.contains("-"),
                let algorithm = ChecksumAlgorithm(rawValue: String(name.dropFirst("x-amz-checksum-".count))),
                let digest = Base64.decode(header.value)
            {
                checksum = Checksum(algorithm: algorithm, digest: digest)
            }
        }
        self.init(
            objectSize: total, bodyOffset: offset, bodyLength: length,
            eTag: headers.first(name: "etag")?.unquotedETag ?? "",
            lastModified: headers.first(name: "last-modified").flatMap(Timestamp.parse), userMetadata: metadata,
            checksum: checksum)
    }
}

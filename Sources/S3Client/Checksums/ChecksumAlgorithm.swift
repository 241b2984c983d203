/// The integrity checksum sent with every upload, so the store rejects bytes that were altered on
/// the way.
public enum ChecksumAlgorithm: String, Sendable, CaseIterable, Codable {
    /// `x-amz-checksum-crc32c`.
    case crc32c
    /// `x-amz-checksum-crc32`.
    case crc32
    /// `x-amz-checksum-sha256`; the same digest also signs the payload.
    case sha256
    /// `Content-MD5`, understood by nearly every S3-compatible store.
    case md5
    /// No checksum: integrity rests on TCP/TLS only.
    case none

    /// The request header carrying the checksum.
    public var headerName: String? {
        switch self {
        case .crc32c: return "x-amz-checksum-crc32c"
        case .crc32: return "x-amz-checksum-crc32"
        case .sha256: return "x-amz-checksum-sha256"
        case .md5: return "Content-MD5"
        case .none: return nil
        }
    }

    /// The name in `x-amz-checksum-algorithm` / `x-amz-sdk-checksum-algorithm`, for the flexible
    /// checksums (not MD5).
    public var flexibleName: String? {
        switch self {
        case .crc32c: return "CRC32C"
        case .crc32: return "CRC32"
        case .sha256: return "SHA256"
        case .md5, .none: return nil
        }
    }

    /// The element name in CompleteMultipartUpload and ListParts (`ChecksumCRC32C`).
    var partElementName: String? {
        flexibleName.map { "Checksum\($0)" }
    }
}

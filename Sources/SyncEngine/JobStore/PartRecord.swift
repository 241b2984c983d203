import Foundation
import GRDB
import S3Client

/// A finished part of a multipart upload.
public struct PartRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "uploadPart"

    public var uploadRowID: Int64
    public var partNumber: Int
    public var size: Int64
    public var eTag: String
    /// The flexible checksum sent with the part: algorithm name and base64 digest.
    public var checksumAlgorithm: String?
    public var checksum: String?

    public init(
        uploadRowID: Int64, partNumber: Int, size: Int64, eTag: String, checksumAlgorithm: String?, checksum: String?
    ) {
        self.uploadRowID = uploadRowID
        self.partNumber = partNumber
        self.size = size
        self.eTag = eTag
        self.checksumAlgorithm = checksumAlgorithm
        self.checksum = checksum
    }

    public enum Columns {
        public static let uploadRowID = Column(CodingKeys.uploadRowID)
        public static let partNumber = Column(CodingKeys.partNumber)
    }
}

extension PartRecord {
    /// The part as CompleteMultipartUpload lists it.
    var uploadedPart: UploadedPart {
        var checksum: Checksum?
        if let name = checksumAlgorithm, let algorithm = ChecksumAlgorithm(rawValue: name), let value = self.checksum,
            let digest = Data(base64Encoded: value)
        {
            checksum = Checksum(algorithm: algorithm, digest: Array(digest))
        }
        return UploadedPart(partNumber: partNumber, eTag: eTag, size: size, checksum: checksum)
    }
}

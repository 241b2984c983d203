import Foundation

/// A computed checksum: the algorithm and its digest bytes (big-endian for CRCs).
public struct Checksum: Sendable, Hashable, Codable {
    public let algorithm: ChecksumAlgorithm
    public let digest: [UInt8]

    public init(algorithm: ChecksumAlgorithm, digest: [UInt8]) {
        self.algorithm = algorithm
        self.digest = digest
    }

    /// Base64 of the digest: the header value.
    public var base64: String { Data(digest).base64EncodedString() }
    /// Lowercase hex of the digest.
    public var hex: String { Hex.encode(digest) }

    /// Computes the checksum of a buffer in one call.
    public static func compute(_ algorithm: ChecksumAlgorithm, of bytes: some Sequence<UInt8>) -> Checksum? {
        var hasher = ChecksumHasher(algorithm)
        Array(bytes).withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }
}

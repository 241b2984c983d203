import Crypto

/// Incremental computation of a ``Checksum`` over bytes fed in chunks.
public struct ChecksumHasher: Sendable {
    private enum State: Sendable {
        case crc(CRC32, ChecksumAlgorithm)
        case sha256(SHA256)
        case md5(Insecure.MD5)
        case none
    }

    private var state: State
    public let algorithm: ChecksumAlgorithm

    public init(_ algorithm: ChecksumAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .crc32c: state = .crc(CRC32(.castagnoli), algorithm)
        case .crc32: state = .crc(CRC32(.ieee), algorithm)
        case .sha256: state = .sha256(SHA256())
        case .md5: state = .md5(Insecure.MD5())
        case .none: state = .none
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .crc(var crc, let algorithm):
            state = .none
            crc.update(bytes)
            state = .crc(crc, algorithm)
        case .sha256(var hasher):
            state = .none
            hasher.update(bufferPointer: bytes)
            state = .sha256(hasher)
        case .md5(var hasher):
            state = .none
            hasher.update(bufferPointer: bytes)
            state = .md5(hasher)
        case .none:
            break
        }
    }

    /// The checksum, or `nil` for ``ChecksumAlgorithm/none``.
    public func finalize() -> Checksum? {
        switch state {
        case .crc(let crc, let algorithm):
            let value = crc.value
            return Checksum(
                algorithm: algorithm,
                digest: [
                    UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF),
                ])
        case .sha256(let hasher):
            return Checksum(algorithm: .sha256, digest: Array(hasher.finalize()))
        case .md5(let hasher):
            return Checksum(algorithm: .md5, digest: Array(hasher.finalize()))
        case .none:
            return nil
        }
    }
}

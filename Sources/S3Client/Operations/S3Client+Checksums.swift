import NIOCore
import NIOPosix

extension S3Client {
    /// Computes a checksum of a body with the configured algorithm (or `algorithm`). A file slice
    /// is read on NIO's blocking-I/O pool.
    /// - Throws: ``S3ClientError`` (localFile) when the file cannot be read or is shorter than the slice.
    public func checksum(of body: S3RequestBody, algorithm: ChecksumAlgorithm? = nil) async throws -> Checksum? {
        let algorithm = algorithm ?? configuration.checksumAlgorithm
        guard algorithm != .none else { return nil }
        switch body {
        case .empty:
            return Checksum.compute(algorithm, of: [])
        case .bytes(let buffer):
            var hasher = ChecksumHasher(algorithm)
            buffer.withUnsafeReadableBytes { hasher.update($0) }
            return hasher.finalize()
        case .file(let slice):
            return try await NIOThreadPool.singleton.runIfActive {
                try Self.checksum(of: slice, algorithm: algorithm)
            }
        }
    }

    /// Reads a file slice and checksums it on the calling thread.
    static func checksum(of slice: FileSlice, algorithm: ChecksumAlgorithm) throws -> Checksum? {
        let file = try OpenFile(path: slice.path)
        var hasher = ChecksumHasher(algorithm)
        let read = try file.forEachChunk(in: slice.offset..<(slice.offset + slice.length), chunkSize: 256 << 10) {
            hasher.update($0)
        }
        guard read == slice.length else {
            throw S3ClientError(.localFile, "\(slice.path) is shorter than expected: it changed since it was listed")
        }
        return hasher.finalize()
    }

    /// The headers that carry a checksum, and the matching `x-amz-content-sha256`.
    static func integrityHeaders(_ checksum: Checksum?) -> (
        headers: [(name: String, value: String)], payloadHash: String
    ) {
        guard let checksum, let header = checksum.algorithm.headerName else {
            return ([], SignableRequest.unsignedPayload)
        }
        var headers: [(name: String, value: String)] = [(header, checksum.base64)]
        if let name = checksum.algorithm.flexibleName {
            headers.append(("x-amz-sdk-checksum-algorithm", name))
        }
        let payloadHash = checksum.algorithm == .sha256 ? checksum.hex : SignableRequest.unsignedPayload
        return (headers, payloadHash)
    }
}

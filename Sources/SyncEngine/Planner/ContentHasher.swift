import Crypto
import NIOPosix
import S3Client

/// Checks whether a file's content matches an object's ETag, reading the file once: the whole
/// file's MD5 for a plain ETag, or `md5(part md5s)-N` for each part size that gives N parts
/// (the recorded one, the configured one and the sizes common tools use).
public enum ContentHasher {
    static let commonPartSizes: [Int64] = [5, 8, 15, 16, 32, 50, 64, 100, 128, 256, 512].map { Int64($0) << 20 }

    /// - Returns: whether the content matches, or `nil` when the file could not be read.
    public static func matches(path: String, size: Int64, eTag: String, preferredPartSizes: [Int64]) async -> Bool? {
        let tag = eTag.lowercased()
        guard let dash = tag.firstIndex(of: "-") else {
            return await digest(path: path, size: size, partSizes: []).map { $0.md5 == tag }
        }
        guard let count = Int(tag[tag.index(after: dash)...]), count > 0 else { return false }
        let expected = String(tag[..<dash])
        var candidates: [Int64] = []
        for partSize in preferredPartSizes + commonPartSizes where partSize > 0 && !candidates.contains(partSize) {
            if Int((size + partSize - 1) / partSize) == count || (size == 0 && count == 1) {
                candidates.append(partSize)
            }
        }
        guard !candidates.isEmpty else { return false }
        guard let digests = await digest(path: path, size: size, partSizes: candidates) else { return nil }
        // Some stores (rclone serve s3) give multipart objects the whole file's MD5 instead.
        return digests.multipart.contains { $0.value == expected }
    }

    struct Digests {
        var md5: String
        var multipart: [Int64: String]
    }

    /// Reads the file once on the blocking-I/O pool, computing its MD5 and, for each part size,
    /// the MD5 of its parts' binary MD5s.
    static func digest(path: String, size: Int64, partSizes: [Int64]) async -> Digests? {
        try? await NIOThreadPool.singleton.runIfActive {
            var whole = Insecure.MD5()
            var parts = partSizes.map { _ in (current: Insecure.MD5(), filled: Int64(0), digests: [UInt8]()) }
            let read = try OpenFile(path: path).forEachChunk(in: 0..<size, chunkSize: 1 << 20) { chunk in
                if partSizes.isEmpty { whole.update(bufferPointer: chunk) }
                for (index, partSize) in partSizes.enumerated() {
                    var bytes = chunk
                    while !bytes.isEmpty {
                        let take = min(Int(partSize - parts[index].filled), bytes.count)
                        parts[index].current.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[0..<take]))
                        parts[index].filled += Int64(take)
                        bytes = UnsafeRawBufferPointer(rebasing: bytes[take...])
                        if parts[index].filled == partSize {
                            parts[index].digests += Array(parts[index].current.finalize())
                            parts[index].current = Insecure.MD5()
                            parts[index].filled = 0
                        }
                    }
                }
            }
            // Shorter than planned: the file is changing.
            guard read == size else { return nil }
            var multipart: [Int64: String] = [:]
            for (index, partSize) in partSizes.enumerated() {
                var digests = parts[index].digests
                if parts[index].filled > 0 || digests.isEmpty { digests += Array(parts[index].current.finalize()) }
                multipart[partSize] = Hex.encode(Insecure.MD5.hash(data: digests))
            }
            return Digests(md5: Hex.encode(whole.finalize()), multipart: multipart)
        } ?? nil
    }
}

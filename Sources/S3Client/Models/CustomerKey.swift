import Foundation

/// A key for server-side encryption with a customer-provided key (SSE-C): the store encrypts with
/// it and keeps only its MD5, so it must be sent with every request that writes or reads the
/// object's bytes (PutObject, each part of a multipart upload, GetObject, HeadObject). Its
/// description shows the MD5, never the key.
public struct CustomerKey: Sendable, Hashable, CustomStringConvertible {
    private let key: [UInt8]

    /// - Throws: ``S3ClientError`` (configuration) unless the key is 32 bytes (AES-256).
    public init(bytes: [UInt8]) throws(S3ClientError) {
        guard bytes.count == 32 else {
            throw S3ClientError(.configuration, "an SSE-C key is 32 bytes (AES-256), not \(bytes.count)")
        }
        key = bytes
    }

    /// Reads a key file: 32 raw bytes, or the key as base64 or hex text (64 hex digits).
    /// - Throws: ``S3ClientError`` (configuration) naming the file, never the key.
    public init(contentsOf path: String) throws(S3ClientError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw S3ClientError(.configuration, "cannot read the SSE-C key file \(path)")
        }
        let bytes = Array(data)
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if bytes.count == 32 {
            key = bytes
        } else if text.utf8.count == 64, let decoded = Hex.decode(text) {
            key = decoded
        } else if let decoded = Base64.decode(text), decoded.count == 32 {
            key = decoded
        } else {
            throw S3ClientError(
                .configuration,
                "the SSE-C key file \(path) holds no 32-byte key (raw, 64 hex digits or base64)")
        }
    }

    /// The MD5 of the key, base64: what the store keeps and compares.
    public var md5: String { Checksum.compute(.md5, of: key)?.base64 ?? "" }

    /// The headers that carry it.
    var headers: [(name: String, value: String)] {
        [
            ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
            ("x-amz-server-side-encryption-customer-key", Data(key).base64EncodedString()),
            ("x-amz-server-side-encryption-customer-key-md5", md5),
        ]
    }

    public var description: String { "SSE-C key (MD5 \(md5))" }
}

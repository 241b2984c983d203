import Foundation

/// Looks at a bucket with boto3, independently of s3sync's own client.
public struct BucketInspector: Sendable {
    public struct Object: Sendable, Hashable, Decodable {
        public let key: String
        public let size: Int64
        public let etag: String
        public let md5: String?
        public let metadata: [String: String]?
        /// LastModified, in seconds since 1970.
        public let lastModified: Double?

        enum CodingKeys: String, CodingKey {
            case key, size, etag, md5, metadata
            case lastModified = "last_modified"
        }
    }

    public struct Upload: Sendable, Hashable, Decodable {
        public let key: String
        public let uploadId: String
        /// When the store says it was started, seconds since 1970.
        public let initiated: Double?
    }

    public let server: S3TestServer

    public init(_ server: S3TestServer) { self.server = server }

    /// Every object under the prefix, with the MD5 of its content when `contents` is set.
    public func objects(bucket: String, prefix: String = "", contents: Bool = false, metadata: Bool = false)
        async throws
        -> [Object]
    {
        var arguments = ["list", bucket, prefix]
        if contents { arguments.append("--md5") }
        if metadata { arguments.append("--metadata") }
        return try JSONDecoder().decode([Object].self, from: await run(arguments))
    }

    /// What HeadObject (and GetObjectAcl) say an object is stored with.
    public struct Head: Sendable, Hashable, Decodable {
        public let contentType: String?
        public let cacheControl: String?
        public let contentEncoding: String?
        public let metadata: [String: String]
        public let storageClass: String?
        public let serverSideEncryption: String?
        public let kmsKeyID: String?
        /// `GRANTEE:PERMISSION`, the grantee as its URI (groups) or canonical id.
        public let grants: [String]
    }

    public func head(bucket: String, key: String) async throws -> Head {
        try JSONDecoder().decode(Head.self, from: await run(["head", bucket, key]))
    }

    /// Multipart uploads still open under the prefix.
    public func openUploads(bucket: String, prefix: String = "") async throws -> [Upload] {
        try JSONDecoder().decode([Upload].self, from: await run(["uploads", bucket, prefix]))
    }

    /// Starts a multipart upload with boto3, with one part of `partBytes` bytes unless 0 (an
    /// upload some other program left behind); returns its upload id.
    public func createUpload(bucket: String, key: String, partBytes: Int = 0) async throws -> String {
        let output = try await run(["create-upload", bucket, key, "--part-bytes", String(partBytes)])
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The raw bytes of one object.
    public func contents(bucket: String, key: String) async throws -> Data {
        try await run(["get", bucket, key])
    }

    /// Puts an object with boto3 (to set up remote state s3sync did not make).
    public func put(bucket: String, key: String, body: String) async throws {
        _ = try await run(["put", bucket, key, body])
    }

    /// Puts the bytes of a local file with boto3, in one PutObject or, with `partSize`, as a
    /// multipart upload of parts of that size (the object's ETag then ends in `-N`).
    public func putFile(bucket: String, key: String, path: String, partSize: Int? = nil) async throws {
        _ = try await run(["put-file", bucket, key, path] + (partSize.map { ["--part-size", String($0)] } ?? []))
    }

    func run(_ arguments: [String]) async throws -> Data {
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in server.environment { environment[key] = value }
        let result = try await Shell.run(
            try TestEnvironment.tool("python"),
            [TestEnvironment.packageRoot + "/Tests/Scripts/s3check.py", "--endpoint", server.endpointURL] + arguments,
            environment: environment)
        guard result.status == 0 else {
            throw TestSupportError("s3check \(arguments) failed (\(result.status)): \(result.errorOutput)")
        }
        if arguments.first == "get" {
            guard let data = Data(base64Encoded: result.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw TestSupportError("s3check get: not base64")
            }
            return data
        }
        return Data(result.output.utf8)
    }
}

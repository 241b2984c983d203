import NIOCore

extension S3Client {
    /// Uploads an object in one request.
    /// - Parameters:
    ///   - checksum: the body's checksum if already computed; otherwise the configured algorithm
    ///     is computed here (reading a file body once more).
    ///   - metadata: user metadata, sent as `x-amz-meta-NAME` (besides `attributes.metadata`).
    ///   - attributes: content type, cache control, storage class, encryption, ACL.
    /// - Throws: ``S3ServiceError`` (`BadDigest` when the bytes changed in flight), ``S3ClientError``.
    public func putObject(
        bucket: String, key: String, body: S3RequestBody, checksum: Checksum? = nil,
        metadata: [String: String] = [:], contentType: String? = nil, attributes: ObjectAttributes = ObjectAttributes()
    ) async throws -> PutObjectResult {
        let checksum = try await resolvedChecksum(checksum, body: body)
        let (integrity, payloadHash) = Self.integrityHeaders(checksum)
        let headers =
            integrity + Self.attributeHeaders(attributes, metadata: metadata, contentType: contentType)
            + customerKeyHeaders
        let response = try await perform(
            S3Request(
                operation: "PutObject", method: .PUT, bucket: bucket, key: key, headers: headers, body: body,
                payloadHash: payloadHash))
        return PutObjectResult(
            eTag: response.header("etag")?.unquotedETag ?? "", versionID: response.header("x-amz-version-id"))
    }

    /// HeadObject: the object's size, ETag and metadata, or `nil` when there is no such key.
    /// - Parameter partNumber: ask about one part of a multipart object: the size is then that
    ///   part's (a store that does not know parts answers with the whole object's).
    public func headObject(bucket: String, key: String, partNumber: Int? = nil) async throws -> ObjectMetadata? {
        do {
            let response = try await perform(
                S3Request(
                    operation: "HeadObject", method: .HEAD, bucket: bucket, key: key,
                    query: partNumber.map { [("partNumber", String($0))] } ?? [], headers: customerKeyHeaders))
            var metadata: [String: String] = [:]
            for header in response.headers where header.name.lowercased().hasPrefix("x-amz-meta-") {
                metadata[String(header.name.lowercased().dropFirst("x-amz-meta-".count))] = header.value
            }
            return ObjectMetadata(
                size: Int64(response.header("content-length") ?? "") ?? 0,
                eTag: response.header("etag")?.unquotedETag ?? "",
                lastModified: response.header("last-modified").flatMap(Timestamp.parse),
                contentType: response.header("content-type"),
                userMetadata: metadata,
                versionID: response.header("x-amz-version-id"))
        } catch let error as S3ServiceError where error.statusCode == 404 && error.code != "NoSuchBucket" {
            return nil
        }
    }

    /// Downloads a whole object into memory (for small objects: tests and checks).
    public func getObject(bucket: String, key: String, maxBytes: Int = 64 << 20) async throws -> ByteBuffer {
        var request = S3Request(operation: "GetObject", method: .GET, bucket: bucket, key: key)
        request.maxResponseBytes = maxBytes
        return try await perform(request).body
    }

    /// Deletes one key (also keys that XML cannot carry).
    public func deleteObject(bucket: String, key: String) async throws {
        _ = try await perform(S3Request(operation: "DeleteObject", method: .DELETE, bucket: bucket, key: key))
    }

    /// Deletes keys in batches of at most 1000 per DeleteObjects request (quiet mode: only failures
    /// come back). Keys with characters XML 1.0 cannot carry are deleted one by one.
    /// - Returns: the deleted keys and the per-key failures; throws only when a whole request failed.
    public func deleteObjects(bucket: String, keys: [String]) async throws -> DeleteObjectsResult {
        var result = DeleteObjectsResult()
        var xmlSafe: [String] = []
        for key in keys {
            if XMLWriter.canRepresent(key) {
                xmlSafe.append(key)
            } else {
                do {
                    try await deleteObject(bucket: bucket, key: key)
                    result.deleted.append(key)
                } catch let error as S3ServiceError {
                    result.failures.append(.init(key: key, code: error.code, message: error.message))
                }
            }
        }
        var start = 0
        while start < xmlSafe.count {
            let batch = Array(xmlSafe[start..<min(start + 1000, xmlSafe.count)])
            start += batch.count
            var writer = XMLWriter()
            writer.open("Delete", namespace: "http://s3.amazonaws.com/doc/2006-03-01/")
            writer.element("Quiet", "true")
            for key in batch {
                writer.open("Object")
                writer.element("Key", key)
                writer.close("Object")
            }
            writer.close("Delete")
            let body = Array(writer.output.utf8)
            let md5 = Checksum.compute(.md5, of: body)!
            let sha = Checksum.compute(.sha256, of: body)!
            let response = try await perform(
                S3Request(
                    operation: "DeleteObjects", method: .POST, bucket: bucket, query: [("delete", "")],
                    headers: [("Content-MD5", md5.base64), ("content-type", "application/xml")],
                    body: .bytes(ByteBuffer(bytes: body)), payloadHash: sha.hex))
            let root = try response.xml(operation: "DeleteObjects")
            var failed = Set<String>()
            for error in root.children(named: "Error") {
                let key = error.string("Key") ?? ""
                failed.insert(key)
                result.failures.append(
                    .init(key: key, code: error.string("Code") ?? "Unknown", message: error.string("Message") ?? ""))
            }
            result.deleted.append(contentsOf: batch.filter { !failed.contains($0) })
        }
        return result
    }

    /// The headers of `attributes`, with `metadata` added to its user metadata and `contentType`
    /// in place of its content type when given.
    static func attributeHeaders(_ attributes: ObjectAttributes, metadata: [String: String], contentType: String?)
        -> [(name: String, value: String)]
    {
        var attributes = attributes
        attributes.metadata.merge(metadata) { _, new in new }
        if let contentType { attributes.contentType = contentType }
        return attributes.headers
    }

    /// The SSE-C headers of the configured key, for requests that write or read an object's bytes.
    var customerKeyHeaders: [(name: String, value: String)] {
        configuration.customerKey?.headers ?? []
    }

    func resolvedChecksum(_ checksum: Checksum?, body: S3RequestBody) async throws -> Checksum? {
        if let checksum { return checksum }
        return try await self.checksum(of: body)
    }
}

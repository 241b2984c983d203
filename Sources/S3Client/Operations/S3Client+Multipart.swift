import Foundation
import NIOCore

extension S3Client {
    /// Starts a multipart upload.
    ///
    /// When an attempt may have started an upload whose answer was lost (dropped connection,
    /// timeout, 5xx) and a retry started another, the stray upload is found with
    /// ListMultipartUploads (same key, started since the first attempt) and aborted, so it is not
    /// left open and unknown.
    /// - Parameters:
    ///   - checksumAlgorithm: the flexible checksum every part will carry (declared here as S3
    ///     requires); MD5 parts need no declaration.
    ///   - attributes: what the object is stored with (as for ``putObject(bucket:key:body:checksum:metadata:contentType:attributes:)``).
    /// - Returns: the upload id.
    public func createMultipartUpload(
        bucket: String, key: String, metadata: [String: String] = [:], contentType: String? = nil,
        checksumAlgorithm: ChecksumAlgorithm? = nil, attributes: ObjectAttributes = ObjectAttributes()
    ) async throws -> String {
        var headers: [(name: String, value: String)] = []
        if let name = (checksumAlgorithm ?? configuration.checksumAlgorithm).flexibleName {
            headers.append(("x-amz-checksum-algorithm", name))
        }
        headers += Self.attributeHeaders(attributes, metadata: metadata, contentType: contentType) + customerKeyHeaders
        let startedAt = Date().timeIntervalSince1970 + shared.clockSkewSeconds.withLock { $0 }
        let response = try await perform(
            S3Request(
                operation: "CreateMultipartUpload", method: .POST, bucket: bucket, key: key, query: [("uploads", "")],
                headers: headers))
        let root = try response.xml(operation: "CreateMultipartUpload")
        guard let uploadID = root.string("UploadId"), !uploadID.isEmpty else {
            throw S3ClientError(.invalidResponse, "the response has no UploadId", operation: "CreateMultipartUpload")
        }
        if response.attempts.outcomeUnknown {
            await abortStrayUploads(bucket: bucket, key: key, keeping: uploadID, startedSince: startedAt - 60)
        }
        return uploadID
    }

    /// Aborts the uploads of exactly `key` started since `startedSince` (server time, seconds since
    /// 1970), except `keeping`: those an attempt whose answer was lost started. Best effort.
    func abortStrayUploads(bucket: String, key: String, keeping uploadID: String, startedSince: Double) async {
        do {
            for upload in try await listMultipartUploads(bucket: bucket, prefix: key)
            where upload.key.utf8.elementsEqual(key.utf8) && upload.uploadID != uploadID
                && (upload.initiated ?? 0) >= startedSince
            {
                try await abortMultipartUpload(bucket: bucket, key: key, uploadID: upload.uploadID)
                logger.info(
                    "aborted an upload an earlier CreateMultipartUpload attempt started; its answer was lost",
                    metadata: ["bucket": "\(bucket)", "key": "\(key)", "upload_id": "\(upload.uploadID)"])
            }
        } catch {
            logger.warning(
                "could not look for an upload a lost CreateMultipartUpload answer may have left open",
                metadata: ["bucket": "\(bucket)", "key": "\(key)", "error": "\(error)"])
        }
    }

    /// Uploads one part (1...10000). Safe to retry: the same number replaces the earlier bytes.
    public func uploadPart(
        bucket: String, key: String, uploadID: String, partNumber: Int, body: S3RequestBody, checksum: Checksum? = nil
    ) async throws -> UploadedPart {
        let checksum = try await resolvedChecksum(checksum, body: body)
        let (integrity, payloadHash) = Self.integrityHeaders(checksum)
        let headers = integrity + customerKeyHeaders
        let response = try await perform(
            S3Request(
                operation: "UploadPart", method: .PUT, bucket: bucket, key: key,
                query: [("partNumber", String(partNumber)), ("uploadId", uploadID)], headers: headers, body: body,
                payloadHash: payloadHash))
        guard let eTag = response.header("etag")?.unquotedETag, !eTag.isEmpty else {
            throw S3ClientError(.invalidResponse, "the response has no ETag", operation: "UploadPart")
        }
        return UploadedPart(
            partNumber: partNumber, eTag: eTag, size: body.length,
            checksum: checksum?.algorithm.flexibleName == nil ? nil : checksum)
    }

    /// Completes a multipart upload from its parts (sorted here by number). Detects the
    /// `200 OK` with an `<Error>` body that S3 can send.
    ///
    /// When an attempt completed the upload but its answer was lost (dropped connection, timeout),
    /// the retry finds no upload (`NoSuchUpload`); the object then counts as completed if
    /// HeadObject shows it with the parts' total size.
    public func completeMultipartUpload(
        bucket: String, key: String, uploadID: String, parts: [UploadedPart]
    ) async throws -> PutObjectResult {
        var writer = XMLWriter()
        writer.open("CompleteMultipartUpload", namespace: "http://s3.amazonaws.com/doc/2006-03-01/")
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            writer.open("Part")
            writer.element("PartNumber", String(part.partNumber))
            writer.element("ETag", "\"\(part.eTag)\"")
            if let checksum = part.checksum, let element = checksum.algorithm.partElementName {
                writer.element(element, checksum.base64)
            }
            writer.close("Part")
        }
        writer.close("CompleteMultipartUpload")
        let body = Array(writer.output.utf8)
        let sha = Checksum.compute(.sha256, of: body)!
        var request = S3Request(
            operation: "CompleteMultipartUpload", method: .POST, bucket: bucket, key: key,
            query: [("uploadId", uploadID)], headers: [("content-type", "application/xml")] + customerKeyHeaders,
            body: .bytes(ByteBuffer(bytes: body)), payloadHash: sha.hex)
        request.errorMayArriveWithOK = true
        let (outcome, attempts) = await exchange(request)
        let response: S3Response
        do {
            response = try outcome.get()
        } catch let error as S3ServiceError where error.code == "NoSuchUpload" && attempts.outcomeUnknown {
            let size = parts.reduce(Int64(0)) { $0 + $1.size }
            guard let head = try await headObject(bucket: bucket, key: key), head.size == size else { throw error }
            logger.info(
                "an earlier CompleteMultipartUpload attempt completed the upload; its answer was lost",
                metadata: ["bucket": "\(bucket)", "key": "\(key)", "upload_id": "\(uploadID)"])
            return PutObjectResult(eTag: head.eTag, versionID: head.versionID)
        }
        let root = try response.xml(operation: "CompleteMultipartUpload")
        let eTag = root.string("ETag")?.unquotedETag ?? response.header("etag")?.unquotedETag ?? ""
        return PutObjectResult(
            eTag: eTag, versionID: response.header("x-amz-version-id"),
            serverDate: response.header("date").flatMap(Timestamp.parse))
    }

    /// Aborts a multipart upload; an upload that is already gone (`NoSuchUpload`) counts as aborted.
    public func abortMultipartUpload(bucket: String, key: String, uploadID: String) async throws {
        do {
            _ = try await perform(
                S3Request(
                    operation: "AbortMultipartUpload", method: .DELETE, bucket: bucket, key: key,
                    query: [("uploadId", uploadID)]))
        } catch let error as S3ServiceError where error.code == "NoSuchUpload" {
            return
        }
    }

    /// All parts the server holds for an upload, following pagination.
    /// - Throws: ``S3ServiceError`` `NoSuchUpload` when the upload is gone (completed, aborted or expired).
    public func listParts(bucket: String, key: String, uploadID: String) async throws -> [UploadedPart] {
        var parts: [UploadedPart] = []
        var marker: String?
        while true {
            var query: [(name: String, value: String)] = [("uploadId", uploadID), ("max-parts", "1000")]
            if let marker { query.append(("part-number-marker", marker)) }
            let response = try await perform(
                S3Request(operation: "ListParts", method: .GET, bucket: bucket, key: key, query: query))
            let root = try response.xml(operation: "ListParts")
            for part in root.children(named: "Part") {
                guard let number = part.string("PartNumber").flatMap(Int.init) else { continue }
                var checksum: Checksum?
                for algorithm in [ChecksumAlgorithm.crc32c, .crc32, .sha256] {
                    if let element = algorithm.partElementName, let value = part.string(element),
                        let digest = Base64.decode(value)
                    {
                        checksum = Checksum(algorithm: algorithm, digest: digest)
                    }
                }
                parts.append(
                    UploadedPart(
                        partNumber: number, eTag: part.string("ETag")?.unquotedETag ?? "",
                        size: part.string("Size").flatMap { Int64($0) } ?? 0, checksum: checksum))
            }
            guard root.string("IsTruncated") == "true", let next = root.string("NextPartNumberMarker"), next != marker
            else { break }
            marker = next
        }
        return parts.sorted { $0.partNumber < $1.partNumber }
    }

    /// Uploads started and not finished under a prefix, following pagination.
    public func listMultipartUploads(bucket: String, prefix: String? = nil) async throws -> [MultipartUploadSummary] {
        var uploads: [MultipartUploadSummary] = []
        var keyMarker: String?
        var uploadIDMarker: String?
        while true {
            var query: [(name: String, value: String)] = [("uploads", ""), ("max-uploads", "1000")]
            if let prefix, !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let uploadIDMarker { query.append(("upload-id-marker", uploadIDMarker)) }
            let response = try await perform(
                S3Request(operation: "ListMultipartUploads", method: .GET, bucket: bucket, query: query))
            let root = try response.xml(operation: "ListMultipartUploads")
            let urlEncoded = root.string("EncodingType")?.lowercased() == "url"
            for upload in root.children(named: "Upload") {
                guard var key = upload.string("Key"), let id = upload.string("UploadId") else { continue }
                if urlEncoded, let decoded = S3PercentEncoding.decode(key, plusAsSpace: true) { key = decoded }
                uploads.append(
                    MultipartUploadSummary(
                        key: key, uploadID: id, initiated: upload.string("Initiated").flatMap(Timestamp.parse)))
            }
            guard root.string("IsTruncated") == "true" else { break }
            let nextKey = root.string("NextKeyMarker")
            let nextID = root.string("NextUploadIdMarker")
            if nextKey == keyMarker && nextID == uploadIDMarker { break }
            keyMarker = nextKey
            uploadIDMarker = nextID
        }
        return uploads
    }
}

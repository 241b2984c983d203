import PostgresNIO

extension PostgresJobStore {
    /// Records a started multipart upload before any part is sent, so a crash leaves it findable.
    public func insertMultipartUpload(_ upload: MultipartUploadRecord) async throws -> MultipartUploadRecord {
        let row = try await row(
            """
            INSERT INTO "multipartUpload" (
                "jobID", endpoint, bucket, key, "uploadID", path, size, "mtimeNanoseconds", "ctimeNanoseconds", inode,
                device, "partSize", "checksumAlgorithm", "createdAt")
            VALUES (
                \(upload.jobID), \(upload.endpoint), \(upload.bucket), \(upload.key), \(upload.uploadID), \(upload.path),
                \(upload.size), \(upload.mtimeNanoseconds), \(upload.ctimeNanoseconds), \(upload.inode), \(upload.device),
                \(upload.partSize), \(upload.checksumAlgorithm), \(upload.createdAt))
            RETURNING id
            """)
        var upload = upload
        upload.id = try row?.value("id")
        return upload
    }

    /// Uploads recorded for a key, newest first.
    public func multipartUploads(endpoint: String, bucket: String, key: String) async throws -> [MultipartUploadRecord]
    {
        try await rows(
            """
            SELECT * FROM "multipartUpload" WHERE endpoint = \(endpoint) AND bucket = \(bucket) AND key = \(key)
            ORDER BY id DESC
            """
        ).map { try $0.multipartUpload() }
    }

    /// Uploads recorded under a destination (all jobs), oldest first.
    public func multipartUploads(endpoint: String, location: S3Location) async throws -> [MultipartUploadRecord] {
        try await rows(
            """
            SELECT * FROM "multipartUpload"
            WHERE endpoint = \(endpoint) AND bucket = \(location.bucket)
            AND key LIKE \(Self.likePattern(location.prefix)) ESCAPE '\\'
            ORDER BY id
            """
        ).map { try $0.multipartUpload() }
    }

    /// Uploads a job started.
    public func multipartUploads(jobID: Int64) async throws -> [MultipartUploadRecord] {
        try await rows(#"SELECT * FROM "multipartUpload" WHERE "jobID" = \#(jobID) ORDER BY id"#)
            .map { try $0.multipartUpload() }
    }

    /// Hands an upload to another job (a push continuing an earlier, unfinished one).
    public func adoptMultipartUpload(id: Int64, jobID: Int64) async throws {
        try await rows(#"UPDATE "multipartUpload" SET "jobID" = \#(jobID) WHERE id = \#(id)"#)
    }

    /// Records a finished part, replacing what was recorded for its number.
    public func recordPart(_ part: PartRecord) async throws {
        try await rows(
            """
            WITH closed AS (
                DELETE FROM "partClaim" WHERE "uploadRowID" = \(part.uploadRowID) AND "partNumber" = \(part.partNumber)
            )
            INSERT INTO "uploadPart" ("uploadRowID", "partNumber", size, "eTag", "checksumAlgorithm", checksum)
            VALUES (
                \(part.uploadRowID), \(part.partNumber), \(part.size), \(part.eTag), \(part.checksumAlgorithm),
                \(part.checksum))
            ON CONFLICT ("uploadRowID", "partNumber") DO UPDATE SET
                size = excluded.size, "eTag" = excluded."eTag", "checksumAlgorithm" = excluded."checksumAlgorithm",
                checksum = excluded.checksum
            """)
    }

    /// The parts recorded for an upload, by number.
    public func parts(uploadRowID: Int64) async throws -> [PartRecord] {
        try await rows(#"SELECT * FROM "uploadPart" WHERE "uploadRowID" = \#(uploadRowID) ORDER BY "partNumber""#)
            .map { try $0.part() }
    }

    /// Forgets parts (the server did not have them).
    public func removeParts(uploadRowID: Int64, numbers: [Int]) async throws {
        guard !numbers.isEmpty else { return }
        try await rows(
            #"DELETE FROM "uploadPart" WHERE "uploadRowID" = \#(uploadRowID) AND "partNumber" = ANY(\#(numbers))"#)
    }

    /// Forgets an upload and its parts (completed or aborted).
    public func removeMultipartUpload(id: Int64) async throws {
        try await rows(#"DELETE FROM "multipartUpload" WHERE id = \#(id)"#)
    }
}

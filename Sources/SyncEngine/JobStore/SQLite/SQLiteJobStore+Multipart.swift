import GRDB

extension SQLiteJobStore {
    /// Records a started multipart upload before any part is sent, so a crash leaves it findable.
    public func insertMultipartUpload(_ upload: MultipartUploadRecord) async throws -> MultipartUploadRecord {
        try await writer.write { db in
            var upload = upload
            try upload.insert(db)
            return upload
        }
    }

    /// Uploads recorded for a key, newest first.
    public func multipartUploads(endpoint: String, bucket: String, key: String) async throws -> [MultipartUploadRecord]
    {
        try await writer.read { db in
            try MultipartUploadRecord.filter { $0.endpoint == endpoint && $0.bucket == bucket && $0.key == key }
                .order(\.id.desc).fetchAll(db)
        }
    }

    /// Uploads recorded under a destination (all jobs), oldest first.
    public func multipartUploads(endpoint: String, location: S3Location) async throws -> [MultipartUploadRecord] {
        try await writer.read { db in
            try MultipartUploadRecord.filter {
                $0.endpoint == endpoint && $0.bucket == location.bucket
                    && $0.key.like(Self.likePattern(location.prefix), escape: "\\")
            }
            .order(\.id).fetchAll(db)
        }
    }

    /// Uploads a job started.
    public func multipartUploads(jobID: Int64) async throws -> [MultipartUploadRecord] {
        try await writer.read { db in
            try MultipartUploadRecord.filter { $0.jobID == jobID }.order(\.id).fetchAll(db)
        }
    }

    /// Hands an upload to another job (a push continuing an earlier, unfinished one).
    public func adoptMultipartUpload(id: Int64, jobID: Int64) async throws {
        try await writer.write { db in
            _ = try MultipartUploadRecord.filter(key: id).updateAll(db) { $0.jobID.set(to: jobID) }
        }
    }

    /// Records a finished part.
    public func recordPart(_ part: PartRecord) async throws {
        try await writer.write { db in
            try part.save(db)
            try db.execute(
                literal: """
                    DELETE FROM partClaim WHERE uploadRowID = \(part.uploadRowID) AND partNumber = \(part.partNumber)
                    """)
        }
    }

    /// The parts recorded for an upload, by number.
    public func parts(uploadRowID: Int64) async throws -> [PartRecord] {
        try await writer.read { db in
            try PartRecord.filter { $0.uploadRowID == uploadRowID }.order(\.partNumber).fetchAll(db)
        }
    }

    /// Forgets a part (the server did not have it).
    public func removeParts(uploadRowID: Int64, numbers: [Int]) async throws {
        guard !numbers.isEmpty else { return }
        try await writer.write { db in
            _ = try PartRecord.filter { $0.uploadRowID == uploadRowID && numbers.contains($0.partNumber) }
                .deleteAll(db)
        }
    }

    /// Forgets an upload and its parts (completed or aborted).
    public func removeMultipartUpload(id: Int64) async throws {
        try await writer.write { db in
            _ = try MultipartUploadRecord.deleteOne(db, key: id)
        }
    }
}

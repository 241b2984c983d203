import PostgresNIO

extension PostgresJobStore {
    /// Records a download before its first range is fetched, so a crash leaves it findable.
    public func insertPartialDownload(_ download: PartialDownloadRecord) async throws -> PartialDownloadRecord {
        let row = try await row(
            """
            INSERT INTO "partialDownload" (
                "jobID", endpoint, bucket, key, "eTag", size, "partSize", root, "temporaryPath", inode, device,
                "createdAt")
            VALUES (
                \(download.jobID), \(download.endpoint), \(download.bucket), \(download.key), \(download.eTag),
                \(download.size), \(download.partSize), \(download.root), \(download.temporaryPath), \(download.inode),
                \(download.device), \(download.createdAt))
            RETURNING id
            """)
        var download = download
        download.id = try row?.value("id")
        return download
    }

    /// Downloads recorded for a key into a directory, newest first.
    public func partialDownloads(endpoint: String, bucket: String, key: String, root: String) async throws
        -> [PartialDownloadRecord]
    {
        try await rows(
            """
            SELECT * FROM "partialDownload"
            WHERE endpoint = \(endpoint) AND bucket = \(bucket) AND key = \(key) AND root = \(root)
            ORDER BY id DESC
            """
        ).map { try $0.partialDownload() }
    }

    /// Downloads recorded into a directory from a prefix (all jobs), oldest first.
    public func partialDownloads(endpoint: String, location: S3Location, root: String) async throws
        -> [PartialDownloadRecord]
    {
        let upper = Self.upperBound(location.prefix)
        return try await rows(
            """
            SELECT * FROM "partialDownload"
            WHERE endpoint = \(endpoint) AND bucket = \(location.bucket) AND root = \(root)
            AND key >= \(location.prefix) AND (\(upper)::text IS NULL OR key < \(upper))
            ORDER BY id
            """
        ).map { try $0.partialDownload() }
    }

    /// Downloads these jobs recorded (what is left of them when they end).
    public func partialDownloads(jobIDs: Set<Int64>) async throws -> [PartialDownloadRecord] {
        guard !jobIDs.isEmpty else { return [] }
        return try await rows(
            #"SELECT * FROM "partialDownload" WHERE "jobID" = ANY(\#(Array(jobIDs))) ORDER BY id"#
        ).map { try $0.partialDownload() }
    }

    /// Takes a download over for another job.
    public func adoptPartialDownload(id: Int64, jobID: Int64) async throws {
        try await rows(#"UPDATE "partialDownload" SET "jobID" = \#(jobID) WHERE id = \#(id)"#)
    }

    /// Records a range as written to the temporary file, replacing what was recorded for it.
    public func recordRange(_ range: DownloadedRangeRecord) async throws {
        try await rows(
            """
            INSERT INTO "downloadedRange" ("downloadRowID", "partNumber", length, md5)
            VALUES (\(range.downloadRowID), \(range.partNumber), \(range.length), \(range.md5))
            ON CONFLICT ("downloadRowID", "partNumber") DO UPDATE SET length = excluded.length, md5 = excluded.md5
            """)
    }

    /// The ranges recorded for a download.
    public func ranges(downloadRowID: Int64) async throws -> [DownloadedRangeRecord] {
        try await rows(
            #"SELECT * FROM "downloadedRange" WHERE "downloadRowID" = \#(downloadRowID) ORDER BY "partNumber""#
        ).map { try $0.downloadedRange() }
    }

    /// Forgets a download (and its ranges).
    public func removePartialDownload(id: Int64) async throws {
        try await rows(#"DELETE FROM "partialDownload" WHERE id = \#(id)"#)
    }
}

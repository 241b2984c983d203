import GRDB

extension SQLiteJobStore {
    /// Records a download before its first range is fetched, so a crash leaves it findable.
    public func insertPartialDownload(_ download: PartialDownloadRecord) async throws -> PartialDownloadRecord {
        try await writer.write { db in
            var download = download
            try download.insert(db)
            return download
        }
    }

    /// Downloads recorded for a key into a directory, newest first.
    public func partialDownloads(endpoint: String, bucket: String, key: String, root: String) async throws
        -> [PartialDownloadRecord]
    {
        try await writer.read { db in
            try PartialDownloadRecord.filter { $0.endpoint == endpoint && $0.bucket == bucket }
                .filter { $0.key == key && $0.root == root }
                .order(\.id.desc).fetchAll(db)
        }
    }

    /// Downloads recorded into a directory from a prefix (all jobs), oldest first.
    public func partialDownloads(endpoint: String, location: S3Location, root: String) async throws
        -> [PartialDownloadRecord]
    {
        try await writer.read { db in
            var request = PartialDownloadRecord.filter {
                $0.endpoint == endpoint && $0.bucket == location.bucket && $0.root == root
            }
            request = request.filter { $0.key >= location.prefix }
            if let upper = Self.upperBound(location.prefix) { request = request.filter { $0.key < upper } }
            return try request.order(\.id).fetchAll(db)
        }
    }

    /// Downloads these jobs recorded (what is left of them when they end).
    public func partialDownloads(jobIDs: Set<Int64>) async throws -> [PartialDownloadRecord] {
        try await writer.read { db in
            try PartialDownloadRecord.filter { jobIDs.contains($0.jobID) }.order(\.id).fetchAll(db)
        }
    }

    /// Takes a download over for another job (a later run of the same directory and prefix).
    public func adoptPartialDownload(id: Int64, jobID: Int64) async throws {
        try await writer.write { db in
            _ = try PartialDownloadRecord.filter { $0.id == id }.updateAll(db) { $0.jobID.set(to: jobID) }
        }
    }

    /// Records a range as written to the temporary file.
    public func recordRange(_ range: DownloadedRangeRecord) async throws {
        try await writer.write { db in try range.insert(db, onConflict: .replace) }
    }

    /// The ranges recorded for a download.
    public func ranges(downloadRowID: Int64) async throws -> [DownloadedRangeRecord] {
        try await writer.read { db in
            try DownloadedRangeRecord.filter { $0.downloadRowID == downloadRowID }.order(\.partNumber).fetchAll(db)
        }
    }

    /// Forgets a download (and its ranges).
    public func removePartialDownload(id: Int64) async throws {
        try await writer.write { db in _ = try PartialDownloadRecord.deleteOne(db, key: id) }
    }
}

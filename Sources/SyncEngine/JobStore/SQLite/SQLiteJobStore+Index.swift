import GRDB

extension SQLiteJobStore {
    /// Index records under a destination in key order (UTF-8 bytes), a page after `afterKey`:
    /// those of the directory `root` and those from before s3sync kept the directory, a key's
    /// record for `root` first.
    public func indexRecords(
        endpoint: String, location: S3Location, root: String, after afterKey: String?, limit: Int
    ) async throws -> [IndexRecord] {
        try await writer.read { db in
            var request = IndexRecord.filter { $0.endpoint == endpoint && $0.bucket == location.bucket }
                .filter { [root, ""].contains($0.root) }
            if let afterKey {
                request = request.filter { $0.key > afterKey }
            } else {
                request = request.filter { $0.key >= location.prefix }
            }
            if let upper = Self.upperBound(location.prefix) {
                request = request.filter { $0.key < upper }
            }
            return try request.order { [$0.key, $0.root.desc] }.limit(limit).fetchAll(db)
        }
    }

    /// Saves what was copied (insert or replace), in one transaction; a key's record from before
    /// s3sync kept the directory is replaced by the new one.
    public func recordUploads(_ records: [IndexRecord]) async throws {
        guard !records.isEmpty else { return }
        try await writer.write { db in
            typealias Columns = IndexRecord.Columns
            let statement = try db.cachedStatement(
                sql: Self.insertSQL(into: IndexRecord.self, IndexRecord.Columns.all, orReplace: true))
            for record in records {
                if !record.root.isEmpty {
                    try db.cachedStatement(
                        literal: """
                            DELETE FROM \(IndexRecord.self)
                            WHERE \(Columns.endpoint) = \(record.endpoint) AND \(Columns.bucket) = \(record.bucket) \
                            AND \(Columns.key) = \(record.key) AND \(Columns.root) = ''
                            """
                    ).execute()
                }
                try statement.execute(arguments: [
                    record.endpoint, record.bucket, record.key, record.root, record.size, record.mtimeNanoseconds,
                    record.ctimeNanoseconds, record.inode, record.device, record.eTag, record.md5, record.partSize,
                    record.multipartMD5, record.uploadedAt, record.completedAt,
                ])
            }
        }
    }

    /// Forgets keys: under every directory (deleted objects), or under `root` (removed files).
    public func removeIndexRecords(endpoint: String, bucket: String, keys: [String], root: String?)
        async throws
    {
        guard !keys.isEmpty else { return }
        try await writer.write { db in
            typealias Columns = IndexRecord.Columns
            for key in keys {
                let everywhere: SQL =
                    "\(Columns.endpoint) = \(endpoint) AND \(Columns.bucket) = \(bucket) AND \(Columns.key) = \(key)"
                let scope: SQL = root.map { "\(everywhere) AND \(Columns.root) IN (\($0), '')" } ?? everywhere
                try db.cachedStatement(literal: "DELETE FROM \(IndexRecord.self) WHERE \(scope)").execute()
            }
        }
    }

    /// `PRAGMA integrity_check`: "ok" when the database is sound.
    public func integrityCheck() async throws -> String {
        try await writer.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }
}

import GRDB

extension JobStore {
    /// Index records under a destination in key order (UTF-8 bytes), a page after `afterKey`.
    public func indexRecords(endpoint: String, location: S3Location, after afterKey: String?, limit: Int = 2000)
        async throws -> [IndexRecord]
    {
        try await writer.read { db in
            let columns = IndexRecord.columnList
            var sql = "SELECT \(columns) FROM objectIndex WHERE endpoint = ? AND bucket = ? AND key >= ?"
            var arguments: StatementArguments = [endpoint, location.bucket, afterKey ?? location.prefix]
            if afterKey != nil {
                sql = "SELECT \(columns) FROM objectIndex WHERE endpoint = ? AND bucket = ? AND key > ?"
            }
            if let upper = Self.upperBound(location.prefix) {
                sql += " AND key < ?"
                _ = arguments.append(contentsOf: [upper])
            }
            sql += " ORDER BY key LIMIT ?"
            _ = arguments.append(contentsOf: [limit])
            return try IndexRecord.fetchAll(try db.cachedStatement(sql: sql), arguments: arguments)
        }
    }

    /// Saves what was uploaded (insert or replace), in one transaction.
    public func recordUploads(_ records: [IndexRecord]) async throws {
        guard !records.isEmpty else { return }
        try await writer.write { db in
            let statement = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO objectIndex (\(IndexRecord.columnList)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
            for record in records {
                try statement.execute(arguments: [
                    record.endpoint, record.bucket, record.key, record.size, record.mtimeNanoseconds, record.inode,
                    record.eTag, record.md5, record.partSize, record.multipartMD5, record.uploadedAt,
                    record.completedAt,
                ])
            }
        }
    }

    /// Forgets keys (deleted objects).
    public func removeIndexRecords(endpoint: String, bucket: String, keys: [String]) async throws {
        guard !keys.isEmpty else { return }
        try await writer.write { db in
            let statement = try db.cachedStatement(
                sql: "DELETE FROM objectIndex WHERE endpoint = ? AND bucket = ? AND key = ?")
            for key in keys { try statement.execute(arguments: [endpoint, bucket, key]) }
        }
    }

    /// The smallest string greater than every string starting with `prefix`, or `nil` for no bound.
    static func upperBound(_ prefix: String) -> String? {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0x7F {
                bytes[bytes.count - 1] = last + 1
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes.removeLast()
        }
        return nil
    }

    /// `PRAGMA integrity_check`: "ok" when the database is sound.
    public func integrityCheck() async throws -> String {
        try await writer.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }
}

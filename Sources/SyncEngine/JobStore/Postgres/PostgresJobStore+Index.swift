import PostgresNIO

extension PostgresJobStore {
    /// Index records under a destination in key order (UTF-8 bytes: the key column is
    /// `COLLATE "C"`), a page after `afterKey`: those of the directory `root` and those from
    /// before s3sync kept the directory, a key's record for `root` first.
    public func indexRecords(
        endpoint: String, location: S3Location, root: String, after afterKey: String?, limit: Int
    ) async throws -> [IndexRecord] {
        let upper = Self.upperBound(location.prefix)
        let query: PostgresQuery
        if let afterKey {
            query = """
                SELECT * FROM "objectIndex"
                WHERE endpoint = \(endpoint) AND bucket = \(location.bucket) AND root IN (\(root), '')
                AND key > \(afterKey) AND (\(upper)::text IS NULL OR key < \(upper))
                ORDER BY key, root DESC LIMIT \(limit)
                """
        } else {
            query = """
                SELECT * FROM "objectIndex"
                WHERE endpoint = \(endpoint) AND bucket = \(location.bucket) AND root IN (\(root), '')
                AND key >= \(location.prefix) AND (\(upper)::text IS NULL OR key < \(upper))
                ORDER BY key, root DESC LIMIT \(limit)
                """
        }
        return try await rows(query).map { try $0.indexRecord() }
    }

    /// Saves what was copied (insert or replace), in one statement (one transaction for very
    /// large batches); a key's record from before s3sync kept the directory is replaced by the
    /// new one. Within a batch the last record of a key and directory wins, and a key's record
    /// without a directory followed by one with a directory is dropped, as replacing them one
    /// after the other would.
    public func recordUploads(_ records: [IndexRecord]) async throws {
        struct Identity: Hashable {
            var endpoint: String
            var bucket: String
            var key: String
            var root: String?
        }
        func identity(_ record: IndexRecord, root: String?) -> Identity {
            Identity(endpoint: record.endpoint, bucket: record.bucket, key: record.key, root: root)
        }
        var last: [Identity: Int] = [:]
        var lastWithDirectory: [Identity: Int] = [:]
        for (index, record) in records.enumerated() {
            last[identity(record, root: record.root)] = index
            if !record.root.isEmpty { lastWithDirectory[identity(record, root: nil)] = index }
        }
        let kept = records.indices.filter { index in
            let record = records[index]
            guard last[identity(record, root: record.root)] == index else { return false }
            if record.root.isEmpty, let later = lastWithDirectory[identity(record, root: nil)], later > index {
                return false
            }
            return true
        }.map { records[$0] }
        let queries = PostgresValues.queries(
            kept,
            types: [
                "text", "text", "text", "text", "bigint", "bigint", "bigint", "bigint", "bigint", "text", "text",
                "bigint", "text", "double precision", "double precision",
            ],
            sql: """
                WITH input (
                    endpoint, bucket, key, root, size, "mtimeNanoseconds", "ctimeNanoseconds", inode, device, "eTag", md5,
                    "partSize", "multipartMD5", "uploadedAt", "completedAt"
                ) AS (VALUES VALUES_LIST),
                replaced AS (
                    DELETE FROM "objectIndex" AS old USING input
                    WHERE input.root <> '' AND old.root = '' AND old.endpoint = input.endpoint
                    AND old.bucket = input.bucket AND old.key = input.key
                    AND NOT EXISTS (
                        SELECT 1 FROM input AS same WHERE same.root = '' AND same.endpoint = old.endpoint
                        AND same.bucket = old.bucket AND same.key = old.key)
                )
                INSERT INTO "objectIndex" (
                    endpoint, bucket, key, root, size, "mtimeNanoseconds", "ctimeNanoseconds", inode, device, "eTag", md5,
                    "partSize", "multipartMD5", "uploadedAt", "completedAt")
                SELECT * FROM input
                ON CONFLICT (endpoint, bucket, key, root) DO UPDATE SET
                    size = excluded.size, "mtimeNanoseconds" = excluded."mtimeNanoseconds",
                    "ctimeNanoseconds" = excluded."ctimeNanoseconds", inode = excluded.inode, device = excluded.device,
                    "eTag" = excluded."eTag", md5 = excluded.md5, "partSize" = excluded."partSize",
                    "multipartMD5" = excluded."multipartMD5", "uploadedAt" = excluded."uploadedAt",
                    "completedAt" = excluded."completedAt"
                """
        ) { record, binds in
            binds.append(record.endpoint)
            binds.append(record.bucket)
            binds.append(record.key)
            binds.append(record.root)
            binds.append(record.size)
            binds.append(record.mtimeNanoseconds)
            binds.append(record.ctimeNanoseconds)
            binds.append(record.inode)
            binds.append(record.device)
            binds.append(record.eTag)
            binds.append(record.md5)
            binds.append(record.partSize)
            binds.append(record.multipartMD5)
            binds.append(record.uploadedAt)
            binds.append(record.completedAt)
        }
        try await execute(queries)
    }

    /// Forgets keys: under every directory (deleted objects), or under `root` (removed files).
    public func removeIndexRecords(endpoint: String, bucket: String, keys: [String], root: String?) async throws {
        guard !keys.isEmpty else { return }
        if let root {
            try await rows(
                """
                DELETE FROM "objectIndex"
                WHERE endpoint = \(endpoint) AND bucket = \(bucket) AND key = ANY(\(keys)) AND root IN (\(root), '')
                """)
        } else {
            try await rows(
                #"DELETE FROM "objectIndex" WHERE endpoint = \#(endpoint) AND bucket = \#(bucket) AND key = ANY(\#(keys))"#
            )
        }
    }
}

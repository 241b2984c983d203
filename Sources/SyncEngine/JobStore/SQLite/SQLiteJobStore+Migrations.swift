import GRDB

extension SQLiteJobStore {
    /// Brings the schema up to date (or up to the migration named `target`, for tests of upgrades).
    static func migrate(_ writer: any DatabaseWriter, path: String, upTo target: String? = nil) throws {
        try writer.read { db in try checkOwnership(db, path: path) }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try createJobTables(db)
            try createMultipartTables(db)
            try createIndexTable(db)
        }
        migrator.registerMigration("v2") { db in
            try db.alter(table: "objectIndex") { t in t.add(column: "completedAt", .double) }
        }
        // The full stat git's index keeps: a same-size edit whose mtime was put back changes the
        // ctime. Rows from before stay NULL ("unknown"); the planner fills them in as it finds
        // their files unchanged, so an upgrade re-uploads nothing.
        migrator.registerMigration("v3") { db in
            for table in ["objectIndex", "multipartUpload"] {
                try db.alter(table: table) { t in
                    t.add(column: "ctimeNanoseconds", .integer)
                    t.add(column: "device", .integer)
                }
            }
        }
        // Pulls: a job has a direction; a download task keeps the ETag it was planned for; a
        // partial download records its temporary file and the ranges already written to it.
        migrator.registerMigration("v4") { db in
            try db.alter(table: "job") { t in t.add(column: "direction", .text).notNull().defaults(to: "push") }
            try db.alter(table: "task") { t in t.add(column: "eTag", .text) }
            try createDownloadTables(db)
            try keyIndexByDirectory(db)
        }
        // The history of runs, so "has it been failing since Tuesday?" is one query.
        migrator.registerMigration("v5") { db in
            try createRunTable(db)
        }
        // The queue: who holds a task and until when, and the workers' heartbeats.
        migrator.registerMigration("v6") { db in
            try db.alter(table: "task") { t in
                t.add(column: "claimedBy", .text)
                t.add(column: "leaseUntil", .double)
            }
            try createWorkerTable(db)
            try db.create(index: "workerByJob", on: "worker", columns: ["jobID"])
            try createPartClaimTable(db)
        }
        if let target {
            try migrator.migrate(writer, upTo: target)
        } else {
            try migrator.migrate(writer)
        }
    }

    // The first schema. Migrations name their columns as written then, not through the record
    // types, so that a later rename of a property cannot change what an old migration does.

    /// Jobs and their tasks.
    static func createJobTables(_ db: Database) throws {
        try db.create(table: "job") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("source", .text).notNull()
            t.column("endpoint", .text).notNull()
            t.column("bucket", .text).notNull()
            t.column("prefix", .text).notNull()
            t.column("options", .text).notNull()
            t.column("state", .text).notNull()
            t.column("createdAt", .double).notNull()
            t.column("updatedAt", .double).notNull()
            t.column("finishedAt", .double)
            for column in [
                "plannedUploads", "plannedBytes", "plannedDeletes", "skippedFiles", "uploadedFiles",
                "uploadedBytes",
                "deletedFiles", "failedFiles", "changedFiles", "warnings", "runs",
            ] {
                t.column(column, .integer).notNull().defaults(to: 0)
            }
            t.column("lastError", .text)
        }
        try db.create(index: "jobDestination", on: "job", columns: ["endpoint", "bucket", "prefix", "source"])
        try db.create(table: "task") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("jobID", .integer).notNull().references("job", onDelete: .cascade)
            t.column("kind", .text).notNull()
            t.column("path", .text).notNull()
            t.column("key", .text).notNull()
            t.column("size", .integer).notNull()
            t.column("mtimeNanoseconds", .integer).notNull()
            t.column("inode", .integer).notNull()
            t.column("reason", .text).notNull()
            t.column("state", .text).notNull()
            t.column("attempts", .integer).notNull().defaults(to: 0)
            t.column("error", .text)
        }
        try db.create(index: "taskByJobState", on: "task", columns: ["jobID", "state", "id"])
    }

    /// Multipart uploads in progress and their finished parts.
    static func createMultipartTables(_ db: Database) throws {
        try db.create(table: "multipartUpload") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("jobID", .integer).references("job", onDelete: .setNull)
            t.column("endpoint", .text).notNull()
            t.column("bucket", .text).notNull()
            t.column("key", .text).notNull()
            t.column("uploadID", .text).notNull().unique()
            t.column("path", .text).notNull()
            t.column("size", .integer).notNull()
            t.column("mtimeNanoseconds", .integer).notNull()
            t.column("inode", .integer).notNull()
            t.column("partSize", .integer).notNull()
            t.column("checksumAlgorithm", .text).notNull()
            t.column("createdAt", .double).notNull()
        }
        try db.create(index: "multipartUploadByKey", on: "multipartUpload", columns: ["endpoint", "bucket", "key"])
        try db.create(table: "uploadPart") { t in
            t.column("uploadRowID", .integer).notNull().references("multipartUpload", onDelete: .cascade)
            t.column("partNumber", .integer).notNull()
            t.column("size", .integer).notNull()
            t.column("eTag", .text).notNull()
            t.column("checksumAlgorithm", .text)
            t.column("checksum", .text)
            t.primaryKey(["uploadRowID", "partNumber"])
        }
    }

    /// Downloads in progress and the ranges already in their temporary files.
    static func createDownloadTables(_ db: Database) throws {
        try db.create(table: "partialDownload") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("jobID", .integer).references("job", onDelete: .setNull)
            t.column("endpoint", .text).notNull()
            t.column("bucket", .text).notNull()
            t.column("key", .text).notNull()
            t.column("eTag", .text).notNull()
            t.column("size", .integer).notNull()
            t.column("partSize", .integer).notNull()
            t.column("root", .text).notNull()
            t.column("temporaryPath", .text).notNull()
            t.column("inode", .integer).notNull()
            t.column("device", .integer).notNull()
            t.column("createdAt", .double).notNull()
        }
        try db.create(index: "partialDownloadByKey", on: "partialDownload", columns: ["endpoint", "bucket", "key"])
        try db.create(table: "downloadedRange") { t in
            t.column("downloadRowID", .integer).notNull().references("partialDownload", onDelete: .cascade)
            t.column("partNumber", .integer).notNull()
            t.column("length", .integer).notNull()
            t.column("md5", .text).notNull()
            t.primaryKey(["downloadRowID", "partNumber"])
        }
    }

    /// Runs of pushes, pulls and resumes: one row a run, opened when it starts and closed when
    /// it ends (a row left open is a run that was killed).
    static func createRunTable(_ db: Database) throws {
        try db.create(table: "run") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("jobID", .integer).references("job", onDelete: .setNull)
            t.column("command", .text).notNull()
            t.column("direction", .text).notNull()
            t.column("source", .text).notNull()
            t.column("endpoint", .text).notNull()
            t.column("bucket", .text).notNull()
            t.column("prefix", .text).notNull()
            t.column("pid", .integer).notNull()
            t.column("host", .text).notNull()
            t.column("startedAt", .double).notNull()
            t.column("endedAt", .double)
            t.column("outcome", .text)
            for column in [
                "plannedFiles", "plannedBytes", "transferredFiles", "transferredBytes", "skippedFiles", "deletedFiles",
                "failedFiles", "changedFiles",
            ] {
                t.column(column, .integer).notNull().defaults(to: 0)
            }
            t.column("error", .text)
        }
        try db.create(index: "runBySync", on: "run", columns: ["source", "bucket", "prefix", "endpoint", "direction"])
        try db.create(index: "runByJob", on: "run", columns: ["jobID"])
    }

    /// The index gets the local directory in its key: a pull into another directory (a restore
    /// drill) records its own copies beside the pushed directory's, instead of overwriting the
    /// records the next push relies on. Rows from before keep an empty directory, which stands
    /// for any, until a run records the key again.
    static func keyIndexByDirectory(_ db: Database) throws {
        let columns = [
            "endpoint", "bucket", "key", "size", "mtimeNanoseconds", "inode", "eTag", "md5", "partSize",
            "multipartMD5", "uploadedAt", "completedAt", "ctimeNanoseconds", "device",
        ].map { "\"\($0)\"" }.joined(separator: ", ")
        try db.create(table: "objectIndexByDirectory", options: [.withoutRowID]) { t in
            t.column("endpoint", .text).notNull()
            t.column("bucket", .text).notNull()
            t.column("key", .text).notNull()
            t.column("root", .text).notNull().defaults(to: "")
            t.column("size", .integer).notNull()
            t.column("mtimeNanoseconds", .integer).notNull()
            t.column("inode", .integer).notNull()
            t.column("eTag", .text).notNull()
            t.column("md5", .text)
            t.column("partSize", .integer).notNull()
            t.column("multipartMD5", .text)
            t.column("uploadedAt", .double).notNull()
            t.column("completedAt", .double)
            t.column("ctimeNanoseconds", .integer)
            t.column("device", .integer)
            t.primaryKey(["endpoint", "bucket", "key", "root"])
        }
        try db.execute(
            sql: "INSERT INTO objectIndexByDirectory (\(columns)) SELECT \(columns) FROM objectIndex")
        try db.drop(table: "objectIndex")
        try db.rename(table: "objectIndexByDirectory", to: "objectIndex")
    }

    /// What s3sync uploaded to each key.
    static func createIndexTable(_ db: Database) throws {
        try db.create(table: "objectIndex", options: [.withoutRowID]) { t in
            t.column("endpoint", .text).notNull()
            t.column("bucket", .text).notNull()
            t.column("key", .text).notNull()
            t.column("size", .integer).notNull()
            t.column("mtimeNanoseconds", .integer).notNull()
            t.column("inode", .integer).notNull()
            t.column("eTag", .text).notNull()
            t.column("md5", .text)
            t.column("partSize", .integer).notNull()
            t.column("multipartMD5", .text)
            t.column("uploadedAt", .double).notNull()
            t.primaryKey(["endpoint", "bucket", "key"])
        }
    }

    /// Hosts working on the jobs, with their last heartbeat.
    static func createWorkerTable(_ db: Database) throws {
        try db.create(table: "worker") { t in
            t.primaryKey("id", .text)
            t.column("host", .text).notNull()
            t.column("pid", .integer).notNull()
            t.column("role", .text).notNull()
            t.column("jobID", .integer)
            t.column("startedAt", .double).notNull()
            t.column("heartbeatAt", .double).notNull()
            t.column("files", .integer).notNull().defaults(to: 0)
            t.column("bytes", .integer).notNull().defaults(to: 0)
            t.column("throttledAt", .double)
            t.column("stoppedAt", .double)
        }
    }

    /// Parts of multipart uploads open to every host of the job, with who holds each.
    static func createPartClaimTable(_ db: Database) throws {
        try db.create(table: "partClaim") { t in
            t.column("uploadRowID", .integer).notNull().references("multipartUpload", onDelete: .cascade)
            t.column("partNumber", .integer).notNull()
            t.column("claimedBy", .text)
            t.column("leaseUntil", .double)
            t.primaryKey(["uploadRowID", "partNumber"])
        }
    }
}

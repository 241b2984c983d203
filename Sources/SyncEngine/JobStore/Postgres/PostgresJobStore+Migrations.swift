import Logging
import PostgresNIO

extension PostgresJobStore {
    /// A migration: its name in `s3sync_migrations` and its statements.
    struct Migration: Sendable {
        var name: String
        var statements: [String]
    }

    /// The key of the transaction-level advisory lock migrations run under, so hosts that start
    /// at once do not race ("S3SYMIGR").
    static let migrationLockKey: Int64 = 0x5333_5359_4D49_4752

    /// The schema, one migration after another. The first is the SQLite state file's schema after
    /// all of its migrations (v1 to v6), with PostgreSQL's types: every key, path and prefix is
    /// `text COLLATE "C"`, so `ORDER BY key` is UTF-8 byte order, the order S3 lists keys in and
    /// the planner merges them by.
    static let migrations: [Migration] = [
        Migration(
            name: "v1",
            statements: [
                """
                CREATE TABLE job (
                    id bigserial PRIMARY KEY,
                    source text COLLATE "C" NOT NULL,
                    endpoint text COLLATE "C" NOT NULL,
                    bucket text COLLATE "C" NOT NULL,
                    prefix text COLLATE "C" NOT NULL,
                    options text NOT NULL,
                    state text NOT NULL,
                    "createdAt" double precision NOT NULL,
                    "updatedAt" double precision NOT NULL,
                    "finishedAt" double precision,
                    "plannedUploads" bigint NOT NULL DEFAULT 0,
                    "plannedBytes" bigint NOT NULL DEFAULT 0,
                    "plannedDeletes" bigint NOT NULL DEFAULT 0,
                    "skippedFiles" bigint NOT NULL DEFAULT 0,
                    "uploadedFiles" bigint NOT NULL DEFAULT 0,
                    "uploadedBytes" bigint NOT NULL DEFAULT 0,
                    "deletedFiles" bigint NOT NULL DEFAULT 0,
                    "failedFiles" bigint NOT NULL DEFAULT 0,
                    "changedFiles" bigint NOT NULL DEFAULT 0,
                    warnings bigint NOT NULL DEFAULT 0,
                    runs bigint NOT NULL DEFAULT 0,
                    "lastError" text,
                    direction text NOT NULL DEFAULT 'push'
                )
                """,
                #"CREATE INDEX "jobDestination" ON job (endpoint, bucket, prefix, source)"#,
                """
                CREATE TABLE task (
                    id bigserial PRIMARY KEY,
                    "jobID" bigint NOT NULL REFERENCES job (id) ON DELETE CASCADE,
                    kind text NOT NULL,
                    path text COLLATE "C" NOT NULL,
                    key text COLLATE "C" NOT NULL,
                    size bigint NOT NULL,
                    "mtimeNanoseconds" bigint NOT NULL,
                    inode bigint NOT NULL,
                    reason text NOT NULL,
                    state text NOT NULL,
                    attempts bigint NOT NULL DEFAULT 0,
                    error text,
                    "eTag" text,
                    "claimedBy" text,
                    "leaseUntil" double precision
                )
                """,
                #"CREATE INDEX "taskByJobState" ON task ("jobID", state, id)"#,
                // What claims read: a job's pending tasks of a kind in plan order.
                #"CREATE INDEX "taskClaims" ON task ("jobID", kind, state, id)"#,
                // What renewing and giving back leases read, several times a minute per worker.
                #"CREATE INDEX "taskByClaim" ON task ("claimedBy") WHERE state = 'pending'"#,
                """
                CREATE TABLE "multipartUpload" (
                    id bigserial PRIMARY KEY,
                    "jobID" bigint REFERENCES job (id) ON DELETE SET NULL,
                    endpoint text COLLATE "C" NOT NULL,
                    bucket text COLLATE "C" NOT NULL,
                    key text COLLATE "C" NOT NULL,
                    "uploadID" text NOT NULL UNIQUE,
                    path text COLLATE "C" NOT NULL,
                    size bigint NOT NULL,
                    "mtimeNanoseconds" bigint NOT NULL,
                    inode bigint NOT NULL,
                    "partSize" bigint NOT NULL,
                    "checksumAlgorithm" text NOT NULL,
                    "createdAt" double precision NOT NULL,
                    "ctimeNanoseconds" bigint,
                    device bigint
                )
                """,
                #"CREATE INDEX "multipartUploadByKey" ON "multipartUpload" (endpoint, bucket, key)"#,
                #"CREATE INDEX "multipartUploadByJob" ON "multipartUpload" ("jobID")"#,
                """
                CREATE TABLE "uploadPart" (
                    "uploadRowID" bigint NOT NULL REFERENCES "multipartUpload" (id) ON DELETE CASCADE,
                    "partNumber" bigint NOT NULL,
                    size bigint NOT NULL,
                    "eTag" text NOT NULL,
                    "checksumAlgorithm" text,
                    checksum text,
                    PRIMARY KEY ("uploadRowID", "partNumber")
                )
                """,
                """
                CREATE TABLE "partialDownload" (
                    id bigserial PRIMARY KEY,
                    "jobID" bigint REFERENCES job (id) ON DELETE SET NULL,
                    endpoint text COLLATE "C" NOT NULL,
                    bucket text COLLATE "C" NOT NULL,
                    key text COLLATE "C" NOT NULL,
                    "eTag" text NOT NULL,
                    size bigint NOT NULL,
                    "partSize" bigint NOT NULL,
                    root text COLLATE "C" NOT NULL,
                    "temporaryPath" text COLLATE "C" NOT NULL,
                    inode bigint NOT NULL,
                    device bigint NOT NULL,
                    "createdAt" double precision NOT NULL
                )
                """,
                #"CREATE INDEX "partialDownloadByKey" ON "partialDownload" (endpoint, bucket, key)"#,
                #"CREATE INDEX "partialDownloadByJob" ON "partialDownload" ("jobID")"#,
                """
                CREATE TABLE "downloadedRange" (
                    "downloadRowID" bigint NOT NULL REFERENCES "partialDownload" (id) ON DELETE CASCADE,
                    "partNumber" bigint NOT NULL,
                    length bigint NOT NULL,
                    md5 text NOT NULL,
                    PRIMARY KEY ("downloadRowID", "partNumber")
                )
                """,
                """
                CREATE TABLE run (
                    id bigserial PRIMARY KEY,
                    "jobID" bigint REFERENCES job (id) ON DELETE SET NULL,
                    command text NOT NULL,
                    direction text NOT NULL,
                    source text COLLATE "C" NOT NULL,
                    endpoint text COLLATE "C" NOT NULL,
                    bucket text COLLATE "C" NOT NULL,
                    prefix text COLLATE "C" NOT NULL,
                    pid bigint NOT NULL,
                    host text NOT NULL,
                    "startedAt" double precision NOT NULL,
                    "endedAt" double precision,
                    outcome text,
                    "plannedFiles" bigint NOT NULL DEFAULT 0,
                    "plannedBytes" bigint NOT NULL DEFAULT 0,
                    "transferredFiles" bigint NOT NULL DEFAULT 0,
                    "transferredBytes" bigint NOT NULL DEFAULT 0,
                    "skippedFiles" bigint NOT NULL DEFAULT 0,
                    "deletedFiles" bigint NOT NULL DEFAULT 0,
                    "failedFiles" bigint NOT NULL DEFAULT 0,
                    "changedFiles" bigint NOT NULL DEFAULT 0,
                    error text
                )
                """,
                #"CREATE INDEX "runBySync" ON run (source, bucket, prefix, endpoint, direction)"#,
                #"CREATE INDEX "runByJob" ON run ("jobID")"#,
                """
                CREATE TABLE "objectIndex" (
                    endpoint text COLLATE "C" NOT NULL,
                    bucket text COLLATE "C" NOT NULL,
                    key text COLLATE "C" NOT NULL,
                    root text COLLATE "C" NOT NULL DEFAULT '',
                    size bigint NOT NULL,
                    "mtimeNanoseconds" bigint NOT NULL,
                    inode bigint NOT NULL,
                    "eTag" text NOT NULL,
                    md5 text,
                    "partSize" bigint NOT NULL,
                    "multipartMD5" text,
                    "uploadedAt" double precision NOT NULL,
                    "completedAt" double precision,
                    "ctimeNanoseconds" bigint,
                    device bigint,
                    PRIMARY KEY (endpoint, bucket, key, root)
                )
                """,
                """
                CREATE TABLE worker (
                    id text PRIMARY KEY,
                    host text NOT NULL,
                    pid bigint NOT NULL,
                    role text NOT NULL,
                    "jobID" bigint,
                    "startedAt" double precision NOT NULL,
                    "heartbeatAt" double precision NOT NULL,
                    files bigint NOT NULL DEFAULT 0,
                    bytes bigint NOT NULL DEFAULT 0,
                    "throttledAt" double precision,
                    "stoppedAt" double precision
                )
                """,
            ]),
        // Parts of large files open to every host of the job, with who holds each.
        Migration(
            name: "v2",
            statements: [
                """
                CREATE TABLE "partClaim" (
                    "uploadRowID" bigint NOT NULL REFERENCES "multipartUpload" (id) ON DELETE CASCADE,
                    "partNumber" bigint NOT NULL,
                    "claimedBy" text,
                    "leaseUntil" double precision,
                    PRIMARY KEY ("uploadRowID", "partNumber")
                )
                """,
                #"CREATE INDEX "partClaimByWorker" ON "partClaim" ("claimedBy")"#,
                #"CREATE INDEX "workerByJob" ON worker ("jobID")"#,
            ]),
    ]

    /// The tables of the schema, to tell a database of another program from ours.
    static let tableNames = [
        "job", "task", "multipartUpload", "uploadPart", "partialDownload", "downloadedRange", "run", "objectIndex",
        "worker", "partClaim",
    ]

    /// Brings the schema up to date in one transaction, under an advisory lock so that hosts
    /// starting at once apply each migration once.
    /// - Throws: ``SyncError`` (configuration) when the database holds tables of another program,
    ///   was migrated by a newer s3sync, or does not store UTF-8.
    static func migrate(_ connection: PostgresConnection, location: PostgresLocation, logger: Logger) async throws {
        do {
            try await transaction(on: connection, logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLockKey))", logger: logger)
                try await checkDatabase(connection, location: location, logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS s3sync_migrations (name text PRIMARY KEY, applied_at double precision)",
                    logger: logger)
                var applied = Set<String>()
                for try await name in try await connection.query(
                    "SELECT name FROM s3sync_migrations", logger: logger
                ).decode(String.self) {
                    applied.insert(name)
                }
                let unknown = applied.subtracting(migrations.map(\.name))
                guard unknown.isEmpty else {
                    throw SyncError(
                        .configuration,
                        "the job queue \(location) was set up by a newer s3sync (migrations \(unknown.sorted().joined(separator: ", "))); upgrade s3sync on this host",
                        subject: .jobQueue(location.description))
                }
                for migration in migrations where !applied.contains(migration.name) {
                    logger.info(
                        "migrating the job queue", metadata: ["queue": "\(location)", "migration": "\(migration.name)"])
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        """
                        INSERT INTO s3sync_migrations (name, applied_at)
                        VALUES (\(migration.name), extract(epoch FROM clock_timestamp())::double precision)
                        """, logger: logger)
                }
            }
        } catch let error as SyncError {
            throw error
        } catch {
            throw PostgresFailure(error).syncError(location: location)
        }
    }

    /// Refuses a database that is not one s3sync can use, before the first write.
    static func checkDatabase(_ connection: PostgresConnection, location: PostgresLocation, logger: Logger)
        async throws
    {
        var encoding = ""
        for try await value in try await connection.query("SHOW server_encoding", logger: logger).decode(String.self) {
            encoding = value
        }
        guard encoding == "UTF8" || encoding == "SQL_ASCII" else {
            throw SyncError(
                .configuration,
                "the job queue \(location) stores text as \(encoding), not UTF-8, which keys need; create the database with ENCODING 'UTF8'",
                subject: .jobQueue(location.description))
        }
        var present: [String] = []
        for try await name in try await connection.query(
            """
            SELECT table_name::text FROM information_schema.tables
            WHERE table_schema = current_schema() AND table_name = ANY(\(tableNames + ["s3sync_migrations"]))
            ORDER BY table_name
            """, logger: logger
        ).decode(String.self) {
            present.append(name)
        }
        if !present.isEmpty && !present.contains("s3sync_migrations") {
            throw SyncError(
                .configuration,
                "the job queue \(location) has tables of another program (\(present.joined(separator: ", "))). They were left untouched; use another database or schema",
                subject: .jobQueue(location.description))
        }
    }

    /// "ok" when every migration is recorded and the server answers.
    public func integrityCheck() async throws -> String {
        let rows = try await rows("SELECT name FROM s3sync_migrations")
        let applied = Set(try rows.map { try $0.value("name", as: String.self) })
        let missing = Self.migrations.map(\.name).filter { !applied.contains($0) }
        guard missing.isEmpty else { return "migrations missing: \(missing.joined(separator: ", "))" }
        let answer = try await row("SELECT 1 AS one")
        guard try answer?.value("one", as: Int.self) == 1 else { return "the server did not answer SELECT 1" }
        return "ok"
    }
}

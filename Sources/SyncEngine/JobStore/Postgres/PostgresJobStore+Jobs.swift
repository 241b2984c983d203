import PostgresNIO

extension PostgresJobStore {
    /// The states of jobs that are not finished.
    static let unfinishedStates = ["planning", "running", "failed", "interrupted"]

    /// Records a new job and returns it with its id.
    public func createJob(_ job: JobRecord) async throws -> JobRecord {
        let row = try await row(
            """
            INSERT INTO job (
                source, endpoint, bucket, prefix, options, state, "createdAt", "updatedAt", "finishedAt",
                "plannedUploads", "plannedBytes", "plannedDeletes", "skippedFiles", "uploadedFiles", "uploadedBytes",
                "deletedFiles", "failedFiles", "changedFiles", warnings, runs, "lastError", direction)
            VALUES (
                \(job.source), \(job.endpoint), \(job.bucket), \(job.prefix), \(job.options), \(job.state.rawValue),
                \(job.createdAt), \(job.updatedAt), \(job.finishedAt), \(job.plannedUploads), \(job.plannedBytes),
                \(job.plannedDeletes), \(job.skippedFiles), \(job.uploadedFiles), \(job.uploadedBytes),
                \(job.deletedFiles), \(job.failedFiles), \(job.changedFiles), \(job.warnings), \(job.runs),
                \(job.lastError), \(job.direction.rawValue))
            RETURNING id
            """)
        var job = job
        job.id = try row?.value("id")
        return job
    }

    public func job(id: Int64) async throws -> JobRecord? {
        try await row("SELECT * FROM job WHERE id = \(id)")?.job()
    }

    /// Saves a job's state and counters.
    public func updateJob(_ job: JobRecord) async throws {
        try await rows(
            """
            UPDATE job SET
                source = \(job.source), endpoint = \(job.endpoint), bucket = \(job.bucket), prefix = \(job.prefix),
                options = \(job.options), state = \(job.state.rawValue), "createdAt" = \(job.createdAt),
                "updatedAt" = \(job.updatedAt), "finishedAt" = \(job.finishedAt),
                "plannedUploads" = \(job.plannedUploads), "plannedBytes" = \(job.plannedBytes),
                "plannedDeletes" = \(job.plannedDeletes), "skippedFiles" = \(job.skippedFiles),
                "uploadedFiles" = \(job.uploadedFiles), "uploadedBytes" = \(job.uploadedBytes),
                "deletedFiles" = \(job.deletedFiles), "failedFiles" = \(job.failedFiles),
                "changedFiles" = \(job.changedFiles), warnings = \(job.warnings), runs = \(job.runs),
                "lastError" = \(job.lastError), direction = \(job.direction.rawValue)
            WHERE id = \(job.id)
            """)
    }

    /// The most recent jobs, newest first.
    public func recentJobs(limit: Int) async throws -> [JobRecord] {
        try await rows("SELECT * FROM job ORDER BY id DESC LIMIT \(limit)").map { try $0.job() }
    }

    /// The most recent job of this direction, directory and prefix that completed.
    public func lastCompletedJob(
        source: String, endpoint: String, location: S3Location, direction: JobRecord.Direction
    ) async throws -> JobRecord? {
        try await row(
            """
            SELECT * FROM job
            WHERE state = 'completed' AND direction = \(direction.rawValue) AND source = \(source)
            AND endpoint = \(endpoint) AND bucket = \(location.bucket) AND prefix = \(location.prefix)
            ORDER BY id DESC LIMIT 1
            """)?.job()
    }

    /// Unfinished jobs, newest first; for one directory, prefix and direction when given.
    public func unfinishedJobs(
        source: String?, endpoint: String?, location: S3Location?, direction: JobRecord.Direction?
    ) async throws -> [JobRecord] {
        // A filter left out is a NULL parameter, which matches every job.
        try await rows(
            """
            SELECT * FROM job
            WHERE state = ANY(\(Self.unfinishedStates))
            AND (\(source)::text IS NULL OR source = \(source))
            AND (\(endpoint)::text IS NULL OR endpoint = \(endpoint))
            AND (\(direction?.rawValue)::text IS NULL OR direction = \(direction?.rawValue))
            AND (\(location?.bucket)::text IS NULL OR (bucket = \(location?.bucket) AND prefix = \(location?.prefix)))
            ORDER BY id DESC
            """
        ).map { try $0.job() }
    }
}

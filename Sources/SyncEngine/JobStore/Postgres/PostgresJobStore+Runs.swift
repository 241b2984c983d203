import PostgresNIO

extension PostgresJobStore {
    /// Records a run that starts, and removes the oldest runs of its sync beyond `keep`, in one
    /// statement. The removal does not see the new row, so it keeps `keep - 1` of the others.
    public func startRun(_ run: RunRecord, keep: Int) async throws -> RunRecord {
        let row = try await row(
            """
            WITH inserted AS (
                INSERT INTO run (
                    "jobID", command, direction, source, endpoint, bucket, prefix, pid, host, "startedAt", "endedAt",
                    outcome, "plannedFiles", "plannedBytes", "transferredFiles", "transferredBytes", "skippedFiles",
                    "deletedFiles", "failedFiles", "changedFiles", error)
                VALUES (
                    \(run.jobID), \(run.command), \(run.direction.rawValue), \(run.source), \(run.endpoint),
                    \(run.bucket), \(run.prefix), \(run.pid), \(run.host), \(run.startedAt), \(run.endedAt),
                    \(run.outcome?.rawValue), \(run.plannedFiles), \(run.plannedBytes), \(run.transferredFiles),
                    \(run.transferredBytes), \(run.skippedFiles), \(run.deletedFiles), \(run.failedFiles),
                    \(run.changedFiles), \(run.error))
                RETURNING id
            ), removed AS (
                DELETE FROM run
                WHERE source = \(run.source) AND bucket = \(run.bucket) AND prefix = \(run.prefix)
                AND endpoint = \(run.endpoint) AND direction = \(run.direction.rawValue)
                AND id <= (
                    SELECT id FROM run
                    WHERE source = \(run.source) AND bucket = \(run.bucket) AND prefix = \(run.prefix)
                    AND endpoint = \(run.endpoint) AND direction = \(run.direction.rawValue)
                    ORDER BY id DESC LIMIT 1 OFFSET \(max(keep, 1) - 1))
            )
            SELECT id FROM inserted
            """)
        var run = run
        run.id = try row?.value("id")
        return run
    }

    /// Names the job a run works on, once planning has made it.
    public func attachRun(id: Int64, jobID: Int64) async throws {
        try await rows(#"UPDATE run SET "jobID" = \#(jobID) WHERE id = \#(id)"#)
    }

    /// Saves a run's end: its outcome, end time and counts.
    public func finishRun(_ run: RunRecord) async throws {
        try await rows(
            """
            UPDATE run SET
                "jobID" = \(run.jobID), command = \(run.command), direction = \(run.direction.rawValue),
                source = \(run.source), endpoint = \(run.endpoint), bucket = \(run.bucket), prefix = \(run.prefix),
                pid = \(run.pid), host = \(run.host), "startedAt" = \(run.startedAt), "endedAt" = \(run.endedAt),
                outcome = \(run.outcome?.rawValue), "plannedFiles" = \(run.plannedFiles),
                "plannedBytes" = \(run.plannedBytes), "transferredFiles" = \(run.transferredFiles),
                "transferredBytes" = \(run.transferredBytes), "skippedFiles" = \(run.skippedFiles),
                "deletedFiles" = \(run.deletedFiles), "failedFiles" = \(run.failedFiles),
                "changedFiles" = \(run.changedFiles), error = \(run.error)
            WHERE id = \(run.id)
            """)
    }

    /// Forgets a run that never began its work (another run held the lock).
    public func removeRun(id: Int64) async throws {
        try await rows("DELETE FROM run WHERE id = \(id)")
    }

    public func run(id: Int64) async throws -> RunRecord? {
        try await row("SELECT * FROM run WHERE id = \(id)")?.run()
    }

    /// The runs of the sync a job belongs to (its own and those of the jobs before and after it
    /// for the same direction, directory, endpoint and prefix), newest first.
    public func runs(ofSyncOf job: JobRecord, limit: Int) async throws -> [RunRecord] {
        try await rows(
            """
            SELECT * FROM run
            WHERE source = \(job.source) AND bucket = \(job.bucket) AND prefix = \(job.prefix)
            AND endpoint = \(job.endpoint) AND direction = \(job.direction.rawValue)
            ORDER BY id DESC LIMIT \(limit)
            """
        ).map { try $0.run() }
    }

    /// The most recent runs of every sync, newest first.
    public func recentRuns(limit: Int) async throws -> [RunRecord] {
        try await rows("SELECT * FROM run ORDER BY id DESC LIMIT \(limit)").map { try $0.run() }
    }
}

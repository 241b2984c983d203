import PostgresNIO

extension PostgresJobStore {
    /// Claims up to `limit` of a job's pending tasks of a kind, in plan order, for `lease`, in one
    /// statement: the candidates are locked with `FOR UPDATE SKIP LOCKED`, so hosts claiming at
    /// once each get other tasks, and the leading ones within `maxBytes` are kept (the first
    /// always, as ``SQLiteJobStore/takeWithin(_:maxBytes:)`` does). Leases are on the server's
    /// clock, so hosts whose clocks disagree still agree on when a lease runs out.
    public func claimTasks(
        jobID: Int64, kind: TaskRecord.Kind, worker: String, limit: Int, maxBytes: Int64, lease: Duration
    ) async throws -> [TaskRecord] {
        try await rows(
            """
            WITH clock AS (
                SELECT extract(epoch FROM clock_timestamp())::double precision AS now
            ), candidate AS (
                SELECT id, size FROM task, clock
                WHERE "jobID" = \(jobID) AND kind = \(kind.rawValue) AND state = 'pending'
                -- From the job's first pending task (found in the taskClaims index), so that a scan
                -- in id order does not walk past the tasks already done.
                AND id >= (
                    SELECT min(id) FROM task
                    WHERE "jobID" = \(jobID) AND kind = \(kind.rawValue) AND state = 'pending')
                AND ("leaseUntil" IS NULL OR "leaseUntil" < clock.now)
                AND NOT ("claimedBy" IS NOT DISTINCT FROM \(worker) AND error IS NOT NULL)
                ORDER BY id LIMIT \(limit)
                FOR UPDATE OF task SKIP LOCKED
            ), taken AS (
                SELECT id FROM (
                    SELECT id, row_number() OVER (ORDER BY id) AS position, sum(size) OVER (ORDER BY id) AS total
                    FROM candidate
                ) AS running
                WHERE position = 1 OR total <= \(maxBytes)
            ), claimed AS (
                UPDATE task SET "claimedBy" = \(worker), "leaseUntil" = clock.now + \(lease.seconds), error = NULL
                FROM taken, clock WHERE task.id = taken.id
                RETURNING task.*
            )
            SELECT * FROM claimed ORDER BY id
            """
        ).map { try $0.task() }
    }

    /// Extends the lease of every pending task and open part `worker` holds; returns how many tasks
    /// it still holds.
    public func renewLeases(worker: String, lease: Duration) async throws -> Int {
        let row = try await row(
            """
            WITH parts AS (
                UPDATE "partClaim"
                SET "leaseUntil" = extract(epoch FROM clock_timestamp())::double precision + \(lease.seconds)
                WHERE "claimedBy" = \(worker)
            ), renewed AS (
                UPDATE task SET "leaseUntil" = extract(epoch FROM clock_timestamp())::double precision + \(lease.seconds)
                WHERE "claimedBy" = \(worker) AND state = 'pending' AND "leaseUntil" IS NOT NULL AND error IS NULL
                RETURNING 1
            )
            SELECT count(*) AS count FROM renewed
            """)
        return try row?.value("count") ?? 0
    }

    /// Gives back the pending tasks and open parts `worker` holds (a worker that stops cleanly).
    public func releaseClaims(worker: String) async throws {
        try await rows(
            """
            WITH parts AS (
                UPDATE "partClaim" SET "leaseUntil" = NULL, "claimedBy" = NULL WHERE "claimedBy" = \(worker)
            )
            UPDATE task SET "leaseUntil" = NULL, "claimedBy" = NULL
            WHERE "claimedBy" = \(worker) AND state = 'pending'
            """)
    }

    /// Records a worker, or its heartbeat, and returns the latest throttling any other worker of
    /// the same job reported, in one statement.
    public func heartbeat(_ worker: WorkerRecord) async throws -> Double? {
        let row = try await row(
            """
            WITH saved AS (
                INSERT INTO worker (
                    id, host, pid, role, "jobID", "startedAt", "heartbeatAt", files, bytes, "throttledAt", "stoppedAt")
                VALUES (
                    \(worker.id), \(worker.host), \(worker.pid), \(worker.role), \(worker.jobID), \(worker.startedAt),
                    \(worker.heartbeatAt), \(worker.files), \(worker.bytes), \(worker.throttledAt), \(worker.stoppedAt))
                ON CONFLICT (id) DO UPDATE SET
                    host = excluded.host, pid = excluded.pid, role = excluded.role, "jobID" = excluded."jobID",
                    "startedAt" = excluded."startedAt", "heartbeatAt" = excluded."heartbeatAt",
                    files = excluded.files, bytes = excluded.bytes, "throttledAt" = excluded."throttledAt",
                    "stoppedAt" = excluded."stoppedAt"
                RETURNING id
            )
            SELECT max("throttledAt") AS throttled FROM worker
            WHERE "jobID" = \(worker.jobID) AND id != \(worker.id)
            """)
        return try row?.value("throttled", as: Double?.self)
    }

    /// The workers that reported most recently, newest first.
    public func workers(limit: Int) async throws -> [WorkerRecord] {
        try await rows(#"SELECT * FROM worker ORDER BY "heartbeatAt" DESC LIMIT \#(limit)"#).map { try $0.worker() }
    }

    /// Files and bytes each worker finished for a job, by worker id.
    public func workerShares(jobID: Int64) async throws -> [String: TaskCount] {
        let rows = try await rows(
            """
            SELECT "claimedBy", kind, count(*) AS count, coalesce(sum(size), 0)::bigint AS bytes FROM task
            WHERE "jobID" = \(jobID) AND state = 'done' AND "claimedBy" IS NOT NULL
            GROUP BY "claimedBy", kind
            """)
        var shares: [String: TaskCount] = [:]
        for row in rows {
            let kind = TaskRecord.Kind(rawValue: try row.value("kind")) ?? .upload
            guard kind.transfers else { continue }
            let worker: String = try row.value("claimedBy")
            var share = shares[worker] ?? TaskCount(kind: kind, state: .done, count: 0, bytes: 0)
            share.count += try row.value("count", as: Int.self)
            share.bytes += try row.value("bytes", as: Int64.self)
            shares[worker] = share
        }
        return shares
    }
}

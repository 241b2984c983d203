import PostgresNIO

extension PostgresJobStore {
    /// Runs statements: one alone, several in one transaction.
    func execute(_ queries: [PostgresQuery]) async throws {
        if queries.count == 1 {
            try await rows(queries[0])
        } else if !queries.isEmpty {
            try await transaction { connection in
                for query in queries { try await connection.query(query, logger: logger) }
            }
        }
    }

    /// Inserts planned tasks in one transaction, a thousand rows or more a statement.
    public func insertTasks(_ tasks: [TaskRecord]) async throws {
        let queries = PostgresValues.queries(
            tasks,
            types: [
                "bigint", "text", "text", "text", "bigint", "bigint", "bigint", "text", "text", "bigint", "text",
                "text",
            ],
            sql: """
                INSERT INTO task ("jobID", kind, path, key, size, "mtimeNanoseconds", inode, reason, state, attempts,
                    error, "eTag")
                VALUES VALUES_LIST
                """
        ) { task, binds in
            binds.append(task.jobID)
            binds.append(task.kind.rawValue)
            binds.append(task.path)
            binds.append(task.key)
            binds.append(task.size)
            binds.append(task.mtimeNanoseconds)
            binds.append(task.inode)
            binds.append(task.reason)
            binds.append(task.state.rawValue)
            binds.append(task.attempts)
            binds.append(task.error)
            binds.append(task.eTag)
        }
        try await execute(queries)
    }

    /// Removes a job's tasks (before planning it again).
    public func removeTasks(jobID: Int64) async throws {
        try await rows(#"DELETE FROM task WHERE "jobID" = \#(jobID)"#)
    }

    /// Pending tasks of a kind in plan order, a page at a time.
    public func pendingTasks(jobID: Int64, kind: TaskRecord.Kind, after id: Int64, limit: Int) async throws
        -> [TaskRecord]
    {
        try await rows(
            """
            SELECT * FROM task
            WHERE "jobID" = \(jobID) AND state = 'pending' AND kind = \(kind.rawValue) AND id > \(id)
            ORDER BY id LIMIT \(limit)
            """
        ).map { try $0.task() }
    }

    /// Saves the outcome of tasks (state, attempts, error, the file's identity) in one statement
    /// (one transaction for very large batches); the last of several updates of a task wins.
    public func updateTasks(_ tasks: [TaskRecord]) async throws {
        var latest: [Int64: Int] = [:]
        for (index, task) in tasks.enumerated() {
            if let id = task.id { latest[id] = index }
        }
        let updates = tasks.indices.filter { index in tasks[index].id.map { latest[$0] == index } ?? false }
        let queries = PostgresValues.queries(
            updates.map { tasks[$0] },
            types: ["bigint", "text", "bigint", "text", "bigint", "bigint", "bigint", "text", "double precision"],
            sql: """
                UPDATE task SET state = v.state, attempts = v.attempts, error = v.error, size = v.size,
                    "mtimeNanoseconds" = v.mtime, inode = v.inode, "claimedBy" = v.claimed,
                    "leaseUntil" = v.lease
                FROM (VALUES VALUES_LIST) AS v (id, state, attempts, error, size, mtime, inode, claimed, lease)
                WHERE task.id = v.id
                """
        ) { task, binds in
            binds.append(task.id)
            binds.append(task.state.rawValue)
            binds.append(task.attempts)
            binds.append(task.error)
            binds.append(task.size)
            binds.append(task.mtimeNanoseconds)
            binds.append(task.inode)
            binds.append(task.claimedBy)
            binds.append(task.leaseUntil)
        }
        try await execute(queries)
    }

    /// Counts of a job's tasks by kind and state, with their bytes.
    public func taskCounts(jobID: Int64) async throws -> [TaskCount] {
        try await rows(
            """
            SELECT kind, state, count(*) AS count, coalesce(sum(size), 0)::bigint AS bytes FROM task
            WHERE "jobID" = \(jobID) GROUP BY kind, state ORDER BY kind, state
            """
        ).map { row in
            TaskCount(
                kind: try row.value("kind"), state: try row.value("state"), count: try row.value("count"),
                bytes: try row.value("bytes"))
        }
    }

    /// Keys of a job's finished uploads of at least `minimumSize` bytes (those sent in parts).
    public func doneUploadKeys(jobID: Int64, minimumSize: Int64) async throws -> Set<String> {
        let rows = try await rows(
            """
            SELECT key FROM task
            WHERE "jobID" = \(jobID) AND kind = 'upload' AND state = 'done' AND size >= \(minimumSize)
            """)
        return Set(try rows.map { try $0.value("key", as: String.self) })
    }

    /// Tasks that failed or kept changing, for reports.
    public func problemTasks(jobID: Int64, limit: Int) async throws -> [TaskRecord] {
        try await rows(
            """
            SELECT * FROM task WHERE "jobID" = \(jobID) AND state IN ('failed', 'changed')
            ORDER BY id LIMIT \(limit)
            """
        ).map { try $0.task() }
    }

    /// Puts a job's failed and changed tasks back to pending (not local problems found while
    /// planning: those need a new push).
    public func retryFailedTasks(jobID: Int64) async throws {
        try await rows(
            """
            UPDATE task SET state = 'pending'
            WHERE "jobID" = \(jobID) AND state IN ('failed', 'changed') AND reason != 'local'
            """)
    }
}

import GRDB

extension JobStore {
    /// Inserts planned tasks in one transaction.
    public func insertTasks(_ tasks: [TaskRecord]) async throws {
        guard !tasks.isEmpty else { return }
        try await writer.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO task (jobID, kind, path, key, size, mtimeNanoseconds, inode, reason, state, attempts, error)
                    VALUES (?,?,?,?,?,?,?,?,?,?,?)
                    """)
            for task in tasks {
                try statement.execute(arguments: [
                    task.jobID, task.kind.rawValue, task.path, task.key, task.size, task.mtimeNanoseconds, task.inode,
                    task.reason, task.state.rawValue, task.attempts, task.error,
                ])
            }
        }
    }

    /// Removes a job's tasks (before planning it again).
    public func removeTasks(jobID: Int64) async throws {
        try await writer.write { db in
            _ = try TaskRecord.filter(Column("jobID") == jobID).deleteAll(db)
        }
    }

    /// Pending tasks of a kind in plan order, a page at a time.
    public func pendingTasks(jobID: Int64, kind: TaskRecord.Kind, after id: Int64 = 0, limit: Int = 1000) async throws
        -> [TaskRecord]
    {
        try await writer.read { db in
            try TaskRecord.filter(
                Column("jobID") == jobID && Column("state") == TaskRecord.State.pending.rawValue
                    && Column("kind") == kind.rawValue && Column("id") > id
            )
            .order(Column("id")).limit(limit).fetchAll(db)
        }
    }

    /// Saves the outcome of tasks (state, attempts, error) in one transaction.
    public func updateTasks(_ tasks: [TaskRecord]) async throws {
        guard !tasks.isEmpty else { return }
        try await writer.write { db in
            for task in tasks {
                try db.execute(
                    sql:
                        "UPDATE task SET state = ?, attempts = ?, error = ?, size = ?, mtimeNanoseconds = ?, inode = ? WHERE id = ?",
                    arguments: [
                        task.state.rawValue, task.attempts, task.error, task.size, task.mtimeNanoseconds, task.inode,
                        task.id,
                    ])
            }
        }
    }

    /// Counts of a job's tasks by kind and state, with their bytes.
    public func taskCounts(jobID: Int64) async throws -> [TaskCount] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT kind, state, COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM task WHERE jobID = ? GROUP BY kind, state",
                arguments: [jobID]
            ).map { row in
                TaskCount(
                    kind: TaskRecord.Kind(rawValue: row["kind"]) ?? .upload,
                    state: TaskRecord.State(rawValue: row["state"]) ?? .pending, count: row["count"],
                    bytes: row["bytes"])
            }
        }
    }

    /// Keys of a job's finished uploads of at least `minimumSize` bytes (those sent in parts).
    public func doneUploadKeys(jobID: Int64, minimumSize: Int64) async throws -> Set<String> {
        try await writer.read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: "SELECT key FROM task WHERE jobID = ? AND kind = 'upload' AND state = 'done' AND size >= ?",
                    arguments: [jobID, minimumSize]))
        }
    }

    /// Tasks that failed or kept changing, for reports.
    public func problemTasks(jobID: Int64, limit: Int = 50) async throws -> [TaskRecord] {
        try await writer.read { db in
            try TaskRecord.filter(
                Column("jobID") == jobID
                    && [TaskRecord.State.failed, .changed].map(\.rawValue).contains(Column("state"))
            )
            .order(Column("id")).limit(limit).fetchAll(db)
        }
    }
}

/// How many tasks of a kind are in a state.
public struct TaskCount: Sendable, Hashable {
    public var kind: TaskRecord.Kind
    public var state: TaskRecord.State
    public var count: Int
    public var bytes: Int64
}

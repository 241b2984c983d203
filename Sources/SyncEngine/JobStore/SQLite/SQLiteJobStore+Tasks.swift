import GRDB

extension SQLiteJobStore {
    /// Inserts planned tasks in one transaction.
    public func insertTasks(_ tasks: [TaskRecord]) async throws {
        guard !tasks.isEmpty else { return }
        try await writer.write { db in
            let statement = try db.cachedStatement(
                sql: Self.insertSQL(into: TaskRecord.self, TaskRecord.Columns.inserted))
            for task in tasks {
                try statement.execute(arguments: task.insertionArguments)
            }
        }
    }

    /// Removes a job's tasks (before planning it again).
    public func removeTasks(jobID: Int64) async throws {
        try await writer.write { db in
            _ = try TaskRecord.filter { $0.jobID == jobID }.deleteAll(db)
        }
    }

    /// Pending tasks of a kind in plan order, a page at a time.
    public func pendingTasks(jobID: Int64, kind: TaskRecord.Kind, after id: Int64, limit: Int) async throws
        -> [TaskRecord]
    {
        try await writer.read { db in
            try TaskRecord.filter { $0.jobID == jobID }
                .filter { $0.state == TaskRecord.State.pending }
                .filter { $0.kind == kind }
                .filter { $0.id > id }
                .order(\.id).limit(limit).fetchAll(db)
        }
    }

    /// Saves the outcome of tasks (state, attempts, error) in one transaction.
    public func updateTasks(_ tasks: [TaskRecord]) async throws {
        guard !tasks.isEmpty else { return }
        try await writer.write { db in
            typealias Columns = TaskRecord.Columns
            for task in tasks {
                try db.cachedStatement(
                    literal: """
                        UPDATE \(TaskRecord.self)
                        SET \(Columns.state) = \(task.state), \(Columns.attempts) = \(task.attempts), \
                        \(Columns.error) = \(task.error), \(Columns.size) = \(task.size), \
                        \(Columns.mtimeNanoseconds) = \(task.mtimeNanoseconds), \(Columns.inode) = \(task.inode), \
                        \(Columns.claimedBy) = \(task.claimedBy), \(Columns.leaseUntil) = \(task.leaseUntil)
                        WHERE \(Columns.id) = \(task.id)
                        """
                ).execute()
            }
        }
    }

    /// Counts of a job's tasks by kind and state, with their bytes.
    public func taskCounts(jobID: Int64) async throws -> [TaskCount] {
        try await writer.read { db in
            try TaskRecord.filter { $0.jobID == jobID }
                .select { [$0.kind, $0.state, count($0.id), sum($0.size) ?? 0] }
                .group { [$0.kind, $0.state] }
                .asRequest(of: Row.self)
                .fetchAll(db)
                .map { row in
                    TaskCount(
                        kind: TaskRecord.Kind.fromDatabaseValue(row[0]) ?? .upload,
                        state: TaskRecord.State.fromDatabaseValue(row[1]) ?? .pending, count: row[2], bytes: row[3])
                }
        }
    }

    /// Keys of a job's finished uploads of at least `minimumSize` bytes (those sent in parts).
    public func doneUploadKeys(jobID: Int64, minimumSize: Int64) async throws -> Set<String> {
        try await writer.read { db in
            try TaskRecord.filter { $0.jobID == jobID }
                .filter { $0.kind == TaskRecord.Kind.upload }
                .filter { $0.state == TaskRecord.State.done }
                .filter { $0.size >= minimumSize }
                .select(\.key, as: String.self)
                .fetchSet(db)
        }
    }

    /// Tasks that failed or kept changing, for reports.
    public func problemTasks(jobID: Int64, limit: Int) async throws -> [TaskRecord] {
        try await writer.read { db in
            try TaskRecord.filter {
                $0.jobID == jobID && [TaskRecord.State.failed, .changed].contains($0.state)
            }
            .order(\.id).limit(limit).fetchAll(db)
        }
    }

    /// Puts a job's failed and changed tasks back to pending (not local problems found while
    /// planning: those need a new push).
    public func retryFailedTasks(jobID: Int64) async throws {
        try await writer.write { db in
            _ = try TaskRecord.filter { $0.jobID == jobID }
                .filter { [TaskRecord.State.failed, .changed].contains($0.state) }
                .filter { $0.reason != "local" }
                .updateAll(db) { $0.state.set(to: TaskRecord.State.pending) }
        }
    }
}

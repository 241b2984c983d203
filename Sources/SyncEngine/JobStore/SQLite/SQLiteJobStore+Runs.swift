import GRDB

extension SQLiteJobStore {
    /// Records a run that starts, and removes the oldest runs of its sync beyond `keep`.
    public func startRun(_ run: RunRecord, keep: Int) async throws -> RunRecord {
        try await writer.write { db in
            var run = run
            try run.insert(db)
            let sameSync: SQL = """
                source = \(run.source) AND bucket = \(run.bucket) AND prefix = \(run.prefix) \
                AND endpoint = \(run.endpoint) AND direction = \(run.direction)
                """
            try db.execute(
                literal: """
                    DELETE FROM run WHERE \(sameSync) AND id <= (
                        SELECT id FROM run WHERE \(sameSync) ORDER BY id DESC LIMIT 1 OFFSET \(max(keep, 1)))
                    """)
            return run
        }
    }

    /// Names the job a run works on, once planning has made it.
    public func attachRun(id: Int64, jobID: Int64) async throws {
        try await writer.write { db in
            _ = try RunRecord.filter(key: id).updateAll(db) { $0.jobID.set(to: jobID) }
        }
    }

    /// Saves a run's end: its outcome, end time and counts.
    public func finishRun(_ run: RunRecord) async throws {
        try await writer.write { db in try run.update(db) }
    }

    /// Forgets a run that never began its work (another run held the lock).
    public func removeRun(id: Int64) async throws {
        try await writer.write { db in _ = try RunRecord.deleteOne(db, key: id) }
    }

    public func run(id: Int64) async throws -> RunRecord? {
        try await writer.read { db in try RunRecord.fetchOne(db, key: id) }
    }

    /// The runs of the sync a job belongs to (its own and those of the jobs before and after it
    /// for the same direction, directory, endpoint and prefix), newest first.
    public func runs(ofSyncOf job: JobRecord, limit: Int) async throws -> [RunRecord] {
        try await writer.read { db in
            try RunRecord.filter { $0.source == job.source && $0.bucket == job.bucket }
                .filter { $0.prefix == job.prefix && $0.endpoint == job.endpoint }
                .filter { $0.direction == job.direction }
                .order(\.id.desc).limit(limit).fetchAll(db)
        }
    }

    /// The most recent runs of every sync, newest first.
    public func recentRuns(limit: Int) async throws -> [RunRecord] {
        try await writer.read { db in try RunRecord.order(\.id.desc).limit(limit).fetchAll(db) }
    }
}

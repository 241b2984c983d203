import GRDB

extension SQLiteJobStore {
    /// Records a new job and returns it with its id.
    public func createJob(_ job: JobRecord) async throws -> JobRecord {
        try await writer.write { db in
            var job = job
            try job.insert(db)
            return job
        }
    }

    public func job(id: Int64) async throws -> JobRecord? {
        try await writer.read { db in try JobRecord.fetchOne(db, key: id) }
    }

    /// Saves a job's state and counters.
    public func updateJob(_ job: JobRecord) async throws {
        try await writer.write { db in try job.update(db) }
    }

    /// The most recent jobs, newest first.
    public func recentJobs(limit: Int) async throws -> [JobRecord] {
        try await writer.read { db in
            try JobRecord.order(\.id.desc).limit(limit).fetchAll(db)
        }
    }

    /// The most recent job of this direction, directory and prefix that completed.
    public func lastCompletedJob(
        source: String, endpoint: String, location: S3Location, direction: JobRecord.Direction
    ) async throws -> JobRecord? {
        try await writer.read { db in
            try JobRecord.filter { $0.state == JobRecord.State.completed && $0.direction == direction }
                .filter { $0.source == source && $0.endpoint == endpoint }
                .filter { $0.bucket == location.bucket && $0.prefix == location.prefix }
                .order(\.id.desc).fetchOne(db)
        }
    }

    /// Unfinished jobs, newest first; for one directory, prefix and direction when given.
    public func unfinishedJobs(
        source: String?, endpoint: String?, location: S3Location?, direction: JobRecord.Direction?
    ) async throws -> [JobRecord] {
        try await writer.read { db in
            var request = JobRecord.filter {
                [JobRecord.State.planning, .running, .failed, .interrupted].contains($0.state)
            }
            if let source { request = request.filter { $0.source == source } }
            if let endpoint { request = request.filter { $0.endpoint == endpoint } }
            if let direction { request = request.filter { $0.direction == direction } }
            if let location {
                request = request.filter { $0.bucket == location.bucket && $0.prefix == location.prefix }
            }
            return try request.order(\.id.desc).fetchAll(db)
        }
    }
}

import GRDB

extension SQLiteJobStore {
    /// What the database says about the multipart uploads under a destination: the uploads
    /// recorded there for this endpoint, the jobs that recorded them, and the keys unfinished
    /// pushes to the same endpoint and bucket still have to upload under it.
    /// - Parameter isRunning: whether a run is working on an unfinished job now (its lock is held).
    public func uploadClaims(
        endpoint: String, location: S3Location, isRunning: (JobRecord) -> Bool
    ) async throws -> UploadClaims {
        let unfinishedStates = [JobRecord.State.planning, .running, .failed, .interrupted]
        let (records, jobs, pending) = try await writer.read { db in
            let records = try MultipartUploadRecord.filter {
                $0.endpoint == endpoint && $0.bucket == location.bucket
                    && $0.key.like(Self.likePattern(location.prefix), escape: "\\")
            }
            .order(\.id).fetchAll(db)
            let owners = Set(records.compactMap(\.jobID))
            let unfinished = try JobRecord.filter {
                unfinishedStates.contains($0.state) && $0.direction == JobRecord.Direction.push
                    && $0.endpoint == endpoint && $0.bucket == location.bucket
            }
            .fetchAll(db)
            let jobs = try JobRecord.filter(keys: owners).fetchAll(db) + unfinished
            let pending = try Row.fetchCursor(
                db,
                sql: """
                    SELECT task.key, task.jobID FROM task JOIN job ON job.id = task.jobID
                    WHERE job.state IN ('planning', 'running', 'failed', 'interrupted') AND job.direction = 'push'
                    AND job.endpoint = ? AND job.bucket = ? AND task.kind = 'upload' AND task.state != 'done'
                    AND task.key LIKE ? ESCAPE '\\'
                    ORDER BY task.jobID
                    """,
                arguments: [endpoint, location.bucket, Self.likePattern(location.prefix)]
            ).map { row -> (key: String, job: Int64) in (row[0], row[1]) }
            return (records, jobs, try Array(pending))
        }
        return UploadClaims(
            records: records, jobs: jobs, pending: pending, endpoint: endpoint, location: location,
            isRunning: isRunning)
    }
}

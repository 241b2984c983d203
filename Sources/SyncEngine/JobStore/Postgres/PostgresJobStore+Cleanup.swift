import PostgresNIO

extension PostgresJobStore {
    /// What the queue says about the multipart uploads under a destination: the uploads recorded
    /// there for this endpoint, the jobs that recorded them, and the keys unfinished pushes to the
    /// same endpoint and bucket still have to upload under it; read from one snapshot.
    /// - Parameter isRunning: whether a run is working on an unfinished job now.
    public func uploadClaims(
        endpoint: String, location: S3Location, isRunning: (JobRecord) -> Bool
    ) async throws -> UploadClaims {
        let pattern = Self.likePattern(location.prefix)
        let (records, jobs, pending) = try await transaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
            let records = try await connection.query(
                """
                SELECT * FROM "multipartUpload"
                WHERE endpoint = \(endpoint) AND bucket = \(location.bucket) AND key LIKE \(pattern) ESCAPE '\\'
                ORDER BY id
                """, logger: logger
            ).collect().map { try $0.makeRandomAccess().multipartUpload() }
            let owners = Array(Set(records.compactMap(\.jobID)))
            let jobs = try await connection.query(
                """
                SELECT * FROM job WHERE id = ANY(\(owners))
                UNION ALL
                SELECT * FROM job
                WHERE state = ANY(\(Self.unfinishedStates)) AND direction = 'push' AND endpoint = \(endpoint)
                AND bucket = \(location.bucket)
                """, logger: logger
            ).collect().map { try $0.makeRandomAccess().job() }
            let pending = try await connection.query(
                """
                SELECT task.key, task."jobID" FROM task JOIN job ON job.id = task."jobID"
                WHERE job.state = ANY(\(Self.unfinishedStates)) AND job.direction = 'push'
                AND job.endpoint = \(endpoint) AND job.bucket = \(location.bucket) AND task.kind = 'upload'
                AND task.state != 'done' AND task.key LIKE \(pattern) ESCAPE '\\'
                ORDER BY task."jobID"
                """, logger: logger
            ).collect().map { row in
                let row = row.makeRandomAccess()
                return (key: try row.value("key", as: String.self), job: try row.value("jobID", as: Int64.self))
            }
            return (records, jobs, pending)
        }
        return UploadClaims(
            records: records, jobs: jobs, pending: pending, endpoint: endpoint, location: location,
            isRunning: isRunning)
    }
}

import Foundation
import GRDB

extension SQLiteJobStore {
    public var description: String { path }

    public var lockDirectory: String? { (path as NSString).deletingLastPathComponent }

    /// Lock files beside the state file hold the planner's lock (``JobLock``).
    public func withPlannerLock<T: Sendable>(
        identity: String, description: String, _ body: () async throws -> T
    ) async throws -> T? { nil }

    public func claimTasks(
        jobID: Int64, kind: TaskRecord.Kind, worker: String, limit: Int, maxBytes: Int64, lease: Duration
    ) async throws -> [TaskRecord] {
        try await writer.write { db in
            let now = Date().timeIntervalSince1970
            let candidates = try TaskRecord.filter { $0.jobID == jobID && $0.kind == kind }
                .filter { $0.state == TaskRecord.State.pending }
                .filter { $0.leaseUntil == nil || $0.leaseUntil < now }
                // Not a task this worker gave back (it did not see the file).
                .filter { !($0.claimedBy == worker && $0.error != nil) }
                .order(\.id).limit(limit).fetchAll(db)
            let claimed = Self.takeWithin(candidates, maxBytes: maxBytes)
            let until = now + lease.seconds
            for var task in claimed {
                task.claimedBy = worker
                task.leaseUntil = until
                try db.cachedStatement(
                    literal: """
                        UPDATE \(TaskRecord.self) SET \(TaskRecord.Columns.claimedBy) = \(worker), \
                        \(TaskRecord.Columns.leaseUntil) = \(until), \(TaskRecord.Columns.error) = NULL WHERE \(TaskRecord.Columns.id) = \(task.id)
                        """
                ).execute()
            }
            return claimed.map { task in
                var task = task
                task.claimedBy = worker
                task.leaseUntil = until
                task.error = nil
                return task
            }
        }
    }

    /// The leading tasks that together hold at most `maxBytes` (at least one).
    static func takeWithin(_ tasks: [TaskRecord], maxBytes: Int64) -> [TaskRecord] {
        var total: Int64 = 0
        var taken: [TaskRecord] = []
        for task in tasks {
            if !taken.isEmpty && total + task.size > maxBytes { break }
            total += task.size
            taken.append(task)
        }
        return taken
    }

    public func openParts(uploadRowID: Int64, numbers: [Int]) async throws {
        guard !numbers.isEmpty else { return }
        try await writer.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO partClaim (uploadRowID, partNumber) SELECT ?1, ?2
                    WHERE NOT EXISTS (SELECT 1 FROM uploadPart WHERE uploadRowID = ?1 AND partNumber = ?2)
                    """)
            for number in numbers { try statement.execute(arguments: [uploadRowID, number]) }
        }
    }

    public func claimPart(jobID: Int64, uploadRowID: Int64?, worker: String, lease: Duration) async throws
        -> PartClaim?
    {
        try await writer.write { db -> PartClaim? in
            let now = Date().timeIntervalSince1970
            let upload: SQL = uploadRowID.map { "AND c.uploadRowID = \($0)" } ?? ""
            let request = SQLRequest<Row>(
                literal: """
                    SELECT c.uploadRowID, c.partNumber FROM partClaim c JOIN multipartUpload m ON m.id = c.uploadRowID
                    WHERE m.jobID = \(jobID) \(upload) AND (c.leaseUntil IS NULL OR c.leaseUntil < \(now))
                    AND NOT EXISTS (
                        SELECT 1 FROM uploadPart p WHERE p.uploadRowID = c.uploadRowID AND p.partNumber = c.partNumber)
                    ORDER BY c.uploadRowID, c.partNumber LIMIT 1
                    """)
            guard let row = try request.fetchOne(db) else { return nil }
            let rowID: Int64 = row[0]
            let number: Int = row[1]
            try db.execute(
                literal: """
                    UPDATE partClaim SET claimedBy = \(worker), leaseUntil = \(now + lease.seconds)
                    WHERE uploadRowID = \(rowID) AND partNumber = \(number)
                    """)
            guard let record = try MultipartUploadRecord.fetchOne(db, key: rowID) else { return nil }
            return PartClaim(upload: record, partNumber: number)
        }
    }

    public func renewLeases(worker: String, lease: Duration) async throws -> Int {
        try await writer.write { db in
            let until = Date().timeIntervalSince1970 + lease.seconds
            try db.execute(literal: "UPDATE partClaim SET leaseUntil = \(until) WHERE claimedBy = \(worker)")
            try db.execute(
                literal: """
                    UPDATE task SET leaseUntil = \(until)
                    WHERE claimedBy = \(worker) AND state = 'pending' AND leaseUntil IS NOT NULL AND error IS NULL
                    """)
            return db.changesCount
        }
    }

    public func releaseClaims(worker: String) async throws {
        try await writer.write { db in
            try db.execute(
                literal: """
                    UPDATE task SET leaseUntil = NULL, claimedBy = NULL
                    WHERE claimedBy = \(worker) AND state = 'pending'
                    """)
            try db.execute(
                literal: "UPDATE partClaim SET leaseUntil = NULL, claimedBy = NULL WHERE claimedBy = \(worker)")
        }
    }

    public func heartbeat(_ worker: WorkerRecord) async throws -> Double? {
        try await writer.write { db -> Double? in
            try worker.save(db)
            guard let jobID = worker.jobID else { return nil }
            let others = SQLRequest<Double>(
                literal: "SELECT max(throttledAt) FROM worker WHERE jobID = \(jobID) AND id != \(worker.id)")
            return try others.fetchOne(db)
        }
    }

    public func workers(limit: Int) async throws -> [WorkerRecord] {
        try await writer.read { db in
            try WorkerRecord.order(Column("heartbeatAt").desc).limit(limit).fetchAll(db)
        }
    }

    public func workerShares(jobID: Int64) async throws -> [String: TaskCount] {
        try await writer.read { db in
            let rows = try Row.fetchAll(
                db,
                SQLRequest<Row>(
                    literal: """
                        SELECT claimedBy, kind, count(*), coalesce(sum(size), 0) FROM task
                        WHERE jobID = \(jobID) AND state = 'done' AND claimedBy IS NOT NULL
                        GROUP BY claimedBy, kind
                        """))
            var shares: [String: TaskCount] = [:]
            for row in rows {
                let kind = TaskRecord.Kind.fromDatabaseValue(row[1]) ?? .upload
                guard kind.transfers else { continue }
                let worker: String = row[0]
                var share = shares[worker] ?? TaskCount(kind: kind, state: .done, count: 0, bytes: 0)
                share.count += row[2] as Int
                share.bytes += row[3] as Int64
                shares[worker] = share
            }
            return shares
        }
    }
}

import Foundation
import S3Client

/// What `s3sync status` shows about a job (a push or a pull): its state, its tasks by state, its
/// failures and its open multipart uploads. For a pull, `source` is the bucket prefix and
/// `destination` the directory; the planned and done counts are of downloads.
public struct JobStatus: Sendable, Codable, Hashable {
    public struct Tasks: Sendable, Codable, Hashable {
        public var pending = 0
        public var pendingBytes: Int64 = 0
        public var done = 0
        public var failed = 0
        public var changed = 0
        public var vanished = 0
        public var pendingDeletes = 0
    }

    public struct OpenUpload: Sendable, Codable, Hashable {
        public var key: String
        public var uploadId: String
        public var partsDone: Int
        public var bytesDone: Int64
        public var size: Int64
    }

    public var job: Int64
    public var direction: JobRecord.Direction
    public var state: String
    public var source: String
    public var destination: String
    public var endpoint: String
    public var createdAt: String
    public var updatedAt: String
    public var runs: Int
    public var plannedUploads: Int
    public var plannedBytes: Int64
    public var plannedDeletes: Int
    public var skippedFiles: Int
    public var uploadedFiles: Int
    public var uploadedBytes: Int64
    public var deletedFiles: Int
    public var tasks: Tasks
    public var failures: [RunReport.Failure]
    public var openUploads: [OpenUpload]
    public var lastError: String?
    /// The run working on the job now (the holder of the job's lock), if any.
    public var heldBy: JobLock.Holder?

    /// The status of one job, or of the most recent jobs. A job recorded as planning or running
    /// whose lock nobody holds was killed: its state reads `interrupted`.
    /// - Parameter lockDirectory: where the lock files are; by default next to the state database.
    public static func load(
        store: any JobStore, jobID: Int64?, limit: Int = 10, lockDirectory: String? = nil
    ) async throws -> [JobStatus] {
        let lockDirectory = lockDirectory ?? store.lockDirectory ?? NSTemporaryDirectory()
        let jobs: [JobRecord]
        if let jobID {
            guard let job = try await store.job(id: jobID) else {
                throw SyncError(.usage, "there is no job \(jobID)", subject: .unknownJob(jobID))
            }
            jobs = [job]
        } else {
            jobs = try await store.recentJobs(limit: limit)
        }
        var result: [JobStatus] = []
        for job in jobs {
            guard let id = job.id else { continue }
            var tasks = Tasks()
            // What is done comes from the tasks, which are recorded as they finish; the job's
            // counters are added up only when a run ends, which a SIGKILL skips.
            var transferred = (files: 0, bytes: Int64(0))
            var deleted = 0
            let counts = try await store.taskCounts(jobID: id)
            for count in counts where count.state == .done {
                if count.kind.transfers {
                    transferred.files += count.count
                    transferred.bytes += count.bytes
                } else if count.kind.deletes {
                    deleted += count.count
                }
            }
            for count in counts {
                switch (count.kind, count.state) {
                case (.upload, .pending), (.download, .pending), (.directory, .pending):
                    tasks.pending += count.count
                    tasks.pendingBytes += count.bytes
                case (.delete, .pending), (.removeLocal, .pending): tasks.pendingDeletes += count.count
                case (_, .done): tasks.done += count.count
                case (_, .failed): tasks.failed += count.count
                case (_, .changed): tasks.changed += count.count
                case (_, .vanished): tasks.vanished += count.count
                }
            }
            var uploads: [OpenUpload] = []
            for upload in try await store.multipartUploads(jobID: id) {
                let parts = try await store.parts(uploadRowID: upload.id ?? 0)
                uploads.append(
                    OpenUpload(
                        key: upload.key, uploadId: upload.uploadID, partsDone: parts.count,
                        bytesDone: parts.reduce(0) { $0 + $1.size }, size: upload.size))
            }
            let holder =
                job.state.isFinished
                ? nil
                : JobLock.currentHolder(
                    directory: lockDirectory,
                    identity: SyncRunner.identity(endpoint: job.endpoint, location: job.destination, source: job.source)
                )
            let killed = holder == nil && (job.state == .running || job.state == .planning)
            result.append(
                JobStatus(
                    job: id, direction: job.direction,
                    state: killed ? JobRecord.State.interrupted.rawValue : job.state.rawValue,
                    source: job.direction == .push ? job.source : job.destination.description,
                    destination: job.direction == .push ? job.destination.description : job.source,
                    endpoint: job.endpoint,
                    createdAt: Timestamp.iso8601(secondsSince1970: Int(job.createdAt)),
                    updatedAt: Timestamp.iso8601(secondsSince1970: Int(job.updatedAt)), runs: job.runs,
                    plannedUploads: job.plannedUploads, plannedBytes: job.plannedBytes,
                    plannedDeletes: job.plannedDeletes,
                    skippedFiles: job.skippedFiles, uploadedFiles: transferred.files,
                    uploadedBytes: transferred.bytes, deletedFiles: deleted, tasks: tasks,
                    failures: try await store.problemTasks(jobID: id, limit: 20).map {
                        .init(path: $0.path, error: $0.error ?? $0.state.rawValue)
                    },
                    openUploads: uploads, lastError: job.lastError, heldBy: holder))
        }
        return result
    }

    /// A few lines for a terminal, control characters in names escaped.
    public var text: String {
        var heading = "job \(job): \(state)"
        if let heldBy {
            heading += " (pid \(heldBy.pid) on \(heldBy.host) since \(heldBy.startedAt))"
        }
        let copy = direction == .push ? "upload" : "download"
        var lines = [
            heading + "  \(direction.rawValue) \(source) → \(destination)",
            "  started \(createdAt), updated \(updatedAt), \(runs) run\(runs == 1 ? "" : "s")",
            "  planned: \(plannedUploads) \(copy)s (\(ByteCount.format(plannedBytes))), \(plannedDeletes) deletes, \(skippedFiles) unchanged",
            "  done: \(uploadedFiles) \(copy)ed (\(ByteCount.format(uploadedBytes))), \(deletedFiles) deleted",
        ]
        if tasks.pending > 0 || tasks.pendingDeletes > 0 {
            lines.append(
                "  left: \(tasks.pending) \(copy)s (\(ByteCount.format(tasks.pendingBytes))), \(tasks.pendingDeletes) deletes"
                    + (heldBy == nil ? " — run `s3sync resume \(job)`" : "")
            )
        }
        if tasks.failed > 0 || tasks.changed > 0 {
            lines.append("  failed: \(tasks.failed), changed while copied: \(tasks.changed)")
        }
        for failure in failures.prefix(10) { lines.append("    \(failure.path): \(failure.error)") }
        for upload in openUploads {
            lines.append(
                "  open multipart upload: \(upload.key) — \(upload.partsDone) parts, \(ByteCount.format(upload.bytesDone)) of \(ByteCount.format(upload.size)) stored"
            )
        }
        if let lastError, state != "completed" { lines.append("  last error: \(lastError)") }
        return lines.map(\.singleLine).joined(separator: "\n")
    }

    /// JSON with snake_case keys.
    public static func json(_ statuses: [JobStatus], single: Bool) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data?
        if single, let first = statuses.first {
            data = try? encoder.encode(first)
        } else {
            data = try? encoder.encode(statuses)
        }
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

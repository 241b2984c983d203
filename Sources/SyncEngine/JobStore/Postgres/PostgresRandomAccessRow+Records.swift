import PostgresNIO

/// The store's records read from rows by column name (the columns of `SELECT *` or `RETURNING *`).
extension PostgresRandomAccessRow {
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }

    /// A text column that holds one of an enumeration's raw values.
    func value<T: RawRepresentable>(_ column: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
        let text = try self[column].decode(String.self)
        guard let value = T(rawValue: text) else {
            throw SyncError(
                .configuration, "the job queue has '\(text)' in the column \(column), which s3sync does not know")
        }
        return value
    }

    func job() throws -> JobRecord {
        var job = JobRecord(
            source: try value("source"), endpoint: try value("endpoint"), bucket: try value("bucket"),
            prefix: try value("prefix"), options: try value("options"), state: try value("state"),
            now: try value("createdAt"), direction: try value("direction"))
        job.id = try value("id")
        job.updatedAt = try value("updatedAt")
        job.finishedAt = try value("finishedAt")
        job.plannedUploads = try value("plannedUploads")
        job.plannedBytes = try value("plannedBytes")
        job.plannedDeletes = try value("plannedDeletes")
        job.skippedFiles = try value("skippedFiles")
        job.uploadedFiles = try value("uploadedFiles")
        job.uploadedBytes = try value("uploadedBytes")
        job.deletedFiles = try value("deletedFiles")
        job.failedFiles = try value("failedFiles")
        job.changedFiles = try value("changedFiles")
        job.warnings = try value("warnings")
        job.runs = try value("runs")
        job.lastError = try value("lastError")
        return job
    }

    func task() throws -> TaskRecord {
        var task = TaskRecord(
            jobID: try value("jobID"), kind: try value("kind"), path: try value("path"), key: try value("key"),
            identity: nil, reason: try value("reason"), state: try value("state"))
        task.id = try value("id")
        task.size = try value("size")
        task.mtimeNanoseconds = try value("mtimeNanoseconds")
        task.inode = try value("inode")
        task.attempts = try value("attempts")
        task.error = try value("error")
        task.eTag = try value("eTag")
        task.claimedBy = try value("claimedBy")
        task.leaseUntil = try value("leaseUntil")
        return task
    }

    func multipartUpload() throws -> MultipartUploadRecord {
        let identity = FileIdentity(size: 0, mtimeNanoseconds: 0, ctimeNanoseconds: 0, inode: 0, device: 0)
        var upload = MultipartUploadRecord(
            jobID: try value("jobID"), endpoint: try value("endpoint"), bucket: try value("bucket"),
            key: try value("key"), uploadID: try value("uploadID"), path: try value("path"), identity: identity,
            partSize: try value("partSize"), checksumAlgorithm: try value("checksumAlgorithm"),
            createdAt: try value("createdAt"))
        upload.id = try value("id")
        upload.size = try value("size")
        upload.mtimeNanoseconds = try value("mtimeNanoseconds")
        upload.ctimeNanoseconds = try value("ctimeNanoseconds")
        upload.inode = try value("inode")
        upload.device = try value("device")
        return upload
    }

    func part() throws -> PartRecord {
        PartRecord(
            uploadRowID: try value("uploadRowID"), partNumber: try value("partNumber"), size: try value("size"),
            eTag: try value("eTag"), checksumAlgorithm: try value("checksumAlgorithm"), checksum: try value("checksum"))
    }

    func partialDownload() throws -> PartialDownloadRecord {
        var download = PartialDownloadRecord(
            jobID: try value("jobID"), endpoint: try value("endpoint"), bucket: try value("bucket"),
            key: try value("key"), eTag: try value("eTag"), size: try value("size"), partSize: try value("partSize"),
            root: try value("root"), temporaryPath: try value("temporaryPath"), inode: 0, device: 0,
            createdAt: try value("createdAt"))
        download.id = try value("id")
        download.inode = try value("inode")
        download.device = try value("device")
        return download
    }

    func downloadedRange() throws -> DownloadedRangeRecord {
        DownloadedRangeRecord(
            downloadRowID: try value("downloadRowID"), partNumber: try value("partNumber"), length: try value("length"),
            md5: try value("md5"))
    }

    func run() throws -> RunRecord {
        var run = RunRecord(
            command: try value("command"), direction: try value("direction"), source: try value("source"),
            endpoint: try value("endpoint"),
            location: S3Location(bucket: try value("bucket"), prefix: try value("prefix")),
            jobID: try value("jobID"), pid: try value("pid"), host: try value("host"), startedAt: try value("startedAt")
        )
        run.id = try value("id")
        run.endedAt = try value("endedAt")
        run.outcome = try value("outcome", as: String?.self).map { text throws(SyncError) in
            guard let outcome = RunRecord.Outcome(rawValue: text) else {
                throw SyncError(
                    .configuration, "the job queue has the run outcome '\(text)', which s3sync does not know")
            }
            return outcome
        }
        run.plannedFiles = try value("plannedFiles")
        run.plannedBytes = try value("plannedBytes")
        run.transferredFiles = try value("transferredFiles")
        run.transferredBytes = try value("transferredBytes")
        run.skippedFiles = try value("skippedFiles")
        run.deletedFiles = try value("deletedFiles")
        run.failedFiles = try value("failedFiles")
        run.changedFiles = try value("changedFiles")
        run.error = try value("error")
        return run
    }

    func indexRecord() throws -> IndexRecord {
        let identity = FileIdentity(size: 0, mtimeNanoseconds: 0, ctimeNanoseconds: 0, inode: 0, device: 0)
        var record = IndexRecord(
            endpoint: try value("endpoint"), bucket: try value("bucket"), key: try value("key"),
            root: try value("root"), identity: identity, eTag: try value("eTag"), md5: try value("md5"),
            partSize: try value("partSize"), multipartMD5: try value("multipartMD5"),
            uploadedAt: try value("uploadedAt"), completedAt: try value("completedAt"))
        record.size = try value("size")
        record.mtimeNanoseconds = try value("mtimeNanoseconds")
        record.ctimeNanoseconds = try value("ctimeNanoseconds")
        record.inode = try value("inode")
        record.device = try value("device")
        return record
    }

    func worker() throws -> WorkerRecord {
        WorkerRecord(
            id: try value("id"), host: try value("host"), pid: try value("pid"), role: try value("role"),
            jobID: try value("jobID"), startedAt: try value("startedAt"), heartbeatAt: try value("heartbeatAt"),
            files: try value("files"), bytes: try value("bytes"), throttledAt: try value("throttledAt"),
            stoppedAt: try value("stoppedAt"))
    }
}

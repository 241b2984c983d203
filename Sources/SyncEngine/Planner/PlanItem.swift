import S3Client

/// One decision of the planner.
public enum PlanItem: Sendable {
    /// Upload the file; `reason` is why (`new`, `size`, `mtime`, `inode`, `ctime`, `etag`, `content`).
    case upload(LocalFile, reason: String)
    /// Download the object to `path` (relative to the directory); `reason` as for uploads.
    case download(ObjectSummary, path: String, reason: String)
    /// The file and the object are the same.
    case skip(LocalFile)
    /// The index entry of a skipped file, brought up to date with the file's stat and the ETag
    /// the listing shows: for the object s3sync completed as a multipart upload (see
    /// ``ChangeDetector/Decision/adoptListedETag``), a record from before s3sync kept the ctime
    /// (``ChangeDetector/Decision/skipAndRecordStat``), or a file `--checksum` read and found
    /// equal to the object.
    case refreshIndexRecord(IndexRecord)
    /// The key exists only in the bucket (push with `--delete`).
    case delete(key: String)
    /// The file exists only locally (pull with `--delete`).
    case removeLocal(LocalFile)
    /// A directory marker's directory (pull).
    case makeDirectory(path: String)
    /// Something that cannot be copied (reported, and a failure when its severity says so).
    case problem(LocalProblem)
}

/// One decision of the planner.
public enum PlanItem: Sendable {
    /// Upload the file; `reason` is why (`new`, `size`, `mtime`, `inode`, `ctime`, `etag`, `content`).
    case upload(LocalFile, reason: String)
    /// The file is already in the bucket.
    case skip(LocalFile)
    /// The index entry of a skipped file, brought up to date with the file's stat and the ETag
    /// the listing shows: for the object s3sync completed as a multipart upload (see
    /// ``ChangeDetector/Decision/adoptListedETag``), a record from before s3sync kept the ctime
    /// (``ChangeDetector/Decision/skipAndRecordStat``), or a file `--checksum` read and found
    /// equal to the object.
    case refreshIndexRecord(IndexRecord)
    /// The key exists only in the bucket (with `--delete`).
    case delete(key: String)
    /// Something local cannot be uploaded (reported, and a failure when its severity says so).
    case problem(LocalProblem)
}

/// One decision of the planner.
public enum PlanItem: Sendable {
    /// Upload the file; `reason` is why (`new`, `size`, `mtime`, `etag`, `content`).
    case upload(LocalFile, reason: String)
    /// The file is already in the bucket.
    case skip(LocalFile)
    /// The index entry of a skipped file, updated to the ETag the listing shows for the object
    /// s3sync completed (see ``ChangeDetector/Decision/adoptListedETag``).
    case adoptListedETag(IndexRecord)
    /// The key exists only in the bucket (with `--delete`).
    case delete(key: String)
    /// Something local cannot be uploaded (reported, and a failure when its severity says so).
    case problem(LocalProblem)
}

import S3Client

/// Decides whether a local file must be uploaded over what the bucket has: the pure core of
/// the planner.
public enum ChangeDetector {
    /// Why a file is uploaded (or that it is not).
    public enum Decision: Sendable, Hashable {
        case upload(reason: String)
        case skip
        /// `--checksum`, and the index cannot vouch for the content: hash the file and compare.
        case compareContent
        /// The file is unchanged and the object is the one s3sync completed as a multipart upload,
        /// listed under another ETag than the completion returned: skip, and record the listed one.
        case adoptListedETag
    }

    /// How much later than the server's `Date` at the completion a listing may date the object:
    /// `Date` has whole seconds, listings milliseconds.
    public static let completionDateResolution: Double = 1

    /// - Parameters:
    ///   - remote: the listed object at the same key, if any.
    ///   - record: what s3sync recorded when it last uploaded this key, if anything.
    public static func decide(
        local: FileIdentity, remote: ObjectSummary?, record: IndexRecord?, mode: SyncOptions.CompareMode
    ) -> Decision {
        guard let remote else { return .upload(reason: "new") }
        if remote.size != local.size { return .upload(reason: "size") }
        switch mode {
        case .sizeOnly:
            return .skip
        case .sizeAndTime:
            if let record {
                if record.size != local.size || record.mtimeNanoseconds != local.mtimeNanoseconds {
                    return .upload(reason: "mtime")
                }
                if record.eTag == remote.eTag { return .skip }
                return completedHere(record, listedAs: remote) ? .adoptListedETag : .upload(reason: "etag")
            }
            // Without a record: like aws s3 sync, newer than the upload time means changed.
            let localSeconds = Double(local.mtimeNanoseconds) / 1e9
            return localSeconds > remote.lastModified ? .upload(reason: "mtime") : .skip
        case .checksum:
            if let record, record.size == local.size, record.mtimeNanoseconds == local.mtimeNanoseconds {
                if record.eTag == remote.eTag { return .skip }
                if completedHere(record, listedAs: remote) { return .adoptListedETag }
            }
            return .compareContent
        }
    }

    /// Whether a listed object whose ETag differs from the record is still the multipart upload
    /// the record describes: the store dates it no later than its own clock at the completion,
    /// or by the file's mtime s3sync sent along (rclone dates objects so, even in the future). An
    /// object written over it afterwards is dated later, so it is uploaded again.
    static func completedHere(_ record: IndexRecord, listedAs remote: ObjectSummary) -> Bool {
        guard record.partSize > 0, let completedAt = record.completedAt, remote.size == record.size else {
            return false
        }
        let mtime = Double(record.mtimeNanoseconds) / 1e9
        return remote.lastModified <= completedAt + completionDateResolution
            || abs(remote.lastModified - mtime) < completionDateResolution
    }
}

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
    }

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
                if record.eTag != remote.eTag { return .upload(reason: "etag") }
                return .skip
            }
            // Without a record: like aws s3 sync, newer than the upload time means changed.
            let localSeconds = Double(local.mtimeNanoseconds) / 1e9
            return localSeconds > remote.lastModified ? .upload(reason: "mtime") : .skip
        case .checksum:
            if let record, record.size == local.size, record.mtimeNanoseconds == local.mtimeNanoseconds,
                record.eTag == remote.eTag
            {
                return .skip
            }
            return .compareContent
        }
    }
}

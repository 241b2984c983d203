import S3Client

/// Decides whether a local file must be uploaded over what the bucket has: the pure core of
/// the planner.
public enum ChangeDetector {
    /// Why a file is uploaded (or that it is not).
    public enum Decision: Sendable, Hashable {
        case transfer(reason: String)
        case skip
        /// `--checksum`, and the index cannot vouch for the content: hash the file and compare.
        case compareContent
        /// The file is unchanged and the object is the one s3sync completed as a multipart upload,
        /// listed under another ETag than the completion returned: skip, and record the listed one.
        case adoptListedETag
        /// Skip, and bring the record up to date with the file's stat (and the listed ETag): the
        /// record is from before s3sync kept the ctime and matches the size, mtime and inode, or
        /// (`--checksum`) the file's content was found equal to the object. The next run then
        /// compares the full stat.
        case skipAndRecordStat
    }

    /// How a file's stat now compares with the one recorded when s3sync uploaded it.
    public enum StatComparison: Sendable, Hashable {
        /// Size, mtime, ctime and inode are what they were: the content is too.
        case unchanged
        /// Size, mtime and inode are what they were, and the record has no ctime to compare
        /// (written before s3sync kept it).
        case unchangedWithoutCtime
        /// Something differs; `reason` names the first field that does.
        case changed(reason: String)
    }

    /// How much later than the server's `Date` at the completion a listing may date the object:
    /// `Date` has whole seconds, listings milliseconds.
    public static let completionDateResolution: Double = 1

    /// - Parameters:
    ///   - remote: the listed object at the same key, if any.
    ///   - record: what s3sync recorded when it last uploaded or downloaded this key, if anything.
    ///   - direction: which way the copy goes; without a record, a copy is made when the side it
    ///     comes from is newer.
    public static func decide(
        local: FileIdentity, remote: ObjectSummary?, record: IndexRecord?, mode: SyncOptions.CompareMode,
        direction: JobRecord.Direction = .push
    ) -> Decision {
        guard let remote else { return .transfer(reason: "new") }
        if remote.size != local.size { return .transfer(reason: "size") }
        switch mode {
        case .sizeOnly:
            return .skip
        case .sizeAndTime:
            if let record {
                let comparison = compare(local, with: record)
                if case .changed(let reason) = comparison { return .transfer(reason: reason) }
                if record.eTag == remote.eTag {
                    // A record without the ctime vouches as it always did, once; from then on the
                    // full stat is compared.
                    return comparison == .unchangedWithoutCtime ? .skipAndRecordStat : .skip
                }
                return completedHere(record, listedAs: remote) ? .adoptListedETag : .transfer(reason: "etag")
            }
            // Without a record: like aws s3 sync, the side copied from being newer means changed.
            let localSeconds = Double(local.mtimeNanoseconds) / 1e9
            let sourceIsNewer =
                direction == .push ? localSeconds > remote.lastModified : remote.lastModified > localSeconds
            return sourceIsNewer ? .transfer(reason: "mtime") : .skip
        case .checksum:
            // Only the full stat vouches for the content without reading it: a record without the
            // ctime cannot tell an edit whose mtime was put back, so the content is compared.
            if let record, compare(local, with: record) == .unchanged {
                if record.eTag == remote.eTag { return .skip }
                if completedHere(record, listedAs: remote) { return .adoptListedETag }
            }
            return .compareContent
        }
    }

    /// Compares the stat of a file with the one recorded at its upload, as git's index does:
    /// size, mtime, ctime (to the nanosecond) and inode. The device is recorded but not compared:
    /// its number can change at a reboot or remount (btrfs subvolumes, LVM, NFS) while the file
    /// does not, and a file copied to another device gets a new ctime anyway.
    public static func compare(_ local: FileIdentity, with record: IndexRecord) -> StatComparison {
        if record.size != local.size || record.mtimeNanoseconds != local.mtimeNanoseconds {
            return .changed(reason: "mtime")
        }
        if record.inode != Int64(bitPattern: local.inode) { return .changed(reason: "inode") }
        guard let ctime = record.ctimeNanoseconds else { return .unchangedWithoutCtime }
        return ctime == local.ctimeNanoseconds ? .unchanged : .changed(reason: "ctime")
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

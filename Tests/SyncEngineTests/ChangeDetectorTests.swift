import S3Client
import Testing

@testable import SyncEngine

@Suite struct ChangeDetectorTests {
    let local = FileIdentity(
        size: 10, mtimeNanoseconds: 2_000_000_000_000_000_000, ctimeNanoseconds: 2_000_000_100_000_000_001, inode: 7,
        device: 1)

    func remote(size: Int64 = 10, eTag: String = "e1", lastModified: Double = 1_999_999_999) -> ObjectSummary {
        ObjectSummary(key: "k", size: size, eTag: eTag, lastModified: lastModified)
    }

    /// What s3sync recorded at the upload: the local stat unless a field is given.
    func record(
        mtime: Int64? = nil, ctime: Int64? = nil, inode: UInt64? = nil, device: UInt64? = nil, eTag: String = "e1",
        partSize: Int64 = 0, completedAt: Double? = nil
    ) -> IndexRecord {
        var identity = local
        if let mtime { identity.mtimeNanoseconds = mtime }
        if let ctime { identity.ctimeNanoseconds = ctime }
        if let inode { identity.inode = inode }
        if let device { identity.device = device }
        return IndexRecord(
            endpoint: "e", bucket: "b", key: "k", identity: identity, eTag: eTag, md5: nil, partSize: partSize,
            multipartMD5: nil, uploadedAt: 0, completedAt: completedAt)
    }

    /// A record written before s3sync kept the ctime and the device.
    func recordWithoutCtime(eTag: String = "e1", partSize: Int64 = 0, completedAt: Double? = nil) -> IndexRecord {
        var record = record(eTag: eTag, partSize: partSize, completedAt: completedAt)
        record.ctimeNanoseconds = nil
        record.device = nil
        return record
    }

    @Test func missingKeysAndSizeChangesUpload() {
        #expect(
            ChangeDetector.decide(local: local, remote: nil, record: nil, mode: .sizeAndTime)
                == .transfer(reason: "new"))
        #expect(
            ChangeDetector.decide(local: local, remote: remote(size: 9), record: record(), mode: .sizeOnly)
                == .transfer(reason: "size"))
    }

    @Test func theIndexDecidesExactly() {
        #expect(ChangeDetector.decide(local: local, remote: remote(), record: record(), mode: .sizeAndTime) == .skip)
        // A same-size edit changes the mtime.
        #expect(
            ChangeDetector.decide(local: local, remote: remote(), record: record(mtime: 1), mode: .sizeAndTime)
                == .transfer(reason: "mtime"))
        // Someone else replaced the object.
        #expect(
            ChangeDetector.decide(local: local, remote: remote(eTag: "other"), record: record(), mode: .sizeAndTime)
                == .transfer(reason: "etag"))
    }

    /// rclone lists a multipart object under the whole file's MD5, not the ETag its
    /// CompleteMultipartUpload returned: the listed ETag is adopted while the store dates the
    /// object no later than its clock at the completion, or by the file's mtime; an object
    /// written later is someone else's.
    @Test(arguments: [SyncOptions.CompareMode.sizeAndTime, .checksum])
    func aMultipartObjectListedUnderAnotherETagIsAdoptedUnlessWrittenLater(mode: SyncOptions.CompareMode) {
        let completed = record(eTag: "parts-2", partSize: 8 << 20, completedAt: 5_000)
        let changed: ChangeDetector.Decision = mode == .checksum ? .compareContent : .transfer(reason: "etag")
        func decide(_ remote: ObjectSummary, _ record: IndexRecord) -> ChangeDetector.Decision {
            ChangeDetector.decide(local: local, remote: remote, record: record, mode: mode)
        }
        #expect(decide(remote(eTag: "md5", lastModified: 4_000), completed) == .adoptListedETag)
        #expect(decide(remote(eTag: "md5", lastModified: 5_000.999), completed) == .adoptListedETag)
        #expect(decide(remote(eTag: "md5", lastModified: 5_002), completed) == changed)
        // Dated by the file's mtime (here in the future of the completion), as rclone does.
        #expect(decide(remote(eTag: "md5", lastModified: 2e9), completed) == .adoptListedETag)
        // Without the server's date of the completion, or for a single PUT (whose ETag is what
        // listings show), a different ETag is a change.
        #expect(decide(remote(eTag: "md5", lastModified: 4_000), record(eTag: "parts-2", partSize: 8 << 20)) == changed)
        #expect(decide(remote(eTag: "md5", lastModified: 4_000), record(eTag: "e1", completedAt: 5_000)) == changed)
        // The local file changed since the upload: the record vouches for nothing.
        let edited = record(mtime: 1, eTag: "parts-2", partSize: 8 << 20, completedAt: 5_000)
        #expect(
            decide(remote(eTag: "md5", lastModified: 4_000), edited)
                == (mode == .checksum ? .compareContent : .transfer(reason: "mtime")))
    }

    /// `touch -r`, `rsync -t` or a restored backup put the mtime back after a same-size edit; the
    /// ctime, which no system call sets back, shows the edit.
    @Test func anEditWhoseMtimeWasPutBackIsUploaded() {
        let edited = record(ctime: local.ctimeNanoseconds - 1)
        #expect(
            ChangeDetector.decide(local: local, remote: remote(), record: edited, mode: .sizeAndTime)
                == .transfer(reason: "ctime"))
    }

    @Test func anEditWhoseMtimeWasPutBackIsReadWithChecksum() {
        let edited = record(ctime: local.ctimeNanoseconds + 1)
        #expect(
            ChangeDetector.decide(local: local, remote: remote(), record: edited, mode: .checksum) == .compareContent)
    }

    /// A file replaced by another (an editor's save, `rsync` without `--inplace`) has a new inode.
    @Test func aReplacedFileIsUploadedOrReadWithChecksum() {
        let replaced = record(inode: 8)
        #expect(
            ChangeDetector.decide(local: local, remote: remote(), record: replaced, mode: .sizeAndTime)
                == .transfer(reason: "inode"))
        #expect(
            ChangeDetector.decide(local: local, remote: remote(), record: replaced, mode: .checksum) == .compareContent)
    }

    /// Device numbers change at reboots and remounts (btrfs subvolumes, LVM, NFS) while files do
    /// not; git's index does not compare them either.
    @Test(arguments: [SyncOptions.CompareMode.sizeAndTime, .checksum])
    func anotherDeviceNumberAloneIsNoChange(mode: SyncOptions.CompareMode) {
        #expect(ChangeDetector.decide(local: local, remote: remote(), record: record(device: 2), mode: mode) == .skip)
    }

    @Test func theStatComparisonNamesTheFirstFieldThatDiffers() {
        #expect(ChangeDetector.compare(local, with: record()) == .unchanged)
        #expect(ChangeDetector.compare(local, with: record(mtime: 1, ctime: 1)) == .changed(reason: "mtime"))
        #expect(ChangeDetector.compare(local, with: record(ctime: 1, inode: 1)) == .changed(reason: "inode"))
        #expect(ChangeDetector.compare(local, with: record(ctime: 1)) == .changed(reason: "ctime"))
        #expect(ChangeDetector.compare(local, with: recordWithoutCtime()) == .unchangedWithoutCtime)
    }

    /// A record written before s3sync kept the ctime vouches as it did then (size, mtime and now
    /// the inode), and is brought up to date with the full stat; an upgrade uploads nothing.
    @Test func aRecordWithoutCtimeSkipsAndRecordsTheStatInTheDefaultMode() {
        func decide(_ remote: ObjectSummary, _ record: IndexRecord) -> ChangeDetector.Decision {
            ChangeDetector.decide(local: local, remote: remote, record: record, mode: .sizeAndTime)
        }
        #expect(decide(remote(), recordWithoutCtime()) == .skipAndRecordStat)
        #expect(decide(remote(eTag: "other"), recordWithoutCtime()) == .transfer(reason: "etag"))
        let completed = recordWithoutCtime(eTag: "parts-2", partSize: 8 << 20, completedAt: 5_000)
        #expect(decide(remote(eTag: "md5", lastModified: 4_000), completed) == .adoptListedETag)
        var moved = recordWithoutCtime()
        moved.inode = 8
        #expect(decide(remote(), moved) == .transfer(reason: "inode"))
    }

    /// `--checksum` trusts nothing but the full stat: a record without the ctime cannot tell an
    /// edit whose mtime was put back, so the content is read (once: the planner then records it).
    @Test func aRecordWithoutCtimeIsReadWithChecksum() {
        #expect(
            ChangeDetector.decide(local: local, remote: remote(), record: recordWithoutCtime(), mode: .checksum)
                == .compareContent)
    }

    @Test func withoutARecordNewerThanTheUploadMeansChanged() {
        #expect(
            ChangeDetector.decide(local: local, remote: remote(lastModified: 1_000), record: nil, mode: .sizeAndTime)
                == .transfer(reason: "mtime"))
        #expect(
            ChangeDetector.decide(local: local, remote: remote(lastModified: 3e9), record: nil, mode: .sizeAndTime)
                == .skip)
    }

    @Test func sizeOnlyIgnoresTimes() {
        #expect(
            ChangeDetector.decide(
                local: local, remote: remote(lastModified: 0), record: record(mtime: 1), mode: .sizeOnly) == .skip)
    }

    @Test func checksumTrustsTheIndexOnlyWhenTheStatIsUnchanged() {
        #expect(ChangeDetector.decide(local: local, remote: remote(), record: record(), mode: .checksum) == .skip)
        #expect(
            ChangeDetector.decide(local: local, remote: remote(), record: record(mtime: 1), mode: .checksum)
                == .compareContent)
        #expect(ChangeDetector.decide(local: local, remote: remote(), record: nil, mode: .checksum) == .compareContent)
    }

    @Test func partPlansStayWithinTenThousandParts() {
        let small = PartPlan(fileSize: 100 << 20, preferredPartSize: 8 << 20)
        #expect(small.partSize == 8 << 20)
        #expect(small.partCount == 13)
        #expect(small.range(ofPart: 13) == (12 * (8 << 20), 4 << 20))
        let huge = PartPlan(fileSize: 200 << 30, preferredPartSize: 8 << 20)
        #expect(huge.partCount <= 10_000)
        #expect(huge.partSize % (1 << 20) == 0)
        #expect(PartPlan(fileSize: 1, preferredPartSize: 1).partSize == 5 << 20)
    }

    @Test func destinationsParseAndScopeTheirPrefix() throws {
        let location = try S3Location(parsing: "s3://bucket/pre/fix")
        #expect(location.bucket == "bucket")
        #expect(location.prefix == "pre/fix/")
        #expect(location.relativePath(of: "pre/fix/a") == "a")
        #expect(location.relativePath(of: "pre/fixture/a") == nil)
        #expect(try S3Location(parsing: "bucket").prefix == "")
        #expect(try S3Location(parsing: "bucket/p/").prefix == "p/")
        #expect(throws: SyncError.self) { try S3Location(parsing: "s3://") }
        #expect(throws: SyncError.self) { try S3Location(parsing: "s3://a b/c") }
    }

    @Test func sizesParse() {
        #expect(ByteCount.parse("8MiB") == 8 << 20)
        #expect(ByteCount.parse("64M") == 64 << 20)
        #expect(ByteCount.parse("1GiB") == 1 << 30)
        #expect(ByteCount.parse("500k") == 500 << 10)
        #expect(ByteCount.parse("10MB") == 10_000_000)
        #expect(ByteCount.parse("1048576") == 1_048_576)
        #expect(ByteCount.parse("ten") == nil)
        #expect(ByteCount.parse("5 XB") == nil)
    }

    @Test func mtimeMetadataLooksLikeRclones() {
        #expect(
            FileIdentity(
                size: 0, mtimeNanoseconds: 1_700_000_000_123_456_789, ctimeNanoseconds: 0, inode: 0, device: 0
            ).mtimeMetadata == "1700000000.123456789")
        #expect(
            FileIdentity(size: 0, mtimeNanoseconds: 5_000_000_007, ctimeNanoseconds: 0, inode: 0, device: 0)
                .mtimeMetadata == "5.000000007")
    }
}

import S3Client
import Testing

@testable import SyncEngine

@Suite struct ChangeDetectorTests {
    let local = FileIdentity(size: 10, mtimeNanoseconds: 2_000_000_000_000_000_000, inode: 7, device: 1)

    func remote(size: Int64 = 10, eTag: String = "e1", lastModified: Double = 1_999_999_999) -> ObjectSummary {
        ObjectSummary(key: "k", size: size, eTag: eTag, lastModified: lastModified)
    }

    func record(mtime: Int64? = nil, eTag: String = "e1") -> IndexRecord {
        var identity = local
        if let mtime { identity.mtimeNanoseconds = mtime }
        return IndexRecord(
            endpoint: "e", bucket: "b", key: "k", identity: identity, eTag: eTag, md5: nil, partSize: 0,
            multipartMD5: nil,
            uploadedAt: 0)
    }

    @Test func missingKeysAndSizeChangesUpload() {
        #expect(
            ChangeDetector.decide(local: local, remote: nil, record: nil, mode: .sizeAndTime) == .upload(reason: "new"))
        #expect(
            ChangeDetector.decide(local: local, remote: remote(size: 9), record: record(), mode: .sizeOnly)
                == .upload(reason: "size"))
    }

    @Test func theIndexDecidesExactly() {
        #expect(ChangeDetector.decide(local: local, remote: remote(), record: record(), mode: .sizeAndTime) == .skip)
        // A same-size edit changes the mtime.
        #expect(
            ChangeDetector.decide(local: local, remote: remote(), record: record(mtime: 1), mode: .sizeAndTime)
                == .upload(reason: "mtime"))
        // Someone else replaced the object.
        #expect(
            ChangeDetector.decide(local: local, remote: remote(eTag: "other"), record: record(), mode: .sizeAndTime)
                == .upload(reason: "etag"))
    }

    @Test func withoutARecordNewerThanTheUploadMeansChanged() {
        #expect(
            ChangeDetector.decide(local: local, remote: remote(lastModified: 1_000), record: nil, mode: .sizeAndTime)
                == .upload(reason: "mtime"))
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
            FileIdentity(size: 0, mtimeNanoseconds: 1_700_000_000_123_456_789, inode: 0, device: 0).mtimeMetadata
                == "1700000000.123456789")
        #expect(
            FileIdentity(size: 0, mtimeNanoseconds: 5_000_000_007, inode: 0, device: 0).mtimeMetadata == "5.000000007")
    }
}

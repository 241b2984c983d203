import Foundation
import S3TestSupport
import Testing

@testable import SyncEngine

@Suite struct JobStoreTests {
    @Test func stateFilesArePrivate() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("state")
        defer { TestEnvironment.removeTree(directory) }
        let path = directory + "/nested/state/state.db"
        _ = try JobStore(path: path)
        let fileMode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        let directoryMode =
            try FileManager.default.attributesOfItem(atPath: directory + "/nested/state")[.posixPermissions] as? Int
        #expect(fileMode == 0o600)
        #expect(directoryMode == 0o700)
    }

    @Test func aForeignOrCorruptFileIsRefusedAndLeftUntouched() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("state")
        defer { TestEnvironment.removeTree(directory) }
        let garbage = directory + "/garbage.db"
        let bytes = Data(repeating: 0x42, count: 8192)
        try bytes.write(to: URL(fileURLWithPath: garbage))
        #expect(throws: SyncError.self) { try JobStore(path: garbage) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: garbage)) == bytes)

        let foreign = directory + "/foreign.db"
        let result = try Shell.runSync("/usr/bin/sqlite3", [foreign, "CREATE TABLE customers(id INTEGER);"])
        #expect(result == 0)
        let error = #expect(throws: SyncError.self) { try JobStore(path: foreign) }
        #expect(error?.message.contains("another program") == true)
    }

    @Test func tasksRoundTripAndCount() async throws {
        let store = try JobStore.inMemory()
        let job = try await store.createJob(
            JobRecord(source: "/s", endpoint: "e", bucket: "b", prefix: "p/", options: "{}", state: .running, now: 1))
        let id = try #require(job.id)
        let identity = FileIdentity(size: 5, mtimeNanoseconds: 9, inode: UInt64.max, device: 1)
        try await store.insertTasks(
            (0..<2500).map {
                TaskRecord(jobID: id, kind: .upload, path: "f\($0)", key: "p/f\($0)", identity: identity, reason: "new")
            })
        var page = try await store.pendingTasks(jobID: id, kind: .upload)
        #expect(page.count == 1000)
        #expect(page.first?.inode == Int64(bitPattern: UInt64.max))
        page[0].state = .done
        page[1].state = .failed
        page[1].error = "boom"
        try await store.updateTasks(Array(page[0..<2]))
        let counts = try await store.taskCounts(jobID: id)
        #expect(counts.first { $0.state == .pending }?.count == 2498)
        #expect(counts.first { $0.state == .pending }?.bytes == Int64(2498 * 5))
        #expect(try await store.problemTasks(jobID: id).map(\.error) == ["boom"])
        let next = try await store.pendingTasks(jobID: id, kind: .upload, after: page.last!.id!)
        #expect(next.first?.path == "f1000")
    }

    @Test func indexRecordsComeBackInByteOrderWithinThePrefix() async throws {
        let store = try JobStore.inMemory()
        let identity = FileIdentity(size: 1, mtimeNanoseconds: 1, inode: 1, device: 1)
        let keys = ["p/a/b", "p/a-b", "p/a0", "p/ü", "p/Z", "pre", "p0", "q/x", "p/"]
        try await store.recordUploads(
            keys.map {
                IndexRecord(
                    endpoint: "e", bucket: "b", key: $0, identity: identity, eTag: "t", md5: nil, partSize: 0,
                    multipartMD5: nil, uploadedAt: 0)
            })
        let records = try await store.indexRecords(
            endpoint: "e", location: S3Location(bucket: "b", prefix: "p/"), after: nil)
        #expect(records.map(\.key) == ["p/", "p/Z", "p/a-b", "p/a/b", "p/a0", "p/ü"])
        let after = try await store.indexRecords(
            endpoint: "e", location: S3Location(bucket: "b", prefix: "p/"), after: "p/a/b")
        #expect(after.map(\.key) == ["p/a0", "p/ü"])
        #expect(try await store.integrityCheck() == "ok")
    }

    @Test func multipartUploadsMatchOnlyTheSameFileAndPartSize() async throws {
        let store = try JobStore.inMemory()
        let identity = FileIdentity(size: 100, mtimeNanoseconds: 5, inode: 3, device: 1)
        let record = try await store.insertMultipartUpload(
            MultipartUploadRecord(
                jobID: nil, endpoint: "e", bucket: "b", key: "k", uploadID: "u1", path: "k", identity: identity,
                partSize: 8, checksumAlgorithm: "crc32c", createdAt: 0))
        #expect(record.matches(identity, partSize: 8, checksumAlgorithm: "crc32c"))
        var touched = identity
        touched.mtimeNanoseconds += 1
        #expect(!record.matches(touched, partSize: 8, checksumAlgorithm: "crc32c"))
        #expect(!record.matches(identity, partSize: 16, checksumAlgorithm: "crc32c"))
        try await store.recordPart(
            PartRecord(
                uploadRowID: record.id!, partNumber: 2, size: 8, eTag: "x", checksumAlgorithm: nil, checksum: nil))
        try await store.recordPart(
            PartRecord(
                uploadRowID: record.id!, partNumber: 1, size: 8, eTag: "y", checksumAlgorithm: nil, checksum: nil))
        #expect(try await store.parts(uploadRowID: record.id!).map(\.partNumber) == [1, 2])
        try await store.removeMultipartUpload(id: record.id!)
        #expect(try await store.parts(uploadRowID: record.id!).isEmpty)
    }

    @Test func aSecondLockOnTheSameJobNamesTheHolder() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("lock")
        defer { TestEnvironment.removeTree(directory) }
        let first = try JobLock(directory: directory, identity: "job", description: "src → s3://b/p")
        let error = #expect(throws: SyncError.self) {
            try JobLock(directory: directory, identity: "job", description: "src → s3://b/p")
        }
        #expect(error?.kind == .locked)
        #expect(error?.message.contains("pid \(getpid())") == true)
        _ = try JobLock(directory: directory, identity: "other job", description: "x")
        withExtendedLifetime(first) {}
    }
}

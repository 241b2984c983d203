import Foundation
import GRDB
import S3TestSupport
import Testing

@testable import SyncEngine

@Suite struct JobStoreTests {
    @Test func stateFilesArePrivate() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("state")
        defer { TestEnvironment.removeTree(directory) }
        let path = directory + "/nested/state/state.db"
        _ = try SQLiteJobStore(path: path)
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
        #expect(throws: SyncError.self) { try SQLiteJobStore(path: garbage) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: garbage)) == bytes)

        let foreign = directory + "/foreign.db"
        let result = try Shell.runSync("/usr/bin/sqlite3", [foreign, "CREATE TABLE customers(id INTEGER);"])
        #expect(result == 0)
        let error = #expect(throws: SyncError.self) { try SQLiteJobStore(path: foreign) }
        #expect(error?.message.contains("another program") == true)
    }

    @Test func tasksRoundTripAndCount() async throws {
        let store = try SQLiteJobStore.inMemory()
        let job = try await store.createJob(
            JobRecord(source: "/s", endpoint: "e", bucket: "b", prefix: "p/", options: "{}", state: .running, now: 1))
        let id = try #require(job.id)
        let identity = FileIdentity(size: 5, mtimeNanoseconds: 9, ctimeNanoseconds: 10, inode: UInt64.max, device: 1)
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
        #expect(try await store.doneUploadKeys(jobID: id, minimumSize: 5) == ["p/f0"])
        #expect(try await store.doneUploadKeys(jobID: id, minimumSize: 6).isEmpty)
    }

    @Test func retryingPutsFailedAndChangedTasksBackButNotLocalProblems() async throws {
        let store = try SQLiteJobStore.inMemory()
        let job = try await store.createJob(
            JobRecord(source: "/s", endpoint: "e", bucket: "b", prefix: "", options: "{}", state: .failed, now: 1))
        let id = try #require(job.id)
        let states: [(String, TaskRecord.State, String)] = [
            ("failed", .failed, "new"), ("changed", .changed, "mtime"), ("done", .done, "new"),
            ("vanished", .vanished, "new"), ("unreadable", .failed, "local"),
        ]
        try await store.insertTasks(
            states.map { path, state, reason in
                TaskRecord(jobID: id, kind: .upload, path: path, key: path, identity: nil, reason: reason, state: state)
            })
        try await store.retryFailedTasks(jobID: id)
        let pending = try await store.pendingTasks(jobID: id, kind: .upload).map(\.path)
        #expect(pending == ["failed", "changed"])
        #expect(try await store.problemTasks(jobID: id).map(\.path) == ["unreadable"])
    }

    @Test func unfinishedJobsAreFoundByStateAndDestinationNewestFirst() async throws {
        let store = try SQLiteJobStore.inMemory()
        let states: [JobRecord.State] = [.interrupted, .completed, .failed, .superseded, .planning, .running]
        for state in states {
            _ = try await store.createJob(
                JobRecord(source: "/s", endpoint: "e", bucket: "b", prefix: "p/", options: "{}", state: state, now: 1))
        }
        _ = try await store.createJob(
            JobRecord(source: "/s", endpoint: "e", bucket: "b", prefix: "q/", options: "{}", state: .running, now: 1))
        #expect(
            try await store.unfinishedJobs().map(\.state) == [.running, .running, .planning, .failed, .interrupted])
        let here = try await store.unfinishedJobs(
            source: "/s", endpoint: "e", location: S3Location(bucket: "b", prefix: "p/"), direction: nil)
        #expect(here.map(\.state) == [.running, .planning, .failed, .interrupted])
        #expect(try await store.unfinishedJobs(source: "/other", endpoint: nil, location: nil, direction: nil).isEmpty)
        #expect(try await store.recentJobs(limit: 2).map(\.prefix) == ["q/", "p/"])
    }

    @Test func indexRecordsComeBackInByteOrderWithinThePrefix() async throws {
        let store = try SQLiteJobStore.inMemory()
        let identity = FileIdentity(size: 1, mtimeNanoseconds: 1, ctimeNanoseconds: 1, inode: 1, device: 1)
        let keys = ["p/a/b", "p/a-b", "p/a0", "p/ü", "p/Z", "pre", "p0", "q/x", "p/"]
        try await store.recordUploads(
            keys.map {
                IndexRecord(
                    endpoint: "e", bucket: "b", key: $0, identity: identity, eTag: "t", md5: nil, partSize: 0,
                    multipartMD5: nil, uploadedAt: 0)
            })
        let records = try await store.indexRecords(
            endpoint: "e", location: S3Location(bucket: "b", prefix: "p/"), root: "/r", after: nil)
        #expect(records.map(\.key) == ["p/", "p/Z", "p/a-b", "p/a/b", "p/a0", "p/ü"])
        let after = try await store.indexRecords(
            endpoint: "e", location: S3Location(bucket: "b", prefix: "p/"), root: "/r", after: "p/a/b")
        #expect(after.map(\.key) == ["p/a0", "p/ü"])
        #expect(try await store.integrityCheck() == "ok")
    }

    /// Each directory has its own record of a key (a restore drill into another directory does
    /// not overwrite the pushed directory's); a record from before s3sync kept the directory
    /// stands for any until a run records the key for its directory.
    @Test func indexRecordsAreKeptPerDirectory() async throws {
        let store = try SQLiteJobStore.inMemory()
        let location = S3Location(bucket: "b", prefix: "p/")
        func record(_ key: String, root: String, eTag: String) -> IndexRecord {
            IndexRecord(
                endpoint: "e", bucket: "b", key: key, root: root,
                identity: FileIdentity(size: 1, mtimeNanoseconds: 1, ctimeNanoseconds: 1, inode: 1, device: 1),
                eTag: eTag, md5: nil, partSize: 0, multipartMD5: nil, uploadedAt: 0)
        }
        try await store.recordUploads([
            record("p/legacy", root: "", eTag: "old"), record("p/shared", root: "/srv", eTag: "pushed"),
        ])
        try await store.recordUploads([record("p/shared", root: "/restore", eTag: "pulled")])
        let pushed = try await store.indexRecords(endpoint: "e", location: location, root: "/srv", after: nil)
        #expect(pushed.map(\.eTag) == ["old", "pushed"])
        let restored = try await store.indexRecords(endpoint: "e", location: location, root: "/restore", after: nil)
        #expect(restored.map(\.eTag) == ["old", "pulled"])
        try await store.recordUploads([record("p/legacy", root: "/srv", eTag: "new")])
        #expect(
            try await store.indexRecords(endpoint: "e", location: location, root: "/restore", after: nil).count == 1)
        try await store.removeIndexRecords(endpoint: "e", bucket: "b", keys: ["p/shared"], root: "/restore")
        #expect(
            try await store.indexRecords(endpoint: "e", location: location, root: "/srv", after: nil).map(\.eTag) == [
                "new", "pushed",
            ])
    }

    @Test func indexRecordsKeepTheFullStat() async throws {
        let store = try SQLiteJobStore.inMemory()
        let identity = FileIdentity(
            size: 7, mtimeNanoseconds: 1_700_000_000_000_000_001, ctimeNanoseconds: 1_700_000_000_000_000_002,
            inode: UInt64.max, device: UInt64.max - 1)
        let record = IndexRecord(
            endpoint: "e", bucket: "b", key: "k", identity: identity, eTag: "t", md5: nil, partSize: 0,
            multipartMD5: nil, uploadedAt: 0)
        try await store.recordUploads([record])
        let read = try await store.indexRecords(
            endpoint: "e", location: S3Location(bucket: "b", prefix: ""), root: "/r", after: nil)
        #expect(read == [record])
        #expect(read.first?.ctimeNanoseconds == identity.ctimeNanoseconds)
        #expect(read.first?.device == Int64(bitPattern: identity.device))
        try await store.removeIndexRecords(endpoint: "e", bucket: "b", keys: ["k", "missing"])
        #expect(
            try await store.indexRecords(
                endpoint: "e", location: S3Location(bucket: "b", prefix: ""), root: "/r", after: nil
            )
            .isEmpty)
    }

    /// An index written before s3sync kept the ctime keeps its rows, with the ctime and the
    /// device unknown (NULL), not made up.
    @Test func upgradingKeepsOldRowsWithTheCtimeUnknown() async throws {
        let queue = try DatabaseQueue()
        try SQLiteJobStore.migrate(queue, path: ":memory:", upTo: "v2")
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO objectIndex (endpoint, bucket, key, size, mtimeNanoseconds, inode, eTag, partSize, uploadedAt)
                    VALUES ('e', 'b', 'p/old', 3, 4, 5, 't', 0, 1)
                    """)
            try db.execute(
                sql: """
                    INSERT INTO multipartUpload (endpoint, bucket, key, uploadID, path, size, mtimeNanoseconds, inode,
                        partSize, checksumAlgorithm, createdAt)
                    VALUES ('e', 'b', 'p/big', 'u1', 'big', 100, 5, 3, 8, 'crc32c', 0)
                    """)
        }
        let store = try SQLiteJobStore(writer: queue)
        let records = try await store.indexRecords(
            endpoint: "e", location: S3Location(bucket: "b", prefix: "p/"), root: "/r", after: nil)
        #expect(records.map(\.key) == ["p/old"])
        #expect(records.first?.ctimeNanoseconds == nil)
        #expect(records.first?.device == nil)
        #expect(records.first?.mtimeNanoseconds == 4)
        let upload = try #require(try await store.multipartUploads(endpoint: "e", bucket: "b", key: "p/big").first)
        #expect(upload.ctimeNanoseconds == nil)
        // Matched as it was when it was started: size, mtime, inode and part size.
        let file = FileIdentity(size: 100, mtimeNanoseconds: 5, ctimeNanoseconds: 99, inode: 3, device: 1)
        #expect(upload.matches(file, partSize: 8, checksumAlgorithm: "crc32c"))
    }

    @Test func multipartUploadsMatchOnlyTheSameFileAndPartSize() async throws {
        let store = try SQLiteJobStore.inMemory()
        let identity = FileIdentity(size: 100, mtimeNanoseconds: 5, ctimeNanoseconds: 6, inode: 3, device: 1)
        let record = try await store.insertMultipartUpload(
            MultipartUploadRecord(
                jobID: nil, endpoint: "e", bucket: "b", key: "k", uploadID: "u1", path: "k", identity: identity,
                partSize: 8, checksumAlgorithm: "crc32c", createdAt: 0))
        #expect(record.matches(identity, partSize: 8, checksumAlgorithm: "crc32c"))
        var touched = identity
        touched.mtimeNanoseconds += 1
        #expect(!record.matches(touched, partSize: 8, checksumAlgorithm: "crc32c"))
        var mtimePutBack = identity
        mtimePutBack.ctimeNanoseconds += 1
        #expect(!record.matches(mtimePutBack, partSize: 8, checksumAlgorithm: "crc32c"))
        var replaced = identity
        replaced.inode += 1
        #expect(!record.matches(replaced, partSize: 8, checksumAlgorithm: "crc32c"))
        #expect(!record.matches(identity, partSize: 16, checksumAlgorithm: "crc32c"))
        try await store.recordPart(
            PartRecord(
                uploadRowID: record.id!, partNumber: 2, size: 8, eTag: "x", checksumAlgorithm: nil, checksum: nil))
        try await store.recordPart(
            PartRecord(
                uploadRowID: record.id!, partNumber: 1, size: 8, eTag: "y", checksumAlgorithm: nil, checksum: nil))
        #expect(try await store.parts(uploadRowID: record.id!).map(\.partNumber) == [1, 2])
        try await store.removeParts(uploadRowID: record.id!, numbers: [1])
        #expect(try await store.parts(uploadRowID: record.id!).map(\.partNumber) == [2])
        let job = try await store.createJob(
            JobRecord(source: "/s", endpoint: "e", bucket: "b", prefix: "", options: "{}", state: .running, now: 1))
        try await store.adoptMultipartUpload(id: record.id!, jobID: job.id!)
        #expect(try await store.multipartUploads(jobID: job.id!).map(\.uploadID) == ["u1"])
        #expect(
            try await store.multipartUploads(endpoint: "e", location: S3Location(bucket: "b", prefix: "")).map(\.id)
                == [record.id])
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

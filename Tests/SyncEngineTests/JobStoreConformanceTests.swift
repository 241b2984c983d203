import Foundation
import Logging
import S3Client
import S3TestSupport
import Testing

@testable import SyncEngine

/// The behaviour every ``JobStore`` promises, checked against each backend through `any JobStore`:
/// the SQLite state file, and PostgreSQL on the tests' throwaway cluster (``PostgresServer``; each
/// test gets a database of its own).
@Suite struct JobStoreConformanceTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case sqlite, postgres

        var testDescription: String { rawValue }
    }

    static let identity = FileIdentity(size: 10, mtimeNanoseconds: 1, ctimeNanoseconds: 2, inode: 3, device: 4)

    /// Calls `body` with a new, empty store of `backend`.
    func withStore(_ backend: Backend, _ body: (any JobStore) async throws -> Void) async throws {
        switch backend {
        case .sqlite:
            try await body(SQLiteJobStore.inMemory())
        case .postgres:
            try await Self.makePostgresStore { try await body($0) }
        }
    }

    /// A PostgreSQL store on a database of its own, created on the tests' cluster and dropped
    /// after `body`.
    static func makePostgresStore(_ body: (PostgresJobStore) async throws -> Void) async throws {
        try await withPostgresDatabase { location in
            try await PostgresJobStore.withStore(location, logger: Logger(label: "s3sync.test.postgres")) {
                try await body($0)
            }
        }
    }

    /// A new, empty database on the tests' cluster, dropped after `body`.
    static func withPostgresDatabase(_ body: (PostgresLocation) async throws -> Void) async throws {
        let url = try await PostgresServer.shared().url(database: "postgres")
        let server = try PostgresLocation(url: url, environment: ProcessInfo.processInfo.environment)
        let logger = Logger(label: "s3sync.test.postgres")
        let name = "s3sync_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try await PostgresJobStore.administer(
            server, ["CREATE DATABASE \(name) TEMPLATE template0 ENCODING 'UTF8'"], logger: logger)
        var location = server
        location.database = name
        let drop = "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"
        do {
            try await body(location)
        } catch {
            try? await PostgresJobStore.administer(server, [drop], logger: logger)
            throw error
        }
        try await PostgresJobStore.administer(server, [drop], logger: logger)
    }

    func makeJob(
        _ store: any JobStore, _ state: JobRecord.State = .running, source: String = "/s", prefix: String = "p/",
        endpoint: String = "e", direction: JobRecord.Direction = .push
    ) async throws -> Int64 {
        try #require(
            try await store.createJob(
                JobRecord(
                    source: source, endpoint: endpoint, bucket: "b", prefix: prefix, options: "{}", state: state,
                    now: 1, direction: direction)
            ).id)
    }

    func uploads(_ job: Int64, _ count: Int, size: Int64 = 10) -> [TaskRecord] {
        (0..<count).map { index in
            var identity = Self.identity
            identity.size = size
            return TaskRecord(
                jobID: job, kind: .upload, path: "f\(index)", key: "p/f\(index)", identity: identity, reason: "new")
        }
    }

    // MARK: Jobs

    @Test(arguments: Backend.allCases) func jobsRoundTripAndUnfinishedOnesAreFilteredNewestFirst(backend: Backend)
        async throws
    {
        try await withStore(backend) { store in
            var job = JobRecord(
                source: "/s", endpoint: "e", bucket: "b", prefix: "p/", options: #"{"a":1}"#, state: .planning,
                now: 1.5, direction: .pull)
            job = try await store.createJob(job)
            let id = try #require(job.id)
            job.state = .running
            job.plannedBytes = 1 << 40
            job.uploadedFiles = 7
            job.finishedAt = 9.25
            job.lastError = "boom"
            try await store.updateJob(job)
            #expect(try await store.job(id: id) == job)
            #expect(try await store.job(id: id + 100) == nil)

            let completed = try await makeJob(store, .completed)
            let failed = try await makeJob(store, .failed, source: "/t")
            let other = try await makeJob(store, .interrupted, prefix: "q/")
            _ = try await makeJob(store, .superseded)
            #expect(try await store.unfinishedJobs().map(\.id) == [other, failed, id])
            #expect(
                try await store.unfinishedJobs(source: "/t", endpoint: nil, location: nil, direction: nil).map(\.id)
                    == [failed])
            #expect(
                try await store.unfinishedJobs(
                    source: nil, endpoint: "e", location: S3Location(bucket: "b", prefix: "p/"), direction: .push
                ).map(\.id) == [failed])
            #expect(
                try await store.unfinishedJobs(source: nil, endpoint: nil, location: nil, direction: .pull).map(\.id)
                    == [id])
            #expect(try await store.recentJobs(limit: 2).map(\.id) == [other + 1, other])
            let last = try await store.lastCompletedJob(
                source: "/s", endpoint: "e", location: S3Location(bucket: "b", prefix: "p/"), direction: .push)
            #expect(last?.id == completed)
        }
    }

    // MARK: Tasks

    @Test(arguments: Backend.allCases) func tasksPageUpdateCountAndRetry(backend: Backend) async throws {
        try await withStore(backend) { store in
            let id = try await makeJob(store)
            var tasks = uploads(id, 2500)
            tasks[3].eTag = "\"etag\""
            tasks[3].inode = Int64(bitPattern: UInt64.max)
            try await store.insertTasks(tasks)
            var page = try await store.pendingTasks(jobID: id, kind: .upload, after: 0, limit: 1000)
            #expect(page.count == 1000)
            #expect(page[3].eTag == "\"etag\"")
            #expect(page[3].inode == Int64(bitPattern: UInt64.max))
            #expect(try await store.pendingTasks(jobID: id, kind: .delete, after: 0, limit: 10).isEmpty)
            page[0].state = .done
            page[0].size = 11
            page[1].state = .failed
            page[1].error = "boom"
            page[1].attempts = 3
            page[2].state = .changed
            page[3].state = .failed
            page[4].state = .vanished
            try await store.updateTasks(Array(page[0..<5]))
            let counts = try await store.taskCounts(jobID: id)
            #expect(counts.first { $0.state == .pending }?.count == 2495)
            #expect(counts.first { $0.state == .pending }?.bytes == Int64(2495 * 10))
            #expect(counts.first { $0.state == .done }?.bytes == 11)
            #expect(counts.total(.failed) == 2)
            let problems = try await store.problemTasks(jobID: id, limit: 50)
            #expect(problems.map(\.path) == ["f1", "f2", "f3"])
            #expect(problems.first?.error == "boom")
            #expect(problems.first?.attempts == 3)
            #expect(try await store.problemTasks(jobID: id, limit: 1).count == 1)
            let next = try await store.pendingTasks(jobID: id, kind: .upload, after: page.last!.id!, limit: 1000)
            #expect(next.first?.path == "f1000")
            #expect(try await store.doneUploadKeys(jobID: id, minimumSize: 11) == ["p/f0"])
            #expect(try await store.doneUploadKeys(jobID: id, minimumSize: 12).isEmpty)

            var local = TaskRecord(
                jobID: id, kind: .upload, path: "unreadable", key: "p/unreadable", identity: nil, reason: "local",
                state: .failed)
            local.error = "permission denied"
            try await store.insertTasks([local])
            try await store.retryFailedTasks(jobID: id)
            #expect(try await store.problemTasks(jobID: id, limit: 50).map(\.path) == ["unreadable"])
            #expect(
                try await store.pendingTasks(jobID: id, kind: .upload, after: 0, limit: 3).map(\.path) == [
                    "f1", "f2", "f3",
                ])

            try await store.removeTasks(jobID: id)
            #expect(try await store.taskCounts(jobID: id).isEmpty)
        }
    }

    // MARK: The queue

    @Test(arguments: Backend.allCases) func claimsTakeLimitAndBytesAndExpiredLeases(backend: Backend) async throws {
        try await withStore(backend) { store in
            let id = try await makeJob(store)
            try await store.insertTasks(uploads(id, 10))
            let first = try await store.claimTasks(
                jobID: id, kind: .upload, worker: "w1", limit: 3, maxBytes: 1000, lease: .seconds(60))
            #expect(first.map(\.path) == ["f0", "f1", "f2"])
            #expect(first.allSatisfy { $0.claimedBy == "w1" && $0.leaseUntil != nil })
            let byBytes = try await store.claimTasks(
                jobID: id, kind: .upload, worker: "w2", limit: 10, maxBytes: 25, lease: .seconds(60))
            #expect(byBytes.map(\.path) == ["f3", "f4"])
            let atLeastOne = try await store.claimTasks(
                jobID: id, kind: .upload, worker: "w2", limit: 10, maxBytes: 1, lease: .seconds(60))
            #expect(atLeastOne.map(\.path) == ["f5"])
            #expect(try await store.renewLeases(worker: "w2", lease: .seconds(60)) == 3)
            try await store.releaseClaims(worker: "w2")
            #expect(try await store.renewLeases(worker: "w2", lease: .seconds(60)) == 0)
            let released = try await store.claimTasks(
                jobID: id, kind: .upload, worker: "w3", limit: 3, maxBytes: 1000, lease: .milliseconds(1))
            #expect(released.map(\.path) == ["f3", "f4", "f5"])
            try await Task.sleep(for: .milliseconds(50))
            let expired = try await store.claimTasks(
                jobID: id, kind: .upload, worker: "w4", limit: 100, maxBytes: 1000, lease: .seconds(60))
            #expect(expired.map(\.path) == ["f3", "f4", "f5", "f6", "f7", "f8", "f9"])
            #expect(try await store.renewLeases(worker: "w3", lease: .seconds(60)) == 0)

            var done = first[0]
            done.state = .done
            try await store.updateTasks([done])
            #expect(try await store.renewLeases(worker: "w1", lease: .seconds(60)) == 2)
            #expect(
                try await store.claimTasks(
                    jobID: id, kind: .upload, worker: "w5", limit: 10, maxBytes: 1000, lease: .seconds(60)
                ).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases) func aTaskGivenBackGoesToAnotherWorker(backend: Backend) async throws {
        try await withStore(backend) { store in
            let id = try await makeJob(store)
            try await store.insertTasks(uploads(id, 1))
            var task = try #require(
                try await store.claimTasks(
                    jobID: id, kind: .upload, worker: "w1", limit: 1, maxBytes: 1000, lease: .seconds(60)
                ).first)
            // w1 did not see the file: it gives the task back, named for itself, with its error.
            task.error = "on h1: cannot stat f0"
            task.leaseUntil = Date().timeIntervalSince1970 - 1
            try await store.updateTasks([task])
            #expect(try await store.renewLeases(worker: "w1", lease: .seconds(60)) == 0)
            #expect(
                try await store.claimTasks(
                    jobID: id, kind: .upload, worker: "w1", limit: 1, maxBytes: 1000, lease: .seconds(60)
                ).isEmpty)
            let other = try await store.claimTasks(
                jobID: id, kind: .upload, worker: "w2", limit: 1, maxBytes: 1000, lease: .seconds(60))
            #expect(other.map(\.path) == ["f0"])
            #expect(other.first?.error == nil)
            #expect(try await store.renewLeases(worker: "w2", lease: .seconds(60)) == 1)
        }
    }

    @Test(arguments: Backend.allCases) func concurrentClaimersNeverGetTheSameTask(backend: Backend) async throws {
        try await withStore(backend) { store in
            let id = try await makeJob(store)
            try await store.insertTasks(uploads(id, 200))
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var mine: [Int64] = []
                        while true {
                            let tasks = try await store.claimTasks(
                                jobID: id, kind: .upload, worker: "w\(worker)", limit: 7, maxBytes: 1 << 30,
                                lease: .seconds(60))
                            if tasks.isEmpty { return mine }
                            mine += tasks.compactMap(\.id)
                        }
                    }
                }
                var all: [Int64] = []
                for try await ids in group { all += ids }
                return all
            }
            let every = try await store.pendingTasks(jobID: id, kind: .upload, after: 0, limit: 1000).compactMap(\.id)
            #expect(claimed.count == 200)
            #expect(claimed.sorted() == every)
        }
    }

    @Test(arguments: Backend.allCases) func openPartsAreClaimedOnceRenewedAndClosedWhenStored(backend: Backend)
        async throws
    {
        try await withStore(backend) { store in
            let id = try await makeJob(store)
            let other = try await makeJob(store)
            func upload(_ key: String, job: Int64) async throws -> Int64 {
                try #require(
                    try await store.insertMultipartUpload(
                        MultipartUploadRecord(
                            jobID: job, endpoint: "e", bucket: "b", key: key, uploadID: "u-\(key)", path: key,
                            identity: Self.identity, partSize: 8, checksumAlgorithm: "crc32c", createdAt: 5)
                    ).id)
            }
            let big = try await upload("p/big", job: id)
            let elsewhere = try await upload("p/other", job: other)
            try await store.openParts(uploadRowID: big, numbers: [1, 2, 3])
            try await store.openParts(uploadRowID: big, numbers: [3])
            try await store.openParts(uploadRowID: elsewhere, numbers: [1])

            // Parts of this upload, one at a time; then of any upload of the job.
            let one = try #require(
                try await store.claimPart(jobID: id, uploadRowID: big, worker: "w1", lease: .seconds(60)))
            #expect(one.partNumber == 1 && one.upload.key == "p/big")
            let two = try await store.claimPart(jobID: id, uploadRowID: nil, worker: "w2", lease: .milliseconds(1))
            #expect(two?.partNumber == 2)
            // Stored parts are closed; a lease that ran out is claimed again.
            try await store.recordPart(
                PartRecord(uploadRowID: big, partNumber: 1, size: 8, eTag: "e1", checksumAlgorithm: nil, checksum: nil))
            try await Task.sleep(for: .milliseconds(50))
            var numbers: [Int] = []
            while let claim = try await store.claimPart(jobID: id, uploadRowID: nil, worker: "w3", lease: .seconds(60))
            {
                numbers.append(claim.partNumber)
            }
            #expect(numbers == [2, 3])
            #expect(
                try await store.claimPart(jobID: other, uploadRowID: nil, worker: "w3", lease: .seconds(60))?.partNumber
                    == 1)
            // A worker's parts are renewed and given back with its tasks.
            _ = try await store.renewLeases(worker: "w3", lease: .seconds(60))
            try await store.releaseClaims(worker: "w3")
            #expect(
                try await store.claimPart(jobID: id, uploadRowID: big, worker: "w4", lease: .seconds(60))?.partNumber
                    == 2)
            // Removing the upload removes its open parts.
            try await store.removeMultipartUpload(id: big)
            #expect(try await store.claimPart(jobID: id, uploadRowID: nil, worker: "w5", lease: .seconds(60)) == nil)
        }
    }

    @Test(arguments: Backend.allCases) func heartbeatsReportOtherWorkersThrottling(backend: Backend) async throws {
        try await withStore(backend) { store in
            let id = try await makeJob(store)
            let other = try await makeJob(store)
            func worker(_ name: String, job: Int64?, at time: Double, throttled: Double? = nil) -> WorkerRecord {
                WorkerRecord(
                    id: name, host: "h", pid: 1, role: "worker", jobID: job, startedAt: 1, heartbeatAt: time,
                    throttledAt: throttled)
            }
            #expect(try await store.heartbeat(worker("a", job: id, at: 10, throttled: 50)) == nil)
            #expect(try await store.heartbeat(worker("b", job: id, at: 11)) == 50)
            #expect(try await store.heartbeat(worker("c", job: other, at: 12, throttled: 90)) == nil)
            #expect(try await store.heartbeat(worker("d", job: id, at: 9, throttled: 70)) == 50)
            #expect(try await store.heartbeat(worker("a", job: id, at: 13, throttled: 60)) == 70)
            #expect(try await store.heartbeat(worker("e", job: nil, at: 8)) == nil)
            var stopped = worker("b", job: id, at: 14)
            stopped.files = 3
            stopped.bytes = 300
            stopped.stoppedAt = 14
            _ = try await store.heartbeat(stopped)
            let workers = try await store.workers(limit: 10)
            #expect(workers.map(\.id) == ["b", "a", "c", "d", "e"])
            #expect(workers.first == stopped)
            #expect(try await store.workers(limit: 2).count == 2)
        }
    }

    @Test(arguments: Backend.allCases) func workerSharesCountFinishedTransfers(backend: Backend) async throws {
        try await withStore(backend) { store in
            let id = try await makeJob(store)
            var tasks = uploads(id, 4)
            tasks.append(
                TaskRecord(jobID: id, kind: .delete, path: "", key: "p/gone", identity: nil, reason: "remote-only"))
            try await store.insertTasks(tasks)
            var one = try await store.claimTasks(
                jobID: id, kind: .upload, worker: "w1", limit: 3, maxBytes: 1000, lease: .seconds(60))
            var two = try await store.claimTasks(
                jobID: id, kind: .upload, worker: "w2", limit: 3, maxBytes: 1000, lease: .seconds(60))
            var deletes = try await store.claimTasks(
                jobID: id, kind: .delete, worker: "w2", limit: 3, maxBytes: 1000, lease: .seconds(60))
            for index in one.indices.dropLast() { one[index].state = .done }
            for index in two.indices { two[index].state = .done }
            for index in deletes.indices { deletes[index].state = .done }
            try await store.updateTasks(one + two + deletes)
            let shares = try await store.workerShares(jobID: id)
            #expect(shares["w1"]?.count == 2)
            #expect(shares["w1"]?.bytes == 20)
            #expect(shares["w2"]?.count == 1)
            #expect(shares.count == 2)
        }
    }

    // MARK: Multipart uploads

    @Test(arguments: Backend.allCases) func multipartUploadsAndTheirParts(backend: Backend) async throws {
        try await withStore(backend) { store in
            let id = try await makeJob(store)
            let later = try await makeJob(store)
            func record(_ key: String, _ uploadID: String, endpoint: String = "e") -> MultipartUploadRecord {
                MultipartUploadRecord(
                    jobID: id, endpoint: endpoint, bucket: "b", key: key, uploadID: uploadID, path: key,
                    identity: Self.identity, partSize: 8, checksumAlgorithm: "crc32c", createdAt: 5)
            }
            let first = try await store.insertMultipartUpload(record("p/a", "u1"))
            let second = try await store.insertMultipartUpload(record("p/a", "u2"))
            let third = try await store.insertMultipartUpload(record("p/%_/x", "u3"))
            _ = try await store.insertMultipartUpload(record("q/a", "u4"))
            _ = try await store.insertMultipartUpload(record("p/a", "u5", endpoint: "other"))
            _ = try await store.insertMultipartUpload(record("p/ab/c", "u6"))
            let firstID = try #require(first.id)
            #expect(try await store.multipartUploads(endpoint: "e", bucket: "b", key: "p/a") == [second, first])
            #expect(
                try await store.multipartUploads(endpoint: "e", location: S3Location(bucket: "b", prefix: "p/"))
                    .map(\.uploadID) == ["u1", "u2", "u3", "u6"])
            let odd = try await store.multipartUploads(
                endpoint: "e", location: S3Location(bucket: "b", prefix: "p/%_/"))
            #expect(odd.map(\.uploadID) == ["u3"])
            #expect(first.matches(Self.identity, partSize: 8, checksumAlgorithm: "crc32c"))
            try await store.adoptMultipartUpload(id: try #require(third.id), jobID: later)
            #expect(try await store.multipartUploads(jobID: later).map(\.uploadID) == ["u3"])
            #expect(try await store.multipartUploads(jobID: id).map(\.uploadID) == ["u1", "u2", "u4", "u5", "u6"])

            for number in [3, 1, 2] {
                try await store.recordPart(
                    PartRecord(
                        uploadRowID: firstID, partNumber: number, size: 8, eTag: "e\(number)", checksumAlgorithm: nil,
                        checksum: nil))
            }
            let replaced = PartRecord(
                uploadRowID: firstID, partNumber: 2, size: 4, eTag: "again", checksumAlgorithm: "CRC32C",
                checksum: "AAAAAA==")
            try await store.recordPart(replaced)
            #expect(try await store.parts(uploadRowID: firstID).map(\.partNumber) == [1, 2, 3])
            #expect(try await store.parts(uploadRowID: firstID)[1] == replaced)
            try await store.removeParts(uploadRowID: firstID, numbers: [1, 3])
            #expect(try await store.parts(uploadRowID: firstID) == [replaced])
            try await store.removeMultipartUpload(id: firstID)
            #expect(try await store.parts(uploadRowID: firstID).isEmpty)
            #expect(try await store.multipartUploads(endpoint: "e", bucket: "b", key: "p/a") == [second])
        }
    }

    // MARK: Partial downloads

    @Test(arguments: Backend.allCases) func partialDownloadsAndTheirRanges(backend: Backend) async throws {
        try await withStore(backend) { store in
            let id = try await makeJob(store, direction: .pull)
            let later = try await makeJob(store, direction: .pull)
            func record(_ key: String, root: String = "/r") -> PartialDownloadRecord {
                PartialDownloadRecord(
                    jobID: id, endpoint: "e", bucket: "b", key: key, eTag: "\"t\"", size: 100, partSize: 10,
                    root: root, temporaryPath: ".s3sync-\(key.count)", inode: UInt64.max, device: 7, createdAt: 3)
            }
            let first = try await store.insertPartialDownload(record("p/a"))
            let second = try await store.insertPartialDownload(record("p/a"))
            _ = try await store.insertPartialDownload(record("p/a", root: "/other"))
            let under = try await store.insertPartialDownload(record("p/z\u{7F}"))
            _ = try await store.insertPartialDownload(record("q/a"))
            let firstID = try #require(first.id)
            #expect(first.inode == Int64(bitPattern: UInt64.max))
            #expect(
                try await store.partialDownloads(endpoint: "e", bucket: "b", key: "p/a", root: "/r") == [second, first])
            #expect(
                try await store.partialDownloads(
                    endpoint: "e", location: S3Location(bucket: "b", prefix: "p/"), root: "/r")
                    == [first, second, under])
            try await store.adoptPartialDownload(id: firstID, jobID: later)
            #expect(try await store.partialDownloads(jobIDs: [later]).map(\.id) == [firstID])
            #expect(try await store.partialDownloads(jobIDs: [id, later]).count == 5)
            #expect(try await store.partialDownloads(jobIDs: []).isEmpty)

            try await store.recordRange(
                DownloadedRangeRecord(downloadRowID: firstID, partNumber: 2, length: 10, md5: "x"))
            try await store.recordRange(
                DownloadedRangeRecord(downloadRowID: firstID, partNumber: 1, length: 10, md5: "y"))
            let again = DownloadedRangeRecord(downloadRowID: firstID, partNumber: 2, length: 5, md5: "z")
            try await store.recordRange(again)
            #expect(try await store.ranges(downloadRowID: firstID).map(\.md5) == ["y", "z"])
            try await store.removePartialDownload(id: firstID)
            #expect(try await store.ranges(downloadRowID: firstID).isEmpty)
            #expect(try await store.partialDownloads(endpoint: "e", bucket: "b", key: "p/a", root: "/r") == [second])
        }
    }

    // MARK: Runs

    @Test(arguments: Backend.allCases) func runsKeepTheNewestOfEachSync(backend: Backend) async throws {
        try await withStore(backend) { store in
            let id = try await makeJob(store)
            let job = try #require(try await store.job(id: id))
            func run(_ at: Double, prefix: String = "p/") -> RunRecord {
                RunRecord(
                    command: "push", direction: .push, source: "/s", endpoint: "e",
                    location: S3Location(bucket: "b", prefix: prefix), pid: 42, host: "h", startedAt: at)
            }
            var started: [RunRecord] = []
            for at in 1...5 { started.append(try await store.startRun(run(Double(at)), keep: 3)) }
            let elsewhere = try await store.startRun(run(6, prefix: "q/"), keep: 3)
            #expect(try await store.runs(ofSyncOf: job, limit: 20).map(\.startedAt) == [5, 4, 3])
            #expect(try await store.recentRuns(limit: 2).map(\.id) == [elsewhere.id, started[4].id])
            var last = started[4]
            try await store.attachRun(id: try #require(last.id), jobID: id)
            last.jobID = id
            last.endedAt = 9
            last.outcome = .failed
            last.transferredBytes = 1 << 33
            last.error = "boom"
            try await store.finishRun(last)
            #expect(try await store.run(id: try #require(last.id)) == last)
            try await store.removeRun(id: try #require(started[3].id))
            #expect(try await store.runs(ofSyncOf: job, limit: 20).map(\.startedAt) == [5, 3])
            #expect(try await store.startRun(run(7), keep: 1).id != nil)
            #expect(try await store.runs(ofSyncOf: job, limit: 20).map(\.startedAt) == [7])
        }
    }

    // MARK: The index

    func record(_ key: String, root: String = "/r", eTag: String = "t") -> IndexRecord {
        IndexRecord(
            endpoint: "e", bucket: "b", key: key, root: root, identity: Self.identity, eTag: eTag, md5: nil,
            partSize: 0, multipartMD5: nil, uploadedAt: 1)
    }

    @Test(arguments: Backend.allCases) func indexRecordsComeInUTF8ByteOrder(backend: Backend) async throws {
        try await withStore(backend) { store in
            let keys = ["p/é", "p/z", "p/B", "p/~", "p/a", "p0", "o/x", "p/\u{7F}"]
            try await store.recordUploads(keys.map { record($0) })
            try await store.recordUploads([record("p/a", root: ""), record("p/c", root: "/other")])
            let location = S3Location(bucket: "b", prefix: "p/")
            let all = try await store.indexRecords(
                endpoint: "e", location: location, root: "/r", after: nil, limit: 100)
            #expect(all.map(\.key) == ["p/B", "p/a", "p/a", "p/z", "p/~", "p/\u{7F}", "p/é"])
            #expect(
                all.map(\.key) == all.map(\.key).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
            #expect(all[1].root == "/r")
            #expect(all[2].root == "")
            #expect(all[0] == record("p/B"))
            let page = try await store.indexRecords(
                endpoint: "e", location: location, root: "/r", after: "p/a", limit: 2)
            #expect(page.map(\.key) == ["p/z", "p/~"])
            let everything = try await store.indexRecords(
                endpoint: "e", location: S3Location(bucket: "b", prefix: ""), root: "/other", after: nil, limit: 100)
            #expect(everything.map(\.key) == ["p/a", "p/c"])
        }
    }

    @Test(arguments: Backend.allCases) func recordingUploadsReplacesTheRecordWithoutDirectory(backend: Backend)
        async throws
    {
        try await withStore(backend) { store in
            let location = S3Location(bucket: "b", prefix: "")
            try await store.recordUploads([record("k", root: ""), record("j", root: ""), record("k", root: "/other")])
            try await store.recordUploads([record("k", eTag: "new"), record("j", eTag: "1"), record("j", eTag: "2")])
            let mine = try await store.indexRecords(
                endpoint: "e", location: location, root: "/r", after: nil, limit: 10)
            #expect(mine.map { "\($0.key)@\($0.root)=\($0.eTag)" } == ["j@/r=2", "k@/r=new"])
            let other = try await store.indexRecords(
                endpoint: "e", location: location, root: "/other", after: nil, limit: 10)
            #expect(other.map { "\($0.key)@\($0.root)" } == ["k@/other"])

            try await store.recordUploads([record("m", root: ""), record("m", root: "/r")])
            try await store.recordUploads([record("n", root: "/r"), record("n", root: "")])
            let both = try await store.indexRecords(
                endpoint: "e", location: location, root: "/r", after: "k", limit: 10)
            #expect(both.map { "\($0.key)@\($0.root)" } == ["m@/r", "n@/r", "n@"])

            var changed = record("j", eTag: "3")
            changed.completedAt = 77
            changed.md5 = "abc"
            try await store.recordUploads([changed])
            #expect(
                try await store.indexRecords(endpoint: "e", location: location, root: "/r", after: nil, limit: 1)
                    == [changed])
        }
    }

    @Test(arguments: Backend.allCases) func removingIndexRecordsEverywhereOrUnderOneDirectory(backend: Backend)
        async throws
    {
        try await withStore(backend) { store in
            let location = S3Location(bucket: "b", prefix: "")
            try await store.recordUploads([
                record("a"), record("a", root: "/other"), record("b", root: ""), record("c"),
                record("c", root: "/other"),
            ])
            try await store.removeIndexRecords(endpoint: "e", bucket: "b", keys: ["a", "b"], root: "/r")
            #expect(
                try await store.indexRecords(endpoint: "e", location: location, root: "/r", after: nil, limit: 10)
                    .map(\.key) == ["c"])
            #expect(
                try await store.indexRecords(endpoint: "e", location: location, root: "/other", after: nil, limit: 10)
                    .map(\.key) == ["a", "c"])
            try await store.removeIndexRecords(endpoint: "e", bucket: "b", keys: ["c"], root: nil)
            #expect(
                try await store.indexRecords(endpoint: "e", location: location, root: "/other", after: nil, limit: 10)
                    .map(\.key) == ["a"])
            try await store.removeIndexRecords(endpoint: "e", bucket: "b", keys: [], root: nil)
        }
    }

    // MARK: Cleanup

    @Test(arguments: Backend.allCases) func uploadClaimsNameRecordsJobsAndPendingKeys(backend: Backend) async throws {
        try await withStore(backend) { store in
            let completed = try await makeJob(store, .completed)
            let failed = try await makeJob(store, .failed)
            let planning = try await makeJob(store, .planning, prefix: "p/sub/")
            let elsewhere = try await makeJob(store, .failed, endpoint: "elsewhere")
            for (key, uploadID, job, endpoint) in [
                ("p/a", "u-a", completed, "e"), ("p/b", "u-b", failed, "e"), ("q/c", "u-c", completed, "e"),
                ("p/d", "u-d", elsewhere, "elsewhere"),
            ] {
                _ = try await store.insertMultipartUpload(
                    MultipartUploadRecord(
                        jobID: job, endpoint: endpoint, bucket: "b", key: key, uploadID: uploadID, path: key,
                        identity: Self.identity, partSize: 8, checksumAlgorithm: "crc32c", createdAt: 5))
            }
            try await store.insertTasks([
                TaskRecord(jobID: failed, kind: .upload, path: "a", key: "p/a", identity: Self.identity, reason: "new"),
                TaskRecord(
                    jobID: failed, kind: .upload, path: "x", key: "p/x", identity: Self.identity, reason: "new",
                    state: .done),
                TaskRecord(
                    jobID: elsewhere, kind: .upload, path: "y", key: "p/y", identity: Self.identity, reason: "new"),
            ])
            let claims = try await store.uploadClaims(endpoint: "e", location: S3Location(bucket: "b", prefix: "p/")) {
                $0.id == failed
            }
            #expect(Set(claims.records.keys) == ["u-a", "u-b"])
            #expect(claims.jobStates == [completed: .completed, failed: .failed, planning: .planning])
            #expect(claims.runningJobs == [failed])
            #expect(claims.pendingKeys == ["p/a": failed])
            #expect(claims.planningPrefixes == ["p/sub/": planning])
        }
    }

    // MARK: Locks and consistency

    @Test(arguments: Backend.allCases) func plannerLockIsHeldByOnePlannerAtATime(backend: Backend) async throws {
        try await withStore(backend) { store in
            #expect(try await store.integrityCheck() == "ok")
            switch backend {
            case .sqlite:
                #expect(try await store.withPlannerLock(identity: "job", description: "/s → s3://b/p/") { 1 } == nil)
            case .postgres:
                let outcome = try await store.withPlannerLock(identity: "job", description: "/s → s3://b/p/") {
                    let error = await #expect(throws: SyncError.self) {
                        try await store.withPlannerLock(identity: "job", description: "/s → s3://b/p/") { 2 }
                    }
                    #expect(error?.kind == .locked)
                    #expect(error?.message.contains("/s → s3://b/p/") == true)
                    #expect(error?.message.contains("s3sync pid \(getpid())") == true)
                    let other = try await store.withPlannerLock(identity: "another job", description: "x") { 3 }
                    #expect(other == 3)
                    return 1
                }
                #expect(outcome == 1)
                #expect(try await store.withPlannerLock(identity: "job", description: "x") { 4 } == 4)
            }
        }
    }

    // MARK: PostgreSQL's own promises

    @Test func hostsStartingTogetherMigrateOnce() async throws {
        try await Self.withPostgresDatabase { location in
            let logger = Logger(label: "s3sync.test.postgres")
            let checks = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await PostgresJobStore.withStore(location, logger: logger) { try await $0.integrityCheck() }
                    }
                }
                var checks: [String] = []
                for try await check in group { checks.append(check) }
                return checks
            }
            #expect(checks == ["ok", "ok", "ok", "ok"])
        }
    }

    @Test func aDatabaseOfAnotherProgramIsRefusedAndLeftUntouched() async throws {
        try await Self.withPostgresDatabase { location in
            let logger = Logger(label: "s3sync.test.postgres")
            try await PostgresJobStore.administer(location, ["CREATE TABLE job (customer text)"], logger: logger)
            let error = await #expect(throws: SyncError.self) {
                try await PostgresJobStore.withStore(location, logger: logger) { _ in }
            }
            #expect(error?.kind == .configuration)
            #expect(error?.message.contains("another program (job)") == true)
            #expect(error?.message.contains(location.description) == true)
            try await PostgresJobStore.administer(location, ["INSERT INTO job VALUES ('still here')"], logger: logger)
        }
    }
}

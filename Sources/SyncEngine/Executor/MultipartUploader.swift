import Foundation
import Logging
import S3Client

/// A resumable multipart upload of one file.
///
/// The upload is recorded in the state database before any part is sent, and each part as soon as
/// it is stored, so a later run continues it: the server's ListParts is the truth about which
/// parts exist, the database says which of those were sent for this very file (same size, mtime,
/// ctime, inode and part size). An upload started for an older version of the file is aborted.
struct MultipartUploader: Sendable {
    /// Parts of one file sent at once. More does not move a file faster over one link and costs
    /// memory; several files still use the whole request budget together.
    static let partsInFlight = 4

    let uploader: FileUploader

    var client: S3Client { uploader.client }
    var store: any JobStore { uploader.store }
    var location: S3Location { uploader.location }

    func upload(_ task: TaskRecord, path: String, identity: FileIdentity) async throws -> (
        eTag: String, partSize: Int64, completedAt: Double?
    ) {
        let plan = PartPlan(fileSize: identity.size, preferredPartSize: uploader.options.partSize)
        let algorithm = uploader.checksumAlgorithm
        var (record, done, completed) = try await reconcile(task: task, path: path, identity: identity, plan: plan)
        if let completed {
            uploader.logger.info(
                "an earlier run completed this upload before it could record it",
                metadata: ["key": "\(task.key)"])
            uploader.progress.update { $0.resumedBytes += identity.size }
            return (completed.eTag, plan.partSize, nil)
        }
        if record == nil {
            let uploadID = try await uploader.budget.withPermit {
                try await client.createMultipartUpload(
                    bucket: location.bucket, key: task.key, metadata: ["mtime": identity.mtimeMetadata],
                    checksumAlgorithm: algorithm, attributes: uploader.attributes(forPath: task.path))
            }
            record = try await store.insertMultipartUpload(
                MultipartUploadRecord(
                    jobID: uploader.jobID, endpoint: uploader.endpoint, bucket: location.bucket, key: task.key,
                    uploadID: uploadID, path: task.path, identity: identity, partSize: plan.partSize,
                    checksumAlgorithm: algorithm.rawValue, createdAt: Date().timeIntervalSince1970))
            done = [:]
        }
        guard let record, let rowID = record.id else { throw SyncError(.failed, "multipart upload record lost") }
        let resumedBytes = done.values.reduce(Int64(0)) { $0 + $1.size }
        if !done.isEmpty {
            uploader.logger.info(
                "continuing multipart upload",
                metadata: ["key": "\(task.key)", "parts_done": "\(done.count)", "parts": "\(plan.partCount)"])
            uploader.progress.update { $0.resumedBytes += resumedBytes }
        }

        let missing = (1...plan.partCount).filter { done[$0] == nil }
        let uploaded =
            if let queue = uploader.queue {
                try await uploadSharedParts(
                    missing, of: task, path: path, plan: plan, uploadID: record.uploadID, rowID: rowID, queue: queue)
            } else {
                try await uploadParts(
                    missing, of: task, path: path, plan: plan, uploadID: record.uploadID, rowID: rowID)
            }
        for part in uploaded { done[part.partNumber] = part }

        // Never complete an upload of a file that changed since its parts were read.
        guard case .success(let now) = FileIdentity.current(path: path), now == identity else {
            try? await abort(record)
            throw FileChangedError(message: "\(task.path) changed while it was uploading")
        }
        let parts = (1...plan.partCount).compactMap { done[$0] }
        let result = try await uploader.budget.withPermit {
            try await client.completeMultipartUpload(
                bucket: location.bucket, key: task.key, uploadID: record.uploadID, parts: parts)
        }
        try await store.removeMultipartUpload(id: rowID)
        // Some stores list a multipart object under another ETag than CompleteMultipartUpload
        // returned (rclone: the whole file's MD5, which it computes on the first HEAD or listing).
        // The next plan adopts the listed ETag if the object is dated no later than the server's
        // clock at the completion (ChangeDetector), so a HEAD is needed only without that date.
        if let completedAt = result.serverDate { return (result.eTag, plan.partSize, completedAt) }
        let head = try await uploader.budget.withPermit {
            try await client.headObject(bucket: location.bucket, key: task.key)
        }
        guard let head, head.size == identity.size else {
            throw SyncError(.failed, "\(task.key) has the wrong size after CompleteMultipartUpload")
        }
        return (head.eTag.isEmpty ? result.eTag : head.eTag, plan.partSize, nil)
    }

    /// Finds an upload recorded for this key: continues it if it was started for this exact file,
    /// aborts it otherwise. Returns the upload and the parts both the database and the server have,
    /// or the object when the upload turns out completed (a run killed between the completion and
    /// its record).
    func reconcile(task: TaskRecord, path: String, identity: FileIdentity, plan: PartPlan) async throws
        -> (MultipartUploadRecord?, [Int: UploadedPart], completed: ObjectMetadata?)
    {
        let records = try await store.multipartUploads(
            endpoint: uploader.endpoint, bucket: location.bucket, key: task.key)
        var chosen: MultipartUploadRecord?
        for record in records {
            if chosen == nil
                && record.matches(
                    identity, partSize: plan.partSize, checksumAlgorithm: uploader.checksumAlgorithm.rawValue)
            {
                chosen = record
            } else {
                uploader.logger.info(
                    "aborting an upload started for another version of the file",
                    metadata: ["key": "\(task.key)", "upload_id": "\(record.uploadID)"])
                try await abort(record)
            }
        }
        guard let record = chosen, let rowID = record.id else { return (nil, [:], nil) }
        if record.jobID != uploader.jobID { try await store.adoptMultipartUpload(id: rowID, jobID: uploader.jobID) }
        // The recorded parts are read before the server's list: a part recorded meanwhile (by
        // another host of a shared queue) is then missing from this reading, not taken for one
        // the server lost.
        let recorded = try await store.parts(uploadRowID: rowID)
        let serverParts: [UploadedPart]
        do {
            serverParts = try await uploader.budget.withPermit {
                try await client.listParts(bucket: location.bucket, key: task.key, uploadID: record.uploadID)
            }
        } catch let error as S3ServiceError where error.category == .notFound {
            // Completed, aborted or expired on the server. Completed for this very file version
            // (the size and the mtime the upload was started with): done; otherwise start over.
            let head = try await uploader.budget.withPermit {
                try await client.headObject(bucket: location.bucket, key: task.key)
            }
            try await store.removeMultipartUpload(id: rowID)
            if let head, head.size == identity.size, head.userMetadata["mtime"] == identity.mtimeMetadata {
                return (nil, [:], head)
            }
            return (nil, [:], nil)
        }
        let onServer = Dictionary(serverParts.map { ($0.partNumber, $0) }, uniquingKeysWith: { first, _ in first })
        var done: [Int: UploadedPart] = [:]
        var stale: [Int] = []
        for part in recorded {
            let expected = plan.range(ofPart: part.partNumber).length
            if let server = onServer[part.partNumber], server.eTag == part.eTag, server.size == part.size,
                part.size == expected
            {
                done[part.partNumber] = part.uploadedPart
            } else {
                stale.append(part.partNumber)
            }
        }
        try await store.removeParts(uploadRowID: rowID, numbers: stale)
        return (record, done, nil)
    }

    /// Uploads parts concurrently within the shared request budget, recording each as it lands.
    func uploadParts(
        _ numbers: [Int], of task: TaskRecord, path: String, plan: PartPlan, uploadID: String, rowID: Int64
    ) async throws -> [UploadedPart] {
        var results: [UploadedPart] = []
        try await forEachConcurrently(
            numbers, window: min(uploader.budget.capacity, Self.partsInFlight),
            { number in
                try await sendPart(
                    number, key: task.key, path: path, plan: plan, uploadID: uploadID, rowID: rowID,
                    algorithm: uploader.checksumAlgorithm)
            }, collect: { results.append($0) })
        return results
    }

    /// Uploads parts with the other hosts of a shared queue: the missing parts are opened to them,
    /// this host sends those it claims, then waits until every part is stored by whichever host
    /// (claiming again the parts of a host whose lease ran out). Returns every part of the upload.
    func uploadSharedParts(
        _ numbers: [Int], of task: TaskRecord, path: String, plan: PartPlan, uploadID: String, rowID: Int64,
        queue: QueueMembership
    ) async throws -> [UploadedPart] {
        try await store.openParts(uploadRowID: rowID, numbers: numbers)
        let jobID = uploader.jobID
        while true {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<min(uploader.budget.capacity, Self.partsInFlight) {
                    group.addTask {
                        while let claim = try await store.claimPart(
                            jobID: jobID, uploadRowID: rowID, worker: queue.worker, lease: queue.lease)
                        {
                            _ = try await sendPart(
                                claim.partNumber, key: task.key, path: path, plan: plan, uploadID: uploadID,
                                rowID: rowID, algorithm: uploader.checksumAlgorithm)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let stored = try await store.parts(uploadRowID: rowID)
            if Set(stored.map(\.partNumber)).isSuperset(of: numbers) { return stored.map(\.uploadedPart) }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Sends one part within the request budget and records it as soon as it is stored.
    func sendPart(
        _ number: Int, key: String, path: String, plan: PartPlan, uploadID: String, rowID: Int64,
        algorithm: ChecksumAlgorithm
    ) async throws -> UploadedPart {
        let range = plan.range(ofPart: number)
        let body = S3RequestBody.file(FileSlice(path: path, offset: range.offset, length: range.length))
        let checksum = try await client.checksum(of: body, algorithm: algorithm)
        let part = try await uploader.budget.withPermit {
            try await client.uploadPart(
                bucket: location.bucket, key: key, uploadID: uploadID, partNumber: number, body: body,
                checksum: checksum)
        }
        try await store.recordPart(
            PartRecord(
                uploadRowID: rowID, partNumber: number, size: range.length, eTag: part.eTag,
                checksumAlgorithm: part.checksum?.algorithm.rawValue, checksum: part.checksum?.base64))
        return part
    }

    /// Aborts an upload on the server and forgets it.
    func abort(_ record: MultipartUploadRecord) async throws {
        try await uploader.budget.withPermit {
            try await client.abortMultipartUpload(bucket: record.bucket, key: record.key, uploadID: record.uploadID)
        }
        if let id = record.id { try await store.removeMultipartUpload(id: id) }
    }
}

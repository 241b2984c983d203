import Foundation
import Logging
import NIOCore
import NIOPosix
import S3Client

/// Uploads one file: a single PUT below the multipart threshold, a resumable multipart upload
/// above it. Checks the file before and after, so a torn upload is never recorded as done.
struct FileUploader: FileTransfer {
    /// Files up to this size are read into memory once and sent from there.
    static let inMemoryLimit: Int64 = 1 << 20

    let client: S3Client
    let store: any JobStore
    let jobID: Int64
    let endpoint: String
    let location: S3Location
    /// The directory the job pushes.
    let sourceRoot: String
    let options: SyncOptions
    let budget: RequestBudget
    let progress: TransferProgress
    let logger: Logger
    /// This host in a shared queue: a large file's parts are opened to the job's other hosts.
    var queue: QueueMembership? = nil

    var checksumAlgorithm: ChecksumAlgorithm { options.checksumAlgorithm }
    var kind: TaskRecord.Kind { .upload }

    func finished(_ task: TaskRecord, size: Int64) -> SyncEvent {
        .uploaded(path: task.path, key: task.key, size: size)
    }

    /// Uploads the task's file as it is now.
    func transfer(_ task: TaskRecord) async throws -> TransferOutcome {
        let absolutePath = absolutePath(task.path)
        let before: FileIdentity
        switch FileIdentity.current(path: absolutePath) {
        case .success(let identity) where queue != nil && !identity.isAsPlanned(task):
            return .notSeenHere(
                "\(task.path) is \(identity.size) bytes with mtime \(identity.mtimeMetadata) here, not as planned "
                    + "(\(task.size) bytes, mtime \(FileIdentity.mtimeMetadata(task.mtimeNanoseconds)))")
        case .success(let identity): before = identity
        case .failure(let error) where queue != nil:
            return .notSeenHere("cannot stat \(task.path): \(error.description)")
        case .failure(let error):
            return error.vanished ? .vanished(Self.vanished) : .failed("cannot stat \(task.path): \(error.description)")
        }
        do {
            let result: (eTag: String, partSize: Int64, completedAt: Double?)
            if before.size < options.multipartThreshold || before.size <= PartPlan.minPartSize {
                result = (try await putSingle(task, path: absolutePath, identity: before), 0, nil)
            } else {
                result = try await MultipartUploader(uploader: self).upload(task, path: absolutePath, identity: before)
            }
            switch FileIdentity.current(path: absolutePath) {
            case .success(let after) where after == before:
                break
            case .success:
                return .changed("\(task.path) changed while it was uploading")
            case .failure(let error):
                return error.vanished
                    ? .changed("\(task.path) was removed while it was uploading") : .failed(error.description)
            }
            return .done(
                IndexRecord(
                    endpoint: endpoint, bucket: location.bucket, key: task.key, root: sourceRoot, identity: before,
                    eTag: result.eTag,
                    md5: nil,
                    partSize: result.partSize, multipartMD5: nil, uploadedAt: Date().timeIntervalSince1970,
                    completedAt: result.completedAt))
        } catch let error as FileChangedError {
            return .changed(error.message)
        } catch {
            return try classify(error, task: task, path: absolutePath, before: before)
        }
    }

    /// Maps an upload error to an outcome, or rethrows it when the whole run must stop.
    func classify(_ error: any Error, task: TaskRecord, path: String, before: FileIdentity) throws -> TransferOutcome {
        if error is CancellationError { throw error }
        let category = S3ErrorCategory(error)
        if category.affectsEveryRequest { throw SyncError(.configuration, reporting: error) }
        switch category {
        case .cancelled:
            throw CancellationError()
        case .localFile:
            switch FileIdentity.current(path: path) {
            case .failure(let stat) where stat.vanished: return .vanished(Self.vanished)
            case .success(let now) where now != before: return .changed("\(task.path) changed while it was uploading")
            default: return .failed((error as? S3ClientError)?.message ?? "\(error)")
            }
        case .integrity:
            if case .success(let now) = FileIdentity.current(path: path), now == before {
                return .failed("\(error) (the file did not change: a proxy may be altering uploads)")
            }
            return .changed("\(task.path) changed while it was uploading")
        default:
            return .failed("\(error)")
        }
    }

    static let vanished = "disappeared before it could be uploaded"

    /// The file at `path`, relative to the job's directory.
    func absolutePath(_ path: String) -> String {
        sourceRoot == "/" ? "/" + path : sourceRoot + "/" + path
    }

    /// Sends a part of another host's upload, if the file is still the one it was started for
    /// (size and mtime; a shared file system may show other inodes and devices on each host).
    /// Otherwise the claim is left to run out, and the upload's own host finds the change.
    func send(_ claim: PartClaim) async throws -> Int64 {
        let record = claim.upload
        let path = absolutePath(record.path)
        guard case .success(let now) = FileIdentity.current(path: path), now.size == record.size,
            now.mtimeNanoseconds == record.mtimeNanoseconds, let rowID = record.id
        else {
            logger.info("not sending a part of a file that changed", metadata: ["key": "\(record.key)"])
            return 0
        }
        let plan = PartPlan(fileSize: record.size, exactPartSize: record.partSize)
        let algorithm = ChecksumAlgorithm(rawValue: record.checksumAlgorithm) ?? checksumAlgorithm
        let part = try await MultipartUploader(uploader: self).sendPart(
            claim.partNumber, key: record.key, path: path, plan: plan, uploadID: record.uploadID, rowID: rowID,
            algorithm: algorithm)
        return part.size
    }

    /// What the object of the file at `path` is stored with: the options' attributes, with a
    /// content type from the extension when none is set (and guessing is on).
    func attributes(forPath path: String) -> ObjectAttributes {
        var attributes = options.attributes
        if attributes.contentType == nil && options.guessContentType {
            attributes.contentType = MediaTypes.type(forPath: path)
        }
        return attributes
    }

    /// One PUT. Small files are read once into memory, holding a permit and the body's credit of
    /// the client's body memory (in that order, as a streamed body takes its chunks' credit
    /// inside its request); larger ones are checksummed, then streamed.
    func putSingle(_ task: TaskRecord, path: String, identity: FileIdentity) async throws -> String {
        let metadata = ["mtime": identity.mtimeMetadata]
        if identity.size <= Self.inMemoryLimit {
            return try await budget.withPermit {
                try await client.configuration.bodyMemory.withCredit(Int(identity.size)) {
                    let buffer = try Self.readWhole(path: path, size: identity.size)
                    let checksum = try await client.checksum(of: .bytes(buffer), algorithm: checksumAlgorithm)
                    return try await client.putObject(
                        bucket: location.bucket, key: task.key, body: .bytes(buffer), checksum: checksum,
                        metadata: metadata,
                        attributes: attributes(forPath: task.path)
                    ).eTag
                }
            }
        }
        let body = S3RequestBody.file(FileSlice(path: path, offset: 0, length: identity.size))
        let checksum = try await client.checksum(of: body, algorithm: checksumAlgorithm)
        return try await budget.withPermit {
            try await client.putObject(
                bucket: location.bucket, key: task.key, body: body, checksum: checksum, metadata: metadata,
                attributes: attributes(forPath: task.path)
            ).eTag
        }
    }

    /// Reads a small file whole; a size different from the stat means it is changing. Files this
    /// small come from the page cache in microseconds, so the read runs in place rather than
    /// paying two thread hops on the blocking-I/O pool.
    static func readWhole(path: String, size: Int64) throws -> ByteBuffer {
        // One byte more than the stat said, to see a file that grew.
        let buffer = try OpenFile(path: path).read(at: 0, count: Int(size) + 1, allocator: ByteBufferAllocator())
        guard Int64(buffer.readableBytes) == size else {
            throw FileChangedError(message: "\(path) changed size while it was read")
        }
        return buffer
    }
}

import Foundation
import Logging
import S3Client

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Downloads one object into the pull's directory: one GET below the multipart threshold,
/// resumable ranged GETs above it (``RangedDownloader``). Bytes go into a hidden temporary file
/// beside the final name, are verified, get the object's mtime and are renamed into place: a
/// file is never at its final name unless complete and verified.
struct FileDownloader: FileTransfer {
    /// How often one file is fetched again when the whole of it fails verification.
    static let verificationAttempts = 3

    let client: S3Client
    let store: any JobStore
    let jobID: Int64
    let endpoint: String
    let location: S3Location
    let root: DownloadRoot
    let options: SyncOptions
    let budget: RequestBudget
    let progress: TransferProgress
    let logger: Logger

    var kind: TaskRecord.Kind { .download }

    func finished(_ task: TaskRecord, size: Int64) -> SyncEvent {
        .downloaded(key: task.key, path: task.path, size: size)
    }

    /// The object as the plan (or a later HEAD) saw it.
    struct Version: Sendable, Hashable {
        var eTag: String
        var size: Int64
        var lastModifiedNanoseconds: Int64
    }

    /// Where a download goes: the directory, the final name and the temporary one.
    struct Target: Sendable {
        let directory: Directory
        let name: String
        let temporaryName: String
        var temporaryPath: String { directory.path(of: temporaryName) }
    }

    func transfer(_ task: TaskRecord) async throws -> TransferOutcome {
        let names: [Substring]
        switch DownloadRoot.components(of: task.path) {
        case .success(let found): names = found
        case .failure(let error): return .failed("the key \(task.key) cannot be restored: \(error.message)")
        }
        let target: Target
        do {
            target = Target(
                directory: try root.directory(names.dropLast(), create: true), name: String(names.last ?? ""),
                temporaryName: DownloadRoot.temporaryName(for: task.key))
        } catch {
            return .failed("cannot restore \(task.key): \(error.message)")
        }
        root.download(target.temporaryPath, becomes: task.path)
        defer { root.download(target.temporaryPath, becomes: nil) }
        var version = Version(eTag: task.eTag ?? "", size: task.size, lastModifiedNanoseconds: task.mtimeNanoseconds)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let record = try await download(task, version: version, to: target)
                return .done(record)
            } catch let error as S3ServiceError where error.category == .preconditionFailed && attempt < 3 {
                // Replaced since the plan saw it: start over with the object as it is now.
                guard
                    let head = try await budget.withPermit({
                        try await client.headObject(bucket: location.bucket, key: task.key)
                    })
                else { return .vanished(Self.vanished) }
                logger.info(
                    "the object was replaced while it downloaded; starting over",
                    metadata: ["key": "\(task.key)", "error": "\(error)"])
                version = Version(
                    eTag: head.eTag, size: head.size,
                    lastModifiedNanoseconds: Int64((head.lastModified ?? 0) * 1e9))
            } catch let error as VerificationError where attempt < Self.verificationAttempts {
                progress.update { $0.refetches += 1 }
                logger.warning(
                    "the downloaded file failed verification; fetching it again",
                    metadata: ["key": "\(task.key)", "error": "\(error.message)"])
            } catch {
                return try classify(error, task: task)
            }
        }
    }

    /// `UTIME_OMIT`: leave that time as it is (the Glibc module does not export the macro).
    static let timeOmitted = (1 << 30) - 2

    static let vanished = "the object was deleted before it could be downloaded"

    /// Maps a download error to an outcome, or throws when the whole run must stop.
    func classify(_ error: any Error, task: TaskRecord) throws -> TransferOutcome {
        switch error {
        case is CancellationError: throw error
        case let error as LocalPathError: return .failed("cannot restore \(task.key): \(error.message)")
        case let error as VerificationError: return .failed("\(task.key): \(error.message)")
        case let error as DiskFullError: throw SyncError(.failed, error.message)
        default: break
        }
        let category = S3ErrorCategory(error)
        if category.affectsEveryRequest { throw SyncError(.configuration, reporting: error) }
        switch category {
        case .cancelled: throw CancellationError()
        case .notFound: return .vanished(Self.vanished)
        case .preconditionFailed: return .changed("\(task.key) kept changing while it downloaded")
        default: return .failed("\(error)")
        }
    }

    /// Downloads one version of the object and puts it in place.
    func download(_ task: TaskRecord, version: Version, to target: Target) async throws -> IndexRecord {
        let fd: Int32
        let head: ObjectHead?
        var partSize: Int64 = 0
        if version.size >= options.multipartThreshold && version.size > PartPlan.minPartSize {
            let ranged = RangedDownloader(downloader: self)
            (fd, head, partSize) = try await ranged.download(task, version: version, to: target)
        } else {
            (fd, head) = try await downloadWhole(task, version: version, to: target)
        }
        defer { close(fd) }
        do {
            return try place(fd, task: task, version: version, head: head, partSize: partSize, target: target)
        } catch {
            // Complete and verified, but it cannot go in place (a directory there): nothing is left.
            _ = try? target.directory.removeFile(target.temporaryName)
            throw error
        }
    }

    /// Gives the downloaded file the object's mtime, renames it over the final name and returns
    /// its index record (with the stat it has there).
    func place(
        _ fd: Int32, task: TaskRecord, version: Version, head: ObjectHead?, partSize: Int64, target: Target
    ) throws -> IndexRecord {
        let mtime = Self.mtime(head?.userMetadata["mtime"]) ?? version.lastModifiedNanoseconds
        var times = [
            timespec(tv_sec: 0, tv_nsec: Self.timeOmitted),
            timespec(tv_sec: Int(mtime / 1_000_000_000), tv_nsec: Int(mtime % 1_000_000_000)),
        ]
        guard futimens(fd, &times) == 0 else {
            throw LocalPathError("cannot set the mtime of \(task.path): \(String(cString: strerror(errno)))")
        }
        try target.directory.rename(target.temporaryName, to: target.name)
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw LocalPathError("cannot stat \(task.path): \(String(cString: strerror(errno)))")
        }
        return IndexRecord(
            endpoint: endpoint, bucket: location.bucket, key: task.key, root: root.path, identity: FileIdentity(info),
            eTag: version.eTag, md5: nil, partSize: partSize, multipartMD5: nil,
            uploadedAt: Date().timeIntervalSince1970)
    }

    /// One GET into a fresh temporary file, verified as it arrives.
    func downloadWhole(_ task: TaskRecord, version: Version, to target: Target) async throws -> (Int32, ObjectHead?) {
        guard let fd = try target.directory.openFile(target.temporaryName, create: true) else {
            throw LocalPathError("cannot create \(target.temporaryPath)")
        }
        do {
            let writer = BodyWriter(
                descriptor: fd, offset: 0, length: version.size, expectedMD5: Self.md5(fromETag: version.eTag),
                hashes: false, progress: progress)
            let head: ObjectHead
            do {
                head = try await budget.withPermit {
                    try await client.getObject(
                        bucket: location.bucket, key: task.key, ifMatch: version.eTag.isEmpty ? nil : version.eTag,
                        checksumMode: true, into: writer)
                }
            } catch {
                throw failure(error, of: writer, path: target.temporaryPath)
            }
            guard head.objectSize == version.size else {
                throw S3ServiceError(
                    code: "PreconditionFailed", message: "the object's size changed", statusCode: 412,
                    operation: "GetObject")
            }
            return (fd, head)
        } catch {
            close(fd)
            _ = try? target.directory.removeFile(target.temporaryName)
            throw error
        }
    }

    /// The MD5 an ETag stands for, when it is one (a single-part upload without SSE-KMS).
    static func md5(fromETag eTag: String) -> String? {
        let tag = eTag.lowercased()
        guard tag.utf8.count == 32, tag.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            return nil
        }
        return tag
    }

    /// The nanoseconds of an `x-amz-meta-mtime` (`seconds[.fraction]`, as push and rclone write it).
    static func mtime(_ text: String?) -> Int64? {
        guard let text, !text.isEmpty else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let seconds = Int64(parts[0]) else { return nil }
        var nanoseconds: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1].prefix(9)
            guard digits.allSatisfy(\.isNumber), let value = Int64(digits.isEmpty ? "0" : String(digits)) else {
                return nil
            }
            nanoseconds = value * Int64(pow(10, Double(9 - digits.count)))
        }
        return seconds * 1_000_000_000 + nanoseconds
    }

    /// A full disk, from the `errno` of a failed write: the run stops, resumable.
    func diskFull(_ code: Int32?, path: String) -> DiskFullError? {
        guard let code, code == ENOSPC || code == EDQUOT else { return nil }
        return DiskFullError(
            message:
                "the disk holding \(root.path) is full (\(String(cString: strerror(code))), writing \(path)). Nothing incomplete was put in place; free some space and run `s3sync resume` to continue"
        )
    }

    /// What a failed GET into `writer` means: a full disk, a body that kept failing
    /// verification (after the client's own retries), or the client's error.
    func failure(_ error: any Error, of writer: BodyWriter, path: String) -> any Error {
        if let full = diskFull(writer.writeError, path: path) { return full }
        if let failure = writer.verificationFailure, (error as? S3ClientError)?.kind == .invalidResponse {
            return VerificationError(message: "the downloaded bytes failed verification: \(failure)")
        }
        return error
    }
}

/// A downloaded file that does not match the object.
struct VerificationError: Error {
    let message: String
}

/// The disk the pull writes to is full.
struct DiskFullError: Error {
    let message: String
}

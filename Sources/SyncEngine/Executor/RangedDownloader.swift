import Crypto
import Foundation
import NIOPosix
import S3Client

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A resumable download of a large object: ranged GETs, each carrying `If-Match`, written by
/// position into a temporary file that is allocated whole before the first one.
///
/// The download is recorded before its first range, and each range as soon as it is written, so a
/// later run continues it: it reuses the ranges only if the object still has the ETag and size
/// they were fetched from and the temporary file is the very one they were written to (its inode
/// and device). The file is verified whole before it is put in place: against a single-part
/// ETag's MD5, or a multipart ETag from the MD5s of ranges laid out as the object's parts.
struct RangedDownloader: Sendable {
    /// Ranges of one file fetched at once; several files still use the whole request budget.
    static let rangesInFlight = 4

    let downloader: FileDownloader

    var client: S3Client { downloader.client }
    var store: any JobStore { downloader.store }
    var location: S3Location { downloader.location }
    var budget: RequestBudget { downloader.budget }

    /// How the ranges are laid out, and what the whole file is checked against.
    struct Layout: Sendable {
        var plan: PartPlan
        /// For a multipart ETag: its part count, and whether the ranges are known to be its
        /// parts (the store said the first part's size); otherwise they were guessed from the
        /// sizes common tools use.
        var multipartCount: Int?
        var confirmed: Bool
    }

    /// Downloads into the temporary file and verifies it.
    /// - Returns: the open temporary file, the head of one of its answers, and the part size of
    ///   the object's multipart layout (0 for a single-part object).
    func download(_ task: TaskRecord, version: FileDownloader.Version, to target: FileDownloader.Target)
        async throws -> (Int32, ObjectHead?, Int64)
    {
        let layout = try await layout(task, version: version)
        let (fd, record, done) = try await reconcile(task, version: version, target: target, plan: layout.plan)
        do {
            guard let rowID = record.id else { throw SyncError(.failed, "partial download record lost") }
            let resumed = done.values.reduce(Int64(0)) { $0 + $1.length }
            if resumed > 0 {
                downloader.logger.info(
                    "continuing download",
                    metadata: [
                        "key": "\(task.key)", "ranges_done": "\(done.count)", "ranges": "\(layout.plan.partCount)",
                    ])
                downloader.progress.update { $0.resumedBytes += resumed }
            }
            let missing = (1...layout.plan.partCount).filter { done[$0] == nil }
            // A single-part ETag is the whole file's MD5, hashed in order as the ranges land.
            var sequential =
                FileDownloader.md5(fromETag: version.eTag) == nil
                ? nil : SequentialDigest(plan: layout.plan, ready: done.keys)
            var (digests, head) = try await fetch(
                missing, of: task, version: version, layout: layout, fd: fd, rowID: rowID,
                temporaryPath: target.temporaryPath, sequential: &sequential)
            try await sequential?.advance(reading: fd)
            for (number, range) in done { digests[number] = range.md5 }
            if head == nil {
                // Every range was there already: the metadata (mtime) comes from a HEAD.
                head = try await budget.withPermit {
                    try await client.headObject(bucket: location.bucket, key: task.key)
                }.map {
                    ObjectHead(
                        objectSize: $0.size, bodyOffset: 0, bodyLength: 0, eTag: $0.eTag, lastModified: $0.lastModified,
                        userMetadata: $0.userMetadata, checksum: nil)
                }
            }
            try verify(task, version: version, layout: layout, digests: digests, wholeMD5: sequential?.value)
            guard fsync(fd) == 0 else {
                throw downloader.diskFull(errno, path: target.temporaryPath)
                    ?? LocalPathError("cannot write \(target.temporaryPath): \(String(cString: strerror(errno)))")
            }
            try await store.removePartialDownload(id: rowID)
            return (fd, head, layout.multipartCount == nil ? 0 : layout.plan.partSize)
        } catch let error as VerificationError {
            if let rowID = record.id { try? await store.removePartialDownload(id: rowID) }
            close(fd)
            throw error
        } catch {
            close(fd)
            throw error
        }
    }

    /// The ranges: the object's parts for a multipart ETag (so their MD5s give the ETag),
    /// `--part-size` otherwise.
    func layout(_ task: TaskRecord, version: FileDownloader.Version) async throws -> Layout {
        let size = version.size
        guard let count = Self.multipartCount(version.eTag) else {
            return Layout(
                plan: PartPlan(fileSize: size, preferredPartSize: downloader.options.partSize), multipartCount: nil,
                confirmed: true)
        }
        let firstPart = try? await budget.withPermit {
            try await client.headObject(bucket: location.bucket, key: task.key, partNumber: 1)
        }
        if let firstPart, firstPart.size > 0, firstPart.size < size || count == 1 {
            let plan = PartPlan(fileSize: size, exactPartSize: firstPart.size)
            if plan.partCount == count { return Layout(plan: plan, multipartCount: count, confirmed: true) }
        }
        for candidate in [downloader.options.partSize] + ContentHasher.commonPartSizes
        where (size + candidate - 1) / candidate == Int64(count) {
            return Layout(
                plan: PartPlan(fileSize: size, exactPartSize: candidate), multipartCount: count, confirmed: false)
        }
        return Layout(
            plan: PartPlan(fileSize: size, preferredPartSize: downloader.options.partSize), multipartCount: count,
            confirmed: false)
    }

    /// The `N` of a multipart ETag (`md5-N`).
    static func multipartCount(_ eTag: String) -> Int? {
        guard let dash = eTag.lastIndex(of: "-"), let count = Int(eTag[eTag.index(after: dash)...]), count > 0 else {
            return nil
        }
        return count
    }

    /// Finds a download recorded for this key into this directory: continues it if it was
    /// started for this very version and its temporary file is still the one written to;
    /// otherwise forgets it and starts a new one (allocating the whole file first).
    func reconcile(
        _ task: TaskRecord, version: FileDownloader.Version, target: FileDownloader.Target, plan: PartPlan
    ) async throws -> (Int32, PartialDownloadRecord, [Int: DownloadedRangeRecord]) {
        let records = try await store.partialDownloads(
            endpoint: downloader.endpoint, bucket: location.bucket, key: task.key, root: downloader.root.path)
        for record in records {
            guard let rowID = record.id else { continue }
            if record.eTag == version.eTag && record.size == version.size && record.partSize == plan.partSize
                && record.temporaryPath == target.temporaryPath,
                let fd = try? target.directory.openFile(target.temporaryName, create: false)
            {
                var info = stat()
                if fstat(fd, &info) == 0, Int64(info.st_size) == version.size,
                    Int64(bitPattern: UInt64(info.st_ino)) == record.inode,
                    Int64(bitPattern: UInt64(info.st_dev)) == record.device
                {
                    if record.jobID != downloader.jobID {
                        try await store.adoptPartialDownload(id: rowID, jobID: downloader.jobID)
                    }
                    let ranges = try await store.ranges(downloadRowID: rowID).filter {
                        $0.partNumber >= 1 && $0.partNumber <= plan.partCount
                            && $0.length == plan.range(ofPart: $0.partNumber).length
                    }
                    return (fd, record, Dictionary(ranges.map { ($0.partNumber, $0) }, uniquingKeysWith: { a, _ in a }))
                }
                close(fd)
            }
            downloader.logger.info(
                "starting over a download of another version or whose temporary file changed",
                metadata: ["key": "\(task.key)"])
            try await store.removePartialDownload(id: rowID)
        }
        guard let fd = try target.directory.openFile(target.temporaryName, create: true) else {
            throw LocalPathError("cannot create \(target.temporaryPath)")
        }
        do {
            let allocated = posix_fallocate(fd, 0, off_t(version.size))
            if allocated == ENOSPC || allocated == EDQUOT {
                throw downloader.diskFull(allocated, path: target.temporaryPath)!
            }
            if allocated != 0 && ftruncate(fd, off_t(version.size)) != 0 {
                throw LocalPathError("cannot size \(target.temporaryPath): \(String(cString: strerror(errno)))")
            }
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                throw LocalPathError("cannot stat \(target.temporaryPath): \(String(cString: strerror(errno)))")
            }
            let record = try await store.insertPartialDownload(
                PartialDownloadRecord(
                    jobID: downloader.jobID, endpoint: downloader.endpoint, bucket: location.bucket, key: task.key,
                    eTag: version.eTag, size: version.size, partSize: plan.partSize, root: downloader.root.path,
                    temporaryPath: target.temporaryPath, inode: UInt64(info.st_ino), device: UInt64(info.st_dev),
                    createdAt: Date().timeIntervalSince1970))
            return (fd, record, [:])
        } catch {
            close(fd)
            _ = try? target.directory.removeFile(target.temporaryName)
            throw error
        }
    }

    /// Fetches ranges concurrently within the shared request budget, recording each as it is written.
    /// - Returns: each fetched range's MD5 (empty when not needed), and the head of one answer.
    func fetch(
        _ numbers: [Int], of task: TaskRecord, version: FileDownloader.Version, layout: Layout, fd: Int32,
        rowID: Int64, temporaryPath: String, sequential: inout SequentialDigest?
    ) async throws -> ([Int: String], ObjectHead?) {
        var digests: [Int: String] = [:]
        var head: ObjectHead?
        try await forEachConcurrently(
            numbers, window: min(budget.capacity, Self.rangesInFlight),
            { number in
                let range = layout.plan.range(ofPart: number)
                let writer = BodyWriter(
                    descriptor: fd, offset: range.offset, length: range.length, expectedMD5: nil,
                    hashes: layout.multipartCount != nil, progress: downloader.progress)
                let head: ObjectHead
                do {
                    head = try await budget.withPermit {
                        try await client.getObject(
                            bucket: location.bucket, key: task.key,
                            range: range.offset..<(range.offset + range.length),
                            ifMatch: version.eTag.isEmpty ? nil : version.eTag, into: writer)
                    }
                } catch {
                    throw downloader.failure(error, of: writer, path: temporaryPath)
                }
                guard head.objectSize == version.size else {
                    throw S3ServiceError(
                        code: "PreconditionFailed", message: "the object's size changed", statusCode: 412,
                        operation: "GetObject")
                }
                let md5 = writer.result.md5
                try await store.recordRange(
                    DownloadedRangeRecord(downloadRowID: rowID, partNumber: number, length: range.length, md5: md5))
                return (number, md5, head)
            },
            collect: { number, md5, answer in
                digests[number] = md5
                if head == nil { head = answer }
                sequential?.add(number)
                try await sequential?.advance(reading: fd)
            })
        return (digests, head)
    }

    /// Checks the whole file against the ETag before it is put in place: `wholeMD5` for a
    /// single-part ETag, the ranges' `digests` for a multipart one.
    /// - Throws: ``VerificationError`` when it does not match.
    func verify(
        _ task: TaskRecord, version: FileDownloader.Version, layout: Layout, digests: [Int: String],
        wholeMD5: String?
    ) throws {
        if let expected = FileDownloader.md5(fromETag: version.eTag) {
            let md5 = wholeMD5 ?? ""
            guard md5 == expected else {
                throw VerificationError(message: "the downloaded file's MD5 is \(md5), not the ETag \(expected)")
            }
            return
        }
        guard let count = layout.multipartCount, count == layout.plan.partCount else {
            downloader.logger.notice(
                "not verified: its ETag is not an MD5 and its parts are unknown", metadata: ["key": "\(task.key)"])
            return
        }
        var concatenated: [UInt8] = []
        for number in 1...count {
            guard let hex = digests[number], let bytes = Hex.decode(hex) else {
                throw VerificationError(message: "a range of the download has no recorded MD5")
            }
            concatenated += bytes
        }
        let combined = Hex.encode(Insecure.MD5.hash(data: concatenated)) + "-\(count)"
        guard combined == version.eTag.lowercased() else {
            if layout.confirmed {
                throw VerificationError(
                    message: "the downloaded file's multipart MD5 is \(combined), not the ETag \(version.eTag)")
            }
            downloader.logger.notice(
                "not verified: the part sizes of its multipart upload are unknown", metadata: ["key": "\(task.key)"])
            return
        }
    }
}

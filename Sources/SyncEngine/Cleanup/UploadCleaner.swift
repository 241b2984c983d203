import Foundation
import Logging
import S3Client

/// Aborts the incomplete multipart uploads under a prefix that nothing needs any more, as an
/// ``UploadCleanupPolicy`` decides: lists them (ListMultipartUploads), weighs each against the
/// state database, learns each doomed upload's size (ListParts), aborts it and forgets its record.
///
/// ```swift
/// let cleaner = UploadCleaner(client: s3, store: store)
/// let report = try await cleaner.clean(
///     try S3Location(parsing: "s3://my-backups/host1"), policy: UploadCleanupPolicy(minimumAge: 86400),
///     dryRun: false)
/// print(report.json)
/// ```
public struct UploadCleaner: Sendable {
    public let client: S3Client
    public let store: any JobStore
    /// Identifies the store's endpoint in the state database.
    public let endpoint: String
    /// Where lock files live (to tell which jobs a run is working on).
    public let lockDirectory: String
    public let logger: Logger
    /// Uploads looked at and aborted at once.
    public var concurrency = 8

    public init(
        client: S3Client, store: any JobStore, logger: Logger = Logger(label: "s3sync"), lockDirectory: String? = nil
    ) {
        self.client = client
        self.store = store
        self.endpoint = client.configuration.endpoint.description
        self.logger = logger
        self.lockDirectory = lockDirectory ?? store.lockDirectory ?? NSTemporaryDirectory()
    }

    /// Cleans up under `location`.
    /// - Parameters:
    ///   - dryRun: decide and measure (ListParts) but abort nothing and forget nothing.
    ///   - now: the time to measure ages from (tests pass their own).
    /// - Returns: the report; its exit code is 1 when some aborts failed. Cancellation stops it
    ///   between uploads, with ``CleanupReport/interrupted`` set.
    /// - Throws: ``SyncError`` (configuration) for missing credentials, a missing bucket, access
    ///   denied; (failed) when the uploads cannot be listed for another reason.
    public func clean(_ location: S3Location, policy: UploadCleanupPolicy, dryRun: Bool, now: Date = Date())
        async throws -> CleanupReport
    {
        do {
            _ = try await client.currentCredentials()
        } catch let error as S3ClientError {
            throw SyncError(.configuration, error.message)
        }
        let listing: [MultipartUploadSummary]
        do {
            // Only keys under the prefix, whatever a store's listing makes of it.
            listing = try await client.listMultipartUploads(bucket: location.bucket, prefix: location.prefix)
                .filter { location.relativePath(of: $0.key) != nil }
        } catch {
            throw SyncRunner.runError(error)
        }
        let lockDirectory = self.lockDirectory
        let claims = try await store.uploadClaims(endpoint: endpoint, location: location) { job in
            JobLock.currentHolder(
                directory: lockDirectory,
                identity: SyncRunner.identity(endpoint: job.endpoint, location: job.destination, source: job.source))
                != nil
        }
        let verdicts = policy.decide(listing, claims: claims, now: now.timeIntervalSince1970)
        var report = CleanupReport(location: location, policy: policy, dryRun: dryRun)
        for verdict in verdicts {
            guard case .keep(let reason) = verdict.decision else { continue }
            var upload = Self.upload(verdict)
            upload.reason = reason.code
            upload.detail = reason.explanation(minimumAge: policy.minimumAge)
            if upload.job == nil { upload.job = reason.job }
            report.kept.append(upload)
        }
        let outcomes = await abort(verdicts.filter(\.aborts), bucket: location.bucket, dryRun: dryRun)
        for outcome in outcomes {
            switch outcome {
            case .aborted(let upload): report.aborted.append(upload)
            case .failed(let upload): report.failed.append(upload)
            case .skipped: report.interrupted = true
            }
        }
        if !report.interrupted {
            let stale = policy.staleRecords(listed: listing, claims: claims)
            if !dryRun {
                for record in stale {
                    if let id = record.id { try await store.removeMultipartUpload(id: id) }
                }
            }
            report.forgottenRecords = stale.count
        }
        for list in [\CleanupReport.aborted, \.kept, \.failed] {
            report[keyPath: list].sort { ($0.key, $0.uploadId) < ($1.key, $1.uploadId) }
        }
        report.exitCode = report.failed.isEmpty ? 0 : 1
        return report
    }

    enum Outcome: Sendable {
        case aborted(CleanupReport.Upload)
        case failed(CleanupReport.Upload)
        /// Not looked at: cancelled first.
        case skipped
    }

    /// Measures and aborts uploads, ``concurrency`` at a time.
    func abort(_ verdicts: [UploadVerdict], bucket: String, dryRun: Bool) async -> [Outcome] {
        await withTaskGroup(of: Outcome.self) { group in
            var outcomes: [Outcome] = []
            var next = 0
            func startNext() {
                guard next < verdicts.count else { return }
                let verdict = verdicts[next]
                next += 1
                group.addTask { await self.abort(verdict, bucket: bucket, dryRun: dryRun) }
            }
            for _ in 0..<min(concurrency, verdicts.count) { startNext() }
            while let outcome = await group.next() {
                outcomes.append(outcome)
                startNext()
            }
            return outcomes
        }
    }

    /// Learns an upload's size from its parts, then aborts it (unless `dryRun`) and forgets its record.
    func abort(_ verdict: UploadVerdict, bucket: String, dryRun: Bool) async -> Outcome {
        guard !Task.isCancelled else { return .skipped }
        var upload = Self.upload(verdict)
        let listed = verdict.upload
        do {
            let parts = try await client.listParts(bucket: bucket, key: listed.key, uploadID: listed.uploadID)
            upload.size = parts.reduce(0) { $0 + $1.size }
            upload.parts = parts.count
        } catch let error as S3ServiceError where error.code == "NoSuchUpload" {
            // Gone meanwhile (completed, aborted or expired): nothing left to abort.
            upload.size = 0
            upload.parts = 0
        } catch {
            logger.info(
                "could not list the parts of an upload", metadata: ["key": "\(listed.key)", "error": "\(error)"])
        }
        guard !dryRun else { return .aborted(upload) }
        do {
            try await client.abortMultipartUpload(bucket: bucket, key: listed.key, uploadID: listed.uploadID)
        } catch {
            upload.detail = "\(error)"
            return .failed(upload)
        }
        logger.info(
            "aborted an incomplete multipart upload",
            metadata: ["key": "\(listed.key)", "upload_id": "\(listed.uploadID)"])
        if let id = verdict.record?.id {
            do {
                try await SyncRunner.uncancellable { try await store.removeMultipartUpload(id: id) }
            } catch {
                logger.warning(
                    "aborted an upload but could not forget its record",
                    metadata: ["key": "\(listed.key)", "error": "\(error)"])
            }
        }
        return .aborted(upload)
    }

    static func upload(_ verdict: UploadVerdict) -> CleanupReport.Upload {
        let initiated = UploadCleanupPolicy.started(verdict.upload, record: verdict.record)
        return CleanupReport.Upload(
            key: verdict.upload.key, uploadId: verdict.upload.uploadID,
            initiated: initiated.map { Timestamp.iso8601(secondsSince1970: Int($0)) }, job: verdict.record?.jobID)
    }
}

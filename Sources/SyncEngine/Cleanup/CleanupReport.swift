import Foundation
import S3Client

/// What a cleanup of incomplete multipart uploads did: what it aborted (with the bytes their parts
/// held), what it kept and why, what it could not abort. With ``dryRun``, ``aborted`` lists what
/// it would abort and nothing was changed.
public struct CleanupReport: Sendable, Encodable, Hashable {
    /// One incomplete upload.
    public struct Upload: Sendable, Encodable, Hashable {
        public var key: String
        public var uploadId: String
        /// When it was started (ISO 8601): as the state database recorded it, else as the store says.
        public var initiated: String?
        /// The bytes its parts hold (ListParts), when it was aborted and the store said.
        public var size: Int64?
        public var parts: Int?
        /// The job that started it, if a job in the state database did.
        public var job: Int64?
        /// Why it was kept: ``UploadVerdict/KeepReason/code``.
        public var reason: String?
        /// The reason in words, or what went wrong aborting it.
        public var detail: String?
    }

    public var bucket: String
    public var prefix: String
    public var all: Bool
    public var olderThanSeconds: Double
    public var dryRun: Bool
    public var aborted: [Upload] = []
    public var kept: [Upload] = []
    /// Uploads whose abort failed.
    public var failed: [Upload] = []
    /// Records of uploads the store no longer has, of finished jobs, removed from the state database.
    public var forgottenRecords = 0
    /// Stopped by a signal before every upload was looked at.
    public var interrupted = false
    /// What stopped the cleanup before it began (nothing was aborted).
    public var error: String?
    /// 0, or 1 when an abort failed (the front end sets 130/143 for a signal).
    public var exitCode: Int32 = 0

    public init(location: S3Location, policy: UploadCleanupPolicy, dryRun: Bool) {
        self.bucket = location.bucket
        self.prefix = location.prefix
        self.all = policy.all
        self.olderThanSeconds = policy.minimumAge
        self.dryRun = dryRun
    }

    public var abortedBytes: Int64 { aborted.reduce(0) { $0 + ($1.size ?? 0) } }

    /// Kept uploads counted by reason code, in the order the reasons first appear.
    public var keptByReason: [(reason: String, count: Int)] {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for upload in kept {
            let reason = upload.reason ?? "kept"
            if counts[reason] == nil { order.append(reason) }
            counts[reason, default: 0] += 1
        }
        return order.map { ($0, counts[$0] ?? 0) }
    }

    /// What uploads kept for a reason are, after their count ("2 younger than 24h").
    func phrase(_ reason: String) -> String {
        switch reason {
        case "recent": return "younger than \(TimeSpan.format(olderThanSeconds))"
        case "age_unknown": return "of unknown age"
        case "not_recorded": return "not started by a job in the state database"
        case "job_unfinished": return "of unfinished jobs"
        case "job_may_continue": return "that unfinished jobs may continue"
        case "job_running": return "of jobs a run is working on now"
        default: return reason
        }
    }

    enum CodingKeys: String, CodingKey {
        case bucket, prefix, all, olderThanSeconds, dryRun, aborted, abortedUploads, abortedBytes, kept, keptUploads
        case failed, failedUploads, forgottenRecords, interrupted, error, exitCode
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bucket, forKey: .bucket)
        try container.encode(prefix, forKey: .prefix)
        try container.encode(all, forKey: .all)
        try container.encode(olderThanSeconds, forKey: .olderThanSeconds)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(aborted, forKey: .aborted)
        try container.encode(aborted.count, forKey: .abortedUploads)
        try container.encode(abortedBytes, forKey: .abortedBytes)
        try container.encode(kept, forKey: .kept)
        try container.encode(kept.count, forKey: .keptUploads)
        try container.encode(failed, forKey: .failed)
        try container.encode(failed.count, forKey: .failedUploads)
        try container.encode(forgottenRecords, forKey: .forgottenRecords)
        try container.encode(interrupted, forKey: .interrupted)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encode(exitCode, forKey: .exitCode)
    }

    /// The report as one line of JSON with snake_case keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A line for each upload aborted (or that would be, in a dry run) and, with `verbose`, kept.
    public func uploadLines(verbose: Bool) -> [String] {
        var lines = aborted.map { "\(dryRun ? "would abort" : "aborted") \(describe($0))" }
        if verbose {
            lines += kept.map { "kept \(describe($0)): \($0.detail ?? $0.reason ?? "")" }
        }
        return lines.map(\.singleLine)
    }

    /// A line for each upload that could not be aborted.
    public var failureLines: [String] {
        failed.map { "could not abort \(describe($0)): \($0.detail ?? "failed")".singleLine }
    }

    /// One line: how many uploads were aborted and their bytes, how many kept and why.
    public var summary: String {
        let location = S3Location(bucket: bucket, prefix: prefix)
        var summary =
            "\(dryRun ? "dry run: would abort" : "aborted") \(aborted.count) incomplete upload\(aborted.count == 1 ? "" : "s")"
            + " (\(ByteCount.format(abortedBytes))) under \(location)"
        if !kept.isEmpty {
            summary +=
                "; kept \(kept.count): "
                + keptByReason.map { "\($0.count) \(phrase($0.reason))" }.joined(separator: ", ")
        }
        if !failed.isEmpty { summary += "; \(failed.count) could not be aborted" }
        if forgottenRecords > 0 {
            summary +=
                "; \(dryRun ? "would forget" : "forgot") \(forgottenRecords) record\(forgottenRecords == 1 ? "" : "s") of uploads the store no longer has"
        }
        if interrupted { summary += "; interrupted before the end" }
        return summary.singleLine
    }

    func describe(_ upload: Upload) -> String {
        var details = ["upload \(upload.uploadId)"]
        if let initiated = upload.initiated { details.append("started \(initiated)") }
        if let size = upload.size {
            details.append("\(ByteCount.format(size)) in \(upload.parts ?? 0) part\(upload.parts == 1 ? "" : "s")")
        }
        if let job = upload.job { details.append("job \(job)") }
        return "s3://\(bucket)/\(upload.key) (\(details.joined(separator: ", ")))"
    }
}

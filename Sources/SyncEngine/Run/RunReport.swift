import Foundation

/// The outcome of a push or resume: what the `--json` summary prints and the exit code says.
public struct RunReport: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable, Hashable {
        case completed, failed, interrupted
    }

    public struct Failure: Sendable, Codable, Hashable {
        public var path: String
        public var error: String
    }

    public var job: Int64?
    public var status: Status
    public var uploadedFiles = 0
    public var uploadedBytes: Int64 = 0
    public var skippedFiles = 0
    public var deletedFiles = 0
    public var failedFiles = 0
    public var changedDuringUpload = 0
    public var elapsedSeconds = 0.0
    public var source: String?
    public var destination: String?
    public var plannedUploads = 0
    public var plannedBytes: Int64 = 0
    public var plannedDeletes = 0
    public var vanishedFiles = 0
    public var warnings = 0
    /// Bytes of multipart uploads that an earlier run had stored and were not sent again.
    public var resumedBytes: Int64 = 0
    public var requests = 0
    public var retries = 0
    public var throttles = 0
    public var dryRun = false
    public var error: String?
    public var failures: [Failure] = []
    public var exitCode: Int32 = 0

    public init(job: Int64?, status: Status) {
        self.job = job
        self.status = status
    }

    /// Fills in what the plan was.
    mutating func describePlan(
        source: String, destination: S3Location, uploads: Int, bytes: Int64, deletes: Int, skips: Int, warnings: Int
    ) {
        self.source = source
        self.destination = destination.description
        plannedUploads = uploads
        plannedBytes = bytes
        plannedDeletes = deletes
        skippedFiles = skips
        self.warnings = warnings
    }

    /// The report as one line of JSON with snake_case keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A one-paragraph human summary.
    public var text: String {
        var parts = [
            "\(uploadedFiles) uploaded (\(ByteCount.format(uploadedBytes)))", "\(skippedFiles) unchanged",
        ]
        if deletedFiles > 0 || plannedDeletes > 0 { parts.append("\(deletedFiles) deleted") }
        if failedFiles > 0 { parts.append("\(failedFiles) failed") }
        if changedDuringUpload > 0 { parts.append("\(changedDuringUpload) changed while uploading") }
        if vanishedFiles > 0 { parts.append("\(vanishedFiles) vanished") }
        if warnings > 0 { parts.append("\(warnings) warnings") }
        let prefix =
            dryRun
            ? "dry run: would upload \(plannedUploads) (\(ByteCount.format(plannedBytes))), delete \(plannedDeletes); "
            : ""
        var line =
            "\(prefix)\(status.rawValue): " + parts.joined(separator: ", ")
            + String(format: " in %.1fs", elapsedSeconds)
        if let job { line += " (job \(job))" }
        if resumedBytes > 0 { line += "; \(ByteCount.format(resumedBytes)) of earlier uploads reused" }
        return line
    }
}

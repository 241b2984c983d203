import Foundation

/// The outcome of a push, pull or resume: what the `--json` summary prints and the exit code says.
///
/// The counts of files copied are named by the direction: a push reports `uploaded_files`,
/// `uploaded_bytes` and `planned_uploads`, a pull `downloaded_files`, `downloaded_bytes` and
/// `planned_downloads`. `sent_bytes` and `received_bytes` are the body bytes that crossed the
/// wire in this run, retries included.
public struct RunReport: Sendable, Encodable, Hashable {
    public enum Status: String, Sendable, Codable, Hashable {
        case completed, failed, interrupted
    }

    public struct Failure: Sendable, Codable, Hashable {
        public var path: String
        public var error: String
    }

    public var job: Int64?
    public var direction: JobRecord.Direction
    public var status: Status
    /// Files uploaded (push) or downloaded (pull) in this run, and their sizes.
    public var transferredFiles = 0
    public var transferredBytes: Int64 = 0
    public var sentBytes: Int64 = 0
    public var receivedBytes: Int64 = 0
    public var skippedFiles = 0
    public var deletedFiles = 0
    public var failedFiles = 0
    public var changedDuringUpload = 0
    public var elapsedSeconds = 0.0
    public var source: String?
    public var destination: String?
    public var plannedTransfers = 0
    public var plannedBytes: Int64 = 0
    public var plannedDeletes = 0
    public var vanishedFiles = 0
    public var warnings = 0
    /// Bytes an earlier run had stored (multipart parts, downloaded ranges), not transferred again.
    public var resumedBytes: Int64 = 0
    public var requests = 0
    /// Requests sent again, and downloads fetched again after failing verification.
    public var retries = 0
    public var throttles = 0
    /// The most requests the budget allowed in flight at once, and its mean over the run
    /// (`--concurrency auto` moves it; a fixed `--concurrency` keeps it).
    public var concurrencyPeak = 0
    public var concurrencyMean = 0.0
    public var dryRun = false
    public var error: String?
    public var failures: [Failure] = []
    public var exitCode: Int32 = 0

    public init(job: Int64?, status: Status, direction: JobRecord.Direction = .push) {
        self.job = job
        self.status = status
        self.direction = direction
    }

    /// Fills in what the plan was: `local` is the directory, `remote` the bucket prefix.
    mutating func describePlan(
        local: String, remote: S3Location, transfers: Int, bytes: Int64, deletes: Int, skips: Int, warnings: Int
    ) {
        source = direction == .push ? local : remote.description
        destination = direction == .push ? remote.description : local
        plannedTransfers = transfers
        plannedBytes = bytes
        plannedDeletes = deletes
        skippedFiles = skips
        self.warnings = warnings
    }

    /// What the direction calls a copy: `uploaded` or `downloaded`.
    var copied: String { direction == .push ? "uploaded" : "downloaded" }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        let planned = direction == .push ? "planned_uploads" : "planned_downloads"
        try container.encode(job, forKey: Key("job"))
        try container.encode(direction, forKey: Key("direction"))
        try container.encode(status, forKey: Key("status"))
        try container.encode(transferredFiles, forKey: Key("\(copied)_files"))
        try container.encode(transferredBytes, forKey: Key("\(copied)_bytes"))
        try container.encode(sentBytes, forKey: Key("sent_bytes"))
        try container.encode(receivedBytes, forKey: Key("received_bytes"))
        try container.encode(skippedFiles, forKey: Key("skipped_files"))
        try container.encode(deletedFiles, forKey: Key("deleted_files"))
        try container.encode(failedFiles, forKey: Key("failed_files"))
        if direction == .push { try container.encode(changedDuringUpload, forKey: Key("changed_during_upload")) }
        try container.encode(elapsedSeconds, forKey: Key("elapsed_seconds"))
        try container.encodeIfPresent(source, forKey: Key("source"))
        try container.encodeIfPresent(destination, forKey: Key("destination"))
        try container.encode(plannedTransfers, forKey: Key(planned))
        try container.encode(plannedBytes, forKey: Key("planned_bytes"))
        try container.encode(plannedDeletes, forKey: Key("planned_deletes"))
        try container.encode(vanishedFiles, forKey: Key("vanished_files"))
        try container.encode(warnings, forKey: Key("warnings"))
        try container.encode(resumedBytes, forKey: Key("resumed_bytes"))
        try container.encode(requests, forKey: Key("requests"))
        try container.encode(retries, forKey: Key("retries"))
        try container.encode(throttles, forKey: Key("throttles"))
        try container.encode(concurrencyPeak, forKey: Key("concurrency_peak"))
        try container.encode((concurrencyMean * 10).rounded() / 10, forKey: Key("concurrency_mean"))
        try container.encode(dryRun, forKey: Key("dry_run"))
        try container.encodeIfPresent(error, forKey: Key("error"))
        try container.encode(failures, forKey: Key("failures"))
        try container.encode(exitCode, forKey: Key("exit_code"))
    }

    /// The report as one line of JSON with snake_case keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A one-paragraph human summary.
    public var text: String {
        var parts = [
            "\(transferredFiles) \(copied) (\(ByteCount.format(transferredBytes)))", "\(skippedFiles) unchanged",
        ]
        if deletedFiles > 0 || plannedDeletes > 0 { parts.append("\(deletedFiles) deleted") }
        if failedFiles > 0 { parts.append("\(failedFiles) failed") }
        if changedDuringUpload > 0 { parts.append("\(changedDuringUpload) changed while uploading") }
        if vanishedFiles > 0 { parts.append("\(vanishedFiles) vanished") }
        if warnings > 0 { parts.append("\(warnings) warnings") }
        let verb = direction == .push ? "upload" : "download"
        let prefix =
            dryRun
            ? "dry run: would \(verb) \(plannedTransfers) (\(ByteCount.format(plannedBytes))), delete \(plannedDeletes); "
            : ""
        var line =
            "\(prefix)\(status.rawValue): " + parts.joined(separator: ", ")
            + String(format: " in %.1fs", elapsedSeconds)
        if let job { line += " (job \(job))" }
        if resumedBytes > 0 {
            line += "; \(ByteCount.format(resumedBytes)) of earlier \(verb)s reused"
        }
        return line
    }
}

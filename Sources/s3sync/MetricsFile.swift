import Foundation
import Metrics
import Prometheus
import SyncEngine

/// `--metrics-file`: the run's figures in the Prometheus text format, for node_exporter's
/// textfile collector. Recorded as swift-metrics gauges on a Prometheus registry of its own and
/// written whole to a temporary file that is renamed over the path, so a scrape never reads half
/// a file: every 15 seconds while the run works, and once more with the final report.
final class MetricsFile: Sendable {
    static let interval: Duration = .seconds(15)

    /// What names the run's series: the job and both ends.
    struct Labels: Sendable {
        var job: Int64?
        var direction: JobRecord.Direction
        /// The local directory (absolute) and the bucket prefix.
        var local: String
        var remote: S3Location

        var source: String { direction == .push ? local : remote.description }
        var destination: String { direction == .push ? remote.description : local }
    }

    let path: String
    let startedAt: Double
    /// When the same directory and prefix were last synced without a failure (before this run).
    let lastSuccess: Double?

    init(path: String, startedAt: Double, lastSuccess: Double?) {
        self.path = path
        self.startedAt = startedAt
        self.lastSuccess = lastSuccess
    }

    /// Writes the figures of a run still working.
    func write(progress: TransferProgress.Snapshot, labels: Labels, retries: Int, throttles: Int) throws {
        var figures = Figures(status: "running", startedAt: startedAt, lastSuccess: lastSuccess)
        figures.duration = Date().timeIntervalSince1970 - startedAt
        figures.plannedFiles = progress.plannedFiles
        figures.plannedBytes = progress.plannedBytes
        figures.transferredFiles = progress.transferredFiles
        figures.transferredBytes = progress.transferredBytes
        figures.skippedFiles = progress.skippedFiles
        figures.failedFiles = progress.failedFiles
        figures.deletedFiles = progress.deletedFiles
        figures.resumedBytes = progress.resumedBytes
        figures.sentBytes = progress.sentBytes
        figures.receivedBytes = progress.receivedBytes
        figures.retries = retries
        figures.throttles = throttles
        try write(figures, labels: labels)
    }

    /// Writes the figures of a run that ended, from its report.
    func write(report: RunReport, labels: Labels) throws {
        let now = Date().timeIntervalSince1970
        var figures = Figures(
            status: report.status.rawValue, startedAt: startedAt,
            lastSuccess: report.status == .completed ? now : lastSuccess)
        figures.endedAt = now
        figures.duration = report.elapsedSeconds
        figures.plannedFiles = report.plannedTransfers
        figures.plannedBytes = report.plannedBytes
        figures.transferredFiles = report.transferredFiles
        figures.transferredBytes = report.transferredBytes
        figures.skippedFiles = report.skippedFiles
        figures.failedFiles = report.failedFiles
        figures.deletedFiles = report.deletedFiles
        figures.resumedBytes = report.resumedBytes
        figures.sentBytes = report.sentBytes
        figures.receivedBytes = report.receivedBytes
        figures.retries = report.retries
        figures.throttles = report.throttles
        var labels = labels
        labels.job = report.job ?? labels.job
        try write(figures, labels: labels)
    }

    /// One sample of every series.
    struct Figures {
        var status: String
        var startedAt: Double
        var lastSuccess: Double?
        var endedAt: Double?
        var duration = 0.0
        var plannedFiles = 0
        var plannedBytes: Int64 = 0
        var transferredFiles = 0
        var transferredBytes: Int64 = 0
        var skippedFiles = 0
        var failedFiles = 0
        var deletedFiles = 0
        var resumedBytes: Int64 = 0
        var sentBytes: Int64 = 0
        var receivedBytes: Int64 = 0
        var retries = 0
        var throttles = 0
    }

    static let statuses = ["running", "completed", "failed", "interrupted"]

    /// The exposition text of one sample.
    static func text(_ figures: Figures, labels: Labels) -> String {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        let dimensions = [
            ("job", labels.job.map(String.init) ?? ""), ("direction", labels.direction.rawValue),
            ("source", labels.source), ("destination", labels.destination),
        ]
        func gauge(_ name: String, _ value: Double, extra: [(String, String)] = []) {
            Gauge(label: "s3sync_" + name, dimensions: dimensions + extra, factory: factory).record(value)
        }
        for status in statuses {
            gauge("run_status", status == figures.status ? 1 : 0, extra: [("status", status)])
        }
        gauge("run_start_timestamp_seconds", figures.startedAt)
        if let endedAt = figures.endedAt { gauge("run_end_timestamp_seconds", endedAt) }
        if let lastSuccess = figures.lastSuccess { gauge("last_success_timestamp_seconds", lastSuccess) }
        gauge("run_duration_seconds", figures.duration)
        gauge("planned_files", Double(figures.plannedFiles))
        gauge("planned_bytes", Double(figures.plannedBytes))
        gauge("transferred_files", Double(figures.transferredFiles))
        gauge("transferred_bytes", Double(figures.transferredBytes))
        gauge("skipped_files", Double(figures.skippedFiles))
        gauge("failed_files", Double(figures.failedFiles))
        gauge("deleted_files", Double(figures.deletedFiles))
        gauge("resumed_bytes", Double(figures.resumedBytes))
        gauge("sent_bytes", Double(figures.sentBytes))
        gauge("received_bytes", Double(figures.receivedBytes))
        gauge("retries", Double(figures.retries))
        gauge("throttles", Double(figures.throttles))
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    func write(_ figures: Figures, labels: Labels) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary =
            (directory.isEmpty ? "" : directory + "/") + ".\((path as NSString).lastPathComponent).\(getpid()).tmp"
        let data = Data(Self.text(figures, labels: labels).utf8)
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o644])
        else {
            throw SyncError(.configuration, "cannot write the metrics file \(temporary) (--metrics-file)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SyncError(.configuration, "cannot write the metrics file \(path) (--metrics-file): \(reason)")
        }
    }
}

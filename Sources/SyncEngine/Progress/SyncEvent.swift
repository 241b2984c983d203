/// Something a run reports as it happens, for the progress display and logs.
public enum SyncEvent: Sendable {
    /// A `--dry-run` decision.
    case wouldUpload(path: String, key: String, size: Int64, reason: String)
    case wouldDelete(key: String)
    case wouldDownload(key: String, path: String, size: Int64, reason: String)
    case wouldRemove(path: String)
    case uploaded(path: String, key: String, size: Int64)
    case downloaded(key: String, path: String, size: Int64)
    case deleted(key: String)
    /// A local file removed by a pull with `--delete`.
    case removed(path: String)
    /// Skipped on purpose; shown as a warning.
    case warning(path: String, reason: String)
    /// A file that could not be copied, or a key or file that could not be deleted.
    case failed(path: String, reason: String)
    /// A notice for the operator (continuing an upload, refusing deletes, ...).
    case notice(String)
}

/// Receives a run's events and shows its progress.
public protocol SyncObserver: Sendable {
    func handle(_ event: SyncEvent)
    /// Called about ten times a second while the run works.
    func tick(_ progress: TransferProgress.Snapshot)
    /// Called once when the run ends, before the report is printed.
    func finish(_ progress: TransferProgress.Snapshot)
}

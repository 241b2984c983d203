/// How the transfer of one file ended.
enum TransferOutcome: Sendable {
    /// Copied; the index record to save.
    case done(IndexRecord)
    /// The source changed while it was copied: try again later in the run.
    case changed(String)
    /// The source is gone; the message says what was skipped.
    case vanished(String)
    /// It could not be copied; the message says why.
    case failed(String)
    /// This host of a shared queue does not see the file as it was planned (missing, unreadable,
    /// another size or mtime): another host may, so the task goes back to the queue.
    case notSeenHere(String)
}

/// The file changed between the checks before and after sending it.
struct FileChangedError: Error {
    let message: String
}

/// One direction's transfer of a file: what ``TransferExecutor`` runs for each task.
protocol FileTransfer: Sendable {
    /// The kind of task it carries out.
    var kind: TaskRecord.Kind { get }
    /// Copies the task's file or object as it is now.
    /// - Throws: only errors that must end the run (credentials, access, missing bucket, a full
    ///   disk) and cancellation.
    func transfer(_ task: TaskRecord) async throws -> TransferOutcome
    /// The event for a finished task.
    func finished(_ task: TaskRecord, size: Int64) -> SyncEvent
    /// Sends a part another host opened to the job's hosts (a shared queue spreads one large file
    /// across them); returns the bytes sent, 0 when the file is not what the upload was started for.
    func send(_ claim: PartClaim) async throws -> Int64
}

extension FileTransfer {
    /// Directions that open no parts to other hosts are never handed one.
    func send(_ claim: PartClaim) async throws -> Int64 { 0 }
}

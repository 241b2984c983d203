extension RunRecord {
    /// Takes the outcome and counts of a run's report.
    mutating func record(_ report: RunReport) {
        switch report.status {
        case .completed: outcome = .completed
        case .failed: outcome = .failed
        case .interrupted: outcome = .interrupted
        }
        plannedFiles = report.plannedTransfers
        plannedBytes = report.plannedBytes
        transferredFiles = report.transferredFiles
        transferredBytes = report.transferredBytes
        skippedFiles = report.skippedFiles
        deletedFiles = report.deletedFiles
        failedFiles = report.failedFiles
        changedFiles = report.changedDuringUpload
        error = report.error ?? report.failures.first.map { "\($0.path): \($0.error)" }
    }

    /// Takes the counts of a run that ended with an error.
    mutating func record(_ progress: TransferProgress.Snapshot) {
        plannedFiles = progress.plannedFiles
        plannedBytes = progress.plannedBytes
        transferredFiles = progress.transferredFiles
        transferredBytes = progress.transferredBytes
        skippedFiles = progress.skippedFiles
        deletedFiles = progress.deletedFiles
        failedFiles = progress.failedFiles
        changedFiles = progress.changedFiles
    }
}

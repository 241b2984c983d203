import Foundation
import S3Client

extension SyncRunner {
    /// Works on a job another host planned, as one of its hosts: claims its tasks from the shared
    /// queue and transfers them until none are left to claim. Planning, deletes and closing the
    /// job stay with its planner.
    /// - Returns: this host's share of the job in this call: files and bytes transferred, failed
    /// and changed, and the budget's figures.
    /// - Throws: ``SyncError`` (usage) without a shared queue; configuration and access errors.
    public func work(on resumable: ResumableJob) async throws -> RunReport {
        let job = resumable.job
        let options = resumable.options
        guard let membership = queue, let id = job.id else {
            throw SyncError(.usage, "a worker needs a shared job queue")
        }
        try await checkCredentials()
        progress.update { $0.job = id }
        let before = progress.snapshot
        return try await withRequestBudget(options: options) { budget in
            let recorder = CompletionRecorder(store: store)
            let steps = try await steps(for: job, options: options, budget: budget)
            let executor = TransferExecutor(
                transfer: steps.transfer, feed: ClaimFeed(store: store, membership: membership, budget: budget),
                store: store, recorder: recorder, options: options, progress: progress, observer: observer,
                logger: logger, queue: membership)
            let heartbeat = heartbeat()
            do {
                try await alongside(jobID: id, recorder: recorder) {
                    try await executor.run(jobID: id, resumableKeys: [])
                }
                try await Self.uncancellable { try await recorder.flush() }
            } catch {
                try? await Self.uncancellable { try await recorder.flush() }
                try? await Self.uncancellable { await heartbeat?.stop(jobID: id) }
                throw Self.runError(error)
            }
            await heartbeat?.stop(jobID: id)
            let after = progress.snapshot
            var share = RunReport(job: id, status: .completed, direction: job.direction)
            share.transferredFiles = after.transferredFiles - before.transferredFiles
            share.transferredBytes = after.transferredBytes - before.transferredBytes
            share.failedFiles = after.failedFiles - before.failedFiles
            share.changedDuringUpload = after.changedFiles - before.changedFiles
            share.vanishedFiles = after.vanishedFiles - before.vanishedFiles
            share.sentBytes = after.sentBytes - before.sentBytes
            share.receivedBytes = after.receivedBytes - before.receivedBytes
            return share
        }
    }
}

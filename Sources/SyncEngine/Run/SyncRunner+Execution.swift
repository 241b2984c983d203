import Foundation
import GRDB
import Logging
import S3Client

extension SyncRunner {
    /// Executes a planned job: transfers, then deletes when every transfer went through; then
    /// closes it (completed or failed) or checkpoints it (interrupted).
    func execute(
        job: JobRecord, options: SyncOptions, progress: TransferProgress, started: Date, supersededJobs: Set<Int64>,
        budget: RequestBudget
    ) async throws -> RunReport {
        var job = job
        guard let id = job.id else { throw SyncError(.failed, "job without id") }
        job.runs += 1
        job.state = .running
        job.updatedAt = Date().timeIntervalSince1970
        try await store.updateJob(job)
        let pendingDeletes = try await store.taskCounts(jobID: id).total(.pending, where: \.deletes)
        try await refuseOverDeleteLimit(job: &job, pendingDeletes: pendingDeletes, options: options)

        let recorder = CompletionRecorder(store: store)
        let steps = try await steps(for: job, options: options, budget: budget)
        let feed: any TaskFeed =
            queue.map { ClaimFeed(store: store, membership: $0, budget: budget) } ?? PlanOrderFeed(store: store)
        let executor = TransferExecutor(
            transfer: steps.transfer, feed: feed, store: store, recorder: recorder, options: options,
            progress: progress, observer: observer, logger: logger, queue: queue)
        progress.update { $0.phase = job.direction == .push ? "uploading" : "downloading" }
        do {
            try await alongside(jobID: id, recorder: recorder) {
                try await steps.prepare(id)
                try await executor.run(jobID: id, resumableKeys: steps.resumableKeys)
                try await waitForOtherHosts(jobID: id, executor: executor, recorder: recorder)
                try await deleteAfterACleanPass(
                    job: job, pendingDeletes: pendingDeletes, delete: steps.delete, progress: progress)
            }
            try Task.checkCancellation()
        } catch {
            try? await Self.uncancellable { try await recorder.flush() }
            let heartbeat = heartbeat()
            try? await Self.uncancellable { await heartbeat?.stop(jobID: id) }
            return try await stopEarly(job: job, error: error, progress: progress, started: started)
        }
        try await Self.uncancellable { try await recorder.flush() }
        await heartbeat()?.stop(jobID: id)
        return try await close(
            job: job, options: options, progress: progress, started: started, supersededJobs: supersededJobs)
    }

    /// Runs `work` with what goes beside it and stops with it: the display's ticks (which also
    /// commit completions that waited long enough) and, in a shared queue, this host's heartbeat.
    func alongside(jobID: Int64, recorder: CompletionRecorder, _ work: () async throws -> Void) async throws {
        let observer = self.observer
        let progress = self.progress
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    observer.tick(progress.snapshot)
                    try? await recorder.flushIfStale()
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            if let heartbeat = heartbeat() {
                group.addTask { await heartbeat.run(jobID: jobID) }
            }
            defer { group.cancelAll() }
            try await work()
        }
    }

    /// This host's heartbeat in a shared queue; `nil` on one host.
    func heartbeat() -> WorkerHeartbeat? {
        queue.map {
            WorkerHeartbeat(store: store, membership: $0, client: client, progress: progress, logger: logger)
        }
    }

    /// With a shared queue, waits until no transfer of the job is pending: other hosts finish
    /// what they hold, and what a host that died held is claimed again once its lease runs out.
    func waitForOtherHosts(jobID: Int64, executor: TransferExecutor, recorder: CompletionRecorder) async throws {
        guard queue != nil else { return }
        try await recorder.flush()
        var announced = false
        while try await store.taskCounts(jobID: jobID).total(.pending, where: \.transfers) > 0 {
            if !announced {
                observer.handle(.notice("waiting for the other hosts to finish their share of job \(jobID)"))
                announced = true
            }
            try await Task.sleep(for: .seconds(1))
            try await executor.run(jobID: jobID, resumableKeys: [])
        }
    }

    /// What carries out a job, by its direction.
    struct Steps {
        var transfer: any FileTransfer
        /// Runs before the transfers (a pull makes the directories markers stand for).
        var prepare: @Sendable (Int64) async throws -> Void
        /// Deletes what the other side no longer has.
        var delete: @Sendable (Int64) async throws -> Void
        /// Keys an earlier run started transferring, which go first so what it stored is reused.
        var resumableKeys: Set<String>
    }

    func steps(for job: JobRecord, options: SyncOptions, budget: RequestBudget) async throws -> Steps {
        let id = job.id ?? 0
        let location = job.destination
        switch job.direction {
        case .push:
            let uploader = FileUploader(
                client: client, store: store, jobID: id, endpoint: endpoint, location: location, sourceRoot: job.source,
                options: options, budget: budget, progress: progress, logger: logger, queue: queue)
            let deleter = DeleteExecutor(
                client: client, store: store, endpoint: endpoint, location: location, budget: budget,
                progress: progress, observer: observer)
            let resumable = try await store.multipartUploads(endpoint: endpoint, location: location).map(\.key)
            return Steps(
                transfer: uploader, prepare: { _ in }, delete: { try await deleter.run(jobID: $0) },
                resumableKeys: Set(resumable))
        case .pull:
            let root = try DownloadRoot(path: job.source)
            let downloader = FileDownloader(
                client: client, store: store, jobID: id, endpoint: endpoint, location: location, root: root,
                options: options, budget: budget, progress: progress, logger: logger)
            let tree = LocalTreeExecutor(
                store: store, root: root, endpoint: endpoint, location: location, progress: progress,
                observer: observer)
            let resumable = try await store.partialDownloads(endpoint: endpoint, location: location, root: job.source)
            return Steps(
                transfer: downloader, prepare: { try await tree.makeDirectories(jobID: $0) },
                delete: { try await tree.removeFiles(jobID: $0) }, resumableKeys: Set(resumable.map(\.key)))
        }
    }

    /// Marks the job failed and throws when it would delete more than `--max-delete` allows.
    func refuseOverDeleteLimit(job: inout JobRecord, pendingDeletes: Int, options: SyncOptions) async throws {
        guard let maxDelete = options.maxDelete, pendingDeletes > maxDelete else { return }
        let message =
            job.direction == .push
            ? "refusing to run: it would delete \(pendingDeletes) objects under \(job.destination), more than the limit of \(maxDelete). Nothing was uploaded or deleted"
            : "refusing to run: it would remove \(pendingDeletes) local files under \(job.source), more than the limit of \(maxDelete). Nothing was downloaded or removed"
        job.state = .failed
        job.lastError = message
        try await store.updateJob(job)
        throw SyncError(.configuration, message, subject: .deleteLimit(planned: pendingDeletes, limit: maxDelete))
    }

    /// Runs the planned deletes if every transfer went through; otherwise says why not.
    func deleteAfterACleanPass(
        job: JobRecord, pendingDeletes: Int, delete: (Int64) async throws -> Void, progress: TransferProgress
    ) async throws {
        guard pendingDeletes > 0, let jobID = job.id else { return }
        let counts = try await store.taskCounts(jobID: jobID)
        let problems =
            counts.total(.failed, where: { !$0.deletes }) + counts.total(.changed, where: { !$0.deletes })
        guard problems == 0 else {
            let what = job.direction == .push ? "remote objects" : "local files"
            let verb = job.direction == .push ? "uploaded" : "downloaded"
            observer.handle(
                .notice(
                    "not deleting \(pendingDeletes) \(what): \(problems) files were not \(verb). Deletes run only after a clean pass; fix the failures and run again"
                ))
            return
        }
        progress.update { $0.phase = "deleting" }
        try await delete(jobID)
    }

    /// Closes a job whose tasks all ran: completed when nothing failed (then no multipart upload
    /// it started is left open), failed otherwise.
    func close(
        job: JobRecord, options: SyncOptions, progress: TransferProgress, started: Date, supersededJobs: Set<Int64>
    ) async throws
        -> RunReport
    {
        var job = job
        let id = job.id ?? 0
        let counts = try await store.taskCounts(jobID: id)
        let failed = counts.total(.failed)
        let changed = counts.total(.changed)
        let pending = counts.total(.pending)
        let snapshot = progress.snapshot
        if failed == 0 && changed == 0 && pending == 0 {
            job.state = .completed
            job.finishedAt = Date().timeIntervalSince1970
            switch job.direction {
            case .push:
                try await abortLeftoverUploads(jobIDs: supersededJobs.union([id]))
                try await abortUnrecordedUploads(job: job, options: options)
            case .pull:
                try await removeLeftoverDownloads(jobIDs: supersededJobs.union([id]), root: job.source)
            }
        } else {
            job.state = .failed
        }
        job.uploadedFiles += snapshot.transferredFiles
        job.uploadedBytes += snapshot.transferredBytes
        if queue != nil {
            let shares = try await store.workerShares(jobID: id).values
            job.uploadedFiles = shares.reduce(0) { $0 + $1.count }
            job.uploadedBytes = shares.reduce(0) { $0 + $1.bytes }
        }
        job.deletedFiles += snapshot.deletedFiles
        job.failedFiles = failed
        job.changedFiles = changed
        job.updatedAt = Date().timeIntervalSince1970
        try await store.updateJob(job)
        var report = try await report(job: job, progress: snapshot, started: started)
        report.status = job.state == .completed ? .completed : .failed
        report.exitCode = job.state == .completed ? 0 : 1
        return report
    }

    /// Records a run that stopped early: interrupted (checkpointed, resumable) or failed with an
    /// error that is rethrown for the exit code.
    func stopEarly(job: JobRecord, error: any Error, progress: TransferProgress, started: Date) async throws
        -> RunReport
    {
        var job = job
        let mapped = Self.runError(error)
        let interrupted = (mapped as? SyncError)?.kind == .interrupted || Task.isCancelled
        let snapshot = progress.snapshot
        job.uploadedFiles += snapshot.transferredFiles
        job.uploadedBytes += snapshot.transferredBytes
        job.deletedFiles += snapshot.deletedFiles
        job.updatedAt = Date().timeIntervalSince1970
        if interrupted {
            // Planning that was cut short is redone by resume; otherwise continue where it stopped.
            if job.state != .planning { job.state = .interrupted }
            job.lastError = "interrupted"
            try await Self.uncancellable { [job] in try await store.updateJob(job) }
            var summary = try await Self.uncancellable { [job] in
                try await self.report(job: job, progress: snapshot, started: started)
            }
            summary.status = .interrupted
            summary.exitCode = 130
            return summary
        }
        if job.state != .planning { job.state = .failed }
        job.lastError = "\(mapped)"
        try? await Self.uncancellable { [job] in try await store.updateJob(job) }
        guard var ended = mapped as? SyncError else { throw mapped }
        ended.job = job.id
        ended.direction = job.direction
        throw ended
    }

    func report(job: JobRecord, progress: TransferProgress.Snapshot, started: Date) async throws -> RunReport {
        var report = RunReport(job: job.id, status: .completed, direction: job.direction)
        report.describePlan(
            local: job.source, remote: job.destination, transfers: job.plannedUploads, bytes: job.plannedBytes,
            deletes: job.plannedDeletes, skips: job.skippedFiles, warnings: job.warnings + progress.vanishedFiles)
        report.transferredFiles = progress.transferredFiles
        report.transferredBytes = progress.transferredBytes
        report.sentBytes = progress.sentBytes
        report.receivedBytes = progress.receivedBytes
        report.deletedFiles = progress.deletedFiles
        report.vanishedFiles = progress.vanishedFiles
        report.resumedBytes = progress.resumedBytes
        let statistics = client.retryStatistics
        report.requests = statistics.attempts
        report.retries = statistics.retries + progress.refetches
        report.throttles = statistics.throttles
        if let id = job.id, queue != nil {
            // The whole job's transfers, by every host.
            let shares = try await store.workerShares(jobID: id).values
            report.transferredFiles = shares.reduce(0) { $0 + $1.count }
            report.transferredBytes = shares.reduce(0) { $0 + $1.bytes }
        }
        if let id = job.id {
            let problems = try await store.problemTasks(jobID: id)
            let counts = try await store.taskCounts(jobID: id)
            report.failedFiles = counts.total(.failed)
            report.changedDuringUpload = counts.total(.changed)
            report.failures = problems.map { .init(path: $0.path, error: $0.error ?? $0.state.rawValue) }
        }
        report.elapsedSeconds = Date().timeIntervalSince(started)
        return report
    }

    /// Aborts uploads the store holds for keys this job uploaded in parts that the database does not
    /// know: a run killed between CreateMultipartUpload and recording its answer leaves one open
    /// (a lost answer within a run is cleaned up by the client itself; this catches what it could
    /// not). Only uploads started since the job began are touched.
    func abortUnrecordedUploads(job: JobRecord, options: SyncOptions) async throws {
        guard let id = job.id else { return }
        let multipartKeys = try await store.doneUploadKeys(
            jobID: id, minimumSize: max(options.multipartThreshold, PartPlan.minPartSize + 1))
        guard !multipartKeys.isEmpty else { return }
        let recorded = Set(
            try await store.multipartUploads(endpoint: endpoint, location: job.destination).map(\.uploadID))
        let open: [MultipartUploadSummary]
        do {
            open = try await client.listMultipartUploads(bucket: job.bucket, prefix: job.prefix)
        } catch {
            logger.info("could not list open multipart uploads", metadata: ["error": "\(error)"])
            return
        }
        for upload in open
        where multipartKeys.contains(upload.key) && !recorded.contains(upload.uploadID)
            && (upload.initiated ?? 0) >= job.createdAt - 60
        {
            try? await client.abortMultipartUpload(bucket: job.bucket, key: upload.key, uploadID: upload.uploadID)
            logger.info("aborted an unrecorded multipart upload", metadata: ["key": "\(upload.key)"])
        }
    }

    /// Removes the temporary files of downloads these jobs recorded that are still there (objects
    /// that were deleted or failed), so a completed pull leaves none behind; makes what it wrote
    /// durable first.
    func removeLeftoverDownloads(jobIDs: Set<Int64>, root path: String) async throws {
        let root = try DownloadRoot(path: path)
        root.synchronize()
        for download in try await store.partialDownloads(jobIDs: jobIDs) {
            if let id = download.id { try await store.removePartialDownload(id: id) }
            guard download.root == path, case .success(let names) = DownloadRoot.components(of: download.temporaryPath)
            else { continue }
            _ = try? root.directory(names.dropLast(), create: false).removeFile(String(names.last ?? ""))
        }
    }

    /// Aborts the multipart uploads these jobs started that are still recorded (files that
    /// vanished or were replaced), so a completed job leaves none open.
    func abortLeftoverUploads(jobIDs: Set<Int64>) async throws {
        for jobID in jobIDs {
            for upload in try await store.multipartUploads(jobID: jobID) {
                do {
                    try await client.abortMultipartUpload(
                        bucket: upload.bucket, key: upload.key, uploadID: upload.uploadID)
                    if let rowID = upload.id { try await store.removeMultipartUpload(id: rowID) }
                    logger.info("aborted a multipart upload no longer needed", metadata: ["key": "\(upload.key)"])
                } catch {
                    observer.handle(.notice("could not abort the multipart upload of \(upload.key): \(error)"))
                }
            }
        }
    }

    /// Maps what ended a run to a ``SyncError`` with the right exit code class.
    static func runError(_ error: any Error) -> any Error {
        switch error {
        case let error as SyncError:
            return error
        case is CancellationError:
            return SyncError(.interrupted, "interrupted")
        case is S3ClientError, is S3ServiceError:
            let category = S3ErrorCategory(error)
            switch category {
            case .cancelled:
                return SyncError(.interrupted, "interrupted")
            case .localFile:
                return SyncError(.failed, reporting: error)
            default:
                // The client also gives up when it cannot reach the store at all (connection,
                // TLS, answers that are not S3): the run cannot go on without it.
                let stops = category.affectsEveryRequest || error is S3ClientError
                return SyncError(stops ? .configuration : .failed, reporting: error)
            }
        case let error as DatabaseError:
            return SyncError(.configuration, "the state database failed: \(SQLiteJobStore.reason(error))")
        default:
            return SyncError(.failed, "\(error)")
        }
    }

    /// Runs `body` in a task that does not inherit cancellation, for checkpoints after an interrupt.
    static func uncancellable<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) async throws
        -> Result
    {
        try await Task { try await body() }.value
    }
}

import Foundation
import S3Client

extension SyncRunner {
    /// The planner for a job's direction.
    func planner(_ direction: JobRecord.Direction, location: S3Location, options: SyncOptions) -> Planner {
        let rule: any PlanRule =
            direction == .push
            ? PushRule(location: location, options: options) : PullRule(location: location, options: options)
        return Planner(location: location, endpoint: endpoint, options: options, rule: rule)
    }

    /// Plans a job: walks and lists, records its tasks in batches, and problems as failed tasks;
    /// then marks the job running.
    func plan(
        job: inout JobRecord, walker: LocalWalker, options: SyncOptions, progress: TransferProgress,
        budget: RequestBudget, listing: RemoteListing.Prefetched? = nil
    ) async throws {
        guard let jobID = job.id else { return }
        let location = job.destination
        let planner = planner(job.direction, location: location, options: options)
        let problemKind: TaskRecord.Kind = job.direction == .push ? .upload : .download
        var batches = PlanBatches(store: store)
        let summary = try await planner.plan(
            local: walker, remote: listing ?? remoteListing(of: location, walker: walker, budget: budget).prefetch(),
            store: store,
            contentMatches: Self.contentMatcher(options: options)
        ) { item in
            switch item {
            case .upload(let file, let reason):
                batches.tasks.append(
                    TaskRecord(
                        jobID: jobID, kind: .upload, path: file.relativePath, key: location.key(for: file.relativePath),
                        identity: file.stat, reason: reason))
            case .download(let object, let path, let reason):
                var task = TaskRecord(
                    jobID: jobID, kind: .download, path: path, key: object.key, identity: nil, reason: reason)
                task.size = object.size
                task.mtimeNanoseconds = Int64(object.lastModified * 1e9)
                task.eTag = object.eTag
                batches.tasks.append(task)
            case .delete(let key):
                batches.tasks.append(
                    TaskRecord(
                        jobID: jobID, kind: .delete, path: location.relativePath(of: key) ?? key, key: key,
                        identity: nil, reason: "remote-only"))
            case .removeLocal(let file):
                batches.tasks.append(
                    TaskRecord(
                        jobID: jobID, kind: .removeLocal, path: file.relativePath,
                        key: location.key(for: file.relativePath), identity: file.stat, reason: "local-only"))
            case .makeDirectory(let path):
                batches.tasks.append(
                    TaskRecord(
                        jobID: jobID, kind: .directory, path: path, key: location.key(for: path) + "/", identity: nil,
                        reason: "marker"))
            case .skip:
                break
            case .refreshIndexRecord(let record):
                batches.refreshed.append(record)
            case .problem(let problem):
                guard announce(problem) else { break }
                var task = TaskRecord(
                    jobID: jobID, kind: problemKind, path: problem.path, key: location.key(for: problem.path),
                    identity: nil, reason: "local", state: .failed)
                task.error = problem.reason
                batches.tasks.append(task)
            }
            try await batches.writeIfFull()
        }
        try await batches.write()
        job.plannedUploads = summary.transfers
        job.plannedBytes = summary.transferBytes
        job.plannedDeletes = summary.deletes
        job.skippedFiles = summary.skips
        job.warnings = summary.warnings
        job.state = .running
        job.updatedAt = Date().timeIntervalSince1970
        try await store.updateJob(job)
        progress.update {
            $0.plannedFiles = summary.transfers
            $0.plannedBytes = summary.transferBytes
            $0.skippedFiles = summary.skips
            $0.warnings = summary.warnings
        }
    }

    /// The listing of the job's prefix, starting on the local tree's top directories early.
    func remoteListing(of location: S3Location, walker: LocalWalker, budget: RequestBudget) -> RemoteListing {
        RemoteListing(client: client, location: location, budget: budget, likelyDirectories: walker.topDirectoryNames())
    }

    /// Shows a problem found while planning; returns whether it fails the file (otherwise
    /// it is a warning and the file is skipped).
    func announce(_ problem: LocalProblem) -> Bool {
        guard problem.severity == .failure else {
            observer.handle(.warning(path: problem.path, reason: problem.reason))
            return false
        }
        observer.handle(.failed(path: problem.path, reason: problem.reason))
        return true
    }

    /// `--dry-run`: plans and reports each decision; changes nothing.
    func dryRun(
        _ direction: JobRecord.Direction, walker: LocalWalker, remote: S3Location, options: SyncOptions, started: Date
    ) async throws -> RunReport {
        let planner = planner(direction, location: remote, options: options)
        var failures: [RunReport.Failure] = []
        let observer = self.observer
        let summary: Planner.Summary
        do {
            summary = try await planner.plan(
                local: walker,
                remote: RemoteListing(
                    client: client, location: remote, budget: RequestBudget(capacity: options.concurrency)),
                store: store,
                contentMatches: Self.contentMatcher(options: options)
            ) { item in
                switch item {
                case .upload(let file, let reason):
                    observer.handle(
                        .wouldUpload(
                            path: file.relativePath, key: remote.key(for: file.relativePath), size: file.stat.size,
                            reason: reason))
                case .download(let object, let path, let reason):
                    observer.handle(.wouldDownload(key: object.key, path: path, size: object.size, reason: reason))
                case .delete(let key):
                    observer.handle(.wouldDelete(key: key))
                case .removeLocal(let file):
                    observer.handle(.wouldRemove(path: file.relativePath))
                case .skip, .refreshIndexRecord, .makeDirectory:
                    break
                case .problem(let problem):
                    if announce(problem) { failures.append(.init(path: problem.path, error: problem.reason)) }
                }
            }
        } catch {
            throw Self.runError(error)
        }
        var report = RunReport(job: nil, status: failures.isEmpty ? .completed : .failed, direction: direction)
        report.dryRun = true
        report.describePlan(
            local: walker.root, remote: remote, transfers: summary.transfers, bytes: summary.transferBytes,
            deletes: summary.deletes, skips: summary.skips, warnings: summary.warnings)
        report.failedFiles = failures.count
        report.failures = Array(failures.prefix(50))
        report.elapsedSeconds = Date().timeIntervalSince(started)
        report.exitCode = failures.isEmpty ? 0 : 1
        if let maxDelete = options.maxDelete, summary.deletes > maxDelete {
            report.error =
                "would delete \(summary.deletes) \(direction == .push ? "objects" : "local files"), more than the limit of \(maxDelete): the real run would refuse"
        }
        return report
    }

    static func contentMatcher(options: SyncOptions) -> (LocalFile, ObjectSummary, IndexRecord?) async -> Bool? {
        { file, object, record in
            var sizes: [Int64] = []
            if let record, record.partSize > 0 { sizes.append(record.partSize) }
            sizes.append(PartPlan(fileSize: file.stat.size, preferredPartSize: options.partSize).partSize)
            return await ContentHasher.matches(
                path: file.absolutePath, size: file.stat.size, eTag: object.eTag, preferredPartSizes: sizes)
        }
    }
}

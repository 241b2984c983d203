import Foundation
import S3Client

extension SyncRunner {
    /// Plans a job: walks and lists, records upload and delete tasks in batches, and local
    /// problems as failed tasks; then marks the job running.
    func plan(job: inout JobRecord, walker: LocalWalker, options: SyncOptions, progress: TransferProgress) async throws
    {
        guard let jobID = job.id else { return }
        let location = job.destination
        let planner = Planner(location: location, endpoint: endpoint, options: options)
        var batches = PlanBatches(store: store)
        let summary = try await planner.plan(
            local: walker, remote: RemoteListing(client: client, location: location), store: store,
            contentMatches: Self.contentMatcher(options: options)
        ) { item in
            switch item {
            case .upload(let file, let reason):
                batches.tasks.append(
                    TaskRecord(
                        jobID: jobID, kind: .upload, path: file.relativePath, key: location.key(for: file.relativePath),
                        identity: file.stat, reason: reason))
            case .delete(let key):
                batches.tasks.append(
                    TaskRecord(
                        jobID: jobID, kind: .delete, path: location.relativePath(of: key) ?? key, key: key,
                        identity: nil, reason: "remote-only"))
            case .skip:
                break
            case .refreshIndexRecord(let record):
                batches.refreshed.append(record)
            case .problem(let problem):
                guard announce(problem) else { break }
                var task = TaskRecord(
                    jobID: jobID, kind: .upload, path: problem.path, key: location.key(for: problem.path),
                    identity: nil, reason: "local", state: .failed)
                task.error = problem.reason
                batches.tasks.append(task)
            }
            try await batches.writeIfFull()
        }
        try await batches.write()
        job.plannedUploads = summary.uploads
        job.plannedBytes = summary.uploadBytes
        job.plannedDeletes = summary.deletes
        job.skippedFiles = summary.skips
        job.warnings = summary.warnings
        job.state = .running
        job.updatedAt = Date().timeIntervalSince1970
        try await store.updateJob(job)
        progress.update {
            $0.plannedFiles = summary.uploads
            $0.plannedBytes = summary.uploadBytes
            $0.skippedFiles = summary.skips
            $0.warnings = summary.warnings
        }
    }

    /// Shows a local problem found while planning; returns whether it fails the file (otherwise
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
    func dryRun(walker: LocalWalker, destination: S3Location, options: SyncOptions, started: Date) async throws
        -> RunReport
    {
        let planner = Planner(location: destination, endpoint: endpoint, options: options)
        var failures: [RunReport.Failure] = []
        let observer = self.observer
        let summary: Planner.Summary
        do {
            summary = try await planner.plan(
                local: walker, remote: RemoteListing(client: client, location: destination), store: store,
                contentMatches: Self.contentMatcher(options: options)
            ) { item in
                switch item {
                case .upload(let file, let reason):
                    observer.handle(
                        .wouldUpload(
                            path: file.relativePath, key: destination.key(for: file.relativePath), size: file.stat.size,
                            reason: reason))
                case .delete(let key):
                    observer.handle(.wouldDelete(key: key))
                case .skip, .refreshIndexRecord:
                    break
                case .problem(let problem):
                    if announce(problem) { failures.append(.init(path: problem.path, error: problem.reason)) }
                }
            }
        } catch {
            throw Self.runError(error)
        }
        var report = RunReport(job: nil, status: failures.isEmpty ? .completed : .failed)
        report.dryRun = true
        report.describePlan(
            source: walker.root, destination: destination, uploads: summary.uploads, bytes: summary.uploadBytes,
            deletes: summary.deletes, skips: summary.skips, warnings: summary.warnings)
        report.failedFiles = failures.count
        report.failures = Array(failures.prefix(50))
        report.elapsedSeconds = Date().timeIntervalSince(started)
        report.exitCode = failures.isEmpty ? 0 : 1
        if let maxDelete = options.maxDelete, summary.deletes > maxDelete {
            report.error =
                "would delete \(summary.deletes) objects, more than the limit of \(maxDelete): the real run would refuse"
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

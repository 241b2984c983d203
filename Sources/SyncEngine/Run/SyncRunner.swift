import Foundation
import Logging
import S3Client

/// Runs pushes, pulls and resumes: plans into the job store, executes, checkpoints, reports.
///
/// ```swift
/// let runner = SyncRunner(client: s3, store: store, observer: reporter)
/// let report = try await runner.push(source: "/srv/data", destination: try S3Location(parsing: "s3://b/host1"),
///                                    options: options)
/// ```
public struct SyncRunner: Sendable {
    public let client: S3Client
    public let store: any JobStore
    /// Identifies the store's endpoint in the state database.
    public let endpoint: String
    public let observer: any SyncObserver
    public let logger: Logger
    /// Where lock files live.
    public let lockDirectory: String
    /// The live counters of the run (wire the client's `bodyBytesObserver` to ``TransferProgress/addSent(_:)``).
    public let progress: TransferProgress
    /// This host in a shared store's queue: its tasks are claimed, other hosts may work on the
    /// same job, and the run waits for them before it closes the job. `nil` on one host.
    public let queue: QueueMembership?

    public init(
        client: S3Client, store: any JobStore, observer: any SyncObserver, logger: Logger = Logger(label: "s3sync"),
        lockDirectory: String? = nil, progress: TransferProgress = TransferProgress(), queue: QueueMembership? = nil
    ) {
        self.progress = progress
        self.queue = queue
        self.client = client
        self.store = store
        self.endpoint = client.configuration.endpoint.description
        self.observer = observer
        self.logger = logger
        self.lockDirectory = lockDirectory ?? store.lockDirectory ?? NSTemporaryDirectory()
    }

    /// Pushes `source` to `destination`: plans the difference, uploads, deletes (with `--delete`).
    /// Continues the multipart uploads of an earlier, unfinished push of the same source and
    /// destination instead of starting them over.
    /// - Throws: ``SyncError`` for usage, configuration, access and lock errors, and when interrupted.
    public func push(source: String, destination: S3Location, options: SyncOptions) async throws -> RunReport {
        try await start(.push, local: source, remote: destination, options: options)
    }

    /// Pulls `source` into the directory `destination` (created if missing): plans the
    /// difference, downloads, removes local files whose objects are gone (with `--delete`).
    /// Continues the downloads of an earlier, unfinished pull of the same prefix into the same
    /// directory from the ranges already written.
    /// - Throws: ``SyncError`` for usage, configuration, access and lock errors, and when interrupted.
    public func pull(source: S3Location, destination: String, options: SyncOptions) async throws -> RunReport {
        try await start(.pull, local: destination, remote: source, options: options)
    }

    /// Plans and runs a new job; an earlier unfinished job of the same direction, directory and
    /// prefix is superseded (what it stored is taken over).
    func start(_ direction: JobRecord.Direction, local: String, remote: S3Location, options: SyncOptions)
        async throws -> RunReport
    {
        let started = Date()
        let localRoot = try Self.absolutePath(local)
        if options.dryRun {
            let walker = try Self.walker(direction, root: localRoot, options: options)
            try await checkCredentials()
            return try await dryRun(
                direction, walker: walker, remote: remote, options: options, started: started)
        }
        let run = runRecord(
            command: direction.rawValue, direction: direction, source: localRoot, location: remote, started: started)
        return try await recordingRun(run) { runID in
            try await withRequestBudget(options: options) { budget in
                try await startJob(
                    direction, localRoot: localRoot, remote: remote, options: options, budget: budget, runID: runID,
                    started: started)
            }
        }
    }

    /// Plans and runs a new job within a run: the listing starts first, and the lock and the job's
    /// records are written while its first requests are in flight.
    private func startJob(
        _ direction: JobRecord.Direction, localRoot: String, remote: S3Location, options: SyncOptions,
        budget: RequestBudget, runID: Int64, started: Date
    ) async throws -> RunReport {
        if direction == .pull { _ = try DownloadRoot(path: localRoot) }
        let walker = try Self.walker(direction, root: localRoot, options: options)
        try await checkCredentials()
        let listing = remoteListing(of: remote, walker: walker, budget: budget).prefetch()
        return try await holdingPlannerLock(direction, local: localRoot, remote: remote) {
            try await planAndExecute(
                direction, localRoot: localRoot, remote: remote, options: options, budget: budget, runID: runID,
                started: started, walker: walker, listing: listing)
        }
    }

    /// Holds the lock of a job's direction, directory and prefix while `body` runs: the shared
    /// store's own lock when it holds one (one planner per job across hosts), a lock file otherwise.
    func holdingPlannerLock<T: Sendable>(
        _ direction: JobRecord.Direction, local: String, remote: S3Location, _ body: () async throws -> T
    ) async throws -> T {
        let identity = Self.identity(endpoint: endpoint, location: remote, source: local)
        let description = direction == .push ? "\(local) → \(remote)" : "\(remote) → \(local)"
        if let result = try await store.withPlannerLock(identity: identity, description: description, body) {
            return result
        }
        let lock = try JobLock(directory: lockDirectory, identity: identity, description: description)
        defer { withExtendedLifetime(lock) {} }
        return try await body()
    }

    private func planAndExecute(
        _ direction: JobRecord.Direction, localRoot: String, remote: S3Location, options: SyncOptions,
        budget: RequestBudget, runID: Int64, started: Date, walker: LocalWalker, listing: RemoteListing.Prefetched
    ) async throws -> RunReport {
        let earlier = try await store.unfinishedJobs(
            source: localRoot, endpoint: endpoint, location: remote, direction: direction)
        for var job in earlier {
            job.state = .superseded
            job.updatedAt = Date().timeIntervalSince1970
            try await store.updateJob(job)
        }
        let optionsJSON = String(decoding: try JSONEncoder().encode(options), as: UTF8.self)
        var job = try await store.createJob(
            JobRecord(
                source: localRoot, endpoint: endpoint, bucket: remote.bucket, prefix: remote.prefix,
                options: optionsJSON, state: .planning, now: started.timeIntervalSince1970, direction: direction))
        if let id = job.id { try await store.attachRun(id: runID, jobID: id) }
        progress.update { $0.job = job.id }
        do {
            try await plan(
                job: &job, walker: walker, options: options, progress: progress, budget: budget, listing: listing)
        } catch {
            return try await stopEarly(job: job, error: error, progress: progress, started: started)
        }
        return try await execute(
            job: job, options: options, progress: progress, started: started,
            supersededJobs: Set(earlier.compactMap(\.id)), budget: budget)
    }

    /// The walk of the local directory: a push follows symbolic links unless told not to; a pull
    /// never does (it never writes through one either), and finds nothing in a directory it has
    /// yet to create (`--dry-run`).
    static func walker(_ direction: JobRecord.Direction, root: String, options: SyncOptions) throws(SyncError)
        -> LocalWalker
    {
        if direction == .pull && access(root, F_OK) != 0 && errno == ENOENT { return LocalWalker(nothingAt: root) }
        return try LocalWalker(
            root: root, followSymlinks: direction == .push && options.followSymlinks,
            filter: PathFilter(options.filters))
    }

    /// Continues an interrupted or failed job without planning it again (a job killed while
    /// planning is planned again). Failed and changed files are tried again.
    /// - Parameters:
    ///   - resumable: the job and the options to run it with (see ``ResumableJob/load(from:id:)``),
    ///     or `nil` when there is nothing to resume.
    public func resume(_ resumable: ResumableJob?) async throws -> RunReport {
        let started = Date()
        guard let resumable, let id = resumable.job.id else {
            observer.handle(.notice("nothing to resume: every job has finished"))
            var report = RunReport(job: nil, status: .completed)
            report.elapsedSeconds = Date().timeIntervalSince(started)
            return report
        }
        let job = resumable.job
        progress.update { $0.job = id }
        guard job.endpoint == endpoint else {
            throw SyncError(
                .usage, "job \(id) ran against the endpoint \(job.endpoint), not \(endpoint)",
                subject: .jobEndpoint(job.endpoint))
        }
        if job.state.isFinished {
            observer.handle(
                .notice(
                    "job \(id) has already \(job.state == .completed ? "completed" : "been superseded by a later \(job.direction.rawValue)"); nothing to resume"
                ))
            var report = RunReport(job: id, status: .completed, direction: job.direction)
            report.elapsedSeconds = Date().timeIntervalSince(started)
            return report
        }
        let options = resumable.options
        let run = runRecord(
            command: "resume", direction: job.direction, source: job.source, location: job.destination, jobID: id,
            started: started)
        return try await recordingRun(run) { _ in
            try await holdingPlannerLock(job.direction, local: job.source, remote: job.destination) {
                try await continueJob(job, options: options, started: started)
            }
        }
    }

    /// Runs a resumed job under its lock: planned again when it was cut short while planning.
    private func continueJob(_ job: JobRecord, options: SyncOptions, started: Date) async throws -> RunReport {
        var job = job
        let id = job.id ?? 0
        try await checkCredentials()
        return try await withRequestBudget(options: options) { budget in
            if job.state == .planning {
                observer.handle(.notice("job \(id) was interrupted while planning; planning it again"))
                do {
                    try await store.removeTasks(jobID: id)
                    let walker = try Self.walker(job.direction, root: job.source, options: options)
                    try await plan(job: &job, walker: walker, options: options, progress: progress, budget: budget)
                } catch {
                    return try await stopEarly(job: job, error: error, progress: progress, started: started)
                }
            } else {
                try await store.retryFailedTasks(jobID: id)
                progress.update {
                    $0.plannedFiles = job.plannedUploads
                    $0.plannedBytes = job.plannedBytes
                    $0.skippedFiles = job.skippedFiles
                }
            }
            return try await execute(
                job: job, options: options, progress: progress, started: started, supersededJobs: [],
                budget: budget)
        }
    }

    /// Fails early and clearly when no credentials can be found.
    func checkCredentials() async throws {
        do {
            _ = try await client.currentCredentials()
        } catch let error as S3ClientError {
            throw SyncError(.configuration, error.message)
        }
    }

    static func identity(endpoint: String, location: S3Location, source: String) -> String {
        "\(endpoint)\n\(location.bucket)\n\(location.prefix)\n\(source)"
    }

    /// `path` made absolute and standardized, as jobs record their directory.
    public static func absolutePath(_ path: String) throws(SyncError) -> String {
        var absolute = path
        if !absolute.hasPrefix("/") {
            absolute = FileManager.default.currentDirectoryPath + "/" + path
        }
        let standardized = (absolute as NSString).standardizingPath
        return standardized.isEmpty ? "/" : standardized
    }
}

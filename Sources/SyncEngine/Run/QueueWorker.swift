import Foundation
import Logging
import S3Client

/// A host that joins the jobs of a shared queue: it takes the oldest running job that has
/// pending transfers, claims and transfers them with ``SyncRunner/work(on:)``, and moves on. It
/// stops when no running or planning job has anything pending left, or, following, never.
///
/// What defines a job (endpoint, bucket, prefix, options) comes from the queue; what belongs to
/// the host (requests in flight, bandwidth, credentials) comes from `adjust` and `withRunner`.
public struct QueueWorker: Sendable {
    public let store: any JobStore
    public let membership: QueueMembership
    /// Keep waiting for new jobs when there is nothing to do.
    public let follow: Bool
    public let observer: any SyncObserver
    public let logger: Logger
    /// How long to wait before looking again when other hosts hold the remaining work.
    public let pollInterval: Duration

    public init(
        store: any JobStore, membership: QueueMembership, follow: Bool, observer: any SyncObserver,
        logger: Logger = Logger(label: "s3sync"), pollInterval: Duration = .seconds(1)
    ) {
        self.store = store
        self.membership = membership
        self.follow = follow
        self.observer = observer
        self.logger = logger
        self.pollInterval = pollInterval
    }

    /// Works until there is nothing left (or until cancelled, following).
    /// - Parameters:
    ///   - adjust: applies the host's own settings to a job's options.
    ///   - withRunner: builds a runner for a job (a client for its endpoint, with this host's
    ///     credentials and the job's options) and calls the body with it.
    /// - Returns: the jobs this host worked on, newest last.
    public func run(
        adjust: @Sendable (inout SyncOptions) -> Void,
        withRunner: (ResumableJob, @Sendable (SyncRunner) async throws -> RunReport) async throws -> RunReport
    ) async throws -> [RunReport] {
        var reports: [RunReport] = []
        var joined: Set<Int64> = []
        while true {
            try Task.checkCancellation()
            let open = try await store.unfinishedJobs().filter { $0.state == .running || $0.state == .planning }
            var waiting = open.contains { $0.state == .planning }
            var worked = false
            for job in open.reversed() where job.state == .running {
                guard let id = job.id else { continue }
                let pending = try await store.taskCounts(jobID: id).total(.pending, where: \.transfers)
                guard pending > 0 else { continue }
                waiting = true
                guard var resumable = try await ResumableJob.load(from: store, id: id) else { continue }
                adjust(&resumable.options)
                if joined.insert(id).inserted { observer.handle(.notice("working on job \(id)")) }
                let job = resumable
                let report = try await withRunner(job) { runner in try await runner.work(on: job) }
                let handled =
                    report.transferredFiles + report.failedFiles + report.changedDuringUpload + report.vanishedFiles
                guard handled > 0 || report.sentBytes + report.receivedBytes > 0 else { continue }
                reports.append(report)
                worked = true
            }
            if worked { continue }
            guard waiting || follow else { return reports }
            try await Task.sleep(for: pollInterval)
        }
    }
}

import Foundation
import Logging
import S3Client

/// A host's pulse in a shared queue while it works on a job: every second it writes its row (what
/// it moved, when the store last throttled it) and learns whether another host of the job was
/// throttled since, which its request budget then treats as its own throttling; every third of
/// the lease it renews its claims.
struct WorkerHeartbeat: Sendable {
    static let interval = Duration.seconds(1)
    /// Throttling older than this when a host joins is not its concern.
    static let throttleMemory = 5.0

    let store: any JobStore
    let membership: QueueMembership
    let client: S3Client
    let progress: TransferProgress
    let logger: Logger

    /// Beats until cancelled.
    func run(jobID: Int64) async {
        let clock = ContinuousClock()
        var lastRenewal = clock.now
        var throttles = client.retryStatistics.throttles
        var throttledAt: Double?
        var failing = false
        while !Task.isCancelled {
            let now = Date().timeIntervalSince1970
            let throttlesNow = client.retryStatistics.throttles
            if throttlesNow > throttles { throttledAt = now }
            throttles = throttlesNow
            do {
                if let elsewhere = try await store.heartbeat(record(jobID: jobID, now: now, throttledAt: throttledAt)),
                    membership.throttlesElsewhere.hear(throttleAt: elsewhere)
                {
                    logger.info(
                        "another host of the job was throttled; slowing down too",
                        metadata: ["job": "\(jobID)", "heard_after_ms": "\(Int((now - elsewhere) * 1000))"])
                }
                if lastRenewal.duration(to: clock.now) >= membership.lease / 3 {
                    _ = try await store.renewLeases(worker: membership.worker, lease: membership.lease)
                    lastRenewal = clock.now
                }
                if failing { logger.notice("the job queue answers again", metadata: ["queue": "\(store.description)"]) }
                failing = false
            } catch {
                if Task.isCancelled { return }
                if !failing {
                    logger.warning(
                        "cannot reach the job queue; claims are renewed once it answers",
                        metadata: ["queue": "\(store.description)", "error": "\(error)"])
                }
                failing = true
            }
            try? await Task.sleep(for: Self.interval)
        }
    }

    /// The last beat of a host that stops: its row marked stopped, its unfinished claims given back.
    func stop(jobID: Int64?) async {
        var last = record(jobID: jobID, now: Date().timeIntervalSince1970, throttledAt: nil)
        last.stoppedAt = last.heartbeatAt
        _ = try? await store.heartbeat(last)
        try? await store.releaseClaims(worker: membership.worker)
    }

    func record(jobID: Int64?, now: Double, throttledAt: Double?) -> WorkerRecord {
        let snapshot = progress.snapshot
        return WorkerRecord(
            id: membership.worker, host: membership.host, pid: membership.pid, role: membership.role, jobID: jobID,
            startedAt: membership.startedAt, heartbeatAt: now, files: snapshot.transferredFiles,
            bytes: snapshot.transferredBytes, throttledAt: throttledAt)
    }
}

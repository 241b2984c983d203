import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension SyncRunner {
    /// Runs `body` as one recorded run: its row is written before the work starts and completed
    /// with the outcome and counts when the work returns or throws, so a row left open is a run
    /// that was killed. A run refused because another holds the lock leaves no row.
    /// - Parameter body: the work, given the run's row id (to name its job once there is one).
    func recordingRun(_ run: RunRecord, _ body: (Int64) async throws -> RunReport) async throws -> RunReport {
        let run = try await store.startRun(run)
        guard let id = run.id else { throw SyncError(.failed, "run without id") }
        let report: RunReport
        do {
            report = try await body(id)
        } catch {
            let mapped = Self.runError(error)
            if (mapped as? SyncError)?.kind == .locked {
                try? await Self.uncancellable { try await store.removeRun(id: id) }
                throw error
            }
            var ended = (try? await Self.uncancellable { try await store.run(id: id) }) ?? run
            let interrupted = (mapped as? SyncError)?.kind == .interrupted
            ended.record(progress.snapshot)
            ended.outcome = interrupted ? .interrupted : .failed
            ended.error = "\(mapped)"
            ended.endedAt = Date().timeIntervalSince1970
            try? await Self.uncancellable { [ended] in try await store.finishRun(ended) }
            throw error
        }
        var ended = (try? await Self.uncancellable { try await store.run(id: id) }) ?? run
        ended.record(report)
        ended.endedAt = Date().timeIntervalSince1970
        try? await Self.uncancellable { [ended] in try await store.finishRun(ended) }
        return report
    }

    /// A new run's row, by this process.
    func runRecord(
        command: String, direction: JobRecord.Direction, source: String, location: S3Location, jobID: Int64? = nil,
        started: Date
    ) -> RunRecord {
        RunRecord(
            command: command, direction: direction, source: source, endpoint: endpoint, location: location,
            jobID: jobID, pid: Int64(getpid()), host: ProcessInfo.processInfo.hostName,
            startedAt: started.timeIntervalSince1970)
    }
}

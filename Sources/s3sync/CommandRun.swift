import ArgumentParser
import Foundation
import Logging
import S3Client
import SyncEngine

/// What `push`, `pull` and `resume` share: open the state database, build the one client, run the work
/// with signals turned into a checkpoint, shut the client down, print the outcome and exit by it.
enum CommandRun {
    /// What a command runs once the state database is open: the client it needs, and the work.
    struct Plan {
        /// What the run's metrics are labelled with (`nil` when there is nothing to run).
        var labels: MetricsFile.Labels?
        var client: ClientFactory.Settings
        var work: @Sendable (SyncRunner) async throws -> RunReport
    }

    /// Runs `prepare`'s plan and throws the process's exit code (always).
    /// - Parameter metricsFile: where to write the run's metrics (`--metrics-file`).
    static func run(
        global: GlobalOptions, reporter: ProgressReporter, direction: JobRecord.Direction = .push,
        metricsFile: String? = nil, prepare: (any JobStore) async throws -> Plan
    ) async throws -> Never {
        let logger = CommandLogging.bootstrap(verbose: global.verbose)
        let progress = TransferProgress()
        var metrics: (file: MetricsFile, labels: MetricsFile.Labels)?
        do {
            throw try await global.state.withStore(logger: logger) { store in
                Entrypoint.releaseFreedMemory()
                let plan = try await prepare(store)
                let client = try await ClientFactory.make(
                    global: global, settings: plan.client, progress: progress, logger: logger)
                let runner = SyncRunner(
                    client: client, store: store, observer: reporter, logger: logger, progress: progress,
                    queue: global.membership(role: direction.rawValue))
                if let metricsFile, let labels = plan.labels {
                    do {
                        let previous = try await store.lastCompletedJob(
                            source: labels.local, endpoint: runner.endpoint, location: labels.remote,
                            direction: labels.direction)
                        let file = MetricsFile(
                            path: metricsFile, startedAt: Date().timeIntervalSince1970,
                            lastSuccess: previous?.finishedAt)
                        // Written once before the run: a path that cannot be written fails before anything changes.
                        try file.write(progress: progress.snapshot, labels: labels, retries: 0, throttles: 0)
                        metrics = (file, labels)
                    } catch {
                        try? await client.shutdown()
                        throw error
                    }
                }
                let running = metrics
                let (result, signal) = try await RunHost.run {
                    do {
                        let report = try await Self.work(plan, runner: runner, metrics: running, progress: progress)
                        try? await client.shutdown()
                        return report
                    } catch {
                        try? await client.shutdown()
                        throw error
                    }
                }
                let report = Outcome.settle(result, signal: signal)
                if let metrics {
                    var labels = metrics.labels
                    labels.job = progress.snapshot.job
                    do {
                        try metrics.file.write(report: report, labels: labels)
                    } catch {
                        reporter.message("s3sync: \(error)")
                    }
                }
                return Outcome.finish(report, global: global, reporter: reporter)
            }
        } catch let code as ExitCode {
            throw code
        } catch {
            let code = Outcome.fail(error, global: global, reporter: reporter, signal: nil, direction: direction)
            if let metrics {
                var report = RunReport(job: progress.snapshot.job, status: .failed, direction: metrics.labels.direction)
                report.exitCode = code.rawValue
                try? metrics.file.write(report: report, labels: metrics.labels)
            }
            throw code
        }
    }

    /// Runs the plan's work, writing its metrics every ``MetricsFile/interval`` meanwhile.
    static func work(
        _ plan: Plan, runner: SyncRunner, metrics: (file: MetricsFile, labels: MetricsFile.Labels)?,
        progress: TransferProgress
    ) async throws -> RunReport {
        guard let metrics else { return try await plan.work(runner) }
        return try await withThrowingTaskGroup(of: RunReport?.self) { group in
            group.addTask {
                while true {
                    var labels = metrics.labels
                    labels.job = progress.snapshot.job
                    let statistics = runner.client.retryStatistics
                    try? metrics.file.write(
                        progress: progress.snapshot, labels: labels, retries: statistics.retries,
                        throttles: statistics.throttles)
                    do {
                        try await Task.sleep(for: MetricsFile.interval)
                    } catch {
                        return nil
                    }
                }
            }
            group.addTask { try await plan.work(runner) }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let report = result { return report }
            }
            throw CancellationError()
        }
    }
}

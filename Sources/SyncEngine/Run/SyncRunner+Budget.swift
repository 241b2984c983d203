import Foundation
import S3Client

extension SyncRunner {
    /// Runs `work` with the run's request budget: moved by ``AdaptiveConcurrency`` beside the
    /// work while it runs (`--concurrency auto`), fixed otherwise. The report it returns gets
    /// the budget's peak and mean.
    func withRequestBudget(
        options: SyncOptions, _ work: (RequestBudget) async throws -> RunReport
    ) async throws -> RunReport {
        let budget = RequestBudget(capacity: options.concurrency)
        let client = self.client
        let progress = self.progress
        let elsewhere = queue?.throttlesElsewhere
        let pacing = AdaptiveConcurrency(
            budget: budget, adaptive: options.adaptiveConcurrency,
            bounds: .run(startingAt: options.concurrency, tls: client.configuration.endpoint.scheme == "https"),
            signals: .init(
                bytes: {
                    let snapshot = progress.snapshot
                    return snapshot.sentBytes + snapshot.receivedBytes
                },
                trouble: {
                    let statistics = client.retryStatistics
                    // Another host's throttling counts as this host's: the store's limit is shared.
                    let throttles = statistics.throttles + (elsewhere?.count ?? 0)
                    return (throttles, statistics.retries - statistics.throttles)
                }),
            logger: logger)
        var report = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await pacing.run(clock: ContinuousClock(), tick: .milliseconds(25)) }
            defer { group.cancelAll() }
            return try await work(budget)
        }
        let figures = pacing.summary
        report.concurrencyPeak = figures.peak
        report.concurrencyMean = figures.mean
        return report
    }
}

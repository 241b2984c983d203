import ArgumentParser
import Foundation
import Logging
import S3Client
import SyncEngine

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Work on the jobs of a shared queue beside other hosts.",
        discussion: """
            Joins the running jobs of the queue (--queue or S3SYNC_QUEUE), claims their tasks and \
            transfers them: small files in batches, large files one at a time, continuing multipart \
            uploads other hosts started from the parts already stored. Exits 0 when no open job has \
            work left (1 if files it worked on failed); with --follow, keeps waiting for new jobs. \
            The job's endpoint, bucket, prefix and options come from the queue; credentials, \
            --concurrency and --bwlimit are this host's. Every host reads the job's directory at the \
            same path.
            Example: s3sync worker --queue postgresql://s3sync@db.internal/s3sync --follow
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Keep waiting for new jobs when there is nothing to do.")
    var follow = false

    @Option(help: "Requests in flight on this host: auto or a number (default: the job's).")
    var concurrency: ConcurrencyArgument?

    @Option(help: "Limit this host's upload bandwidth, e.g. 10MiB (default: the job's --bwlimit).")
    var bwlimit: String?

    func validate() throws {
        guard global.state.queueURL != nil else {
            throw ValidationError(
                "a worker needs a shared queue: give --queue postgresql://USER@HOST:PORT/DB (or S3SYNC_QUEUE)")
        }
        if let bwlimit {
            guard let rate = ByteCount.parse(bwlimit.replacingOccurrences(of: "/s", with: "")), rate > 0 else {
                throw ValidationError("--bwlimit '\(bwlimit)' is not a rate (examples: 10MiB, 500K)")
            }
        }
    }

    func run() async throws {
        let reporter = ProgressReporter.automatic(quiet: global.quiet, verbose: global.verbose)
        let logger = CommandLogging.bootstrap(verbose: global.verbose)
        let global = self.global
        let follow = self.follow
        let concurrency = self.concurrency
        let bandwidth = bwlimit.flatMap { ByteCount.parse($0.replacingOccurrences(of: "/s", with: "")) }
        let progress = TransferProgress()
        do {
            throw try await global.state.withStore(logger: logger) { store in
                guard let membership = global.membership(role: "worker") else {
                    throw SyncError(.usage, "a worker needs a shared queue")
                }
                let worker = QueueWorker(
                    store: store, membership: membership, follow: follow, observer: reporter, logger: logger)
                let started = Date()
                let (result, signal) = try await RunHost.run {
                    let shares = try await worker.run(
                        adjust: { options in
                            concurrency?.apply(to: &options)
                            if let bandwidth { options.bandwidthLimit = bandwidth }
                        },
                        withRunner: { job, body in
                            let client = try await ClientFactory.make(
                                global: global,
                                settings: .init(
                                    endpointURL: ResumeCommand.endpointURL(global: global, job: job.job),
                                    region: global.region, checksum: job.options.checksumAlgorithm,
                                    concurrency: job.options.concurrencyCeiling,
                                    bandwidthLimit: job.options.bandwidthLimit,
                                    customerKeyFile: job.options.customerKeyFile),
                                progress: progress, logger: logger)
                            let runner = SyncRunner(
                                client: client, store: store, observer: reporter, logger: logger,
                                progress: progress, queue: membership)
                            do {
                                var share = try await body(runner)
                                let statistics = client.retryStatistics
                                share.requests = statistics.attempts
                                share.retries = statistics.retries
                                share.throttles = statistics.throttles
                                try? await client.shutdown()
                                return share
                            } catch {
                                try? await client.shutdown()
                                throw error
                            }
                        })
                    return Self.summary(of: shares, progress: progress.snapshot, started: started)
                }
                return Outcome.finish(Outcome.settle(result, signal: signal), global: global, reporter: reporter)
            }
        } catch let code as ExitCode {
            throw code
        } catch {
            throw Outcome.fail(error, global: global, reporter: reporter, signal: nil)
        }
    }

    /// This host's share of every job it worked on, with push's keys.
    static func summary(of shares: [RunReport], progress: TransferProgress.Snapshot, started: Date) -> RunReport {
        var report = RunReport(job: shares.last?.job, status: .completed, direction: shares.last?.direction ?? .push)
        report.transferredFiles = progress.transferredFiles
        report.transferredBytes = progress.transferredBytes
        report.sentBytes = progress.sentBytes
        report.receivedBytes = progress.receivedBytes
        report.resumedBytes = progress.resumedBytes
        report.vanishedFiles = progress.vanishedFiles
        report.failedFiles = progress.failedFiles
        report.changedDuringUpload = progress.changedFiles
        for share in shares {
            report.requests += share.requests
            report.retries += share.retries
            report.throttles += share.throttles
            report.concurrencyPeak = max(report.concurrencyPeak, share.concurrencyPeak)
        }
        report.concurrencyMean = shares.map(\.concurrencyMean).max() ?? 0
        if report.failedFiles + report.changedDuringUpload > 0 {
            report.status = .failed
            report.exitCode = 1
        }
        report.elapsedSeconds = Date().timeIntervalSince(started)
        return report
    }
}

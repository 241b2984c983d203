import ArgumentParser
import Foundation
import S3Client
import SyncEngine

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue an interrupted or failed job without planning it again.",
        discussion:
            "Without JOB, continues the most recent unfinished job. Multipart uploads continue from the parts already stored."
    )

    @Argument(help: "The job id (see `s3sync status`).")
    var job: Int64?

    @OptionGroup var global: GlobalOptions

    @Option(help: "Limit upload bandwidth for this run, e.g. 10MiB (default: the job's --bwlimit).")
    var bwlimit: String?

    @Option(help: "Requests in flight for this run (default: the job's --concurrency).")
    var concurrency: Int?

    func validate() throws {
        if let bwlimit {
            guard let rate = ByteCount.parse(bwlimit.replacingOccurrences(of: "/s", with: "")), rate > 0 else {
                throw ValidationError("--bwlimit '\(bwlimit)' is not a rate (examples: 10MiB, 500K)")
            }
        }
        if let concurrency, !(1...1024).contains(concurrency) {
            throw ValidationError("--concurrency must be between 1 and 1024")
        }
    }

    func run() async throws {
        let logger = CommandLogging.bootstrap(verbose: global.verbose)
        let reporter = ProgressReporter.automatic(quiet: global.quiet, verbose: global.verbose)
        let global = self.global
        let jobID = self.job
        let bandwidthOverride = bwlimit.flatMap { ByteCount.parse($0.replacingOccurrences(of: "/s", with: "")) }
        let concurrencyOverride = concurrency
        let progress = TransferProgress()
        do {
            let store = try JobStore(path: global.statePath)
            // Reach the store the job was pushed to, unless told otherwise.
            var endpointURL = global.endpointURL
            var options = SyncOptions()
            let record: JobRecord?
            if let jobID {
                record = try await store.job(id: jobID)
            } else {
                record = try await store.unfinishedJobs().first
            }
            if let record {
                if endpointURL == nil && global.environment["AWS_ENDPOINT_URL_S3"] == nil
                    && global.environment["AWS_ENDPOINT_URL"] == nil,
                    let endpoint = try? S3Endpoint(url: record.endpoint), !endpoint.isAWS
                {
                    endpointURL = record.endpoint
                }
                options = (try? JSONDecoder().decode(SyncOptions.self, from: Data(record.options.utf8))) ?? options
            }
            if let bandwidthOverride { options.bandwidthLimit = bandwidthOverride }
            if let concurrencyOverride { options.concurrency = concurrencyOverride }
            let client = try await ClientFactory.make(
                global: global,
                settings: .init(
                    endpointURL: endpointURL, region: global.region,
                    checksum: ChecksumAlgorithm(rawValue: options.checksumAlgorithm.rawValue) ?? .crc32c,
                    concurrency: options.concurrency, bandwidthLimit: options.bandwidthLimit),
                progress: progress, logger: logger)
            let runner = SyncRunner(
                client: client, store: store, observer: reporter, logger: logger, progress: progress)
            let (result, caught) = try await RunHost.run {
                do {
                    let report = try await runner.resume(
                        jobID: record?.id ?? jobID, concurrency: concurrencyOverride)
                    try? await client.shutdown()
                    return report
                } catch {
                    try? await client.shutdown()
                    throw error
                }
            }
            throw Outcome.finish(result, signal: caught, global: global, reporter: reporter)
        } catch let code as ExitCode {
            throw code
        } catch {
            throw Outcome.fail(error, global: global, reporter: reporter, signal: nil)
        }
    }
}

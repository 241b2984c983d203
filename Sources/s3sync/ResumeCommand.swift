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

    @Option(help: "Requests in flight for this run: auto or a number (default: the job's --concurrency).")
    var concurrency: ConcurrencyArgument?

    @OptionGroup var metrics: MetricsOption

    func validate() throws {
        if let bwlimit {
            guard let rate = ByteCount.parse(bwlimit.replacingOccurrences(of: "/s", with: "")), rate > 0 else {
                throw ValidationError("--bwlimit '\(bwlimit)' is not a rate (examples: 10MiB, 500K)")
            }
        }
    }

    func run() async throws {
        let reporter = ProgressReporter.automatic(quiet: global.quiet, verbose: global.verbose)
        let global = self.global
        let bandwidthOverride = bwlimit.flatMap { ByteCount.parse($0.replacingOccurrences(of: "/s", with: "")) }
        let concurrencyOverride = concurrency
        try await CommandRun.run(global: global, reporter: reporter, metricsFile: metrics.path) { [job] store in
            var resumable = try await ResumableJob.load(from: store, id: job)
            if let bandwidthOverride { resumable?.options.bandwidthLimit = bandwidthOverride }
            if let concurrencyOverride, var loaded = resumable {
                concurrencyOverride.apply(to: &loaded.options)
                resumable = loaded
            }
            let options = resumable?.options ?? SyncOptions()
            return CommandRun.Plan(
                labels: resumable.map {
                    .init(job: $0.job.id, direction: $0.job.direction, local: $0.job.source, remote: $0.job.destination)
                },
                client: .init(
                    endpointURL: Self.endpointURL(global: global, job: resumable?.job), region: global.region,
                    checksum: options.checksumAlgorithm, concurrency: options.concurrencyCeiling,
                    bandwidthLimit: options.bandwidthLimit, customerKeyFile: options.customerKeyFile),
                work: { [resumable] runner in try await runner.resume(resumable) })
        }
    }

    /// The endpoint the job was pushed to, unless the flag or the environment names one; AWS
    /// endpoints are left to the region.
    static func endpointURL(global: GlobalOptions, job: JobRecord?) -> String? {
        if let url = global.endpointURL { return url }
        guard let job, global.environment["AWS_ENDPOINT_URL_S3"] == nil, global.environment["AWS_ENDPOINT_URL"] == nil,
            let endpoint = try? S3Endpoint(url: job.endpoint), !endpoint.isAWS
        else { return nil }
        return job.endpoint
    }
}

import ArgumentParser
import Foundation
import S3Client
import SyncEngine

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download what changed under s3://BUCKET/PREFIX into DIR (restore).",
        discussion: """
            Example (restore a host's backup):
              s3sync pull s3://bucket/host1 /srv/data
            Each file is written to a hidden temporary file beside its final name, verified (the \
            MD5 ETag, a multipart ETag, or the checksum the store returns) and renamed into place: \
            a file is never at its final name unless complete. Large objects download as parallel \
            ranges; an interrupted pull continues from the ranges already written (`s3sync resume`, \
            or the same pull again). Keys that are not paths under DIR (`..`, empty names) are \
            refused, and nothing is written through a symbolic link.
            """)

    @Argument(help: "s3://BUCKET[/PREFIX] or BUCKET[/PREFIX].")
    var source: String

    @Argument(help: "The directory to restore into (created if missing).")
    var destination: String

    @OptionGroup var global: GlobalOptions

    @OptionGroup var transfer: TransferOptions

    func validate() throws {
        do { _ = try S3Location(parsing: source) } catch { throw ValidationError(error.message) }
    }

    func run() async throws {
        let reporter = ProgressReporter.automatic(
            quiet: global.quiet, verbose: global.verbose, dryRunToStdout: !global.json)
        let options = transfer.options
        let source = self.source
        let destination = self.destination
        try await CommandRun.run(
            global: global, reporter: reporter, direction: .pull, metricsFile: transfer.metrics.path
        ) { _ in
            let location = try S3Location(parsing: source)
            return CommandRun.Plan(
                labels: .init(direction: .pull, local: try SyncRunner.absolutePath(destination), remote: location),
                client: .init(
                    endpointURL: global.endpointURL, region: global.region, checksum: options.checksumAlgorithm,
                    concurrency: options.concurrencyCeiling, bandwidthLimit: options.bandwidthLimit,
                    customerKeyFile: options.customerKeyFile),
                work: { runner in try await runner.pull(source: location, destination: destination, options: options) })
        }
    }
}

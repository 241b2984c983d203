import ArgumentParser
import Foundation
import Logging
import S3Client
import SyncEngine

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload what changed in SOURCE to s3://BUCKET/PREFIX.",
        discussion: """
            Example (nightly cron):
              s3sync push /srv/data s3://bucket/host1 --delete --json >> /var/log/s3sync.jsonl
            If a previous push of the same SOURCE and DEST was interrupted, its multipart uploads are \
            continued from the parts already stored.
            """)

    @Argument(help: "The directory to upload.")
    var source: String

    @Argument(help: "s3://BUCKET[/PREFIX] or BUCKET[/PREFIX].")
    var destination: String

    @OptionGroup var global: GlobalOptions

    @OptionGroup var transfer: TransferOptions

    @OptionGroup(title: "Object options") var object: ObjectOptions

    @Option(
        name: .customLong("checksum-algorithm"),
        help: "Integrity checksum sent with uploads: crc32c, crc32, sha256, md5 or none.")
    var checksumAlgorithm: String = "crc32c"

    @Flag(name: .customLong("no-follow-symlinks"), help: "Skip symbolic links instead of following them.")
    var noFollowSymlinks = false

    func validate() throws {
        guard ChecksumAlgorithm(rawValue: checksumAlgorithm.lowercased()) != nil else {
            throw ValidationError("--checksum-algorithm must be one of crc32c, crc32, sha256, md5, none")
        }
        do { _ = try S3Location(parsing: destination) } catch { throw ValidationError(error.message) }
        if object.sse != nil && transfer.sseCKeyFile != nil {
            throw ValidationError("--sse and --sse-c-key-file cannot be used together")
        }
    }

    var options: SyncOptions {
        var options = transfer.options
        options.followSymlinks = !noFollowSymlinks
        options.checksumAlgorithm = ChecksumAlgorithm(rawValue: checksumAlgorithm.lowercased()) ?? .crc32c
        object.apply(to: &options)
        return options
    }

    func run() async throws {
        let reporter = ProgressReporter.automatic(
            quiet: global.quiet, verbose: global.verbose, dryRunToStdout: !global.json)
        let options = self.options
        let source = self.source
        let destination = self.destination
        try await CommandRun.run(global: global, reporter: reporter, metricsFile: transfer.metrics.path) { _ in
            let location = try S3Location(parsing: destination)
            return CommandRun.Plan(
                labels: .init(direction: .push, local: try SyncRunner.absolutePath(source), remote: location),
                client: .init(
                    endpointURL: global.endpointURL, region: global.region, checksum: options.checksumAlgorithm,
                    concurrency: options.concurrencyCeiling, bandwidthLimit: options.bandwidthLimit,
                    customerKeyFile: options.customerKeyFile),
                work: { runner in try await runner.push(source: source, destination: location, options: options) })
        }
    }
}

import ArgumentParser
import Foundation
import S3Client
import SyncEngine

struct CleanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Abort incomplete multipart uploads under s3://BUCKET/PREFIX that nothing needs.",
        discussion: """
            Example (weekly, after the nightly pushes):
              s3sync clean s3://bucket/host1 --older-than 7d --json
            By default only uploads a job in the state database started and no longer needs: its job \
            completed or was superseded (or is gone), and no unfinished job has the key still to \
            upload. An unfinished job's uploads are kept: `s3sync resume` continues them. With \
            --all, every incomplete upload under the prefix, whoever started it (rclone's \
            `cleanup`), except those of a job a run is working on now. Each upload's size is the \
            sum of its parts. Exit codes: 0 done; 1 some aborts failed; 2 usage, configuration, \
            credential or access error, or a missing bucket.
            """)

    @Argument(help: "s3://BUCKET[/PREFIX] or BUCKET[/PREFIX].")
    var location: String

    @Option(
        name: .customLong("older-than"),
        help: "Abort only uploads started at least this long ago: 30s, 5m, 24h, 7d (0 for any age).")
    var olderThan: String = "24h"

    @Flag(help: "Abort every incomplete upload under the prefix, not only those of finished jobs.")
    var all = false

    @Flag(name: .customLong("dry-run"), help: "Print what would be aborted; abort nothing.")
    var dryRun = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        do { _ = try S3Location(parsing: location) } catch { throw ValidationError(error.message) }
        guard TimeSpan.parse(olderThan) != nil else {
            throw ValidationError("--older-than '\(olderThan)' is not a length of time (examples: 30s, 5m, 24h, 7d)")
        }
    }

    var policy: UploadCleanupPolicy { UploadCleanupPolicy(minimumAge: TimeSpan.parse(olderThan) ?? 86400, all: all) }

    func run() async throws {
        let logger = CommandLogging.bootstrap(verbose: global.verbose)
        let policy = self.policy
        let dryRun = self.dryRun
        var report: CleanupReport
        let signal: Int32?
        do {
            let location = try S3Location(parsing: self.location)
            let store = try SQLiteJobStore(path: global.statePath)
            let client = try await ClientFactory.make(
                global: global, settings: .init(endpointURL: global.endpointURL, region: global.region),
                progress: TransferProgress(), logger: logger)
            let cleaner = UploadCleaner(client: client, store: store, logger: logger)
            let outcome = try await RunHost.run {
                do {
                    let report = try await cleaner.clean(location, policy: policy, dryRun: dryRun)
                    try? await client.shutdown()
                    return report
                } catch {
                    try? await client.shutdown()
                    throw error
                }
            }
            (report, signal) = (outcome.0, outcome.1)
        } catch {
            throw fail(error)
        }
        if let signal, report.interrupted { report.exitCode = 128 + signal }
        if !global.quiet {
            for line in report.uploadLines(verbose: global.verbose) { emit(line) }
        }
        for line in report.failureLines { FileHandle.standardError.write(Data("s3sync: \(line)\n".utf8)) }
        if !global.quiet {
            var summary = report.summary
            let wanted = report.kept.filter {
                ["not_recorded", "job_unfinished", "job_may_continue"].contains($0.reason)
            }
            if !report.all && !wanted.isEmpty {
                summary += ". --all aborts those too"
            }
            emit(summary)
        }
        if global.json { print(report.json) }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }

    /// Report lines go to stdout, or to stderr when stdout carries the JSON.
    func emit(_ line: String) {
        if global.json {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        } else {
            print(line)
        }
    }

    /// Prints an error that stopped the cleanup before it began and returns its exit code.
    func fail(_ error: any Error) -> ExitCode {
        let syncError = (error as? SyncError) ?? SyncError(.failed, "\(error)")
        let code: Int32
        switch syncError.kind {
        case .usage, .configuration: code = 2
        case .locked: code = 3
        case .failed: code = 1
        case .interrupted: code = 130
        }
        let message = ErrorAdvice.message(for: syncError)
        FileHandle.standardError.write(Data("s3sync: \(message)\n".utf8))
        if global.json, let location = try? S3Location(parsing: location) {
            var report = CleanupReport(location: location, policy: policy, dryRun: dryRun)
            report.error = message
            report.exitCode = code
            print(report.json)
        }
        return ExitCode(code)
    }
}

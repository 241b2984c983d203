import ArgumentParser
import Foundation
import SyncEngine

/// Prints a run's report (text on stderr, JSON on stdout with `--json`) and turns it into the
/// exit code.
enum Outcome {
    static func finish(_ report: RunReport, signal: Int32?, global: GlobalOptions, reporter: ProgressReporter)
        -> ExitCode
    {
        var report = report
        if report.status == .interrupted || signal != nil && report.status != .completed {
            report.status = .interrupted
            report.exitCode = 128 + (signal ?? SIGINT)
        }
        reporter.finish(TransferProgress.Snapshot())
        if !global.quiet || report.status != .completed {
            var text = report.text
            if report.status == .interrupted, let job = report.job {
                text += ". Run `s3sync resume \(job)` to continue"
            } else if report.status == .failed, let job = report.job {
                text += ". Run `s3sync resume \(job)` to retry the failed files, `s3sync status \(job)` for details"
            }
            if let error = report.error { text += "\n" + error }
            reporter.message(text)
        }
        if global.json { print(report.json) }
        return ExitCode(report.exitCode)
    }

    /// Prints an error that ended the run and returns its exit code; the JSON names the job it
    /// ended, when there was one, and the command's direction.
    static func fail(
        _ error: any Error, global: GlobalOptions, reporter: ProgressReporter, signal: Int32?,
        direction: JobRecord.Direction = .push
    ) -> ExitCode {
        reporter.finish(TransferProgress.Snapshot())
        let syncError = (error as? SyncError) ?? SyncError(.failed, "\(error)")
        var code: Int32
        switch syncError.kind {
        case .usage, .configuration: code = 2
        case .locked: code = 3
        case .failed: code = 1
        case .interrupted: code = 128 + (signal ?? SIGINT)
        }
        if let signal, syncError.kind == .interrupted || syncError.kind == .failed { code = 128 + signal }
        reporter.message("s3sync: \(ErrorAdvice.message(for: syncError))")
        if global.json {
            var report = RunReport(
                job: syncError.job, status: syncError.kind == .interrupted ? .interrupted : .failed,
                direction: syncError.direction ?? direction)
            report.error = ErrorAdvice.message(for: syncError)
            report.exitCode = code
            print(report.json)
        }
        return ExitCode(code)
    }
}

#if canImport(Glibc)
    import Glibc
#endif

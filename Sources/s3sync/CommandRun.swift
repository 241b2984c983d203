import ArgumentParser
import Logging
import S3Client
import SyncEngine

/// What `push`, `pull` and `resume` share: open the state database, build the one client, run the work
/// with signals turned into a checkpoint, shut the client down, print the outcome and exit by it.
enum CommandRun {
    /// What a command runs once the state database is open: the client it needs, and the work.
    struct Plan {
        var client: ClientFactory.Settings
        var work: @Sendable (SyncRunner) async throws -> RunReport
    }

    /// Runs `prepare`'s plan and throws the process's exit code (always).
    static func run(
        global: GlobalOptions, reporter: ProgressReporter, direction: JobRecord.Direction = .push,
        prepare: (JobStore) async throws -> Plan
    ) async throws -> Never {
        let logger = CommandLogging.bootstrap(verbose: global.verbose)
        let progress = TransferProgress()
        do {
            let store = try JobStore(path: global.statePath)
            let plan = try await prepare(store)
            let client = try await ClientFactory.make(
                global: global, settings: plan.client, progress: progress, logger: logger)
            let runner = SyncRunner(
                client: client, store: store, observer: reporter, logger: logger, progress: progress)
            let (result, signal) = try await RunHost.run {
                do {
                    let report = try await plan.work(runner)
                    try? await client.shutdown()
                    return report
                } catch {
                    try? await client.shutdown()
                    throw error
                }
            }
            throw Outcome.finish(result, signal: signal, global: global, reporter: reporter)
        } catch let code as ExitCode {
            throw code
        } catch {
            throw Outcome.fail(error, global: global, reporter: reporter, signal: nil, direction: direction)
        }
    }
}

import ArgumentParser
import Foundation

/// The process entry point: parses, runs, and maps every outcome to s3sync's exit codes
/// (usage errors exit 2, not ArgumentParser's 64).
@main
enum Entrypoint {
    static func main() async {
        do {
            var command = try S3SyncCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            let code = S3SyncCommand.exitCode(for: error)
            let message = S3SyncCommand.fullMessage(for: error)
            if code == .success {
                print(message)
                exit(0)
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

struct S3SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3sync",
        abstract: "Push directory trees to Amazon S3 and S3-compatible stores; resume after any interruption.",
        discussion: """
            Exit codes: 0 all done; 1 some files failed (the job stays resumable); 2 usage, configuration, \
            credential or access error; 3 another run holds this job's lock; 130/143 interrupted by SIGINT/SIGTERM \
            after checkpointing.
            """,
        version: "0.1.0",
        subcommands: [PushCommand.self, ResumeCommand.self, StatusCommand.self])
}

import ArgumentParser
import Foundation
import SyncEngine

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what ran, what is left and what failed.",
        discussion: "Without JOB, lists the most recent jobs.")

    @Argument(help: "The job id.")
    var job: Int64?

    @OptionGroup var state: StateOption

    @Flag(help: "Print JSON on stdout.")
    var json = false

    func run() async throws {
        let path = state.path
        do {
            guard FileManager.default.fileExists(atPath: path) else {
                if json { print(job == nil ? "[]" : "{}") } else { print("no jobs yet (no state database at \(path))") }
                return
            }
            let store = try JobStore(path: path)
            let statuses = try await JobStatus.load(store: store, jobID: job)
            if json {
                print(JobStatus.json(statuses, single: job != nil))
            } else if statuses.isEmpty {
                print("no jobs yet")
            } else {
                print(statuses.map(\.text).joined(separator: "\n\n"))
            }
        } catch let error as SyncError {
            FileHandle.standardError.write(Data("s3sync: \(ErrorAdvice.message(for: error))\n".utf8))
            throw ExitCode(error.kind == .usage || error.kind == .configuration ? 2 : 1)
        }
    }
}

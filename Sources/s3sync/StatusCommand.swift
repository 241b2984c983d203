import ArgumentParser
import Foundation
import SyncEngine

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what ran, what is left and what failed.",
        discussion: """
            Without JOB, lists the most recent jobs. With --history, lists past runs instead, newest \
            first: with JOB, the runs of its sync (the same direction, directory and bucket prefix, \
            across the jobs of successive pushes or pulls), without, the runs of every sync. A run \
            whose process died without recording its end (SIGKILL, power loss) reads `killed`. \
            With a shared queue (--queue), also lists the hosts working on its jobs: host, pid, last \
            heartbeat, files and bytes; --json then prints {"jobs": …, "workers": […]}.
            """)

    @Argument(help: "The job id.")
    var job: Int64?

    @OptionGroup var state: StateOption

    @Flag(help: "Print JSON on stdout.")
    var json = false

    @Flag(help: "List past runs with their outcome, duration, what they moved and failures.")
    var history = false

    @Option(help: "With --history, how many runs to list.")
    var limit: Int = 20

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let path = state.path
        do {
            guard state.queueURL != nil || FileManager.default.fileExists(atPath: path) else {
                if json {
                    print(job == nil || history ? "[]" : "{}")
                } else {
                    print("no jobs yet (no state database at \(path))")
                }
                return
            }
            let logger = CommandLogging.bootstrap(verbose: false)
            let shared = state.queueURL != nil
            let (job, json, history, limit) = (self.job, self.json, self.history, self.limit)
            try await state.withStore(logger: logger) { store in
                if history {
                    let runs = try await RunHistory.load(store: store, jobID: job, limit: limit)
                    if json {
                        print(runs.json)
                    } else {
                        print(runs.entries.isEmpty ? "no runs yet" : runs.text)
                    }
                    return
                }
                let statuses = try await JobStatus.load(store: store, jobID: job)
                let workers = shared ? try await WorkerStatus.load(store: store) : nil
                if json {
                    let jobs = JobStatus.json(statuses, single: job != nil)
                    print(workers.map { "{\"jobs\":\(jobs),\"workers\":\($0.json)}" } ?? jobs)
                } else {
                    print(statuses.isEmpty ? "no jobs yet" : statuses.map(\.text).joined(separator: "\n\n"))
                    if let workers { print("\n" + workers.text) }
                }
            }
        } catch let error as SyncError {
            FileHandle.standardError.write(Data("s3sync: \(ErrorAdvice.message(for: error))\n".utf8))
            throw ExitCode(error.kind == .usage || error.kind == .configuration ? 2 : 1)
        }
    }
}

import Foundation
import S3Client

/// What `s3sync status --history` shows: the last runs of a sync (or of all), newest first, each
/// with its outcome, when it started and ended, and what it moved and failed.
///
/// A run whose row has no end was killed (SIGKILL, power loss) unless the process that wrote it
/// still holds the job's lock: it reads `killed`, or `running`.
public struct RunHistory: Sendable, Hashable {
    /// One run.
    public struct Entry: Sendable, Codable, Hashable {
        public var run: Int64
        public var job: Int64?
        /// `push`, `pull` or `resume`.
        public var command: String
        public var direction: JobRecord.Direction
        /// What the run copied from and to: a directory and a bucket prefix, by direction.
        public var source: String
        public var destination: String
        public var endpoint: String
        /// `completed`, `failed`, `interrupted`, `killed` or `running`.
        public var outcome: String
        public var startedAt: String
        public var endedAt: String?
        public var durationSeconds: Double?
        public var plannedFiles: Int
        public var plannedBytes: Int64
        public var transferredFiles: Int
        public var transferredBytes: Int64
        public var skippedFiles: Int
        public var deletedFiles: Int
        public var failedFiles: Int
        public var changedFiles: Int
        public var error: String?
        public var pid: Int64
        public var host: String

        /// The sync the run belongs to, as a line.
        var sync: String { "\(direction.rawValue) \(source) → \(destination)" }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// The runs of the sync `jobID` belongs to (the same direction, directory, endpoint and
    /// prefix, across its jobs), or of every sync when `jobID` is `nil`; newest first.
    /// - Parameter lockDirectory: where the lock files are; by default next to the state database.
    /// - Throws: ``SyncError`` (usage) when there is no such job.
    public static func load(
        store: any JobStore, jobID: Int64?, limit: Int = 20, lockDirectory: String? = nil
    ) async throws -> RunHistory {
        let lockDirectory = lockDirectory ?? store.lockDirectory ?? NSTemporaryDirectory()
        let runs: [RunRecord]
        if let jobID {
            guard let job = try await store.job(id: jobID) else {
                throw SyncError(.usage, "there is no job \(jobID)", subject: .unknownJob(jobID))
            }
            runs = try await store.runs(ofSyncOf: job, limit: limit)
        } else {
            runs = try await store.recentRuns(limit: limit)
        }
        var holders: [String: JobLock.Holder?] = [:]
        let entries = runs.map { run in
            var holder: JobLock.Holder?
            if run.outcome == nil {
                let identity = SyncRunner.identity(
                    endpoint: run.endpoint, location: run.destination, source: run.source)
                if let known = holders[identity] {
                    holder = known
                } else {
                    holder = JobLock.currentHolder(directory: lockDirectory, identity: identity)
                    holders[identity] = holder
                }
            }
            return entry(run, holder: holder)
        }
        return RunHistory(entries: entries)
    }

    /// The outcome of a run: as recorded when it ended; for a row without an end, `running` while
    /// its own process holds the job's lock, `killed` otherwise.
    public static func outcome(of run: RunRecord, lockHolder: JobLock.Holder?) -> String {
        if let outcome = run.outcome { return outcome.rawValue }
        if let lockHolder, Int64(lockHolder.pid) == run.pid && lockHolder.host == run.host { return "running" }
        return "killed"
    }

    static func entry(_ run: RunRecord, holder: JobLock.Holder?) -> Entry {
        let local = run.source
        let remote = run.destination.description
        return Entry(
            run: run.id ?? 0, job: run.jobID, command: run.command, direction: run.direction,
            source: run.direction == .push ? local : remote, destination: run.direction == .push ? remote : local,
            endpoint: run.endpoint, outcome: outcome(of: run, lockHolder: holder),
            startedAt: Timestamp.iso8601(secondsSince1970: Int(run.startedAt)),
            endedAt: run.endedAt.map { Timestamp.iso8601(secondsSince1970: Int($0)) },
            durationSeconds: run.endedAt.map { max(0, $0 - run.startedAt) }, plannedFiles: run.plannedFiles,
            plannedBytes: run.plannedBytes, transferredFiles: run.transferredFiles,
            transferredBytes: run.transferredBytes, skippedFiles: run.skippedFiles, deletedFiles: run.deletedFiles,
            failedFiles: run.failedFiles, changedFiles: run.changedFiles, error: run.error, pid: run.pid,
            host: run.host)
    }

    /// A line a run, under a heading for each sync, control characters in names escaped.
    public var text: String {
        var lines: [String] = []
        var sync: String?
        for entry in entries {
            if entry.sync != sync {
                sync = entry.sync
                lines.append(entry.sync)
            }
            let copied = entry.direction == .push ? "uploaded" : "downloaded"
            let duration =
                entry.durationSeconds.map { $0 < 10 ? String(format: "%.1fs", $0) : TimeSpan.format($0) } ?? "-"
            var line = "  \(entry.startedAt)  \(Self.padded(entry.outcome, 11))\(Self.padded(duration, 8))"
            line += "\(entry.transferredFiles) \(copied) (\(ByteCount.format(entry.transferredBytes)))"
            line += ", \(entry.skippedFiles) unchanged"
            if entry.deletedFiles > 0 { line += ", \(entry.deletedFiles) deleted" }
            if entry.failedFiles > 0 { line += ", \(entry.failedFiles) failed" }
            if entry.changedFiles > 0 { line += ", \(entry.changedFiles) changed while copied" }
            line += "  (\(entry.command)" + (entry.job.map { ", job \($0)" } ?? "") + ")"
            lines.append(line)
            if let error = entry.error, entry.outcome != "completed" { lines.append("      \(error)") }
        }
        return lines.map(\.singleLine).joined(separator: "\n")
    }

    static func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    /// A JSON array with snake_case keys, newest run first.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(entries) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }
}

import Foundation
import GRDB
import S3TestSupport
import Testing

@testable import SyncEngine

/// The `run` table behind `s3sync status --history`.
@Suite struct RunHistoryTests {
    static let location = S3Location(bucket: "b", prefix: "p/")

    static func run(_ command: String = "push", source: String = "/s", started: Double, job: Int64? = nil) -> RunRecord
    {
        RunRecord(
            command: command, direction: .push, source: source, endpoint: "e", location: location, jobID: job,
            pid: 4242, host: "backup-host", startedAt: started)
    }

    @Test func runsOfASyncAreListedNewestFirstAcrossItsJobs() async throws {
        let store = try SQLiteJobStore.inMemory()
        let first = try await store.createJob(
            JobRecord(source: "/s", endpoint: "e", bucket: "b", prefix: "p/", options: "{}", state: .superseded, now: 1)
        )
        let second = try await store.createJob(
            JobRecord(source: "/s", endpoint: "e", bucket: "b", prefix: "p/", options: "{}", state: .completed, now: 2))
        var failed = try await store.startRun(Self.run(started: 10))
        try await store.attachRun(id: failed.id!, jobID: first.id!)
        failed = try #require(try await store.run(id: failed.id!))
        failed.outcome = .failed
        failed.endedAt = 12
        failed.failedFiles = 1
        failed.error = "secret.txt: permission denied"
        try await store.finishRun(failed)
        var completed = try await store.startRun(Self.run(started: 20, job: second.id))
        completed.outcome = .completed
        completed.endedAt = 25
        completed.transferredFiles = 3
        completed.transferredBytes = 300
        try await store.finishRun(completed)
        _ = try await store.startRun(Self.run(source: "/elsewhere", started: 30))

        let runs = try await store.runs(ofSyncOf: second)
        #expect(runs.map(\.outcome) == [.completed, .failed])
        #expect(runs.map(\.jobID) == [second.id, first.id])
        #expect(try await store.runs(ofSyncOf: second, limit: 1).map(\.id) == [completed.id])
        #expect(try await store.recentRuns().map(\.source) == ["/elsewhere", "/s", "/s"])

        let history = try await RunHistory.load(store: store, jobID: first.id, lockDirectory: "/nonexistent")
        #expect(history.entries.map(\.outcome) == ["completed", "failed"])
        #expect(history.entries.first?.durationSeconds == 5)
        #expect(history.entries.first?.transferredBytes == 300)
        #expect(history.entries.last?.error == "secret.txt: permission denied")
        #expect(history.text.contains("failed"))
        #expect(history.text.contains("secret.txt: permission denied"))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(history.json.utf8)) as? [[String: Any]])
        #expect(json.first?["outcome"] as? String == "completed")
        #expect(json.first?["transferred_files"] as? Int == 3)
        #expect(json.first?["duration_seconds"] as? Double == 5)
        await #expect(throws: SyncError.self) {
            try await RunHistory.load(store: store, jobID: 999)
        }
    }

    @Test func onlyTheLastRunsOfEachSyncAreKept() async throws {
        let store = try SQLiteJobStore.inMemory()
        for index in 0..<7 {
            _ = try await store.startRun(Self.run(started: Double(index)), keep: 3)
            _ = try await store.startRun(Self.run(source: "/other", started: Double(index)), keep: 5)
        }
        let all = try await store.recentRuns(limit: 100)
        #expect(all.filter { $0.source == "/s" }.map(\.startedAt) == [6, 5, 4])
        #expect(all.filter { $0.source == "/other" }.count == 5)
    }

    /// A row without an end is a run working now only while its own process holds the lock.
    @Test func anOpenRunIsRunningOnlyWhileItsProcessHoldsTheLock() {
        var run = Self.run(started: 1)
        let holder = JobLock.Holder(pid: 4242, host: "backup-host", startedAt: "", command: "s3sync push")
        #expect(RunHistory.outcome(of: run, lockHolder: holder) == "running")
        #expect(RunHistory.outcome(of: run, lockHolder: nil) == "killed")
        var later = holder
        later.pid = 5000
        #expect(RunHistory.outcome(of: run, lockHolder: later) == "killed")
        run.outcome = .interrupted
        #expect(RunHistory.outcome(of: run, lockHolder: nil) == "interrupted")
    }

    @Test func upgradingAddsTheRunTableAndKeepsTheJobs() async throws {
        let queue = try DatabaseQueue()
        try SQLiteJobStore.migrate(queue, path: ":memory:", upTo: "v4")
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO job (source, endpoint, bucket, prefix, options, state, createdAt, updatedAt)
                    VALUES ('/s', 'e', 'b', 'p/', '{}', 'completed', 1, 2)
                    """)
        }
        let store = try SQLiteJobStore(writer: queue)
        let job = try #require(try await store.job(id: 1))
        #expect(try await store.runs(ofSyncOf: job).isEmpty)
        _ = try await store.startRun(Self.run(started: 3, job: 1))
        #expect(try await store.runs(ofSyncOf: job).count == 1)
    }
}

import Foundation
import SyncEngine

/// A state database on disk (WAL, as a push uses it) with one job and, optionally, pending tasks.
struct StoreFixture: Sendable {
    let store: JobStore
    let jobID: Int64
    let tasks: [TaskRecord]

    static func make(_ directory: String, pendingTasks: Int = 0) async throws -> StoreFixture {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try JobStore(path: directory + "/state.db")
        let job = try await store.createJob(
            JobRecord(
                source: "/srv/data", endpoint: TreeFixture.endpoint, bucket: "bench-bucket", prefix: "tree/",
                options: "{}", state: .running, now: Date().timeIntervalSince1970))
        guard let jobID = job.id else { fatalError("the job has no id") }
        let planned = (0..<pendingTasks).map { index in
            let path = "dir-\(index % 20)/file-\(index).bin"
            return TaskRecord(
                jobID: jobID, kind: .upload, path: path, key: "tree/" + path,
                identity: FileIdentity(
                    size: 32768, mtimeNanoseconds: 1_750_000_000_000_000_000,
                    ctimeNanoseconds: 1_750_000_000_000_000_000, inode: UInt64(index), device: 1),
                reason: "new")
        }
        try await store.insertTasks(planned)
        let tasks = try await store.pendingTasks(jobID: jobID, kind: .upload, limit: pendingTasks)
        precondition(tasks.count == pendingTasks)
        return StoreFixture(store: store, jobID: jobID, tasks: tasks)
    }
}

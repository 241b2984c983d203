/// What planning writes to the job store, gathered and written in transactions of
/// ``batchSize`` rows, so planning memory stays bounded however large the tree.
struct PlanBatches {
    static let batchSize = 1000

    let store: JobStore
    /// Upload and delete tasks, and local problems as failed tasks.
    var tasks: [TaskRecord] = []
    /// Index entries of multipart objects listed under another ETag than the completion gave.
    var adopted: [IndexRecord] = []

    init(store: JobStore) {
        self.store = store
    }

    /// Writes what has reached a batch's size.
    mutating func writeIfFull() async throws {
        if tasks.count >= Self.batchSize {
            try await store.insertTasks(tasks)
            tasks.removeAll(keepingCapacity: true)
        }
        if adopted.count >= Self.batchSize {
            try await store.recordUploads(adopted)
            adopted.removeAll(keepingCapacity: true)
        }
    }

    /// Writes everything left.
    mutating func write() async throws {
        try await store.insertTasks(tasks)
        try await store.recordUploads(adopted)
        tasks.removeAll()
        adopted.removeAll()
    }
}

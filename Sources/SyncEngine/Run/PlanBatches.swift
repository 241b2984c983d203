/// What planning writes to the job store, gathered and written in transactions of
/// ``batchSize`` rows, so planning memory stays bounded however large the tree.
struct PlanBatches {
    static let batchSize = 1000

    let store: any JobStore
    /// Upload and delete tasks, and local problems as failed tasks.
    var tasks: [TaskRecord] = []
    /// Index records brought up to date: a listed ETag refreshed, a full stat recorded.
    var refreshed: [IndexRecord] = []

    init(store: any JobStore) {
        self.store = store
    }

    /// Writes what has reached a batch's size.
    mutating func writeIfFull() async throws {
        if tasks.count >= Self.batchSize {
            try await store.insertTasks(tasks)
            tasks.removeAll(keepingCapacity: true)
        }
        if refreshed.count >= Self.batchSize {
            try await store.recordUploads(refreshed)
            refreshed.removeAll(keepingCapacity: true)
        }
    }

    /// Writes everything left.
    mutating func write() async throws {
        try await store.insertTasks(tasks)
        try await store.recordUploads(refreshed)
        tasks.removeAll()
        refreshed.removeAll()
    }
}

import Foundation

/// Collects finished tasks and index records and commits them in batches, so thousands of small
/// files cost a handful of transactions; a crash loses at most the last batch (those files are
/// uploaded again by the next run, nothing is recorded that did not happen).
actor CompletionRecorder {
    let store: any JobStore
    let maxBatch: Int
    let maxDelay: Double
    var tasks: [TaskRecord] = []
    var records: [IndexRecord] = []
    var oldest: Double?

    init(store: any JobStore, maxBatch: Int = 256, maxDelay: Double = 0.25) {
        self.store = store
        self.maxBatch = maxBatch
        self.maxDelay = maxDelay
    }

    func add(task: TaskRecord, record: IndexRecord?) async throws {
        tasks.append(task)
        if let record { records.append(record) }
        let now = Date().timeIntervalSince1970
        if oldest == nil { oldest = now }
        if tasks.count >= maxBatch || now - (oldest ?? now) >= maxDelay {
            try await flush()
        }
    }

    /// Commits everything collected, in one transaction per table.
    func flush() async throws {
        guard !tasks.isEmpty || !records.isEmpty else { return }
        let tasks = self.tasks
        let records = self.records
        self.tasks = []
        self.records = []
        oldest = nil
        try await store.recordUploads(records)
        try await store.updateTasks(tasks)
    }

    /// Flushes when the oldest entry waited long enough (called by a ticker).
    func flushIfStale() async throws {
        guard let oldest, Date().timeIntervalSince1970 - oldest >= maxDelay else { return }
        try await flush()
    }
}

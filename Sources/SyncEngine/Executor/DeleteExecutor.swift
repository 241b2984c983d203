import S3Client

/// Deletes a job's pending keys with batched DeleteObjects, after the uploads went through cleanly.
struct DeleteExecutor: Sendable {
    let client: S3Client
    let store: any JobStore
    let endpoint: String
    let location: S3Location
    let budget: RequestBudget
    let progress: TransferProgress
    let observer: any SyncObserver

    func run(jobID: Int64) async throws {
        try await store.forEachPendingPage(jobID: jobID, kind: .delete) { page in
            // Never outside the destination prefix, whatever the database says.
            let tasks = page.filter { location.relativePath(of: $0.key).map { !$0.isEmpty } ?? false }
            let result = try await budget.withPermit {
                try await client.deleteObjects(bucket: location.bucket, keys: tasks.map(\.key))
            }
            let failures = Dictionary(result.failures.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            var updated: [TaskRecord] = []
            var removed: [String] = []
            for var task in tasks {
                task.attempts += 1
                if let failure = failures[task.key] {
                    task.state = .failed
                    task.error = "\(failure.code): \(failure.message)"
                    progress.update { $0.failedFiles += 1 }
                    observer.handle(
                        .failed(path: task.key, reason: "could not delete: \(failure.code) \(failure.message)"))
                } else {
                    task.state = .done
                    removed.append(task.key)
                    progress.update { $0.deletedFiles += 1 }
                    observer.handle(.deleted(key: task.key))
                }
                updated.append(task)
            }
            try await store.removeIndexRecords(endpoint: endpoint, bucket: location.bucket, keys: removed)
            try await store.updateTasks(updated)
        }
    }
}

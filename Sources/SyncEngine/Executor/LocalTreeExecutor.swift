/// A pull's work on the local tree besides downloads: the directories that markers stand for
/// (before the downloads) and, with `--delete`, the local files whose objects are gone (after a
/// clean pass). Both go through the ``DownloadRoot``, so neither ever leaves the directory.
struct LocalTreeExecutor: Sendable {
    let store: any JobStore
    let root: DownloadRoot
    let endpoint: String
    let location: S3Location
    let progress: TransferProgress
    let observer: any SyncObserver

    /// Makes the job's pending directories.
    func makeDirectories(jobID: Int64) async throws {
        try await forEachPage(jobID: jobID, kind: .directory) { task in
            switch DownloadRoot.components(of: task.path) {
            case .failure(let error):
                return fail(task, "the key \(task.key) cannot be restored: \(error.message)")
            case .success(let names):
                do throws(LocalPathError) {
                    _ = try root.directory(names[...], create: true)
                    return (task, nil)
                } catch {
                    return fail(task, "cannot make the directory \(task.path): \(error.message)")
                }
            }
        }
    }

    /// Removes the job's pending local files (regular files only, never through a symbolic link).
    func removeFiles(jobID: Int64) async throws {
        var removed: [String] = []
        try await forEachPage(jobID: jobID, kind: .removeLocal) { task in
            guard case .success(let names) = DownloadRoot.components(of: task.path) else {
                return fail(task, "not a path under the directory")
            }
            do throws(LocalPathError) {
                try root.directory(names.dropLast(), create: false).removeFile(String(names.last ?? ""))
                progress.update { $0.deletedFiles += 1 }
                observer.handle(.removed(path: task.path))
                removed.append(task.key)
                return (task, nil)
            } catch {
                return fail(task, "could not remove: \(error.message)")
            }
        }
        try await store.removeIndexRecords(endpoint: endpoint, bucket: location.bucket, keys: removed, root: root.path)
    }

    private func fail(_ task: TaskRecord, _ message: String) -> (TaskRecord, String?) {
        progress.update { $0.failedFiles += 1 }
        observer.handle(.failed(path: task.path, reason: message))
        return (task, message)
    }

    /// Runs `body` on each pending task of a kind, a page at a time, and saves the outcomes
    /// (done, or failed with the message returned).
    private func forEachPage(
        jobID: Int64, kind: TaskRecord.Kind, _ body: (TaskRecord) throws -> (TaskRecord, String?)
    ) async throws {
        try await store.forEachPendingPage(jobID: jobID, kind: kind) { page in
            var updated: [TaskRecord] = []
            for task in page {
                try Task.checkCancellation()
                var (task, error) = try body(task)
                task.attempts += 1
                task.state = error == nil ? .done : .failed
                task.error = error
                updated.append(task)
            }
            try await store.updateTasks(updated)
        }
    }
}

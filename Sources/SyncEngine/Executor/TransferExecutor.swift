import Foundation
import Logging
import S3Client

/// Runs a job's pending transfers through the shared request budget: a bounded task group over
/// the files its feed hands over, each file one request or a multipart transfer whose parts share
/// the same budget.
struct TransferExecutor: Sendable {
    let transfer: any FileTransfer
    let feed: any TaskFeed
    let store: any JobStore
    let recorder: CompletionRecorder
    let options: SyncOptions
    let progress: TransferProgress
    let observer: any SyncObserver
    let logger: Logger
    /// This host in a shared queue, if it is in one.
    var queue: QueueMembership? = nil

    /// Transfers the files the feed hands over; files that keep changing are retried and finally
    /// marked `changed`. `resumableKeys` are those an earlier run started (see ``PlanOrderFeed``).
    func run(jobID: Int64, resumableKeys: Set<String>) async throws {
        var changed = try await feed.run(
            jobID: jobID, kind: transfer.kind, resumableKeys: resumableKeys, window: options.concurrencyCeiling,
            recorder: recorder, process: process, send: transfer.send)
        var attempt = 1
        while !changed.isEmpty && attempt < options.changedFileAttempts {
            attempt += 1
            try await Task.sleep(for: .milliseconds(500))
            changed = try await runBatch(changed)
        }
        for var task in changed {
            task.state = .changed
            progress.update { $0.changedFiles += 1 }
            observer.handle(.failed(path: task.path, reason: task.error ?? "changed while it was copied"))
            try await recorder.add(task: task, record: nil)
        }
        try await recorder.flush()
    }

    /// Transfers a batch with as many files in flight as the budget may reach; its permits
    /// decide how many requests are.
    func runBatch(_ tasks: [TaskRecord]) async throws -> [TaskRecord] {
        var changed: [TaskRecord] = []
        try await forEachConcurrently(tasks, window: options.concurrencyCeiling, process) { result in
            if let result { changed.append(result) }
        }
        return changed
    }

    /// Transfers one file and records the outcome; returns the task when it must be tried again.
    func process(_ task: TaskRecord) async throws -> TaskRecord? {
        var task = task
        task.attempts += 1
        let outcome = try await transfer.transfer(task)
        switch outcome {
        case .done(let record):
            task.state = .done
            task.error = nil
            task.size = record.size
            task.mtimeNanoseconds = record.mtimeNanoseconds
            task.inode = record.inode
            progress.update {
                $0.transferredFiles += 1
                $0.transferredBytes += record.size
            }
            observer.handle(transfer.finished(task, size: record.size))
            try await recorder.add(task: task, record: record)
            return nil
        case .vanished(let message):
            task.state = .vanished
            task.error = message
            progress.update { $0.vanishedFiles += 1 }
            observer.handle(.warning(path: task.path, reason: message + "; skipped"))
            try await recorder.add(task: task, record: nil)
            return nil
        case .failed(let message):
            task.state = .failed
            task.error = message
            progress.update { $0.failedFiles += 1 }
            observer.handle(.failed(path: task.path, reason: message))
            try await recorder.add(task: task, record: nil)
            return nil
        case .notSeenHere(let message):
            return try await giveBack(task, message)
        case .changed(let message):
            task.error = message
            logger.info("changed while it was copied; will retry", metadata: ["path": "\(task.path)"])
            return task
        }
    }

    /// Hosts that may try a file another host did not see as planned before the task fails.
    static let hostAttempts = 3
    /// How long a file a host did not see waits before the next host may try it.
    static let retryAfterNotSeen = 2.0

    /// Gives a task this host does not see as planned back to the queue for another host, with
    /// this host's name in its error. It fails once as many hosts as work on the job (at most
    /// ``hostAttempts``) did not see it either; a host that tries it again adds nothing.
    func giveBack(_ task: TaskRecord, _ message: String) async throws -> TaskRecord? {
        var task = task
        let host = queue.map { "\($0.host) (pid \($0.pid))" } ?? ProcessInfo.processInfo.hostName
        if let id = task.id, let queue, !queue.notSeen.insert(id) { task.attempts -= 1 }
        task.error = "on \(host): \(message)"
        let now = Date().timeIntervalSince1970
        // The hosts working on the job: this one (whose first heartbeat may not be written yet)
        // and the others that reported lately.
        let others = try await store.workers(limit: 1000).filter {
            $0.jobID == task.jobID && $0.id != queue?.worker && $0.stoppedAt == nil
                && now - $0.heartbeatAt < WorkerStatus.silence
        }.count
        if task.attempts >= min(Self.hostAttempts, others + 1) {
            task.state = .failed
            progress.update { $0.failedFiles += 1 }
            observer.handle(.failed(path: task.path, reason: task.error ?? message))
        } else {
            // Still named for this worker, with its error: it does not claim the task again.
            task.leaseUntil = now + Self.retryAfterNotSeen
            logger.warning(
                "this host does not see the file as planned; another host may",
                metadata: ["path": "\(task.path)", "error": "\(message)"])
        }
        try await recorder.add(task: task, record: nil)
        return nil
    }
}

import Foundation

/// How a job's pending transfers reach this host's workers: every pending task in plan order
/// (a job on one host), or the tasks this host claims from a shared queue, as its slots free up.
protocol TaskFeed: Sendable {
    /// Hands the job's tasks of `kind` to `process`, at most `window` at once, until this host has
    /// none left; returns the tasks `process` gave back to be tried again. Parts of large files
    /// other hosts opened to the job go to `send`.
    func run(
        jobID: Int64, kind: TaskRecord.Kind, resumableKeys: Set<String>, window: Int, recorder: CompletionRecorder,
        process: @escaping @Sendable (TaskRecord) async throws -> TaskRecord?,
        send: @escaping @Sendable (PartClaim) async throws -> Int64
    ) async throws -> [TaskRecord]
}

/// Every pending task of the job in plan order, a page at a time. Tasks whose keys an earlier run
/// started go first, so what it stored is reused before anything expires.
struct PlanOrderFeed: TaskFeed {
    let store: any JobStore

    func run(
        jobID: Int64, kind: TaskRecord.Kind, resumableKeys: Set<String>, window: Int, recorder: CompletionRecorder,
        process: @escaping @Sendable (TaskRecord) async throws -> TaskRecord?,
        send: @escaping @Sendable (PartClaim) async throws -> Int64
    ) async throws -> [TaskRecord] {
        var changed: [TaskRecord] = []
        func pass(_ include: (TaskRecord) -> Bool) async throws {
            try await store.forEachPendingPage(jobID: jobID, kind: kind) { page in
                try await forEachConcurrently(page.filter(include), window: window, process) { result in
                    if let result { changed.append(result) }
                }
            }
        }
        if !resumableKeys.isEmpty {
            try await pass { resumableKeys.contains($0.key) }
            // Their outcomes are committed before the second pass reads what is still pending.
            try await recorder.flush()
        }
        let retried = Set(changed.compactMap(\.id))
        try await pass { !retried.contains($0.id ?? 0) }
        return changed
    }
}

/// The tasks this host claims from a shared store: a batch at a time as its slots free up, never
/// more files than twice the permits its request budget has now, nor more than ``holdBytes`` of
/// them, so the other hosts find work too. When no file is left to claim, it sends parts of the large
/// files being uploaded (its own or other hosts'), as many at once as one file's parts go.
/// Claims are leases, renewed by ``WorkerHeartbeat`` while the host lives.
struct ClaimFeed: TaskFeed {
    /// Claimed and unfinished files a host holds at most (at least one file, whatever its size).
    static let holdBytes: Int64 = 1 << 30
    /// Tasks claimed in one statement at most.
    static let batchLimit = 64

    let store: any JobStore
    let membership: QueueMembership
    let budget: RequestBudget

    /// What a slot works on.
    enum Work: Sendable {
        case task(TaskRecord)
        case part(PartClaim)
    }

    func run(
        jobID: Int64, kind: TaskRecord.Kind, resumableKeys: Set<String>, window: Int, recorder: CompletionRecorder,
        process: @escaping @Sendable (TaskRecord) async throws -> TaskRecord?,
        send: @escaping @Sendable (PartClaim) async throws -> Int64
    ) async throws -> [TaskRecord] {
        let window = max(1, window)
        return try await withThrowingTaskGroup(of: (TaskRecord?, Int64).self) { group in
            var changed: [TaskRecord] = []
            var claimed: [TaskRecord] = []
            var running = 0
            var partsRunning = 0
            var heldBytes: Int64 = 0
            var filesLeft = true
            var partsLeft = true
            while true {
                while running < target(), let work = try await next() {
                    running += 1
                    switch work {
                    case .task(let task):
                        heldBytes += task.size
                        group.addTask { (try await process(task), task.size) }
                    case .part(let claim):
                        partsRunning += 1
                        group.addTask {
                            _ = try await send(claim)
                            return (nil, -1)
                        }
                    }
                }
                guard let (result, size) = try await group.next() else { return changed }
                running -= 1
                if size < 0 { partsRunning -= 1 } else { heldBytes -= size }
                if let result { changed.append(result) }
            }

            /// How many files to have in hand: twice the permits the budget has now (so requests wait
            /// for permits and an adaptive budget sees the demand to grow), within the window.
            func target() -> Int { min(window, 2 * max(1, budget.capacity)) }

            /// The next file this host may take, else the next open part, else nothing. Files are
            /// claimed in batches: only once a quarter of the target (at most a batch) is free.
            func next() async throws -> Work? {
                let refill = min(Self.batchLimit, max(1, target() / 4))
                if claimed.isEmpty && filesLeft && heldBytes < Self.holdBytes
                    && (target() - running >= refill || running == 0)
                {
                    claimed = try await store.claimTasks(
                        jobID: jobID, kind: kind, worker: membership.worker,
                        limit: min(Self.batchLimit, target() - running), maxBytes: Self.holdBytes - heldBytes,
                        lease: membership.lease)
                    filesLeft = !claimed.isEmpty
                }
                if !claimed.isEmpty { return .task(claimed.removeFirst()) }
                guard !filesLeft && partsLeft && partsRunning < MultipartUploader.partsInFlight else { return nil }
                let part = try await store.claimPart(
                    jobID: jobID, uploadRowID: nil, worker: membership.worker, lease: membership.lease)
                partsLeft = part != nil
                return part.map { .part($0) }
            }
        }
    }
}

import Foundation

/// Where jobs live: their tasks, the multipart uploads with their finished parts, the partial
/// downloads with their ranges, the runs, and the index of what was copied. One SQLite file on one
/// host (``SQLiteJobStore``), or one PostgreSQL database shared by every host that works on the
/// same jobs (``PostgresJobStore``).
///
/// A shared store is also a queue: hosts claim a job's pending tasks for a lease, renew it while
/// they work, and a task whose lease ran out goes back to whoever claims next.
public protocol JobStore: Sendable {
    /// What the store is, for messages: the state file's path or the queue's URL without its
    /// password.
    var description: String { get }
    /// The directory lock files live in when the store does not hold the locks itself.
    var lockDirectory: String? { get }

    // MARK: Jobs

    /// Records a new job and returns it with its id.
    func createJob(_ job: JobRecord) async throws -> JobRecord
    func job(id: Int64) async throws -> JobRecord?
    /// Saves a job's state and counters.
    func updateJob(_ job: JobRecord) async throws
    /// The most recent jobs, newest first.
    func recentJobs(limit: Int) async throws -> [JobRecord]
    /// The most recent job of this direction, directory and prefix that completed.
    func lastCompletedJob(source: String, endpoint: String, location: S3Location, direction: JobRecord.Direction)
        async throws -> JobRecord?
    /// Unfinished jobs, newest first; for one directory, prefix and direction when given.
    func unfinishedJobs(source: String?, endpoint: String?, location: S3Location?, direction: JobRecord.Direction?)
        async throws -> [JobRecord]

    // MARK: Tasks

    /// Inserts planned tasks in one transaction.
    func insertTasks(_ tasks: [TaskRecord]) async throws
    /// Removes a job's tasks (before planning it again).
    func removeTasks(jobID: Int64) async throws
    /// Pending tasks of a kind in plan order, a page at a time.
    func pendingTasks(jobID: Int64, kind: TaskRecord.Kind, after id: Int64, limit: Int) async throws -> [TaskRecord]
    /// Saves the outcome of tasks (state, attempts, error, the file's identity, who holds it and
    /// until when) in one transaction.
    func updateTasks(_ tasks: [TaskRecord]) async throws
    /// Counts of a job's tasks by kind and state, with their bytes.
    func taskCounts(jobID: Int64) async throws -> [TaskCount]
    /// Keys of a job's finished uploads of at least `minimumSize` bytes (those sent in parts).
    func doneUploadKeys(jobID: Int64, minimumSize: Int64) async throws -> Set<String>
    /// Tasks that failed or kept changing, for reports.
    func problemTasks(jobID: Int64, limit: Int) async throws -> [TaskRecord]
    /// Puts a job's failed and changed tasks back to pending (not local problems found while
    /// planning: those need a new push).
    func retryFailedTasks(jobID: Int64) async throws

    // MARK: The queue

    /// Claims up to `limit` of a job's pending tasks of a kind, in plan order, for `lease`: tasks
    /// nobody holds and tasks whose lease ran out, but not those `worker` gave back with an error
    /// (a file it did not see). Stops adding tasks once they hold `maxBytes` (the first is always
    /// taken). Two hosts never get the same task while its lease runs. A claimed task's error is
    /// cleared.
    func claimTasks(
        jobID: Int64, kind: TaskRecord.Kind, worker: String, limit: Int, maxBytes: Int64, lease: Duration
    ) async throws -> [TaskRecord]
    /// Opens parts of a multipart upload to every host of its job: each can then be claimed on
    /// its own (``claimPart(jobID:uploadRowID:worker:lease:)``), so one large file is spread
    /// across hosts. Parts already open are left as they are; parts already stored are not opened.
    func openParts(uploadRowID: Int64, numbers: [Int]) async throws
    /// Claims an open part that is neither stored nor held (or whose lease ran out), for `lease`:
    /// of the upload `uploadRowID`, or of any upload of the job when it is `nil`.
    func claimPart(jobID: Int64, uploadRowID: Int64?, worker: String, lease: Duration) async throws -> PartClaim?
    /// Extends the lease of every pending task (but those it gave back) and open part `worker`
    /// holds; returns how many tasks it still holds.
    func renewLeases(worker: String, lease: Duration) async throws -> Int
    /// Gives back the pending tasks and open parts `worker` holds (a worker that stops cleanly).
    func releaseClaims(worker: String) async throws
    /// Records a worker, or its heartbeat: what it works on, what it moved, and when it was last
    /// throttled. Returns the latest throttling any other worker of the same job reported.
    func heartbeat(_ worker: WorkerRecord) async throws -> Double?
    /// The workers that reported most recently, newest first.
    func workers(limit: Int) async throws -> [WorkerRecord]
    /// Files and bytes each worker finished for a job, by worker id.
    func workerShares(jobID: Int64) async throws -> [String: TaskCount]

    // MARK: Multipart uploads

    /// Records a started multipart upload before any part is sent, so a crash leaves it findable.
    func insertMultipartUpload(_ upload: MultipartUploadRecord) async throws -> MultipartUploadRecord
    /// Uploads recorded for a key, newest first.
    func multipartUploads(endpoint: String, bucket: String, key: String) async throws -> [MultipartUploadRecord]
    /// Uploads recorded under a destination (all jobs), oldest first.
    func multipartUploads(endpoint: String, location: S3Location) async throws -> [MultipartUploadRecord]
    /// Uploads a job started.
    func multipartUploads(jobID: Int64) async throws -> [MultipartUploadRecord]
    /// Hands an upload to another job (a push continuing an earlier, unfinished one).
    func adoptMultipartUpload(id: Int64, jobID: Int64) async throws
    /// Records a finished part (and closes its claim, if it was open to other hosts).
    func recordPart(_ part: PartRecord) async throws
    /// The parts recorded for an upload, by number.
    func parts(uploadRowID: Int64) async throws -> [PartRecord]
    /// Forgets parts (the server did not have them).
    func removeParts(uploadRowID: Int64, numbers: [Int]) async throws
    /// Forgets an upload and its parts (completed or aborted).
    func removeMultipartUpload(id: Int64) async throws
    /// What the store says about the multipart uploads under a destination (see ``UploadClaims``).
    /// - Parameter isRunning: whether a run is working on an unfinished job now.
    func uploadClaims(endpoint: String, location: S3Location, isRunning: (JobRecord) -> Bool) async throws
        -> UploadClaims

    // MARK: Partial downloads

    /// Records a download before its first range is fetched, so a crash leaves it findable.
    func insertPartialDownload(_ download: PartialDownloadRecord) async throws -> PartialDownloadRecord
    /// Downloads recorded for a key into a directory, newest first.
    func partialDownloads(endpoint: String, bucket: String, key: String, root: String) async throws
        -> [PartialDownloadRecord]
    /// Downloads recorded into a directory from a prefix (all jobs), oldest first.
    func partialDownloads(endpoint: String, location: S3Location, root: String) async throws
        -> [PartialDownloadRecord]
    /// Downloads these jobs recorded (what is left of them when they end).
    func partialDownloads(jobIDs: Set<Int64>) async throws -> [PartialDownloadRecord]
    /// Takes a download over for another job.
    func adoptPartialDownload(id: Int64, jobID: Int64) async throws
    /// Records a range as written to the temporary file.
    func recordRange(_ range: DownloadedRangeRecord) async throws
    /// The ranges recorded for a download.
    func ranges(downloadRowID: Int64) async throws -> [DownloadedRangeRecord]
    /// Forgets a download (and its ranges).
    func removePartialDownload(id: Int64) async throws

    // MARK: Runs

    /// Records a run that starts, and removes the oldest runs of its sync beyond `keep`.
    func startRun(_ run: RunRecord, keep: Int) async throws -> RunRecord
    /// Names the job a run works on, once planning has made it.
    func attachRun(id: Int64, jobID: Int64) async throws
    /// Saves a run's end: its outcome, end time and counts.
    func finishRun(_ run: RunRecord) async throws
    /// Forgets a run that never began its work (another run held the lock).
    func removeRun(id: Int64) async throws
    func run(id: Int64) async throws -> RunRecord?
    /// The runs of the sync a job belongs to, newest first.
    func runs(ofSyncOf job: JobRecord, limit: Int) async throws -> [RunRecord]
    /// The most recent runs of every sync, newest first.
    func recentRuns(limit: Int) async throws -> [RunRecord]

    // MARK: The index

    /// Index records under a destination in key order (UTF-8 bytes), a page after `afterKey`:
    /// those of the directory `root` and those from before s3sync kept the directory, a key's
    /// record for `root` first.
    func indexRecords(endpoint: String, location: S3Location, root: String, after afterKey: String?, limit: Int)
        async throws -> [IndexRecord]
    /// Saves what was copied (insert or replace); a key's record from before s3sync kept the
    /// directory is replaced by the new one.
    func recordUploads(_ records: [IndexRecord]) async throws
    /// Forgets keys: under every directory (deleted objects), or under `root` (removed files).
    func removeIndexRecords(endpoint: String, bucket: String, keys: [String], root: String?) async throws

    /// A check of the store's own consistency: "ok" when it is sound.
    func integrityCheck() async throws -> String

    /// Holds the planner's lock of a job identity while `body` runs, when the store holds locks
    /// itself (a shared store: one planner per job across hosts); `nil` when it does not and lock
    /// files are used instead.
    func withPlannerLock<T: Sendable>(identity: String, description: String, _ body: () async throws -> T)
        async throws -> T?
}

/// The defaults every store shares.
extension JobStore {
    /// Runs kept for each sync (direction, directory, endpoint and prefix); older ones are removed
    /// as new ones start.
    public static var runsKeptPerSync: Int { 100 }

    public func recentJobs() async throws -> [JobRecord] { try await recentJobs(limit: 20) }

    /// Every unfinished job, newest first.
    public func unfinishedJobs() async throws -> [JobRecord] {
        try await unfinishedJobs(source: nil, endpoint: nil, location: nil, direction: nil)
    }

    public func pendingTasks(jobID: Int64, kind: TaskRecord.Kind, after id: Int64 = 0) async throws -> [TaskRecord] {
        try await pendingTasks(jobID: jobID, kind: kind, after: id, limit: 1000)
    }

    /// Calls `body` with a job's pending tasks of a kind, a page at a time in plan order; each
    /// page starts after the last task of the one before, so every task is handed over once.
    public func forEachPendingPage(
        jobID: Int64, kind: TaskRecord.Kind, _ body: ([TaskRecord]) async throws -> Void
    ) async throws {
        var lastID: Int64 = 0
        while true {
            let page = try await pendingTasks(jobID: jobID, kind: kind, after: lastID, limit: 1000)
            guard let last = page.last?.id else { return }
            lastID = last
            try await body(page)
        }
    }

    public func problemTasks(jobID: Int64) async throws -> [TaskRecord] {
        try await problemTasks(jobID: jobID, limit: 50)
    }

    public func startRun(_ run: RunRecord) async throws -> RunRecord {
        try await startRun(run, keep: Self.runsKeptPerSync)
    }

    public func runs(ofSyncOf job: JobRecord) async throws -> [RunRecord] {
        try await runs(ofSyncOf: job, limit: 20)
    }

    public func recentRuns() async throws -> [RunRecord] { try await recentRuns(limit: 20) }

    public func indexRecords(endpoint: String, location: S3Location, root: String, after afterKey: String?)
        async throws -> [IndexRecord]
    {
        try await indexRecords(endpoint: endpoint, location: location, root: root, after: afterKey, limit: 2000)
    }

    public func removeIndexRecords(endpoint: String, bucket: String, keys: [String]) async throws {
        try await removeIndexRecords(endpoint: endpoint, bucket: bucket, keys: keys, root: nil)
    }

    /// The smallest string greater than every string starting with `prefix`, or `nil` for no bound.
    static func upperBound(_ prefix: String) -> String? {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0x7F {
                bytes[bytes.count - 1] = last + 1
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes.removeLast()
        }
        return nil
    }

    /// A `LIKE` pattern (escape character `\`) for the strings that start with `prefix`.
    static func likePattern(_ prefix: String) -> String {
        var escaped = ""
        for character in prefix {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped + "%"
    }
}

/// A part of a multipart upload one host claimed to send.
public struct PartClaim: Sendable, Hashable {
    public var upload: MultipartUploadRecord
    public var partNumber: Int

    public init(upload: MultipartUploadRecord, partNumber: Int) {
        self.upload = upload
        self.partNumber = partNumber
    }
}

/// How many tasks of a kind are in a state.
public struct TaskCount: Sendable, Hashable {
    public var kind: TaskRecord.Kind
    public var state: TaskRecord.State
    public var count: Int
    public var bytes: Int64

    public init(kind: TaskRecord.Kind, state: TaskRecord.State, count: Int, bytes: Int64) {
        self.kind = kind
        self.state = state
        self.count = count
        self.bytes = bytes
    }
}

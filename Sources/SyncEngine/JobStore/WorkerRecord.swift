import GRDB

/// A host working on a shared store's jobs: who it is, what it works on, what it has moved and
/// when it last said so. Written at its first heartbeat and at every one after.
public struct WorkerRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "worker"

    /// `host:pid:start`, unique across hosts and restarts.
    public var id: String
    public var host: String
    public var pid: Int
    /// `worker`, or the command of a planner that works on its own job (`push`, `pull`, `resume`).
    public var role: String
    /// The job it works on now, if any.
    public var jobID: Int64?
    public var startedAt: Double
    public var heartbeatAt: Double
    /// Files and bytes it has transferred since it started.
    public var files: Int
    public var bytes: Int64
    /// When the store last answered it with a throttling error (SlowDown, 503).
    public var throttledAt: Double?
    /// Set when it stopped cleanly.
    public var stoppedAt: Double?

    public init(
        id: String, host: String, pid: Int, role: String, jobID: Int64?, startedAt: Double, heartbeatAt: Double,
        files: Int = 0, bytes: Int64 = 0, throttledAt: Double? = nil, stoppedAt: Double? = nil
    ) {
        self.id = id
        self.host = host
        self.pid = pid
        self.role = role
        self.jobID = jobID
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.files = files
        self.bytes = bytes
        self.throttledAt = throttledAt
        self.stoppedAt = stoppedAt
    }
}

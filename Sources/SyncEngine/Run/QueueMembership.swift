import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// This host as a member of a shared queue: the id its claims and heartbeats carry, how long a
/// claim lasts without renewal, and the throttling the other hosts of its job reported.
public struct QueueMembership: Sendable {
    /// `host:pid:start`, unique across hosts and restarts.
    public let worker: String
    public let host: String
    public let pid: Int
    /// `worker`, or the command of a planner (`push`, `pull`, `resume`).
    public let role: String
    /// How long a claim holds without a heartbeat; renewed every third of it.
    public let lease: Duration
    public let startedAt: Double
    /// Throttling other hosts of the same job reported, counted as this host learns of it.
    let throttlesElsewhere: ThrottleTally
    /// Tasks whose files this host did not see as planned.
    let notSeen: TaskSet

    public init(
        role: String, lease: Duration = .seconds(60), host: String = ProcessInfo.processInfo.hostName,
        pid: Int = Int(getpid()), now: Double = Date().timeIntervalSince1970
    ) {
        self.role = role
        self.lease = lease
        self.host = host
        self.pid = pid
        self.startedAt = now
        self.worker = "\(host):\(pid):\(Int(now * 1000))"
        self.throttlesElsewhere = ThrottleTally(since: now - WorkerHeartbeat.throttleMemory)
        self.notSeen = TaskSet()
    }

    /// How many times other hosts' throttling reached this one.
    public var throttlesReported: Int { throttlesElsewhere.count }
}

/// The throttling of other hosts this host has heard of: how many times (read by the request
/// budget's controller) and the latest (so each is counted once, whichever heartbeat hears it).
final class ThrottleTally: Sendable {
    private let state: Mutex<(count: Int, latest: Double)>

    init(since: Double) { state = Mutex((0, since)) }

    var count: Int { state.withLock { $0.count } }

    /// Takes note of another host's throttling at `time`; whether it was news.
    func hear(throttleAt time: Double) -> Bool {
        state.withLock { state in
            guard time > state.latest else { return false }
            state.latest = time
            state.count += 1
            return true
        }
    }
}

/// Task ids a host keeps for itself.
final class TaskSet: Sendable {
    private let ids = Mutex(Set<Int64>())

    /// Adds `id`; whether it was new.
    func insert(_ id: Int64) -> Bool { ids.withLock { $0.insert(id).inserted } }
}

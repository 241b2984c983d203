import Foundation

/// The hosts of a shared queue, as `status` shows them: who, what job, when last heard from, what
/// they moved, and whether they are working, stopped, or silent past their heartbeat (lost).
public struct WorkerStatus: Sendable {
    /// A worker silent this long is shown as lost: its claims run out with their lease.
    static let silence = 10.0

    public var workers: [WorkerRecord]
    public var now: Double

    /// The workers that reported most recently.
    public static func load(store: any JobStore, limit: Int = 50, now: Double = Date().timeIntervalSince1970)
        async throws -> WorkerStatus
    {
        WorkerStatus(workers: try await store.workers(limit: limit), now: now)
    }

    public func state(of worker: WorkerRecord) -> String {
        if worker.stoppedAt != nil { return "stopped" }
        return now - worker.heartbeatAt > Self.silence ? "lost" : "working"
    }

    public var text: String {
        guard !workers.isEmpty else { return "workers: none yet" }
        var lines = ["workers:"]
        for worker in workers {
            let job = worker.jobID.map { "job \($0)" } ?? "no job"
            let ago = TimeSpan.format(max(0, now - worker.heartbeatAt))
            lines.append(
                "  \(worker.host) pid \(worker.pid) (\(worker.role)) \(state(of: worker)), \(job), "
                    + "last heartbeat \(ago) ago, \(worker.files) files, "
                    + "\(ByteCount.format(worker.bytes))")
        }
        return lines.joined(separator: "\n")
    }

    /// One host as JSON.
    struct Entry: Encodable {
        var id: String
        var host: String
        var pid: Int
        var role: String
        var job: Int64?
        var state: String
        var lastHeartbeat: Double
        var files: Int
        var bytes: Int64
        var throttledAt: Double?
    }

    public var json: String {
        let entries = workers.map { worker in
            Entry(
                id: worker.id, host: worker.host, pid: worker.pid, role: worker.role, job: worker.jobID,
                state: state(of: worker), lastHeartbeat: worker.heartbeatAt, files: worker.files, bytes: worker.bytes,
                throttledAt: worker.throttledAt)
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(entries)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }
}

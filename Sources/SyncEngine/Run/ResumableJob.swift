import Foundation

/// A job to continue, with the options to run it with: those it was planned with, which a caller
/// may adjust for this run (requests in flight, bandwidth).
public struct ResumableJob: Sendable {
    public var job: JobRecord
    public var options: SyncOptions

    public init(job: JobRecord, options: SyncOptions) {
        self.job = job
        self.options = options
    }

    /// The job with this id (whatever its state), or without an id the most recent unfinished one.
    /// - Returns: `nil` when no id is given and every job has finished.
    /// - Throws: ``SyncError`` (usage) when there is no job with this id; (configuration) when its
    ///   options cannot be read by this version.
    public static func load(from store: any JobStore, id: Int64?) async throws -> ResumableJob? {
        let found: JobRecord?
        if let id {
            found = try await store.job(id: id)
            guard found != nil else { throw SyncError(.usage, "there is no job \(id)", subject: .unknownJob(id)) }
        } else {
            found = try await store.unfinishedJobs().first
        }
        guard let job = found else { return nil }
        do {
            let options = try JSONDecoder().decode(SyncOptions.self, from: Data(job.options.utf8))
            return ResumableJob(job: job, options: options)
        } catch {
            throw SyncError(.configuration, "job \(job.id ?? 0) has options this version cannot read: \(error)")
        }
    }
}

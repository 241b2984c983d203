import S3Client

/// An error that ends a run, with the exit code class it maps to and, where there is one, what it
/// is about, so a front end can say what to do in its own terms.
public struct SyncError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, which decides the exit code.
    public enum Kind: Sendable, Hashable {
        /// Bad flags or arguments (exit 2).
        case usage
        /// Configuration, credentials, access, missing bucket or directory, state database (exit 2).
        case configuration
        /// Another run holds this job's lock (exit 3).
        case locked
        /// The run failed for another reason (exit 1).
        case failed
        /// Stopped by SIGINT/SIGTERM (exit 130/143).
        case interrupted
    }

    /// What the error is about.
    public enum Subject: Sendable, Hashable {
        /// The state database at this path cannot be used; another one can.
        case stateDatabase(path: String)
        /// The job queue at this URL (without its password) cannot be reached or refused.
        case jobQueue(String)
        /// The plan would delete more objects than the limit allows.
        case deleteLimit(planned: Int, limit: Int)
        /// The job was pushed to another endpoint than the client's.
        case jobEndpoint(String)
        /// There is no job with this id.
        case unknownJob(Int64)
        /// The store refused or could not be reached, of this category.
        case store(S3ErrorCategory)
    }

    public let kind: Kind
    public let message: String
    public let subject: Subject?
    /// The error from below that this one reports (an ``S3ServiceError``, an ``S3ClientError``).
    public let underlying: (any Error)?
    /// The job the error ended, once there is one (it stays resumable).
    public var job: Int64?
    public var direction: JobRecord.Direction?

    public init(_ kind: Kind, _ message: String, subject: Subject? = nil, underlying: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.subject = subject
        self.underlying = underlying
    }

    /// Reports an S3 failure that ends the run.
    init(_ kind: Kind, reporting error: any Error) {
        self.init(kind, "\(error)", subject: .store(S3ErrorCategory(error)), underlying: error)
    }

    public var description: String { message }
}

/// An error that ends a run, with the exit code class it maps to.
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

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

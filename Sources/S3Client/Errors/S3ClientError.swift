/// An error on this side of the wire: the request did not get an answer from S3 that could be used
/// (connection, timeout, TLS, credentials, a local file, a malformed response, configuration).
public struct S3ClientError: Error, Sendable, CustomStringConvertible {
    /// The broad kind, for deciding what to do.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case connection, timeout, tls, credentials, localFile, invalidResponse, configuration, cancelled
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The connection could not be made or broke (refused, reset, closed early, DNS).
        public static let connection = Kind(.connection)
        /// No answer in time.
        public static let timeout = Kind(.timeout)
        /// The TLS handshake failed, e.g. the certificate is not trusted.
        public static let tls = Kind(.tls)
        /// No credentials could be found or loaded.
        public static let credentials = Kind(.credentials)
        /// A local file could not be read as planned (missing, unreadable, changed size).
        public static let localFile = Kind(.localFile)
        /// The service answered something that is not S3.
        public static let invalidResponse = Kind(.invalidResponse)
        /// The client's configuration is invalid (endpoint, region, CA bundle).
        public static let configuration = Kind(.configuration)
        /// The task was cancelled.
        public static let cancelled = Kind(.cancelled)

        public var description: String { base.rawValue }
    }

    public let kind: Kind
    public let message: String
    /// The operation, when the error happened while performing one.
    public let operation: String?

    public init(_ kind: Kind, _ message: String, operation: String? = nil) {
        self.kind = kind
        self.message = message
        self.operation = operation
    }

    /// A file upload's body ran out: the file is shorter than the slice being sent.
    static func fileShrank(_ path: String) -> S3ClientError {
        S3ClientError(.localFile, "\(path) is shorter than when the upload started: it changed while uploading")
    }

    public var description: String {
        if let operation { return "\(operation) failed: \(message)" }
        return message
    }

    func with(operation: String) -> S3ClientError {
        S3ClientError(kind, message, operation: operation)
    }
}

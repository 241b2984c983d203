/// The outcome of deleting many keys: which went, and which failed with the service's reason.
public struct DeleteObjectsResult: Sendable, Hashable {
    public struct Failure: Sendable, Hashable {
        public var key: String
        public var code: String
        public var message: String
    }

    public var deleted: [String]
    public var failures: [Failure]

    public init(deleted: [String] = [], failures: [Failure] = []) {
        self.deleted = deleted
        self.failures = failures
    }
}

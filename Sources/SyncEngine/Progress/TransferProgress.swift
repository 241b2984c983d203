import Synchronization

/// Live counters of a run, updated by the workers and read by the progress display and the report.
public final class TransferProgress: Sendable {
    public struct Snapshot: Sendable, Hashable {
        public var plannedFiles = 0
        public var plannedBytes: Int64 = 0
        public var uploadedFiles = 0
        public var uploadedBytes: Int64 = 0
        /// Body bytes handed to connections, retries included (for the rate).
        public var sentBytes: Int64 = 0
        /// Bytes of parts a previous run had already stored, not sent again.
        public var resumedBytes: Int64 = 0
        public var skippedFiles = 0
        public var deletedFiles = 0
        public var failedFiles = 0
        public var changedFiles = 0
        public var vanishedFiles = 0
        public var warnings = 0
        public var phase = "planning"

        public init() {}
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    public func update(_ change: (inout Snapshot) -> Void) {
        state.withLock { change(&$0) }
    }

    public func addSent(_ bytes: Int) {
        state.withLock { $0.sentBytes += Int64(bytes) }
    }
}

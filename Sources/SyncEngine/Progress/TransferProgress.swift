import Synchronization

/// Live counters of a run, updated by the workers and read by the progress display and the report.
public final class TransferProgress: Sendable {
    public struct Snapshot: Sendable, Hashable {
        public var plannedFiles = 0
        public var plannedBytes: Int64 = 0
        /// Files uploaded (push) or downloaded (pull), and their sizes.
        public var transferredFiles = 0
        public var transferredBytes: Int64 = 0
        /// Body bytes handed to connections, retries included (for the rate).
        public var sentBytes: Int64 = 0
        /// Body bytes read off connections, retries included.
        public var receivedBytes: Int64 = 0
        /// Bytes a previous run had already stored (parts uploaded, ranges downloaded), not
        /// transferred again.
        public var resumedBytes: Int64 = 0
        /// Downloads fetched again because the whole file failed verification.
        public var refetches = 0
        public var skippedFiles = 0
        public var deletedFiles = 0
        public var failedFiles = 0
        public var changedFiles = 0
        public var vanishedFiles = 0
        public var warnings = 0
        public var phase = "planning"

        public init() {}

        /// The bytes of the plan that are done, counting files still in flight: what completed
        /// files hold, or what crossed the wire plus what earlier runs stored, whichever is more
        /// (a large file's parts and ranges show as they go, not only when it completes).
        public var bytesDone: Int64 {
            max(transferredBytes, min(plannedBytes, sentBytes + receivedBytes + resumedBytes))
        }
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

    public func addReceived(_ bytes: Int) {
        state.withLock { $0.receivedBytes += Int64(bytes) }
    }
}

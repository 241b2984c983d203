import S3Client
import Synchronization

/// The requests in flight that files, parts, ranges and listings share (`--concurrency`): a
/// permit per request, first come first served. It counts what went through it — requests
/// completed, their latency, whether work waited for a permit — for the controller that moves
/// its capacity (``AdaptiveConcurrency``).
public final class RequestBudget: Sendable {
    /// What the budget saw since the last ``takeCounters()``.
    struct Counters: Sendable, Equatable {
        var completed = 0
        var latencySeconds = 0.0
        /// The most permits out at once.
        var peakInUse = 0
        /// Whether a request waited for a permit: the budget, not the work, was the limit.
        var contended = false
    }

    private let permits: CreditPool
    private let counters: Mutex<Counters>

    public init(capacity: Int) {
        permits = CreditPool(capacity: capacity)
        counters = Mutex(Counters())
    }

    /// The permits there are now.
    public var capacity: Int { permits.capacity }

    /// Changes how many requests may be in flight.
    func resize(to capacity: Int) {
        permits.setCapacity(capacity)
    }

    /// Runs `body` (one request, with its retries) holding one permit.
    public func withPermit<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        if permits.isContended || permits.inUse >= permits.capacity {
            counters.withLock { $0.contended = true }
        }
        try await permits.take(1)
        let inUse = permits.inUse
        counters.withLock { $0.peakInUse = max($0.peakInUse, inUse) }
        let started = ContinuousClock.now
        defer {
            permits.giveBack(1)
            let seconds = (ContinuousClock.now - started).seconds
            counters.withLock {
                $0.completed += 1
                $0.latencySeconds += seconds
            }
        }
        return try await body()
    }

    /// The counters since the last call, reset.
    func takeCounters() -> Counters {
        let inUse = permits.inUse
        return counters.withLock { counters in
            let taken = counters
            counters = Counters(peakInUse: inUse)
            return taken
        }
    }
}

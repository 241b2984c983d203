/// How the client retries failed requests. One ``RetryCoordinator`` per client applies it to every
/// request of the process.
public struct RetryConfiguration: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Backoff with jitter and a retry quota.
        case standard
        /// Standard plus a client-side send-rate limiter that throttling responses switch on and
        /// that all workers share.
        case adaptive
    }

    public var mode: Mode
    /// Attempts per request, the first included (1 means no retries).
    public var maxAttempts: Int
    /// The base of the backoff curve for transient errors (5xx, timeouts, dropped connections).
    public var transientBaseDelay: Duration
    /// The base of the backoff curve after throttling (`SlowDown`, 503).
    public var throttlingBaseDelay: Duration
    /// The ceiling of any single backoff.
    public var maxBackoff: Duration
    /// Capacity of the retry quota; see ``RetryQuota``.
    public var quotaCapacity: Int

    /// Defaults for a bulk transfer tool: adaptive mode, 10 attempts, 50 ms / 1 s bases, 20 s
    /// ceiling, a 500-token quota.
    public init(
        mode: Mode = .adaptive, maxAttempts: Int = 10, transientBaseDelay: Duration = .milliseconds(50),
        throttlingBaseDelay: Duration = .seconds(1), maxBackoff: Duration = .seconds(20), quotaCapacity: Int = 500
    ) {
        self.mode = mode
        self.maxAttempts = max(1, maxAttempts)
        self.transientBaseDelay = transientBaseDelay
        self.throttlingBaseDelay = throttlingBaseDelay
        self.maxBackoff = maxBackoff
        self.quotaCapacity = quotaCapacity
    }
}

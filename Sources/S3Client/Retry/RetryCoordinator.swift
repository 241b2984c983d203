import Synchronization

/// The retry state every request of one client shares: the retry quota, the adaptive send-rate
/// limiter and counters. Time and randomness are injected so behaviour under test is exact.
public final class RetryCoordinator: Sendable {
    /// What happened so far, for summaries and tests.
    public struct Statistics: Sendable, Hashable {
        /// Attempts sent, first attempts and retries.
        public var attempts = 0
        /// Retries sent.
        public var retries = 0
        /// Responses that were throttling.
        public var throttles = 0
        /// Time spent sleeping in backoff, in seconds.
        public var backoffSeconds = 0.0
        /// Time spent waiting for the adaptive limiter, in seconds.
        public var rateLimitSeconds = 0.0
        /// Retries refused because the quota was empty.
        public var quotaRefusals = 0
    }

    struct State {
        var quota: RetryQuota
        var limiter: AdaptiveRateLimiter
        var statistics = Statistics()
    }

    public let configuration: RetryConfiguration
    let now: @Sendable () -> Double
    let random: @Sendable () -> Double
    private let state: Mutex<State>

    /// - Parameters:
    ///   - now: monotonic seconds; defaults to the continuous clock.
    ///   - random: a value in [0, 1); defaults to the system generator.
    public init(
        configuration: RetryConfiguration, now: (@Sendable () -> Double)? = nil, random: (@Sendable () -> Double)? = nil
    ) {
        self.configuration = configuration
        let clock = now ?? RetryCoordinator.monotonicSeconds
        self.now = clock
        self.random = random ?? { Double.random(in: 0..<1) }
        self.state = Mutex(
            State(quota: RetryQuota(capacity: configuration.quotaCapacity), limiter: AdaptiveRateLimiter(now: clock())))
    }

    static let monotonicSeconds: @Sendable () -> Double = {
        let instant = ContinuousClock.now
        let zero = ContinuousClock.Instant.zeroReference
        return (instant - zero).seconds
    }

    /// Counts an attempt about to be sent.
    public func recordAttempt(isRetry: Bool) {
        state.withLock { state in
            state.statistics.attempts += 1
            if isRetry { state.statistics.retries += 1 }
        }
    }

    /// Takes a send token from the shared rate limiter: zero when taken, otherwise how long to
    /// wait before asking again.
    public func acquireSendToken() -> Duration {
        guard configuration.mode == .adaptive else { return .zero }
        let time = now()
        return state.withLock { state in
            let wait = state.limiter.acquire(now: time)
            return .nanoseconds(Int64(wait * 1e9))
        }
    }

    /// Waits for a send token, checking again at least every 250 ms so a recovering rate is used.
    public func waitForSendToken() async throws {
        while true {
            let wait = acquireSendToken()
            if wait == .zero { return }
            let slice = min(wait, .milliseconds(250))
            let started = now()
            try await Task.sleep(for: slice)
            let waited = now() - started
            state.withLock { $0.statistics.rateLimitSeconds += waited }
        }
    }

    /// Records the outcome of an attempt for the limiter.
    ///
    /// - Parameter sentAt: when the attempt was sent (``currentTime``). A throttle for a request
    ///   sent before the limiter last cut the rate is the same congestion event, not a new one
    ///   (as TCP reduces its window once per round trip): it does not cut the rate again. Without
    ///   this, a burst of concurrent requests throttled together would compound the cut (0.7^n).
    public func recordResponse(throttled: Bool, sentAt: Double? = nil) {
        let time = now()
        state.withLock { state in
            if throttled { state.statistics.throttles += 1 }
            guard configuration.mode == .adaptive else { return }
            if throttled, state.limiter.enabled, let sentAt, sentAt < state.limiter.lastThrottleTime {
                return
            }
            state.limiter.update(throttled: throttled, now: time)
        }
    }

    /// The coordinator's clock, in seconds.
    public var currentTime: Double { now() }

    /// Decides a retry. Returns the backoff and the quota cost taken, or `nil` when the quota is
    /// exhausted.
    public func retryDelay(retry: Int, failure: FailureClass, serverHint: Duration?) -> (delay: Duration, cost: Int)? {
        let roll = random()
        return state.withLock { state in
            guard let cost = state.quota.acquire(isTimeout: failure == .connection) else {
                state.statistics.quotaRefusals += 1
                return nil
            }
            let delay = RetryBackoff.delay(
                retry: retry, throttled: failure == .throttling, random: roll, serverHint: serverHint,
                configuration: configuration)
            state.statistics.backoffSeconds += delay.seconds
            return (delay, cost)
        }
    }

    /// Records a request that finally succeeded; `lastRetryCost` is what its last retry took.
    public func recordSuccess(lastRetryCost: Int?) {
        state.withLock { $0.quota.recordSuccess(refund: lastRetryCost) }
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }
    /// The adaptive limiter's current send rate in requests per second, `nil` while it is off.
    public var sendRate: Double? { state.withLock { $0.limiter.sendRate } }
    public var quotaAvailable: Int { state.withLock { $0.quota.available } }
}

extension ContinuousClock.Instant {
    /// A fixed reference instant for turning instants into seconds.
    static let zeroReference = ContinuousClock.now
}

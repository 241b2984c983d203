/// The backoff before a retry: exponential with full jitter and a ceiling.
///
/// ```
/// delay(i) = random[0, 1) × min(base × 2^i, maxBackoff)     i = 0 for the first retry
/// ```
/// `base` is 50 ms for transient errors and 1 s after throttling (AWS "retry behavior 2.1").
/// A server hint (`x-amz-retry-after` in ms, or `Retry-After` in s) is clamped to
/// `[delay(i), delay(i) + 5 s]`.
public enum RetryBackoff {
    /// - Parameters:
    ///   - retry: 0 for the first retry.
    ///   - random: a value in [0, 1), injected so the curve is testable.
    public static func delay(
        retry: Int, throttled: Bool, random: Double, serverHint: Duration? = nil, configuration: RetryConfiguration
    ) -> Duration {
        let base = throttled ? configuration.throttlingBaseDelay : configuration.transientBaseDelay
        let exponent = min(max(retry, 0), 30)
        let ceilingSeconds = configuration.maxBackoff.seconds
        let uncapped = base.seconds * Double(1 << exponent)
        let capped = min(uncapped, ceilingSeconds)
        let jittered = max(0, min(random, 1)) * capped
        var seconds = jittered
        if let serverHint {
            seconds = min(max(serverHint.seconds, jittered), jittered + 5)
        }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}

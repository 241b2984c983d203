import Synchronization

/// A token bucket over bytes sent (`--bwlimit`), shared by every request of a client: each
/// chunk of a body waits until the bucket allows it. Bursts up to one second's worth.
public final class ByteRateLimiter: Sendable {
    public let bytesPerSecond: Int64
    let now: @Sendable () -> Double
    private let state: Mutex<(available: Double, last: Double)>

    public init(bytesPerSecond: Int64, now: (@Sendable () -> Double)? = nil) {
        precondition(bytesPerSecond > 0)
        self.bytesPerSecond = bytesPerSecond
        let clock = now ?? RetryCoordinator.monotonicSeconds
        self.now = clock
        self.state = Mutex((Double(bytesPerSecond), clock()))
    }

    /// How long to wait before sending `count` bytes; the bytes are taken from the bucket
    /// (it goes into debt, which the wait pays off).
    public func reserve(_ count: Int) -> Duration {
        let time = now()
        let rate = Double(bytesPerSecond)
        return state.withLock { state in
            state.available = min(rate, state.available + (time - state.last) * rate)
            state.last = time
            state.available -= Double(count)
            guard state.available < 0 else { return .zero }
            return .nanoseconds(Int64(-state.available / rate * 1e9))
        }
    }

    /// Waits until `count` bytes may be sent.
    public func consume(_ count: Int) async throws {
        let wait = reserve(count)
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}

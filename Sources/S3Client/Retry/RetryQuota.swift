/// The retry quota: a token bucket that retries draw from and successes refill, so that when an
/// endpoint is down the whole process stops retrying quickly instead of every request retrying
/// to its limit.
///
/// Costs follow the AWS SDKs' standard mode: a retry costs 5 tokens, a retry after a timeout or a
/// dropped connection 10; a success on the first attempt adds 1 (up to the capacity), a success
/// after retries gives back what its last retry cost.
public struct RetryQuota: Sendable, Hashable {
    public static let retryCost = 5
    public static let timeoutRetryCost = 10
    public static let firstAttemptSuccessReward = 1

    public let capacity: Int
    public private(set) var available: Int

    public init(capacity: Int) {
        self.capacity = capacity
        self.available = capacity
    }

    /// Takes the cost of a retry; `nil` when the quota is exhausted and the retry must not happen.
    public mutating func acquire(isTimeout: Bool) -> Int? {
        let cost = isTimeout ? Self.timeoutRetryCost : Self.retryCost
        guard available >= cost else { return nil }
        available -= cost
        return cost
    }

    /// Records a success; `refund` is the cost of the retry that succeeded, or `nil` for a first attempt.
    public mutating func recordSuccess(refund: Int?) {
        available = min(capacity, available + (refund ?? Self.firstAttemptSuccessReward))
    }
}

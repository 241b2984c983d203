/// What the transport does after an attempt failed: the pure strategy between the classifier
/// (``FailureClass``) and the rate limiter (``RetryCoordinator``), in the shape of the AWS SDKs'
/// orchestrator.
///
/// Three recoveries are tried at most once per request, before any backoff: re-signing for the
/// bucket's region, correcting the clock from the server's `Date`, and refreshing expired
/// credentials. Throttling, transient and connection failures back off until `maxAttempts`.
public struct AttemptPolicy: Sendable, Hashable {
    /// The next step after a failed attempt.
    public enum Action: Sendable, Hashable {
        /// Re-sign for this region and send again at once.
        case redirect(region: String)
        /// Correct the clock by this many seconds and send again at once.
        case correctClock(skewSeconds: Double)
        /// Drop the cached credentials and send again at once.
        case refreshCredentials
        /// Back off (the coordinator decides how long, and whether the quota allows it), then send again.
        case backOff(FailureClass)
        /// The request failed for good.
        case fail
        /// The request failed for good after `maxAttempts` attempts.
        case giveUp
    }

    public let maxAttempts: Int

    public init(maxAttempts: Int) {
        self.maxAttempts = maxAttempts
    }

    /// - Parameters:
    ///   - failure: the failed attempt's class.
    ///   - serverTime: the server's clock from the failed answer (seconds since 1970), if it sent one.
    ///   - now: this machine's clock (seconds since 1970).
    ///   - record: the request's attempts so far, the failed one included.
    public func next(after failure: FailureClass, serverTime: Double?, now: Double, record: AttemptRecord) -> Action {
        switch failure {
        case .wrongRegion(let region) where !record.followedRedirect:
            return .redirect(region: region)
        case .clockSkew where !record.correctedClock:
            guard let serverTime else { return .fail }
            return .correctClock(skewSeconds: serverTime - now)
        case .expiredToken where !record.refreshedCredentials:
            return .refreshCredentials
        case .throttling, .transient, .connection:
            return record.retries + 1 < maxAttempts ? .backOff(failure) : .giveUp
        default:
            return .fail
        }
    }
}

/// What happened to one request across its attempts; returned with its response.
public struct AttemptRecord: Sendable, Hashable {
    /// Attempts sent, the first one included.
    public var attempts = 0
    /// Attempts that were backoff retries (not recoveries).
    public var retries = 0
    public var followedRedirect = false
    public var correctedClock = false
    public var refreshedCredentials = false
    /// An attempt failed in a way that leaves open whether the server carried it out (the
    /// connection broke or timed out, a 5xx): a later attempt's answer may describe what that
    /// attempt did, e.g. `NoSuchUpload` after a completion.
    public var outcomeUnknown = false
    /// The quota cost of the last retry, refunded when the request succeeds.
    var lastRetryCost: Int?

    public init() {}
}

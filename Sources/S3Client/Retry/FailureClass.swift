/// What kind of failure a request ended in, which decides whether and how it is retried.
public enum FailureClass: Sendable, Hashable {
    /// The store asks to slow down (`SlowDown`, 503, throttling codes): retry with the throttling
    /// backoff and lower the shared send rate.
    case throttling
    /// A transient server error (500, 502, 504, `RequestTimeout`, `InternalError`): retry.
    case transient
    /// A connection that failed, broke or timed out: retry, at a higher quota cost.
    case connection
    /// The clock differs from the server's: correct and retry.
    case clockSkew
    /// The session token expired: refresh credentials and retry once.
    case expiredToken
    /// The bucket is in another region: re-sign for that region and retry once.
    case wrongRegion(String)
    /// Retrying cannot help.
    case permanent

    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
        "PriorRequestNotComplete", "EC2ThrottledException",
    ]
    static let transientCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "InternalError", "ServiceUnavailable",
    ]

    /// Classifies an error thrown by a request attempt.
    public static func classify(_ error: any Error) -> FailureClass {
        if let service = error as? S3ServiceError {
            return classify(service)
        }
        if let client = error as? S3ClientError {
            switch client.kind {
            case .connection, .timeout: return .connection
            case .invalidResponse: return .transient
            default: return .permanent
            }
        }
        return .permanent
    }

    static func classify(_ error: S3ServiceError) -> FailureClass {
        if throttlingCodes.contains(error.code) || error.statusCode == 503 || error.statusCode == 429 {
            return .throttling
        }
        switch error.code {
        case "RequestTimeTooSkewed": return .clockSkew
        case "ExpiredToken", "TokenRefreshRequired", "ExpiredTokenException": return .expiredToken
        case "PermanentRedirect", "TemporaryRedirect", "AuthorizationHeaderMalformed",
            "IllegalLocationConstraintException":
            if let region = error.bucketRegion, !region.isEmpty { return .wrongRegion(region) }
            return .permanent
        default: break
        }
        if [301, 307].contains(error.statusCode), let region = error.bucketRegion, !region.isEmpty {
            return .wrongRegion(region)
        }
        if transientCodes.contains(error.code) || [500, 502, 504].contains(error.statusCode) {
            return .transient
        }
        return .permanent
    }
}
